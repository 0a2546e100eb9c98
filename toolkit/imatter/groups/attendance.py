"""Attendance: marking a session's register, importing registers from CSV, and reading them.

A register may be marked again (a correction replaces the mark). A session in the future cannot
be marked, nor a cancelled one, nor a person outside the group or outside their enrolment.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..errors import Conflict, InvalidValue, NotFound
from ..programme import Programme
from ..records.clock import utcnow
from ..records.people import resolve_person
from ..store import Store
from ..store import schema as t
from .core import Group, check_recorder, load_group, person_label, require_change

ATTENDANCE_COLUMNS = ("group", "date", "person", "present")
ATTENDANCE_OPTIONAL = ("name",)
_YES = {"yes", "y", "1", "true", "present", "p", "x"}
_NO = {"no", "n", "0", "false", "absent", "a", ""}


def parse_present(value: str) -> bool:
    """'yes'/'present'/'1'/'x' -> True, 'no'/'absent'/'0'/'' -> False; ValueError otherwise."""
    text = value.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"present '{value}' is not yes or no; write yes or no")


def _session(conn: sa.Connection, session_id: int) -> sa.Row:
    gs = t.group_sessions
    row = conn.execute(sa.select(gs).where(gs.c.id == session_id)).first()
    missing = NotFound(f"no session {session_id}; see `imatter group show GROUP`")
    if row is None:
        raise missing
    try:
        load_group(conn, row.group_id)  # a session of a group the actor may not see is "missing"
    except NotFound:
        raise missing from None
    return row


def session_on(conn: sa.Connection, group_id: int, day: dt.date) -> sa.Row:
    gs = t.group_sessions
    row = conn.execute(sa.select(gs).where(gs.c.group_id == group_id, gs.c.held_on == day)).first()
    if row is None:
        days = conn.execute(
            sa.select(gs.c.held_on).where(gs.c.group_id == group_id).order_by(gs.c.held_on)
        ).scalars()
        listed = ", ".join(d.isoformat() for d in days) or "none yet"
        raise NotFound(f"group {group_id} has no session on {day} (its sessions: {listed})")
    return row


def _mark(
    conn: sa.Connection,
    group: Group,
    session: sa.Row,
    person_id: int,
    present: bool,
    recorder_id: int,
    today: dt.date,
) -> None:
    if session.cancelled:
        raise Conflict(f"the session on {session.held_on} was cancelled; it has no register")
    if session.held_on > today:
        raise InvalidValue(
            f"the session on {session.held_on} has not happened yet (today is {today})"
        )
    gm = t.group_members
    member = conn.execute(
        sa.select(gm).where(gm.c.group_id == group.id, gm.c.person_id == person_id)
    ).first()
    if member is None:
        raise InvalidValue(
            f"{person_label(conn, person_id)} is not in group {group.id}; enrol them first "
            f"(`imatter group enrol {group.id} PERSON`)"
        )
    if session.held_on < member.enrolled_on or (
        member.left_on is not None and session.held_on > member.left_on
    ):
        raise InvalidValue(
            f"{person_label(conn, person_id)} was not in group {group.id} on {session.held_on} "
            f"(enrolled {member.enrolled_on}"
            + (f", left {member.left_on})" if member.left_on else ")")
        )
    at = t.attendance
    values = {"present": present, "recorded_by_id": recorder_id, "recorded_at": utcnow()}
    done = conn.execute(
        at.update()
        .where(at.c.session_id == session.id, at.c.person_id == person_id)
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(at.insert().values(session_id=session.id, person_id=person_id, **values))


def record_attendance(
    store: Store,
    programme: Programme,
    session_id: int,
    marks: dict[str | int, bool],
    *,
    recorded_by: str | int,
    today: dt.date,
) -> int:
    """Mark a session's register: {person (id or email): present?}. All or none; returns count.

    `recorded_by` is the person marking it (the group's leader or a Trainer; for trainer-led
    courses only a Trainer): PermissionDenied otherwise.
    """
    if not marks:
        raise InvalidValue("mark at least one learner present or absent")
    with store.write() as conn:
        session = _session(conn, session_id)
        group = load_group(conn, session.group_id)
        require_change(conn, group)
        recorder = resolve_person(conn, recorded_by)
        check_recorder(conn, programme, group, recorder, today)
        for ref, present in marks.items():
            _mark(conn, group, session, resolve_person(conn, ref), present, recorder, today)
    return len(marks)


def import_attendance(
    store: Store,
    programme: Programme,
    path: str | Path,
    *,
    recorded_by: str | int,
    today: dt.date,
) -> int:
    """Import registers from CSV (group, date, person, present[, name]); all or nothing.

    Every bad row is listed with its line number and the fix (ImportRowError); nothing is
    recorded unless every row is good. Returns the number of marks recorded.
    """
    from ..records.csv_import import read_csv, row_person, run_import

    path = Path(path)
    rows = read_csv(path, ATTENDANCE_COLUMNS, ATTENDANCE_OPTIONAL)
    seen: dict[tuple[int, int], int] = {}
    with store.read() as conn:
        recorder = resolve_person(conn, recorded_by)
    checked: set[int] = set()

    def apply_row(conn: sa.Connection, row: dict) -> None:
        line = int(row["__line__"])
        ref = row.get("group", "")
        if not (ref.isascii() and ref.isdigit()):
            raise ValueError(f"group '{ref}' is not a group number; see `imatter group list`")
        if len(ref) > 18:
            raise NotFound(f"no study group {ref}; see `imatter group list`")
        try:
            day = dt.date.fromisoformat(row.get("date", ""))
        except ValueError:
            raise ValueError(
                f"date '{row.get('date', '')}' is not a date; write YYYY-MM-DD"
            ) from None
        present = parse_present(row.get("present", ""))
        if not row.get("person"):
            raise ValueError("person is empty; give the learner's id or email")
        group = load_group(conn, int(ref))
        session = session_on(conn, group.id, day)
        if group.id not in checked:
            require_change(conn, group)
            check_recorder(conn, programme, group, recorder, today)
            checked.add(group.id)
        person_id = row_person(conn, row["person"])
        key = (session.id, person_id)
        if key in seen:
            raise ValueError(f"duplicate of line {seen[key]} (same group, date and person)")
        seen[key] = line
        _mark(conn, group, session, person_id, present, recorder, today)

    numbered = [(line, {**row, "__line__": str(line)}) for line, row in rows]
    return run_import(store, path, numbered, apply_row)


@dataclass(frozen=True)
class Register:
    """A group's register: sessions (in date order), learners, and marks."""

    group: Group
    sessions: tuple[sa.Row, ...]  # id, held_on, title, cancelled, cancel_reason
    learners: tuple[sa.Row, ...]  # person_id, name, email, enrolled_on, left_on, completion_id
    marks: dict[tuple[int, int], bool]  # (session id, person id) -> present
    catch_ups: frozenset[tuple[int, int]] = frozenset()  # (session id, person id) caught up

    def mark(self, session_id: int, person_id: int) -> bool | None:
        return self.marks.get((session_id, person_id))

    def in_window(self, session: sa.Row, learner: sa.Row) -> bool:
        return session.held_on >= learner.enrolled_on and (
            learner.left_on is None or session.held_on <= learner.left_on
        )


