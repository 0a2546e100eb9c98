"""Catch-ups: a learner who missed a session catches it up in the way the course's catalogue
entry says (`catch_up: {sessions: N, how: ...}`), and the Lead records it.

A caught-up session counts as attended for the attendance share (`caught_up`, applied by
groups.completion.read_status), up to the number of sessions the course allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ...errors import Conflict, InvalidValue
from ...lazy import lazy_module
from ...programme import Course, Programme
from ...records.clock import utcnow
from ...records.people import resolve_person
from .attendance import Register, _session
from .core import check_recorder, load_group, person_label, require_change

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ...store import Store
    from ...store import schema as t
else:  # imported on first use: a read command on SQLite reads through store.reader
    sa = lazy_module("sqlalchemy")
    t = lazy_module("imatter.store.schema")


def caught_up(
    course: Course, reg: Register, sessions: Iterable, person_id: int, present: set[int]
) -> set[int]:
    """The learner's caught-up sessions (of `sessions`, not already present) that count as
    attended: at most as many as the course allows, earliest first."""
    allowed = course.catch_up.sessions if course.catch_up else 0
    mine = [s.id for s in sessions if (s.id, person_id) in reg.catch_ups and s.id not in present]
    return set(mine[:allowed])


def catch_ups_used(reg: Register, person_id: int) -> int:
    """How many sessions this learner has caught up in the group."""
    return sum(1 for _sid, pid in reg.catch_ups if pid == person_id)


def record_catch_up(
    store: Store,
    programme: Programme,
    session_id: int,
    person: str | int,
    *,
    recorded_by: str | int,
    today: dt.date,
) -> None:
    """Record that a learner caught up a session they missed, as the course allows.

    InvalidValue if the course allows no catch-up, the session has not happened, or the learner
    was present; Conflict once they have used every catch-up the course allows.
    """
    with store.write() as conn:
        session = _session(conn, session_id)
        group = load_group(conn, session.group_id)
        require_change(conn, group)
        recorder = resolve_person(conn, recorded_by)
        check_recorder(conn, programme, group, recorder, today)
        person_id = resolve_person(conn, person)
        name = person_label(conn, person_id)
        course = programme.course(group.course)
        if course.catch_up is None:
            raise InvalidValue(
                f"{course.title} allows no catch-up; a missed session stays missed "
                "(see its catch_up field in the programme file)"
            )
        if session.cancelled or session.held_on > today:
            raise InvalidValue(
                f"the session on {session.held_on} "
                + ("was cancelled" if session.cancelled else "has not happened yet")
                + "; there is nothing to catch up"
            )
        gm, at, cu = t.group_members, t.attendance, t.catch_ups
        member = conn.execute(
            sa.select(gm).where(gm.c.group_id == group.id, gm.c.person_id == person_id)
        ).first()
        if member is None or session.held_on < member.enrolled_on:
            raise InvalidValue(f"{name} was not in group {group.id} on {session.held_on}")
        present = conn.execute(
            sa.select(at.c.present).where(
                at.c.session_id == session.id, at.c.person_id == person_id
            )
        ).scalar()
        if present:
            raise InvalidValue(
                f"{name} was present on {session.held_on}; there is nothing to catch up"
            )
        used = (
            conn.execute(
                sa.select(cu.c.session_id)
                .select_from(cu.join(t.group_sessions, t.group_sessions.c.id == cu.c.session_id))
                .where(cu.c.person_id == person_id, t.group_sessions.c.group_id == group.id)
            )
            .scalars()
            .all()
        )
        if session.id in used:
            raise Conflict(f"{name} has already caught up the session on {session.held_on}")
        if len(used) >= course.catch_up.sessions:
            raise Conflict(
                f"{name} has used the {course.catch_up.sessions} catch-up(s) {course.title} "
                "allows; a further missed session cannot be caught up"
            )
        conn.execute(
            cu.insert().values(
                session_id=session.id,
                person_id=person_id,
                caught_up_on=today,
                recorded_by_id=recorder,
                recorded_at=utcnow(),
            )
        )
