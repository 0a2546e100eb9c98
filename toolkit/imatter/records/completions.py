"""Course completions: recorded once, never edited; a correction supersedes the old record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import Conflict, Duplicate, InvalidValue, NotFound
from ..lazy import lazy_module
from ..programme import Programme
from ..trust.access import allowed, require
from .clock import utcnow
from .people import resolve_person

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ..store import Store
    from ..store import schema as t
else:  # imported on first use: a read command on SQLite reads through store.reader
    sa = lazy_module("sqlalchemy")
    t = lazy_module("imatter.store.schema")


@dataclass(frozen=True, slots=True)
class CompletionRecord:
    """One completion record as kept (fields in the table's order) and its state: "current",
    "withdrawn" or "superseded by ID"."""

    id: int
    person_id: int
    course_id: str
    completed_on: dt.date
    evidence: str
    recorded_by: str
    recorded_at: dt.datetime
    supersedes_id: int | None
    withdrawn: bool
    reason: str | None
    state: str


def _current(conn: sa.Connection, person_id: int, course_id: str) -> sa.Row | None:
    c = t.completions
    newer = sa.select(c.c.supersedes_id).where(c.c.supersedes_id.is_not(None))
    return conn.execute(
        sa.select(c).where(
            c.c.person_id == person_id,
            c.c.course_id == course_id,
            c.c.withdrawn.is_(False),
            c.c.id.not_in(newer),
        )
    ).first()


def check_completion_date(on: dt.date, today: dt.date) -> None:
    if on > today:
        raise InvalidValue(f"completion date {on} is in the future (today is {today})")


def insert_completion(
    conn: sa.Connection,
    programme: Programme,
    person_id: int,
    course_id: str,
    on: dt.date,
    *,
    evidence: str,
    recorded_by: str,
    today: dt.date,
) -> int:
    """Record one completion inside an open write transaction; Duplicate if already held."""
    require(conn, "completions.record", person=person_id)
    programme.course(course_id)
    check_completion_date(on, today)
    programme.check_date(on, course_id=course_id, what="completion date")
    existing = _current(conn, person_id, course_id)
    if existing is not None:
        raise Duplicate(
            f"person {person_id} already completed {course_id} on {existing.completed_on} "
            f"(record {existing.id}); to change it use `imatter complete correct {existing.id}`"
        )
    return int(
        conn.execute(
            t.completions.insert().values(
                person_id=person_id,
                course_id=course_id,
                completed_on=on,
                evidence=evidence,
                recorded_by=recorded_by,
                recorded_at=utcnow(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def record_completion(
    store: Store,
    programme: Programme,
    person: str | int,
    course_id: str,
    on: dt.date,
    *,
    recorded_by: str,
    today: dt.date,
    evidence: str = "",
) -> int:
    """Record that a person completed a course on a date; returns the record id."""
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        return insert_completion(
            conn,
            programme,
            person_id,
            course_id,
            on,
            evidence=evidence,
            recorded_by=recorded_by,
            today=today,
        )


def correct_completion(
    store: Store,
    programme: Programme,
    completion_id: int,
    *,
    reason: str,
    recorded_by: str,
    today: dt.date,
    course_id: str | None = None,
    on: dt.date | None = None,
    withdraw: bool = False,
    evidence: str | None = None,
) -> int:
    """Supersede a completion with a corrected (or withdrawn) one; both stay in history.

    `evidence` replaces the old record's evidence (what shows the course was completed)."""
    with store.write() as conn:
        return supersede_completion(
            conn,
            programme,
            completion_id,
            reason=reason,
            recorded_by=recorded_by,
            today=today,
            course_id=course_id,
            on=on,
            withdraw=withdraw,
            evidence=evidence,
        )


def supersede_completion(
    conn: sa.Connection,
    programme: Programme,
    completion_id: int,
    *,
    reason: str,
    recorded_by: str,
    today: dt.date,
    course_id: str | None = None,
    on: dt.date | None = None,
    withdraw: bool = False,
    evidence: str | None = None,
) -> int:
    """correct_completion inside an open write transaction."""
    if not reason.strip():
        raise InvalidValue("a correction needs a --reason")
    if evidence is not None and not evidence.strip():
        raise InvalidValue("--evidence needs the evidence that the course was completed")
    c = t.completions
    old = conn.execute(sa.select(c).where(c.c.id == completion_id)).first()
    if old is None or not allowed(conn, "people.read", person=old.person_id):
        raise NotFound(f"no completion record {completion_id}")
    require(conn, "completions.record", person=old.person_id)
    later = conn.execute(sa.select(c.c.id).where(c.c.supersedes_id == completion_id)).scalar()
    if later is not None:
        raise Duplicate(
            f"completion {completion_id} was already superseded by {later}; correct that one"
        )
    if old.withdrawn:
        raise Conflict(f"completion {completion_id} is a withdrawal; record a new completion")
    new_course = course_id or old.course_id
    programme.course(new_course)
    new_on = on or old.completed_on
    check_completion_date(new_on, today)
    programme.check_date(new_on, course_id=new_course, what="completion date")
    if new_course != old.course_id and not withdraw:
        clash = _current(conn, old.person_id, new_course)
        if clash is not None:
            raise Duplicate(f"person {old.person_id} already completed {new_course}")
    return int(
        conn.execute(
            c.insert().values(
                person_id=old.person_id,
                course_id=new_course,
                completed_on=new_on,
                evidence=old.evidence if evidence is None else evidence.strip(),
                recorded_by=recorded_by,
                recorded_at=utcnow(),
                supersedes_id=completion_id,
                withdrawn=withdraw,
                reason=reason.strip(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def completion_history(store: Store, person: str | int) -> list[CompletionRecord]:
    """All of a person's completion records, oldest first, each marked current or superseded."""
    c = t.completions
    with store.read() as conn:
        person_id = resolve_person(conn, person)
        rows = conn.execute(sa.select(c).where(c.c.person_id == person_id).order_by(c.c.id)).all()
    superseded = {r.supersedes_id: r.id for r in rows if r.supersedes_id}

    def state(row: sa.Row) -> str:
        if row.id in superseded:
            return f"superseded by {superseded[row.id]}"
        return "withdrawn" if row.withdrawn else "current"

    return [CompletionRecord(**row._mapping, state=state(row)) for row in rows]
