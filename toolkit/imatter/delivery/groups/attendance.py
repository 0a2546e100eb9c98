"""Attendance: marking a session's register, importing registers from CSV, and reading them.

A register may be marked again (a correction replaces the mark). A session in the future cannot
be marked, nor a cancelled one, nor a person outside the group or outside their enrolment.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from itertools import repeat
from operator import lshift, or_
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ...errors import Conflict, ImatterError, InvalidValue, NotFound
from ...lazy import lazy_module
from ...programme import Programme
from ...records.clock import utcnow
from ...records.people import resolve_person
from ...store.reader import reader
from .core import (
    Group,
    Learner,
    Session,
    check_recorder,
    load_group,
    person_label,
    require_change,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import sqlalchemy as sa

    from ...store import Store
    from ...store import schema as t
else:  # imported on first use: a read command on SQLite reads through store.reader
    sa = lazy_module("sqlalchemy")
    t = lazy_module("imatter.store.schema")

ATTENDANCE_COLUMNS = ("group", "date", "person", "present")
ATTENDANCE_OPTIONAL = ("name",)
ATTENDANCE_HEADERS = {
    "group id": "group",
    "study group": "group",
    "session date": "date",
    "email": "person",
    "email address": "person",
    "learner": "person",
    "attended": "present",
    "attendance": "present",
    "learner name": "name",
}
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


def _session(conn: sa.Connection, session_id: int) -> Session:
    gs = t.group_sessions
    row = conn.execute(sa.select(gs).where(gs.c.id == session_id)).first()
    missing = NotFound(f"no session {session_id}; see `imatter group show GROUP`")
    if row is None:
        raise missing
    try:
        load_group(conn, row.group_id)  # a session of a group the actor may not see is "missing"
    except NotFound:
        raise missing from None
    return Session(**row._mapping)


def session_on(conn: sa.Connection, group_id: int, day: dt.date) -> Session:
    """A group's session on a day; NotFound lists the days it has sessions."""
    gs = t.group_sessions
    row = conn.execute(sa.select(gs).where(gs.c.group_id == group_id, gs.c.held_on == day)).first()
    if row is None:
        days = conn.execute(
            sa.select(gs.c.held_on).where(gs.c.group_id == group_id).order_by(gs.c.held_on)
        ).scalars()
        listed = ", ".join(d.isoformat() for d in days) or "none yet"
        raise NotFound(f"group {group_id} has no session on {day} (its sessions: {listed})")
    return Session(**row._mapping)


def _mark(
    conn: sa.Connection,
    programme: Programme,
    group: Group,
    session: Session,
    person_id: int,
    present: bool,
    recorder_id: int,
    today: dt.date,
) -> None:
    if session.cancelled:
        raise Conflict(f"the session on {session.held_on} was cancelled; it has no register")
    programme.check_date(session.held_on, course_id=group.course, what="session date")
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
            _mark(
                conn, programme, group, session, resolve_person(conn, ref), present, recorder, today
            )
    return len(marks)


@dataclass(frozen=True, slots=True)
class RegisterImport:
    """What a register import did: marks added, marks corrected (present became absent or
    the other way), and marks already recorded as the file gives them."""

    path: Path
    added: int = 0
    corrected: int = 0
    unchanged: int = 0

    @property
    def marks(self) -> int:
        """Every mark in the file."""
        return self.added + self.corrected + self.unchanged

    @property
    def summary(self) -> str:
        return f"{self.added} added, {self.corrected} corrected, {self.unchanged} unchanged"


def import_attendance(
    store: Store,
    programme: Programme,
    path: str | Path,
    *,
    recorded_by: str | int,
    today: dt.date,
) -> RegisterImport:
    """Import registers from CSV (group, date, person, present[, name]); all or nothing.

    Every bad row is listed with its line number and the fix (ImportRowError); nothing is
    recorded unless every row is good. The whole file is checked with one query per table, and
    new marks are written in batch (audited in batch); a mark recorded before with the other
    value is corrected, one recorded with the same value is left as it is.
    """
    from ...cells import unsafe_cell
    from ...records.csvfile import read_table
    from ...store import bulk

    path = Path(path)
    with bulk.no_gc():  # (reading the file makes most of the objects)
        table = read_table(
            path, ATTENDANCE_COLUMNS, ATTENDANCE_OPTIONAL, aliases=ATTENDANCE_HEADERS
        )
        if table.columns is not None and table.lines is not None:
            # A register template quotes text a spreadsheet would run as a formula; read it
            # back as is.
            columns = {
                k: list(map(unsafe_cell, v)) if "'" in "".join(v) else v
                for k, v in table.columns.items()
            }
            parsed = _plain_marks(columns, table.lines)
            if parsed is not None:
                return _import_marks(store, programme, path, [], recorded_by, today, parsed)
        rows = [(line, {k: unsafe_cell(v) for k, v in row.items()}) for line, row in table.rows]
        return _import_marks(store, programme, path, rows, recorded_by, today)


