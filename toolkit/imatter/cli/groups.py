"""`imatter group` and `imatter attendance`: study groups, sessions, registers, completion."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import clock
from ..errors import UsageError
from .common import as_of_option, emit_json, json_option, parse_date, table, today_or, workspace

by_person = click.option(
    "--by",
    "by",
    help="Who is recording: the person's id or email (the group's leader or a Trainer; "
    "default: you, by `--as` or $IMATTER_USER).",
)


@contextmanager
def _recording(by: str | None) -> Iterator[str]:
    """The recorder: --by, else whoever is acting; a clear usage error when that default is
    no one in the records."""
    from ..errors import NotFound
    from .common import who

    recorder = by or who()
    try:
        yield recorder
    except NotFound as err:
        if by is None and err.message.startswith(f"no person '{recorder}'"):
            raise UsageError(
                f"who is recording? you ({recorder}) are not in the records: give --by with "
                "the person's id or email (the group's leader or a Trainer)"
            ) from None
        raise


on_option = click.option("--on", help="Date (YYYY-MM-DD; default today).")

if TYPE_CHECKING:
    from ..delivery.groups import GroupSummary


def _group_line(row: GroupSummary) -> tuple:
    return (
        row.id,
        row.name,
        row.course_id,
        row.term,
        row.setting_id or "-",
        row.leader,
        row.learners,
        row.sessions,
    )


# ----------------------------------------------------------------------------- group
@click.group()
def group() -> None:
    """Study groups: create, enrol, schedule sessions, see progress, record completions."""


@group.command("create")
@click.option("--course", "course_id", required=True, help="Course id (see `imatter courses`).")
@click.option("--term", required=True, help="Academic year 2026-27, or a term 2026-27-t2.")
@click.option("--leader", required=True, help="The leader's id or email.")
@click.option("--setting", "setting_id", help="Setting id (not needed for cohorts and events).")
@click.option("--audience", type=click.Choice(["staff", "parents"]), help="Default: the course's.")
@click.option("--name", help="A name for the group (default from the course and term).")
@on_option
@click.pass_context
def group_create(
    ctx: click.Context,
    course_id: str,
    term: str,
    leader: str,
    setting_id: str | None,
    audience: str | None,
    name: str | None,
    on: str | None,
) -> None:
    """Create a study group for a course and a term, led by a Lead, Trainee Lead or Trainer."""
    from ..delivery import groups

    ws = workspace(ctx)
    gid = groups.create_group(
        ws.store,
        ws.programme,
        course_id=course_id,
        term=term,
        leader=leader,
        on=today_or(on),
        setting=setting_id,
        audience=audience,
        name=name,
    )
    (row,) = [r for r in groups.list_groups(ws.store) if r.id == gid]
    click.echo(f"Created group {gid}: {row.name} (led by {row.leader})")


@group.command("list")
@click.option("--setting", "setting_id", help="Only this setting's groups.")
@click.option("--leader", help="Only groups led by this person (id or email).")
@click.option("--learner", help="Only groups this person is in (id or email).")
@click.option("--term", help="Only this term.")
@click.option("--course", "course_id", help="Only this course.")
@json_option
@click.pass_context
def group_list(
    ctx: click.Context,
    setting_id: str | None,
    leader: str | None,
    learner: str | None,
    term: str | None,
    course_id: str | None,
    as_json: bool,
) -> None:
    """List study groups."""
    from ..delivery import groups

    rows = groups.list_groups(
        workspace(ctx).store,
        setting=setting_id,
        leader=leader,
        member=learner,
        term=term,
        course=course_id,
    )
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [_group_line(r) for r in rows],
            ["id", "name", "course", "term", "setting", "leader", "learners", "sessions"],
        )
    )


@group.command("enrol")
@click.argument("group_id", type=int)
@click.argument("people", nargs=-1, required=True)
@on_option
@click.pass_context
def group_enrol(ctx: click.Context, group_id: int, people: tuple[str, ...], on: str | None) -> None:
    """Enrol PEOPLE (ids or emails) in GROUP_ID from a date (all or none)."""
    from ..delivery import groups

    ws = workspace(ctx)
    advice = groups.enrol(ws.store, ws.programme, group_id, list(people), today_or(on))
    click.echo(f"Enrolled {len(people)} in group {group_id}")
    for line in advice:
        click.echo(f"Note: {line}")


@group.command("leave")
@click.argument("group_id", type=int)
@click.argument("person")
@on_option
@click.pass_context
def group_leave(ctx: click.Context, group_id: int, person: str, on: str | None) -> None:
    """Record that PERSON left GROUP_ID (later sessions no longer count for them)."""
    from ..delivery import groups

    day = today_or(on)
    groups.leave(workspace(ctx).store, group_id, person, day)
    click.echo(f"{person} left group {group_id} on {day}")


@group.command("schedule")
@click.argument("group_id", type=int)
@click.option("--date", "dates", multiple=True, help="A session date (repeat for more).")
@click.option("--from", "first", help="First of a run of sessions (with --count).")
@click.option("--count", type=int, help="How many sessions from --from.")
@click.option("--every", type=int, default=7, show_default=True, help="Days between sessions.")
@click.pass_context
def group_schedule(
    ctx: click.Context,
    group_id: int,
    dates: tuple[str, ...],
    first: str | None,
    count: int | None,
    every: int,
) -> None:
    """Schedule sessions: --date D (repeatable), or --from D --count N [--every DAYS]."""
    from ..delivery import groups

    days = [parse_date(d, "--date") for d in dates]
    if first or count:
        if not (first and count):
            raise UsageError("use --from and --count together (e.g. --from 2026-10-01 --count 6)")
        days += groups.weekly_dates(parse_date(first, "--from"), count, every_days=every)  # type: ignore[arg-type]
    if not days:
        raise UsageError("give --date (repeatable) or --from and --count")
    ws = workspace(ctx)
    ids = groups.schedule_sessions(ws.store, group_id, days, programme=ws.programme)  # type: ignore[arg-type]
    click.echo(f"Scheduled {len(ids)} session(s) for group {group_id}")


@group.command("cancel")
@click.argument("session_id", type=int)
@click.option("--reason", required=True, help="Why the session did not take place.")
@click.pass_context
def group_cancel(ctx: click.Context, session_id: int, reason: str) -> None:
    """Cancel a session nobody attended (it stops counting for the attendance rule)."""
    from ..delivery import groups

    groups.cancel_session(workspace(ctx).store, session_id, reason)
    click.echo(f"Cancelled session {session_id}")


@group.command("show")
@click.argument("group_id", type=int)
@as_of_option
@json_option
@click.pass_context
def group_show(ctx: click.Context, group_id: int, as_of: str | None, as_json: bool) -> None:
    """The register and every learner's progress against the completion rule."""
    from ..delivery import groups

    ws = workspace(ctx)
    day = today_or(as_of)
    status = groups.group_completion_status(ws, ws.programme, group_id, day)
    if as_json:
        emit_json(_status_json(status))
        return
    g = status.group
    course = ws.programme.course(g.course)
    click.echo(f"Group {g.id}: {g.name}")
    click.echo(
        f"Course {g.course} ({course.delivery}); {g.audience}; term {g.term}; "
        f"setting {g.setting or '-'}; led by {g.leader}"
    )
    click.echo(f"Rule: {course.rule()}")
    click.echo("")
    click.echo(_register_text(status.register))
    click.echo("")
    click.echo(
        table(
            [
                (p.name, f"{p.attended}/{p.sessions}", p.required, p.summary)
                for p in status.progress
            ],
            ["learner", "attended", "needs", "progress"],
        )
    )


