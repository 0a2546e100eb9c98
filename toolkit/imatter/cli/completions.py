"""Completion commands: record, import, correct, check and review course completions."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

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


# ----------------------------------------------------------------------------- completions
class _RecordByDefault(click.Group):
    """`imatter complete PERSON COURSE` records one; `imatter complete import ...` etc. too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["record", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RecordByDefault)
def complete() -> None:
    """Record a completion (`complete PERSON COURSE`), or import, correct and review them."""


@complete.command("record")
@click.argument("person_ref")
@click.argument("course_id")
@click.option("--on", "on", help="Completion date (YYYY-MM-DD; default today).")
@click.option("--evidence", default="", help="What shows it (register, assessment ...).")
@by_option
@click.pass_context
def complete_record(
    ctx: click.Context,
    person_ref: str,
    course_id: str,
    on: str | None,
    evidence: str,
    recorded_by: str | None,
) -> None:
    """Record that PERSON (id or email) completed COURSE."""
    from ..records import record_completion

    ws = workspace(ctx)
    today = today_or(None)
    record_id = record_completion(
        ws.store,
        ws.programme,
        person_ref,
        course_id,
        parse_date(on, "--on") or today,
        recorded_by=recorded_by or who(),
        today=today,
        evidence=evidence,
    )
    click.echo(f"Recorded completion {record_id}: person {person_ref} completed {course_id}")


@complete.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@by_option
@click.pass_context
def complete_import(ctx: click.Context, csv_file: Path, recorded_by: str | None) -> None:
    """Import completions from CSV (person,course,date[,evidence]); all or nothing."""
    from ..records import import_completions

    ws = workspace(ctx)
    count = import_completions(
        ws.store, ws.programme, csv_file, recorded_by=recorded_by or who(), today=today_or(None)
    )
    click.echo(f"Imported {count} completions from {csv_file}")


@complete.command("correct")
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="Why the record is corrected.")
@click.option("--course", "course_id", help="The right course.")
@click.option("--on", "on", help="The right date.")
@click.option("--withdraw", is_flag=True, help="The completion should not have been recorded.")
@click.option("--evidence", help="The evidence that it was completed (replaces the old).")
@by_option
@click.pass_context
def complete_correct(
    ctx: click.Context,
    record_id: int,
    reason: str,
    course_id: str | None,
    on: str | None,
    withdraw: bool,
    evidence: str | None,
    recorded_by: str | None,
) -> None:
    """Supersede completion RECORD_ID with a corrected one (the old one stays in history)."""
    from ..records import correct_completion

    ws = workspace(ctx)
    new_id = correct_completion(
        ws.store,
        ws.programme,
        record_id,
        reason=reason,
        recorded_by=recorded_by or who(),
        today=today_or(None),
        course_id=course_id,
        on=parse_date(on, "--on"),
        withdraw=withdraw,
        evidence=evidence,
    )
    click.echo(f"Recorded correction {new_id}, superseding {record_id}")


@complete.command("check")
@as_of_option
@click.option("--withdraw", is_flag=True, help="Withdraw every completion listed.")
@click.option("--reason", help="Why they are withdrawn (with --withdraw).")
@by_option
@json_option
@click.pass_context
def complete_check(
    ctx: click.Context,
    as_of: str | None,
    withdraw: bool,
    reason: str | None,
    recorded_by: str | None,
    as_json: bool,
) -> None:
    """Completions that break their course's rule (attendance and assessment), and the fix."""
    from ..delivery.groups.completion import completions_breaking_rule, withdraw_breaches

    ws = workspace(ctx)
    on = today_or(as_of)
    if withdraw:
        if not (reason and reason.strip()):
            raise click.UsageError("--withdraw needs a --reason")
        done = withdraw_breaches(
            ws.store,
            ws.programme,
            on,
            reason=reason,
            recorded_by=recorded_by or who(),
            today=today_or(None),
        )
        for b, new_id in done:
            click.echo(
                f"Withdrew completion {b.completion_id} ({b.name}, {b.course_id}): record {new_id}"
            )
        click.echo(f"Withdrew {len(done)} completion(s) that broke their course's rule")
        return
    breaches = completions_breaking_rule(ws.store, ws.programme, on)
    if as_json:
        from dataclasses import asdict

        emit_json([asdict(b) for b in breaches])
        return
    if not breaches:
        click.echo("Every completion meets its course's rule or carries evidence recorded by hand.")
        return
    click.echo(f"{len(breaches)} completion(s) break their course's rule:")
    rows = [
        (b.completion_id, b.name, b.course_id, b.completed_on, "; ".join(b.missing))
        for b in breaches
    ]
    click.echo(table(rows, ["record", "person", "course", "date", "what the rule still needs"]))
    click.echo(
        "Fix each one: withdraw it (imatter complete correct RECORD --withdraw --reason ...), "
        "or supersede it with the evidence that it was completed (imatter complete correct "
        "RECORD --evidence ... --reason ...). To withdraw them all: imatter complete check "
        "--withdraw --reason ..."
    )


@complete.command("history")
@click.argument("person_ref")
@json_option
@click.pass_context
def complete_history(ctx: click.Context, person_ref: str, as_json: bool) -> None:
    """Every completion record of a person, with corrections."""
    from ..records import completion_history

    rows = completion_history(workspace(ctx).store, person_ref)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [(r.id, r.course_id, r.completed_on, r.state, r.recorded_by, r.reason) for r in rows],
            ["record", "course", "date", "state", "recorded by", "reason"],
        )
    )
