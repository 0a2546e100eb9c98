"""`imatter nomination`: a Lead nominates someone for a role; the organisation decides."""

from __future__ import annotations

from dataclasses import asdict

import click

from .common import emit_json, json_option, table, today_or, who, workspace


@click.group()
def nomination() -> None:
    """Nominations for a role: a Lead nominates, the organisation approves or declines."""


@nomination.command("add")
@click.argument("person_ref")
@click.argument("role_id")
@click.option("--note", help="Why you are nominating them (the organisation reads this).")
@click.option("--on", "on", help="Date of the nomination (default today).")
@click.pass_context
def nomination_add(
    ctx: click.Context, person_ref: str, role_id: str, note: str | None, on: str | None
) -> None:
    """Nominate PERSON for ROLE (they must meet the rules; you are told what is missing)."""
    from ..services.nominations import nominate

    ws = workspace(ctx)
    made = nominate(ws, person_ref, role_id, today_or(on), nominated_by=who(), note=note)
    role = ws.programme.role(made.role_id).title
    click.echo(
        f"Nominated {made.person} for {role} (nomination {made.id}); the organisation will "
        "approve or decline it"
    )


@nomination.command("list")
@click.option(
    "--status", type=click.Choice(["pending", "approved", "declined"]), help="Only these."
)
@json_option
@click.pass_context
def nomination_list(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """Nominations you may see, newest first."""
    from ..services.nominations import list_nominations

    found = list_nominations(workspace(ctx).store, status=status)
    if as_json:
        emit_json([asdict(n) for n in found])
        return
    if not found:
        click.echo("No nominations.")
        return
    click.echo(
        table(
            [
                (
                    n.id,
                    n.person,
                    n.role_id,
                    n.nominated_by,
                    n.nominated_on,
                    n.status,
                    n.reason or n.award_id or "",
                )
                for n in found
            ],
            ["id", "person", "role", "nominated by", "on", "status", "reason / award"],
        )
    )


@nomination.command("approve")
@click.argument("nomination_id", type=int)
@click.option("--on", "on", help="Date the award takes effect (default today).")
@click.pass_context
def nomination_approve(ctx: click.Context, nomination_id: int, on: str | None) -> None:
    """Approve a nomination: the role is awarded (through the rules) and its credential issued."""
    from ..services.nominations import approve

    ws = workspace(ctx)
    done = approve(ws, nomination_id, decided_by=who(), on=today_or(on))
    role = ws.programme.role(done.role_id).title
    click.echo(
        f"Approved nomination {done.id}: {done.person} is now {role} (award {done.award_id})"
    )


@nomination.command("decline")
@click.argument("nomination_id", type=int)
@click.option("--reason", required=True, help="Why (the Lead who nominated reads this).")
@click.option("--on", "on", help="Date of the decision (default today).")
@click.pass_context
def nomination_decline(ctx: click.Context, nomination_id: int, reason: str, on: str | None) -> None:
    """Decline a nomination, with a reason the Lead can read."""
    from ..services.nominations import decline

    done = decline(
        workspace(ctx).store, nomination_id, decided_by=who(), on=today_or(on), reason=reason
    )
    click.echo(f"Declined nomination {done.id} for {done.person}: {done.reason}")