def _register_text(reg) -> str:
    headers = ["learner"] + [
        s.held_on.strftime("%d %b") + (" (x)" if s.cancelled else "") for s in reg.sessions
    ]
    rows = []
    for learner in reg.learners:
        cells = [learner.name]
        for s in reg.sessions:
            mark = reg.mark(s.id, learner.person_id)
            if s.cancelled or not reg.in_window(s, learner):
                cells.append("")
            else:
                cells.append("." if mark is None else ("P" if mark else "A"))
        rows.append(cells)
    key = "P present, A absent, . not taken, (x) cancelled"
    return table(rows, headers) + f"\n{key}"


def _status_json(status) -> dict:
    reg = status.register
    return {
        "group": asdict(status.group),
        "sessions": [asdict(s) for s in reg.sessions],
        "attendance": [
            {"session": sid, "person": pid, "present": present}
            for (sid, pid), present in sorted(reg.marks.items())
        ],
        "progress": [{**asdict(p), "completed": p.completed} for p in status.progress],
    }


@group.command("complete")
@click.argument("group_id", type=int)
@by_person
@as_of_option
@click.pass_context
def group_complete(ctx: click.Context, group_id: int, by: str | None, as_of: str | None) -> None:
    """Record completions for every learner who meets the course's rule."""
    from ..delivery import groups

    ws = workspace(ctx)
    today = clock.today()
    with _recording(by) as recorder:
        outcomes = groups.complete_group(
            ws.store, ws.programme, group_id, recorded_by=recorder, on=today_or(as_of), today=today
        )
    click.echo(
        table([(o.name, o.action, o.detail) for o in outcomes], ["learner", "result", "details"])
    )
    done = sum(o.action in ("recorded", "updated") for o in outcomes)
    click.echo(f"{done} completion(s) recorded for group {group_id}")


