"""Workspace commands: init, setting licences and memberships, and the demo."""

from __future__ import annotations

import click

from .common import (
    as_of_option,
    by_option,
    emit_json,
    json_option,
    parse_date,
    today_or,
    who,
    workspace,
)


# ----------------------------------------------------------------------------- init
@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.pass_context
def init(ctx: click.Context, path: str | None) -> None:
    """Create a workspace (folder, config and database) at PATH."""
    from ..workspace import init_workspace

    obj = ctx.find_root().obj or {}
    ws = init_workspace(
        path or obj.get("workspace"), db=obj.get("db"), programme=obj.get("programme")
    )
    click.echo(
        f"Workspace ready at {ws.path} (database {ws.db_url}, schema {ws.store.schema_version()})"
    )


# ----------------------------------------------------------------------------- licence, membership
@click.command("check")
@click.argument("setting_id")
@as_of_option
@json_option
@click.pass_context
def licence_check(ctx: click.Context, setting_id: str, as_of: str | None, as_json: bool) -> None:
    """Whether SETTING meets the school licence rule, and what is missing."""
    from ..delivery.licences import check_setting_licence

    ws = workspace(ctx)
    on = today_or(as_of)
    result = check_setting_licence(ws.store, ws.programme, setting_id, on)
    if as_json:
        emit_json(
            {
                "setting": setting_id,
                "on": on,
                "met": result.met,
                "licensed": result.licensed,
                "missing": list(result.missing),
                "details": list(result.details),
            }
        )
        return
    click.echo(
        f"{setting_id}: {'meets' if result.met else 'does not yet meet'} the school licence "
        f"rule on {on}; currently {'licensed' if result.licensed else 'not licensed'}"
    )
    for line in [*result.details, *(f"missing: {m}" for m in result.missing)]:
        click.echo(f"  {line}")


@click.command("grant")
@click.argument("setting_id")
@click.option("--on", "on", help="Licence start (default today).")
@click.option("--until", help="Licence end (YYYY-MM-DD; default open).")
@by_option
@click.pass_context
def licence_grant(
    ctx: click.Context, setting_id: str, on: str | None, until: str | None, recorded_by: str | None
) -> None:
    """Grant SETTING its school licence (refused, with reasons, unless the rule is met)."""
    from ..records import grant_setting_licence

    ws = workspace(ctx)
    grant_setting_licence(
        ws.store,
        ws.programme,
        setting_id,
        today_or(on),
        granted_by=recorded_by or who(),
        valid_until=parse_date(until, "--until"),
    )
    click.echo(f"Granted the school licence to {setting_id}")


@click.group()
def membership() -> None:
    """Annual membership, priced by pupils on roll."""


@membership.command("add")
@click.argument("setting_id")
@click.option("--from", "starts", help="Start date (default today).")
@by_option
@click.pass_context
def membership_add(
    ctx: click.Context, setting_id: str, starts: str | None, recorded_by: str | None
) -> None:
    """Record a year's membership for SETTING, priced from the programme's bands."""
    from ..records import add_membership

    ws = workspace(ctx)
    result = add_membership(
        ws.store, ws.programme, setting_id, today_or(starts), recorded_by=recorded_by or who()
    )
    click.echo(
        f"Membership for {setting_id} from {result.starts_on} to {result.ends_on}: "
        f"{ws.programme.membership.currency} {result.fee:.2f}"
    )


# ----------------------------------------------------------------------------- demo
@click.command()
@click.option("--as-of", help="Demo date (default today).")
@click.option("--force", is_flag=True, help="Replace an existing demo workspace.")
@click.pass_context
def demo(ctx: click.Context, as_of: str | None, force: bool) -> None:
    """Build a workspace with a synthetic cluster and print the eligibility table."""
    from ..demo import build_demo

    obj = ctx.find_root().obj or {}
    ws = build_demo(
        obj.get("workspace"), today_or(as_of), force=force, programme=obj.get("programme")
    )
    from ..api import eligibility_table

    frame = eligibility_table(ws, today_or(as_of))
    click.echo(f"Demo workspace: {ws.path} (synthetic people; nothing real)")
    click.echo(frame.to_string())
    from ..demo import DEMO_LEAD

    click.echo(
        f"\nYou are this workspace's admin. To see what Brook Primary's Lead sees, try:\n"
        f"  imatter -w {ws.path} --as {DEMO_LEAD} person list"
    )
    from ..demo import demo_term

    term = demo_term(ws)
    w = f"imatter -w {ws.path}"
    click.echo("\nA whole term:")
    if term is not None:
        click.echo(
            f"  Issuer key made first; {term.credentials} award(s) issued as signed credentials: "
            f"{w} credential list"
        )
        click.echo(f"  Study group {term.group_id}, {term.group_name}: 3 of 6 sessions registered")
        if term.course_dir is not None:
            click.echo(
                f"  Its assessment: {len(term.marked)} marked and fed back, "
                f"{', '.join(term.not_returned)} not returned: "
                f"{w} assess -g {term.group_id} status foundation-a"
            )
    click.echo("Open the dashboards (each serves on http://127.0.0.1:8866/, Ctrl-C to stop):")
    click.echo(f"  the Lead's:         {w} --as {DEMO_LEAD} dashboard lead")
    click.echo(f"  a learner's:        {w} dashboard progress --person z.hughes@brook.example")
    click.echo(f"  the organisation's: {w} dashboard organisation")
