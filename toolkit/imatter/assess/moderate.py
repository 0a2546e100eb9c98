"""Moderation: a sample of marked work is re-marked by a second marker; disagreements listed.

`select_sample` picks learners whose work the first marker has fully marked and records them
(with the second marker's name) in the store. The second marker marks them with
``Marking(..., role="second")`` (the same widget), which writes to the store only. `compare`
lists every criterion where the two markers chose different levels, and every learner whose
outcome (pass or not yet) would differ.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, InvalidValue
from ..records.clock import utcnow
from ..store import schema as t
from .course_dir import CourseDir, student_id
from .marking import moderation_sample
from .results import LearnerResult, learner_results
from .rubric import Rubric, load_checked


@dataclass(frozen=True)
class Disagreement:
    student: str
    criterion: str
    first: str  # level title chosen by the first marker
    second: str
    gap: float  # points between the two levels (second minus first)


@dataclass(frozen=True)
class ModerationReport:
    assessment_id: str
    sampled: tuple[str, ...]
    second_marked: tuple[str, ...]
    waiting: tuple[str, ...]
    agreed: int  # criteria where both markers chose the same level
    disagreements: tuple[Disagreement, ...]
    outcome_changes: tuple[tuple[str, str, str], ...]  # (learner, first outcome, second)


def select_sample(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    *,
    second_marker: str,
    selected_by: str,
    size: int | None = None,
    fraction: float = 0.2,
    seed: int | None = None,
    rubric: Rubric | None = None,
) -> list[str]:
    """Add learners to the moderation sample (from fully first-marked work not yet sampled).

    `size` learners, or else `fraction` of the marked learners rounded up (at least one).
    """
    if not second_marker.strip():
        raise InvalidValue("name the second marker")
    if size is not None and size < 1:
        raise InvalidValue("a moderation sample needs at least one learner")
    if not 0 < fraction <= 1:
        raise InvalidValue("the moderation fraction must be more than 0 and at most 1")
    from .guard import require_course

    require_course(store, course, "assess.run")
    rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
    marked = [r for r in learner_results(course, assessment_id, store, rubric) if r.marked]
    with store.read() as conn:
        already = moderation_sample(conn, course, assessment_id)
    candidates = [r.person_id for r in marked if r.person_id not in already]
    if not candidates:
        raise Conflict(
            f"no fully marked {assessment_id} work left to moderate "
            f"({len(marked)} marked, {len(already)} already in the sample)"
        )
    count = size if size is not None else max(1, math.ceil(fraction * len(marked)))
    chosen = sorted(random.Random(seed).sample(candidates, min(count, len(candidates))))
    md = t.assessment_moderations
    with store.write() as conn:
        for person in chosen:
            conn.execute(
                md.insert().values(
                    nbgrader_course=course.course_id,
                    assessment_id=assessment_id,
                    person_id=person,
                    second_marker=" ".join(second_marker.split()),
                    selected_by=" ".join(selected_by.split()),
                    selected_at=utcnow(),
                )
            )
    return [student_id(p) for p in chosen]


def _outcome(result: LearnerResult) -> str:
    return result.outcome.label


def compare(
    course: CourseDir, assessment_id: str, store: Any, *, rubric: Rubric | None = None
) -> ModerationReport:
    """Compare first and second marks over the moderation sample."""
    from .guard import require_course

    require_course(store, course, "assess.run")
    rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
    with store.read() as conn:
        sample = moderation_sample(conn, course, assessment_id)
        names = dict(conn.execute(sa.select(t.people.c.id, t.people.c.name)).all())
    students = [s for s in course.autograded_students(assessment_id) if int(s[1:]) in sample]
    firsts = {
        r.student: r
        for r in learner_results(
            course, assessment_id, store, rubric, students=students, names=names
        )
    }
    seconds = {
        r.student: r
        for r in learner_results(
            course, assessment_id, store, rubric, role="second", students=students, names=names
        )
    }
    done, waiting = [], []
    agreed = 0
    disagreements: list[Disagreement] = []
    changes: list[tuple[str, str, str]] = []
    for student in students:
        first, second = firsts.get(student), seconds.get(student)
        if first is None or second is None or not second.marked or not first.marked:
            waiting.append(student)
            continue
        done.append(student)
        for criterion in rubric.criteria:
            a = criterion.level(first.levels[criterion.id])
            b = criterion.level(second.levels[criterion.id])
            if a.id == b.id:
                agreed += 1
            else:
                disagreements.append(
                    Disagreement(student, criterion.title, a.title, b.title, b.points - a.points)
                )
        if _outcome(first) != _outcome(second):
            changes.append((student, _outcome(first), _outcome(second)))
    return ModerationReport(
        assessment_id,
        tuple(f"p{p}" for p in sorted(sample)),
        tuple(done),
        tuple(waiting),
        agreed,
        tuple(disagreements),
        tuple(changes),
    )