@group.command("event")
@click.argument("course_id")
@click.option("--trainer", required=True, help="The Trainer's id or email.")
@click.option("--person", "people", multiple=True, required=True, help="An attendee (repeat).")
@click.option("--setting", "setting_id", help="The setting it was held for, if one.")
@click.option("--name", help="A name for the event.")
@on_option
@click.pass_context
def group_event(
    ctx: click.Context,
    course_id: str,
    trainer: str,
    people: tuple[str, ...],
    setting_id: str | None,
    name: str | None,
    on: str | None,
) -> None:
    """Record a trainer-led event (inset, intensive, action planning day) and its attendees."""
    from ..delivery import groups

    ws = workspace(ctx)
    result = groups.record_event(
        ws.store,
        ws.programme,
        course_id,
        today_or(on),
        trainer=trainer,
        attendees=list(people),
        today=clock.today(),
        setting=setting_id,
        name=name,
    )
    done = sum(o.action == "recorded" for o in result.outcomes)
    click.echo(f"Recorded {course_id} as group {result.group_id}: {done} completion(s)")


# ----------------------------------------------------------------------------- attendance
@click.group()
def attendance() -> None:
    """Take a session's register, import registers from CSV, print a template."""


@attendance.command("mark")
@click.argument("group_id", type=int)
@click.option("--date", "day", required=True, help="The session's date (YYYY-MM-DD).")
@click.option("--present", multiple=True, help="A learner present (id or email; repeat).")
@click.option("--absent", multiple=True, help="A learner absent (id or email; repeat).")
@by_person
@click.pass_context
def attendance_mark(
    ctx: click.Context,
    group_id: int,
    day: str,
    present: tuple[str, ...],
    absent: tuple[str, ...],
    by: str | None,
) -> None:
    """Mark learners present or absent at GROUP_ID's session on --date."""
    from ..delivery import groups
    from ..delivery.groups.attendance import session_on

    both = set(present) & set(absent)
    if both:
        raise UsageError(f"{', '.join(sorted(both))} marked both present and absent")
    ws = workspace(ctx)
    with ws.store.read() as conn:
        session = session_on(conn, group_id, parse_date(day, "--date"))  # type: ignore[arg-type]
    marks: dict[str | int, bool] = {**{p: True for p in present}, **{a: False for a in absent}}
    with _recording(by) as recorder:
        count = groups.record_attendance(
            ws.store, ws.programme, session.id, marks, recorded_by=recorder, today=clock.today()
        )
    click.echo(f"Marked {count} learner(s) for group {group_id} on {session.held_on}")


@attendance.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@by_person
@click.pass_context
def attendance_import(ctx: click.Context, csv_file: Path, by: str | None) -> None:
    """Import registers (group, date, person, present[, name]); all rows or none."""
    from ..delivery import groups

    ws = workspace(ctx)
    with _recording(by) as recorder:
        result = groups.import_attendance(
            ws.store, ws.programme, csv_file, recorded_by=recorder, today=clock.today()
        )
    click.echo(f"Imported {result.marks} attendance mark(s) from {csv_file}: {result.summary}")


@attendance.command("template")
@click.argument("group_id", type=int)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (default register-GROUP.csv).",
)
@click.pass_context
def attendance_template(ctx: click.Context, group_id: int, output: Path | None) -> None:
    """Write a register CSV to fill in (one row per learner per session so far)."""
    from ..delivery import groups

    path = groups.write_register_template(
        workspace(ctx).store, group_id, output or Path(f"register-{group_id}.csv"), clock.today()
    )
    click.echo(
        f"Wrote {path}; fill in 'present' (yes/no), then run `imatter attendance import {path}`"
    )


@attendance.command("show")
@click.argument("group_id", type=int)
@click.pass_context
def attendance_show(ctx: click.Context, group_id: int) -> None:
    """Print a group's register."""
    from ..delivery import groups

    click.echo(_register_text(groups.register(workspace(ctx).store, group_id)))