class Marks(NamedTuple):
    """Register rows that passed the checks made without the database, column by column:
    each row's line, group, date, person (id or email, as given) and mark."""

    lines: Sequence[int]
    groups: Sequence[int]
    days: Sequence[dt.date]
    people: Sequence[str]
    presents: Sequence[bool]


def _plain_marks(columns: dict[str, list[str]], lines: list[int]) -> Marks | None:
    """Every row's values, when every row passes the checks made without the database,
    checked a column at a time (each distinct value once); None otherwise (the rows are then
    checked one by one, and each bad row's problems listed)."""
    from ...records.csvfile import parse_date

    groups, dates = columns["group"], columns["date"]
    people, presents = columns["person"], columns["present"]
    if not all(people):
        return None
    try:
        group_ids = {g: int(g) for g in set(groups) if g.isascii() and g.isdigit() and len(g) <= 18}
        days = {d: parse_date(d) for d in set(dates)}
        marks = {m: parse_present(m) for m in set(presents)}
    except ValueError:
        return None
    if len(group_ids) != len(set(groups)):
        return None
    return Marks(
        lines,
        list(map(group_ids.__getitem__, groups)),
        list(map(days.__getitem__, dates)),
        people,
        list(map(marks.__getitem__, presents)),
    )


def _import_marks(  # noqa: C901 - one pass over the rows, every check in file order
    store: Store,
    programme: Programme,
    path: Path,
    rows: list[tuple[int, dict[str, str]]],
    recorded_by: str | int,
    today: dt.date,
    checked: Marks | None = None,
) -> RegisterImport:
    from collections import defaultdict

    from ...errors import ImatterError
    from ...records.csv_import import people_by_ref, refuse
    from ...records.csvfile import EXTRA, parse_date, shown
    from ...store import bulk
    from ...trust.access import not_found_person

    problems: dict[int, list[str]] = defaultdict(list)
    parsed: list[tuple[int, int, dt.date, str, bool]] = []
    for line, row in rows:
        if EXTRA in row:
            problems[line].append("more values than columns; check for stray commas")
            continue
        found: list[str] = []
        ref = row.get("group", "")
        if not (ref.isascii() and ref.isdigit()):
            found.append(f"group '{shown(ref)}' is not a group number; see `imatter group list`")
        elif len(ref) > 18:
            found.append(f"no study group {ref}; see `imatter group list`")
        try:
            day = parse_date(row.get("date", ""))
        except ValueError as err:
            found.append(str(err))
        try:
            present = parse_present(row.get("present", ""))
        except ValueError as err:
            found.append(str(err))
        if not row.get("person"):
            found.append("person is empty; give the learner's id or email")
        if found:
            problems[line].extend(found)
            continue
        parsed.append((line, int(ref), day, row["person"], present))
    if checked is None:
        checked = (
            Marks(*map(list, zip(*parsed, strict=True))) if parsed else Marks([], [], [], [], [])
        )
    refs = list(map(str.strip, checked.people))
    gs, gm, at = t.group_sessions, t.group_members, t.attendance
    with store.write() as conn:
        recorder = resolve_person(conn, recorded_by)
        groups: dict[int, Group | str] = {}
        for gid in sorted(set(checked.groups)):
            try:
                loaded = load_group(conn, gid)
                require_change(conn, loaded)
                check_recorder(conn, programme, loaded, recorder, today)
                groups[gid] = loaded
            except ImatterError as err:
                groups[gid] = err.message
        ids = [gid for gid, g in groups.items() if isinstance(g, Group)]
        sessions: dict[tuple[int, dt.date], sa.Row] = {}
        days: dict[int, list[dt.date]] = defaultdict(list)
        members: dict[tuple[int, int], sa.Row] = {}
        if ids:
            for s in conn.execute(
                sa.select(gs).where(gs.c.group_id.in_(ids)).order_by(gs.c.held_on)
            ):
                sessions[(s.group_id, s.held_on)] = s
                days[s.group_id].append(s.held_on)
            for m in conn.execute(sa.select(gm).where(gm.c.group_id.in_(ids))):
                members[(m.group_id, m.person_id)] = m
        people = people_by_ref(conn, set(refs))
        marked = (
            {
                (m.session_id, m.person_id): bool(m.present)
                for m in conn.execute(
                    sa.select(at.c.session_id, at.c.person_id, at.c.present).where(
                        at.c.session_id.in_([s.id for s in sessions.values()])
                    )
                )
            }
            if sessions
            else {}
        )
        seen: dict[tuple[int, int], int] = {}
        inserts: list[tuple] = []
        updates: list[tuple[int, int, bool]] = []
        # Whether a session may be marked at all (its date, not cancelled, not in the future):
        # worked out once per session, not once per row.
        open_session: dict[int, bool] = {}

        def markable(session: sa.Row, group: Group) -> bool:
            if session.id not in open_session:
                open_session[session.id] = (
                    not session.cancelled
                    and session.held_on <= today
                    and _date_problem(programme, group, session.held_on) is None
                )
            return open_session[session.id]

        plain = (
            None
            if problems
            else _plain_inserts(checked, refs, groups, sessions, people, members, marked, markable)
        )
        each = zip(checked.lines, checked.groups, checked.days, refs, checked.presents, strict=True)
        for line, gid, day, ref, present in each if plain is None else ():
            group = groups[gid]
            if not isinstance(group, Group):
                problems[line].append(group)
                continue
            session = sessions.get((gid, day))
            if session is None:
                listed = ", ".join(d.isoformat() for d in days[gid]) or "none yet"
                problems[line].append(
                    f"group {gid} has no session on {day} (its sessions: {listed})"
                )
                continue
            person_id = people.get(ref)
            if person_id is None:
                problems[line].append(not_found_person(shown(ref)).message)
                continue
            key = (session.id, person_id)
            if key in seen:
                problems[line].append(
                    f"duplicate of line {seen[key]} (same group, date and person)"
                )
                continue
            seen[key] = line
            member = members.get((gid, person_id))
            held_on = session.held_on
            problem = None
            if not (
                markable(session, group)
                and member is not None
                and member.enrolled_on <= held_on
                and (member.left_on is None or held_on <= member.left_on)
            ):
                problem = _mark_problem(
                    conn, group, session, member, person_id, today
                ) or _date_problem(programme, group, held_on)
            if problem:
                problems[line].append(problem)
            elif key not in marked:
                inserts.append((session.id, person_id, present))
            elif marked[key] != present:
                updates.append((session.id, person_id, present))
        if problems:
            refuse(path, problems)
        now = utcnow()
        for session_id, person_id, present in updates:
            conn.execute(
                at.update()
                .where(at.c.session_id == session_id, at.c.person_id == person_id)
                .values(present=present, recorded_by_id=recorder, recorded_at=now)
            )
        if plain is not None:
            session_ids, person_ids, presents = plain
        elif inserts:
            session_ids, person_ids, presents = map(list, zip(*inserts, strict=True))
        if plain is not None or inserts:
            with bulk.insert_triggers_off(conn, [at]):
                names = ("session_id", "person_id", "present", "recorded_by_id", "recorded_at")
                values = (session_ids, person_ids, presents, bulk.Same(recorder), bulk.Same(now))
                bulk.insert_audited(
                    conn, [bulk.Rows(at, names, values)]
                )  # keyed by (session, person)
    added = len(plain[0]) if plain is not None else len(inserts)
    return RegisterImport(path, added, len(updates), len(checked.lines) - added - len(updates))


