"""Moderation: a sample of marked work is re-marked by a second marker; disagreements listed.

`select_sample` picks learners whose work the first marker has fully marked and records them
(with the second marker's name) in the store. The second marker marks them with
``Marking(..., role="second")`` (the same widget), which writes to the store only. `compare`
lists every criterion where the two markers chose different levels, and every learner whose
outcome (pass or not yet) would differ.

The second marker must be someone other than the first. A disagreement is resolved by
`resolve`: keeping the second marker's levels re-marks the work as the first mark (so the
learner's result, and any feedback already handed back, changes), keeping the first marker's is
recorded in ``moderation/<assessment>-resolved.json``. `require_resolved` stops a sync while
any disagreement is open.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, InvalidValue
from ..records.clock import utcnow
from ..store import schema as t
from .course_dir import CourseDir, read_learners, student_id
from .marking import Marking, first_markers, moderation_sample, same_person
from .results import LearnerResult, learner_results
from .rubric import Rubric, load_checked


@dataclass(frozen=True)
class Disagreement:
    """Two markers' levels for one criterion of one learner, and how far apart they are."""

    student: str
    criterion: str
    first: str  # level title chosen by the first marker
    second: str
    gap: float  # points between the two levels (second minus first)


@dataclass(frozen=True)
class ModerationReport:
    """The second marking of a sample: how many were second-marked, agreed, or changed outcome."""

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
        firsts = first_markers(conn, course, assessment_id)
    own = [
        r.person_id
        for r in marked
        if any(same_person(second_marker, f) for f in firsts.get(r.person_id, ()))
    ]
    if marked and len(own) == len(marked):
        name = next(f for f in firsts[own[0]] if same_person(second_marker, f))
        raise Conflict(
            f"{name} first-marked all the {assessment_id} work: "
            "choose another person as second marker"
        )
    candidates = [r.person_id for r in marked if r.person_id not in already | set(own)]
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


# ---------------------------------------------------------------------- resolving
KEEP = ("first", "second")


def resolved_path(course: CourseDir, assessment_id: str) -> Path:
    return course.root / "moderation" / f"{assessment_id}-resolved.json"


def _resolutions(course: CourseDir, assessment_id: str) -> dict[str, dict[str, Any]]:
    return read_learners(resolved_path(course, assessment_id))


def _pair(first: LearnerResult, second: LearnerResult) -> dict[str, dict[str, str]]:
    return {
        "first": dict(sorted(first.levels.items())),
        "second": dict(sorted(second.levels.items())),
    }


def unresolved(
    course: CourseDir, assessment_id: str, store: Any, *, rubric: Rubric | None = None
) -> list[Disagreement]:
    """Disagreements between the two markers that nobody has resolved yet."""
    rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
    report = compare(course, assessment_id, store, rubric=rubric)
    if not report.disagreements:
        return []
    kept = _resolutions(course, assessment_id)
    students = sorted({d.student for d in report.disagreements})
    firsts = {
        r.student: r
        for r in learner_results(course, assessment_id, store, rubric, students=students)
    }
    seconds = {
        r.student: r
        for r in learner_results(
            course, assessment_id, store, rubric, role="second", students=students
        )
    }
    open_ = []
    for d in report.disagreements:
        record = kept.get(d.student)
        if record and record.get("levels") == _pair(firsts[d.student], seconds[d.student]):
            continue
        open_.append(d)
    return open_


def require_resolved(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    *,
    rubric: Rubric | None = None,
    hint: str = "",
) -> None:
    """Conflict (listing them) while a moderation disagreement is unresolved: sync waits."""
    found = unresolved(course, assessment_id, store, rubric=rubric)
    if not found:
        return
    students = sorted({d.student for d in found})
    command = hint or f"imatter assess moderate {assessment_id}"
    raise Conflict(
        f"{len(found)} moderation disagreement(s) on {assessment_id} not resolved "
        f"({', '.join(students)}): nothing synced; resolve each with "
        f"`{command} --resolve LEARNER --keep first|second`",
        details=[
            f"{d.student}: {d.criterion}: first marker {d.first}, second marker {d.second}"
            for d in found
        ],
    )


def resolve(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    student: str,
    *,
    keep: str,
    by: str,
    rubric: Rubric | None = None,
    now: dt.datetime | None = None,
) -> list[Disagreement]:
    """Resolve the disagreements over one learner's work: keep the first or the second mark.

    Keeping the second marker's levels re-marks the work as the learner's result (in the
    gradebook too); keeping the first is recorded. Returns the disagreements resolved.
    """
    if keep not in KEEP:
        raise InvalidValue(f"keep must be one of: {', '.join(KEEP)}")
    if not by.strip():
        raise InvalidValue("say who is resolving the disagreement")
    rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
    mine = [
        d for d in unresolved(course, assessment_id, store, rubric=rubric) if d.student == student
    ]
    if not mine:
        raise Conflict(f"no unresolved moderation disagreement for {student} on {assessment_id}")
    first = learner_results(course, assessment_id, store, rubric, students=[student])[0]
    second = learner_results(
        course, assessment_id, store, rubric, role="second", students=[student]
    )[0]
    if keep == "second":
        marking = Marking(course, assessment_id, store, marker=by, rubric=rubric)
        for reflection, fr, sr in zip(
            rubric.reflections, first.reflections, second.reflections, strict=True
        ):
            if dict(fr.levels or {}) != dict(sr.levels or {}):
                marking.mark(student, reflection.cell, dict(sr.levels or {}), fr.comment)
        return mine
    records = _resolutions(course, assessment_id)
    records[student] = {
        "kept": keep,
        "by": " ".join(by.split()),
        "at": (now or utcnow()).isoformat(timespec="seconds"),
        "levels": _pair(first, second),
    }
    path = resolved_path(course, assessment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(
        json.dumps({"schema": 1, "learners": records}, indent=1, sort_keys=True), encoding="utf-8"
    )
    partial.replace(path)
    return mine
