"""What the dashboards show, as plain data (no widgets): who is eligible next, whose
reflections wait to be marked, and whom a Lead looks after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..programme import AllOf, Position, Programme
from ..records.facts import PersonRecords
from ..store import Store
from ..store import schema as t


@dataclass(frozen=True)
class NextStep:
    person_id: int
    name: str
    role: str
    title: str
    state: str  # 'eligible now' | 'one step away'
    missing: tuple[str, ...]


def _position_fits(programme: Programme, role_id: str, person: PersonRecords, on: dt.date) -> bool:
    """False when the role asks for a position (e.g. headteacher) the person does not hold."""
    req = programme.roles[role_id].requires
    parts = req.parts if isinstance(req, AllOf) else (req,)
    current = {s.position for s in person.settings if s.member_on(on)}
    return all(not isinstance(p, Position) or set(p.positions) & current for p in parts)


def next_steps(
    programme: Programme, people: dict[int, PersonRecords], on: dt.date
) -> list[NextStep]:
    """Roles each person meets but does not hold, or is one step from, by name then role."""
    from ..eligibility import evaluate_person
    from ..programme import roles_beyond

    beyond = {rid: roles_beyond(programme, rid) for rid in programme.roles}
    steps = []
    for pid, person in people.items():
        results = evaluate_person(programme, person, on)
        held = {rid for rid, result in results.items() if result.held}
        for rid, result in results.items():
            if result.held or not _position_fits(programme, rid, person, on):
                continue
            if held & beyond[rid]:  # outgrown: a School Lead needs no trainee licence
                continue
            if result.met:
                state = "eligible now"
            elif result.steps == 1:
                state = "one step away"
            else:
                continue
            steps.append(NextStep(pid, person.name, rid, result.title, state, result.missing))
    order = {rid: i for i, rid in enumerate(programme.roles)}
    return sorted(steps, key=lambda s: (s.name.lower(), s.person_id, order[s.role]))


def lead_people(store: Store, leader_id: int) -> list[int]:
    """The people a Lead looks after: learners in their groups and members of the settings
    where their groups run."""
    g, gm, aff = t.study_groups, t.group_members, t.affiliations
    with store.read() as conn:
        learners = set(
            conn.execute(
                sa.select(gm.c.person_id)
                .select_from(gm.join(g, g.c.id == gm.c.group_id))
                .where(g.c.leader_id == leader_id)
            ).scalars()
        )
        settings = sa.select(g.c.setting_id).where(
            g.c.leader_id == leader_id, g.c.setting_id.is_not(None)
        )
        members = set(
            conn.execute(sa.select(aff.c.person_id).where(aff.c.setting_id.in_(settings))).scalars()
        )
    return sorted((learners | members) - {leader_id})


def eligible_next(
    store: Store, programme: Programme, person_ids: list[int], on: dt.date
) -> list[NextStep]:
    """next_steps for these people, read from the store in one transaction."""
    from ..records.load import people_records

    with store.read() as conn:
        people = people_records(conn, person_ids)
    return next_steps(programme, people, on)


@dataclass(frozen=True)
class ReflectionCount:
    course_id: str
    folder: Path
    mine: int  # from the Lead's learners
    total: int


def reflections_waiting(workspace: Path, learners: set[int]) -> list[ReflectionCount]:
    """Reflections waiting to be marked in the nbgrader course directories found (none if there
    are none): for the Lead's learners, and in all."""
    from . import course_dirs, marking_queues

    return [
        ReflectionCount(
            q.course_id,
            q.course_dir,
            sum(n for pid, n in q.waiting.items() if pid in learners),
            q.total,
        )
        for q in marking_queues(course_dirs(workspace))
    ]