def read_register(conn: sa.Connection, group_id: int) -> Register:
    """A group's register inside an open transaction."""
    group = load_group(conn, group_id)
    gs, gm, p, at = t.group_sessions, t.group_members, t.people, t.attendance
    sessions = tuple(
        conn.execute(sa.select(gs).where(gs.c.group_id == group_id).order_by(gs.c.held_on))
    )
    learners = tuple(
        conn.execute(
            sa.select(gm, p.c.name, p.c.email)
            .select_from(gm.join(p, p.c.id == gm.c.person_id))
            .where(gm.c.group_id == group_id)
            .order_by(p.c.name, p.c.id)
        )
    )
    marks = {
        (row.session_id, row.person_id): bool(row.present)
        for row in conn.execute(
            sa.select(at.c.session_id, at.c.person_id, at.c.present).where(
                at.c.session_id.in_([s.id for s in sessions])
            )
        )
    }
    cu = t.catch_ups
    caught = frozenset(
        (row.session_id, row.person_id)
        for row in conn.execute(
            sa.select(cu.c.session_id, cu.c.person_id).where(
                cu.c.session_id.in_([s.id for s in sessions])
            )
        )
    )
    return Register(group, sessions, learners, marks, caught)


def register(store: Store, group_id: int) -> Register:
    """A group's register: every session, every learner and their marks."""
    with store.read() as conn:
        return read_register(conn, group_id)


def write_register_template(store: Store, group_id: int, path: str | Path, today: dt.date) -> Path:
    """A CSV to fill in and import: one row per learner per session held by `today`."""
    reg = register(store, group_id)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*ATTENDANCE_COLUMNS, "name"])
        for session in reg.sessions:
            if session.cancelled or session.held_on > today:
                continue
            for learner in reg.learners:
                if not reg.in_window(session, learner):
                    continue
                mark = reg.mark(session.id, learner.person_id)
                writer.writerow(
                    [
                        reg.group.id,
                        session.held_on.isoformat(),
                        learner.email or learner.person_id,
                        "" if mark is None else ("yes" if mark else "no"),
                        learner.name,
                    ]
                )
    return path