def _plain_inserts(
    marks: Marks,
    refs: list[str],
    groups: dict[int, Group | str],
    sessions: dict[tuple[int, dt.date], sa.Row],
    people: dict[str, int],
    members: dict[tuple[int, int], sa.Row],
    marked: dict[tuple[int, int], bool],
    markable: Callable[[sa.Row, Group], bool],
) -> tuple[list[int], list[int], Sequence[bool]] | None:
    """(session ids, person ids, marks) when every row is a new mark that may be recorded,
    checked a column at a time (each group, session and learner once); None otherwise (the
    rows are then checked one by one, and each bad row's problems listed). `refs` are the
    rows' people, stripped.

    A learner passes when enrolled through the first to the last session of the group in the
    file, which is stricter than each mark's own date: a learner who joined or left between
    them sends the file to the row-by-row checks, which decide each mark on its date."""
    if not marks.lines:
        return None
    gids = marks.groups
    if not all(isinstance(groups[gid], Group) for gid in set(gids)):
        return None
    used = set(zip(gids, marks.days, strict=True))
    if not used <= sessions.keys() or not set(refs) <= people.keys():
        return None
    session_of = {pair: sessions[pair].id for pair in used}
    session_ids = list(map(session_of.__getitem__, zip(gids, marks.days, strict=True)))
    person_ids = list(map(people.__getitem__, refs))
    if min(person_ids) < 0:
        return None
    # Each (session, person) as one integer, person in the low bits: a set of those is
    # quicker to make than one of pairs.
    width = max(person_ids).bit_length()
    keys = set(map(or_, map(lshift, session_ids, repeat(width)), person_ids))
    if len(keys) != len(marks.lines):
        return None  # a duplicate
    recorded = {s << width | p for s, p in marked if 0 <= p < 1 << width}
    if not recorded.isdisjoint(keys):
        return None  # a mark to correct
    first: dict[int, dt.date] = {}
    last: dict[int, dt.date] = {}
    for gid, day in used:
        group = groups[gid]
        if not isinstance(group, Group) or not markable(sessions[(gid, day)], group):
            return None
        first[gid] = min(first.get(gid, day), day)
        last[gid] = max(last.get(gid, day), day)
    for gid, pid in set(zip(gids, person_ids, strict=True)):
        member = members.get((gid, pid))
        if (
            member is None
            or member.enrolled_on > first[gid]
            or (member.left_on is not None and member.left_on < last[gid])
        ):
            return None
    return session_ids, person_ids, marks.presents


