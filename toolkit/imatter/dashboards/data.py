"""What the dashboards show, as plain data (no widgets): who is eligible next, whose
reflections wait to be marked, and whom a Lead looks after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..eligibility.facts import PersonRecords
from ..eligibility.reasons import Reason
from ..programme import Programme
from ..store import Store
from ..store import schema as t


@dataclass(frozen=True)
class NextStep:
    """A person's next role, how close they are, and what is missing."""

    person_id: int
    name: str
    role: str
    title: str
    state: str  # 'eligible now' | 'one step away' | 'N steps away' (the engine's next_steps)
    missing: tuple[str, ...]
    reasons: tuple[Reason, ...] = ()


def next_steps(
    programme: Programme, people: dict[int, PersonRecords], on: dt.date
) -> list[NextStep]:
    """Each person's next steps as the engine computes them (`eligibility.next_steps`, the
    same as `imatter status` shows), by name then role."""
    from ..eligibility import evaluate_person
    from ..eligibility import next_steps as engine_next_steps

    steps = []
    for pid, person in people.items():
        for step in engine_next_steps(evaluate_person(programme, person, on), programme):
            steps.append(
                NextStep(
                    pid,
                    person.name,
                    step.role,
                    step.title,
                    step.state,
                    tuple(r.text for r in step.reasons),
                    step.reasons,
                )
            )
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
    """How many reflections a course folder holds: the person's own and in all."""

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


@dataclass(frozen=True)
class Feedback:
    """Feedback handed back to one learner for one assessment (the newest file written)."""

    assessment_id: str
    summary: str  # e.g. "passed, 12 of 15" or "not yet, 7 of 15"
    written_at: str  # ISO date and time
    page: Path


def my_feedback(workspace: Path, person_id: int) -> list[Feedback]:
    """The feedback handed back to a learner in the nbgrader course directories found (as the
    Lead's Return feedback records it), by assessment."""
    from ..assess.course_dir import read_learners, student_id
    from . import course_dirs

    me = student_id(person_id)
    found = []
    for folder in course_dirs(workspace):
        for record in sorted((folder / "feedback-issued").glob("*.json")):
            entry = read_learners(record).get(me)
            files = [Path(f) for f in (entry or {}).get("files", [])]
            page = next((f for f in files if f.is_file()), None)
            if entry is None or page is None:
                continue
            found.append(
                Feedback(
                    record.stem,
                    str(entry.get("summary", "")),
                    str(entry.get("written_at", "")),
                    page,
                )
            )
    return sorted(found, key=lambda f: f.assessment_id)
