"""`imatter licences`: the licence report, renewals, invoices and trainee licence applications.

(`imatter licences check/grant` come from the core commands; `imatter membership add` records
a year's membership.)
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock
from .common import (
    as_of_option,
    emit_json,
    json_option,
    parse_date,
    table,
    today_or,
    who,
    workspace,
)


@click.group(invoke_without_command=True)
@as_of_option
@json_option
@click.pass_context
def licences(ctx: click.Context, as_of: str | None, as_json: bool) -> None:
    """Licences and membership: the report (default), renewals, invoices, trainee licences."""
    if ctx.invoked_subcommand is None:
        _report(ctx, as_of, as_json)


def _report(ctx: click.Context, as_of: str | None, as_json: bool) -> None:
    from ..delivery import licences as lic

    ws = workspace(ctx)
    rows = lic.licence_report(ws.store, ws.programme, today_or(as_of))
    if as_json:
        from dataclasses import asdict

        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [
                (
                    r.setting,
                    r.kind,
                    "yes" if r.licensed else "no",
                    r.licence_until or "-",
                    r.membership_until or "-",
                    "met" if r.rule_met else f"{len(r.missing)} missing",
                    r.trainees,
                    r.applications_waiting,
                )
                for r in rows
            ],
            [
                "setting",
                "kind",
                "licensed",
                "licence to",
                "member to",
                "rule",
                "trainees",
                "waiting",
            ],
        )
    )
    for r in rows:
        for gap in r.missing:
            click.echo(f"{r.setting}: {gap}")
        if r.licensed and r.problem:
            click.echo(f"{r.setting}: {r.problem}")
        for line in r.lapsed:
            click.echo(f"{r.setting}: {line}")


@licences.command("report")
@as_of_option
@json_option
@click.pass_context
def licences_report(ctx: click.Context, as_of: str | None, as_json: bool) -> None:
    """Every setting's licence, membership, the rule's gaps, trainees and applications."""
    _report(ctx, as_of, as_json)


@licences.command("renewals")
@click.option("--days", type=int, default=60, show_default=True, help="How far ahead to look.")
@as_of_option
@json_option
@click.pass_context
def licences_renewals(ctx: click.Context, days: int, as_of: str | None, as_json: bool) -> None:
    """Memberships renewing in the next N days (and any that have lapsed)."""
    from dataclasses import asdict

    from ..delivery import licences as lic

    ws = workspace(ctx)
    rows = lic.renewals_due(ws.store, ws.programme, today_or(as_of), days)
    if as_json:
        emit_json([{**asdict(r), "state": r.state} for r in rows])
        return
    click.echo(
        table(
            [
                (r.setting, r.ends_on, r.renews_on, r.when, r.state, f"{r.fee:.2f}", r.band)
                for r in rows
            ],
            ["setting", "ends", "renews", "renewal", "state", "fee", "band"],
        )
    )


@licences.command("invoices")
@click.option("--from", "start", required=True, help="First start date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last start date (YYYY-MM-DD).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def licences_invoices(
    ctx: click.Context, start: str, end: str, csv_path: Path | None, pdf_path: Path | None
) -> None:
    """Invoice summary of memberships starting in a period (table, CSV and/or PDF)."""
    from ..delivery import licences as lic

    ws = workspace(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    lines = lic.membership_invoices(ws.store, ws.programme, first, last)  # type: ignore[arg-type]
    click.echo(
        table(
            [
                (x.setting, x.kind, x.pupils_on_roll, x.band, x.starts_on, f"{x.fee:.2f}")
                for x in lines
            ],
            ["setting", "kind", "pupils", "band", "starts", "fee"],
        )
    )
    for currency, total in lic.invoice_totals(lines).items():
        click.echo(f"Total: {currency} {total:.2f}")
    if csv_path:
        click.echo(f"Wrote {lic.write_invoices_csv(lines, csv_path)}")
    if pdf_path:
        pdf = lic.write_invoices_pdf(
            lines,
            pdf_path,
            programme=ws.programme,
            issued_on=clock.today(),
            period=(first, last),  # type: ignore[arg-type]
        )
        click.echo(f"Wrote {pdf}")


@licences.command("apply")
@click.argument("person")
@click.option("--setting", "setting_id", required=True, help="The licensed setting.")
@click.option("--on", help="Date of the application (default today).")
@click.pass_context
def licences_apply(ctx: click.Context, person: str, setting_id: str, on: str | None) -> None:
    """Record PERSON's application for a trainee licence in a licensed setting."""
    from ..delivery import licences as lic

    ws = workspace(ctx)
    app = lic.apply_trainee_licence(ws.store, ws.programme, person, setting_id, today_or(on))
    click.echo(f"Recorded trainee licence application {app}")


def _decide(ctx: click.Context, app_id: int, approve: bool, on, by, reason) -> None:  # type: ignore[no-untyped-def]
    from ..delivery import licences as lic

    result = lic.decide_trainee_application(
        workspace(ctx).store,
        app_id,
        approve=approve,
        decided_by=who(by),
        on=today_or(on),
        reason=reason,
    )
    click.echo(f"Application {app_id} {result.state}")


@licences.command("approve")
@click.argument("app_id", type=int)
@click.option("--on", help="Decision date (default today).")
@click.option("--by", help="Who decides (default: you).")
@click.pass_context
def licences_approve(ctx: click.Context, app_id: int, on: str | None, by: str | None) -> None:
    """Approve a trainee licence application (only while the setting is licensed)."""
    _decide(ctx, app_id, True, on, by, None)


@licences.command("refuse")
@click.argument("app_id", type=int)
@click.option("--reason", required=True, help="Why (the applicant sees this).")
@click.option("--on", help="Decision date (default today).")
@click.option("--by", help="Who decides (default: you).")
@click.pass_context
def licences_refuse(
    ctx: click.Context, app_id: int, reason: str, on: str | None, by: str | None
) -> None:
    """Refuse a trainee licence application, with a reason."""
    _decide(ctx, app_id, False, on, by, reason)


@licences.command("applications")
@click.option(
    "--state",
    type=click.Choice(["submitted", "approved", "lapsed", "refused"]),
    help="Only applications in this state.",
)
@as_of_option
@json_option
@click.pass_context
def licences_applications(
    ctx: click.Context, state: str | None, as_of: str | None, as_json: bool
) -> None:
    """Trainee licence applications and their state (an approval lapses with the licence)."""
    from dataclasses import asdict

    from ..delivery import licences as lic

    apps = lic.trainee_applications(workspace(ctx).store, today_or(as_of), state=state)
    if as_json:
        emit_json([{**asdict(a), "state": a.state} for a in apps])
        return
    click.echo(
        table(
            [
                (
                    a.id,
                    a.name,
                    a.setting,
                    a.submitted_on,
                    a.state,
                    a.decided_on,
                    a.problem or a.reason or "",
                )
                for a in apps
            ],
            ["id", "applicant", "setting", "submitted", "state", "decided", "reason"],
        )
    )


# The school licence rule itself: check a setting against it, and grant the licence.
from .core import licence_check, licence_grant  # noqa: E402

licences.add_command(licence_check, "check")
licences.add_command(licence_grant, "grant")
