"""Record each assessment pass, and the course completion only when the course's rule is met.

A pass is kept for itself (`assessment_syncs`, dated the day the learner's marking was
finished). The course's completion needs what the catalogue says, whichever path records it:
the attendance share in a study group of the course plus the passed assessment (and, for a
course that has a learner run a group, that group). So a pass becomes a completion here only
when the rule is met (through `groups.completion.record_learner`, the one writer); otherwise
the learner is reported as passed, with what the completion still waits for, and `group
complete` records it once the rest is met. One write transaction for the whole directory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import NotFound
from ..programme import Programme
from ..records.clock import utcnow
from ..store import schema as t
from .course_dir import CourseDir
from .results import LearnerResult, learner_results
from .rubric import Rubric, load_checked


@dataclass(frozen=True)
class SyncLine:
    """What syncing one learner's result did: recorded, already recorded, or why not."""

    student: str
    status: str  # recorded, passed, already synced|held, not yet, not marked, unknown
    detail: str = ""
    completion_id: int | None = None


@dataclass(frozen=True)
class SyncReport:
    """Passes put on record as completions of the assessment's course, a line a learner."""

    assessment_id: str
    course_id: str
    lines: tuple[SyncLine, ...]

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)


def course_for(programme: Programme, assessment_id: str) -> str:
    """The catalogue course whose assessment this is; NotFound lists the assessments."""
    for course in programme.courses.values():
        if course.assessment == assessment_id:
            return course.id
    known = sorted({c.assessment for c in programme.courses.values() if c.assessment})
    raise NotFound(
        f"no course in {programme.source} has the assessment '{assessment_id}'; "
        f"assessments: {', '.join(known)}"
    )


def evidence(assessment_id: str, course: CourseDir, result: LearnerResult, rubric: Rubric) -> str:
    """The completion's evidence: starts with "assessment" (the study-group rule looks for it)."""
    return (
        f"assessment {assessment_id}: passed with {result.score:g} of {result.max_score:g} "
        f"points (pass mark {rubric.pass_mark:g}, every criterion met); "
        f"course directory {course.course_id}"
    )


def sync(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    programme: Programme,
    *,
    recorded_by: str,
    today: dt.date,
    rubric: Rubric | None = None,
) -> SyncReport:
    """Record every new pass, and a completion for each passed learner who meets the rule."""
    from ..delivery.groups.completion import learner_groups, read_status, record_learner
    from ..records.load import current_completions
    from .guard import require_course

    require_course(store, course, "completions.record")
    course_id = course_for(programme, assessment_id)
    rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
    results = learner_results(course, assessment_id, store, rubric)
    lines: dict[str, SyncLine] = {}
    passed: dict[str, int] = {}  # student -> person id, passes waiting for a completion
    s = t.assessment_syncs
    with store.write() as conn:
        people = set(conn.execute(sa.select(t.people.c.id)).scalars())
        synced = {
            row.person_id: row
            for row in conn.execute(
                sa.select(s).where(
                    s.c.nbgrader_course == course.course_id, s.c.assessment_id == assessment_id
                )
            )
        }
        # a completion since withdrawn or corrected no longer settles the pass
        current = {c.id for c in current_completions(conn, list(synced))}
        for result in results:
            line = _unpassed(result, people)
            if line is not None:
                lines[result.student] = line
                continue
            row = synced.get(result.person_id)
            if row is not None and row.completion_id in current:
                lines[result.student] = SyncLine(
                    result.student, "already synced", "", row.completion_id
                )
                continue
            if row is None:
                last = result.last_marked
                on = min(last.date() if isinstance(last, dt.datetime) else today, today)
                conn.execute(
                    s.insert().values(
                        nbgrader_course=course.course_id,
                        assessment_id=assessment_id,
                        person_id=result.person_id,
                        course_id=course_id,
                        completion_id=None,
                        outcome="passed",
                        score=result.score,
                        max_score=result.max_score,
                        synced_by=recorded_by,
                        synced_at=utcnow(),
                        passed_on=on,
                    )
                )
            passed[result.student] = result.person_id
        # Now every pass is on record: apply the course's rule to each passed learner.
        statuses: dict[int, Any] = {}
        for student, person_id in passed.items():
            waits: list[str] = []
            done, done_on = None, None
            for group_id in learner_groups(conn, person_id, course_id):
                if group_id not in statuses:
                    statuses[group_id] = read_status(conn, programme, group_id, today)
                status = statuses[group_id]
                (p,) = [p for p in status.progress if p.person_id == person_id]
                if p.completed:
                    done = record_learner(
                        conn, programme, status.group, p, recorded_by, today=today
                    )
                    done_on = p.completed_on
                    break
                waits.append(f"group {group_id}: {p.summary}")
            lines[student] = _line(student, course_id, (done, done_on), waits, conn, person_id)
    ordered = [lines[r.student] for r in results]
    return SyncReport(assessment_id, course_id, tuple(ordered))


def _unpassed(result: LearnerResult, people: set[int]) -> SyncLine | None:
    """The report line for a learner without a pass to record (None for a pass)."""
    if result.person_id not in people:
        return SyncLine(result.student, "unknown", "no such person in the records")
    if result.problems:
        return SyncLine(result.student, "not marked", "; ".join(result.problems))
    if not result.outcome.complete:
        return SyncLine(result.student, "not marked", "; ".join(result.outcome.reasons))
    if not result.outcome.passed:
        return SyncLine(result.student, "not yet", "; ".join(result.outcome.reasons))
    return None


def _line(
    student: str,
    course_id: str,
    recorded: tuple[Any, dt.date | None],
    waits: list[str],
    conn: sa.Connection,
    person_id: int,
) -> SyncLine:
    done, on = recorded
    if done is not None and done.action in ("recorded", "updated"):
        return SyncLine(student, "recorded", f"{course_id} on {on}", done.completion_id)
    if done is not None:
        return SyncLine(student, "already held", f"already has a {course_id} completion")
    from ..delivery.groups.completion import _current_completions

    held = _current_completions(conn, [person_id], course_id).get(person_id)
    if held is not None and not waits:
        return SyncLine(student, "already held", f"already has a {course_id} completion")
    why = "; ".join(waits) or f"not a learner in a study group of {course_id}"
    return SyncLine(student, "passed", f"the {course_id} completion waits for the rule: {why}")