def _date_problem(programme: Programme, group: Group, held_on: dt.date) -> str | None:
    """Why a session date cannot be recorded (before the course's earliest date), or None."""
    try:
        programme.check_date(held_on, course_id=group.course, what="session date")
    except ImatterError as err:
        return err.message
    return None


def _mark_problem(
    conn: sa.Connection,
    group: Group,
    session: sa.Row,
    member: sa.Row | None,
    person_id: int,
    today: dt.date,
) -> str | None:
    """Why this person cannot be marked at this session (None: they can), as `_mark` says."""
    if session.cancelled:
        return f"the session on {session.held_on} was cancelled; it has no register"
    if session.held_on > today:
        return f"the session on {session.held_on} has not happened yet (today is {today})"
    if member is None:
        return (
            f"{person_label(conn, person_id)} is not in group {group.id}; enrol them first "
            f"(`imatter group enrol {group.id} PERSON`)"
        )
    if session.held_on < member.enrolled_on or (
        member.left_on is not None and session.held_on > member.left_on
    ):
        return (
            f"{person_label(conn, person_id)} was not in group {group.id} on {session.held_on} "
            f"(enrolled {member.enrolled_on}"
            + (f", left {member.left_on})" if member.left_on else ")")
        )
    return None


@dataclass(frozen=True, slots=True)
class Register:
    """A group's register: sessions (in date order), learners, and marks."""

    group: Group
    sessions: tuple[Session, ...]
    learners: tuple[Learner, ...]  # by name
    marks: dict[tuple[int, int], bool]  # (session id, person id) -> present
    catch_ups: frozenset[tuple[int, int]] = frozenset()  # (session id, person id) caught up

    def mark(self, session_id: int, person_id: int) -> bool | None:
        return self.marks.get((session_id, person_id))

    def in_window(self, session: Session, learner: Learner) -> bool:
        return session.held_on >= learner.enrolled_on and (
            learner.left_on is None or session.held_on <= learner.left_on
        )


def read_register(conn: sa.Connection, group_id: int) -> Register:
    """A group's register inside an open transaction."""
    group = load_group(conn, group_id)
    db = reader(conn)
    sessions = tuple(
        Session(**row._mapping)
        for row in db.rows(
            "SELECT * FROM group_sessions WHERE group_id = :g ORDER BY held_on", g=group_id
        )
    )
    learners = tuple(
        Learner(**row._mapping)
        for row in db.rows(
            "SELECT m.*, p.name, p.email FROM group_members m JOIN people p ON p.id = m.person_id"
            " WHERE m.group_id = :g ORDER BY p.name, p.id",
            g=group_id,
        )
    )
    ids = [s.id for s in sessions]
    marks = {
        (row.session_id, row.person_id): bool(row.present)
        for row in db.rows(
            "SELECT session_id, person_id, present FROM attendance WHERE session_id IN (:ids)",
            ids=ids,
        )
    }
    caught = frozenset(
        (row.session_id, row.person_id)
        for row in db.rows(
            "SELECT session_id, person_id FROM catch_ups WHERE session_id IN (:ids)", ids=ids
        )
    )
    return Register(group, sessions, learners, marks, caught)


def register(store: Store, group_id: int) -> Register:
    """A group's register: every session, every learner and their marks."""
    with store.read() as conn:
        return read_register(conn, group_id)


def write_register_template(store: Store, group_id: int, path: str | Path, today: dt.date) -> Path:
    """A CSV to fill in and import: one row per learner per session held by `today`."""
    from ...cells import safe_row

    reg = register(store, group_id)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(safe_row([*ATTENDANCE_COLUMNS, "name"]))
        for session in reg.sessions:
            if session.cancelled or session.held_on > today:
                continue
            for learner in reg.learners:
                if not reg.in_window(session, learner):
                    continue
                mark = reg.mark(session.id, learner.person_id)
                writer.writerow(
                    safe_row(
                        [
                            reg.group.id,
                            session.held_on.isoformat(),
                            learner.email or learner.person_id,
                            "" if mark is None else ("yes" if mark else "no"),
                            learner.name,
                        ]
                    )
                )
    return path
