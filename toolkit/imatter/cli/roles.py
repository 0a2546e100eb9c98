"""Role commands: a person's status, who is eligible, awards, applications and cases."""

from __future__ import annotations

import click

from .common import (
    as_of_option,
    by_option,
    emit_json,
    json_option,
    parse_date,
    table,
    today_or,
    who,
    workspace,
)


# ----------------------------------------------------------------------------- status
@click.command()
@click.argument("person_ref")
@as_of_option
@json_option
@click.pass_context
def status(ctx: click.Context, person_ref: str, as_of: str | None, as_json: bool) -> None:
    """What PERSON (id or email) holds, what is next, and what is missing."""
    from ..api import person_status

    ws = workspace(ctx)
    report = person_status(ws, person_ref, today_or(as_of))
    if as_json:
        emit_json(report)
        return
    click.echo(f"{report['name']} (person {report['person_id']}) on {report['on']}")
    click.echo("Completed: " + (", ".join(report["completed"]) or "nothing yet"))
    click.echo("Holds: " + (", ".join(report["holds"]) or "no roles yet"))
    rows = [
        (r["title"], r["state"], "; ".join(r["missing"] + r["advice"])) for r in report["roles"]
    ]
    click.echo(table(rows, ["role", "state", "what is missing"]))
    if report["next"]:
        click.echo("Next: " + "; ".join(report["next"]))


# ----------------------------------------------------------------------------- eligible
@click.command()
@click.option("--role", "role_id", required=True, help="Role id (see `imatter roles`).")
@click.option("--setting", "setting_id", help="Only people in this setting.")
@as_of_option
@json_option
@click.pass_context
def eligible(
    ctx: click.Context, role_id: str, setting_id: str | None, as_of: str | None, as_json: bool
) -> None:
    """Who qualifies for ROLE now (not yet awarded), and who is one step away."""
    from ..api import eligible_for_role

    ws = workspace(ctx)
    result = eligible_for_role(ws, role_id, today_or(as_of), setting=setting_id)
    if as_json:
        emit_json(result)
        return
    click.echo(f"{result['role']} on {result['on']}")
    click.echo(f"Eligible now ({len(result['eligible'])}):")
    click.echo(table([(p["person_id"], p["name"]) for p in result["eligible"]], ["id", "name"]))
    click.echo(f"One step away ({len(result['one_step'])}):")
    click.echo(
        table(
            [(p["person_id"], p["name"], p["missing"]) for p in result["one_step"]],
            ["id", "name", "missing"],
        )
    )


# ----------------------------------------------------------------------------- award
@click.command()
@click.argument("person_ref")
@click.argument("role_id")
@click.option("--on", "on", help="Date the award takes effect (default today).")
@click.option("--setting", "setting_id", help="The setting the award is for.")
@by_option
@click.pass_context
def award(
    ctx: click.Context,
    person_ref: str,
    role_id: str,
    on: str | None,
    setting_id: str | None,
    recorded_by: str | None,
) -> None:
    """Grant ROLE to PERSON when the rules say it is met; otherwise say what is missing."""
    from ..services.awards import award_role

    ws = workspace(ctx)
    result = award_role(
        ws, person_ref, role_id, today_or(on), granted_by=recorded_by or who(), setting=setting_id
    )
    until = f" until {result.valid_until}" if result.valid_until else ""
    click.echo(
        f"Awarded {result.role_title} to {result.person_name} from {result.valid_from}{until}"
        f" (award {result.award_id})"
    )
    if result.credential:
        click.echo(f"Credential: {result.credential}")
    else:
        from ..credentials.issue import pending_reason

        with ws.store.read() as conn:
            why = pending_reason(ws, conn, result.award_id)
        if why:
            click.echo(f"Credential: pending ({why})")


# ----------------------------------------------------------------------------- applications
@click.group(name="apply")
def apply() -> None:
    """Applications for a role (the trainee licence, Trainer status)."""


@apply.command("add")
@click.argument("person_ref")
@click.argument("role_id")
@click.option("--on", "on", help="Date submitted (default today).")
@click.option("--setting", "setting_id", help="The setting the application is from.")
@click.pass_context
def apply_add(
    ctx: click.Context, person_ref: str, role_id: str, on: str | None, setting_id: str | None
) -> None:
    """Record an application by PERSON for ROLE."""
    from ..records import apply_for_role

    ws = workspace(ctx)
    app_id = apply_for_role(
        ws.store, ws.programme, person_ref, role_id, today_or(on), setting=setting_id
    )
    click.echo(f"Recorded application {app_id}")


def _decide(
    ctx: click.Context,
    app_id: int,
    approve: bool,
    on: str | None,
    reason: str | None,
    recorded_by: str | None,
) -> None:
    from ..records import decide_application

    decide_application(
        workspace(ctx).store,
        app_id,
        approve=approve,
        decided_by=recorded_by or who(),
        on=today_or(on),
        reason=reason,
    )
    click.echo(f"Application {app_id} {'approved' if approve else 'refused'}")


@apply.command("approve")
@click.argument("app_id", type=int)
@click.option("--on", "on", help="Decision date (default today).")
@by_option
@click.pass_context
def apply_approve(ctx: click.Context, app_id: int, on: str | None, recorded_by: str | None) -> None:
    """Approve application APP_ID."""
    _decide(ctx, app_id, True, on, None, recorded_by)


@apply.command("refuse")
@click.argument("app_id", type=int)
@click.option("--reason", required=True, help="Why it is refused (told to the applicant).")
@click.option("--on", "on", help="Decision date (default today).")
@by_option
@click.pass_context
def apply_refuse(
    ctx: click.Context, app_id: int, reason: str, on: str | None, recorded_by: str | None
) -> None:
    """Refuse application APP_ID with a reason."""
    _decide(ctx, app_id, False, on, reason, recorded_by)


# ----------------------------------------------------------------------------- cases
@click.group()
def case() -> None:
    """Documented cases (anonymised references only, never a child's name)."""


@case.command("add")
@click.argument("person_ref")
@click.argument("reference")
@click.option("--started", required=True, help="When support began (YYYY-MM-DD).")
@click.option("--reviewed", help="Last review (YYYY-MM-DD); leave out while ongoing.")
@by_option
@click.pass_context
def case_add(
    ctx: click.Context,
    person_ref: str,
    reference: str,
    started: str,
    reviewed: str | None,
    recorded_by: str | None,
) -> None:
    """Record a documented case REFERENCE (e.g. FAM-0007) supported by PERSON."""
    from ..records import add_case

    case_id = add_case(
        workspace(ctx).store,
        person_ref,
        reference,
        parse_date(started, "--started"),  # type: ignore[arg-type]
        recorded_by=recorded_by or who(),
        last_reviewed_on=parse_date(reviewed, "--reviewed"),
    )
    click.echo(f"Recorded case {reference} ({case_id})")
