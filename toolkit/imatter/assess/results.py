"""Each learner's result for an assessment, read from the gradebook and the store together.

The gradebook has the scores (autograded checks, and the first marker's reflection scores and
comments, as the formgrader writes them); the store has the rubric level chosen for each
criterion (`assessment_marks`). A mark counts only while the answer it was given for is
unchanged (its sha256 matches) and the gradebook still holds the same score.

Answers are read to be shown to a marker and fingerprinted; they are never logged or stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..store import schema as t
from .course_dir import TEXT_STUB, CourseDir, gradebook, person_of
from .rubric import Outcome, Rubric, judge

ROLES = ("first", "second")


@dataclass(frozen=True)
class Layout:
    """The released notebook's questions and reflection prompts (markdown), by grade id."""

    checks: tuple[tuple[str, str], ...]  # (check cell id, question markdown)
    prompts: Mapping[str, str]  # answer cell id -> prompt markdown
    title: str


def _text(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _grade_id(cell: Mapping[str, Any]) -> str | None:
    return ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")


def layout(course: CourseDir, assessment_id: str) -> Layout:
    nb = json.loads(course.released_notebook(assessment_id).read_text(encoding="utf-8"))
    cells = nb["cells"]
    checks = []
    prompts = {}
    last_markdown = ""
    for cell in cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell["cell_type"] == "markdown" and meta.get("locked"):
            last_markdown = _text(cell)
        if meta.get("grade") and not meta.get("solution"):
            checks.append((meta["grade_id"], last_markdown))
        elif meta.get("grade") and meta.get("solution"):
            prompts[meta["grade_id"]] = last_markdown
    first = _text(cells[0]).splitlines()[0] if cells else assessment_id
    return Layout(tuple(checks), prompts, first.lstrip("# ").strip())


def answers(notebook: Path) -> dict[str, str]:
    """The answer text of each graded cell of a (autograded) notebook, by grade id."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for cell in nb.get("cells", []):
        gid = _grade_id(cell)
        if gid and gid not in found:
            found[gid] = _text(cell)
    return found


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredMark:
    """A marker's levels and comment for one reflection, tied to the answer they marked."""

    cell_id: str
    role: str
    levels: Mapping[str, str]
    points: float
    comment: str | None
    answer_sha256: str
    marker: str
    marked_at: Any


def stored_marks(
    conn: sa.Connection, course: CourseDir, assessment_id: str, role: str | None = None
) -> dict[tuple[int, str, str], StoredMark]:
    """Marks in the store for this course directory and assessment: (person, cell, role)."""
    m = t.assessment_marks
    query = sa.select(m).where(
        m.c.nbgrader_course == course.course_id, m.c.assessment_id == assessment_id
    )
    if role:
        query = query.where(m.c.role == role)
    marks = {}
    for row in conn.execute(query):
        marks[(row.person_id, row.cell_id, row.role)] = StoredMark(
            row.cell_id,
            row.role,
            json.loads(row.levels),
            row.points,
            row.comment,
            row.answer_sha256,
            row.marker,
            row.marked_at,
        )
    return marks


@dataclass(frozen=True)
class CheckResult:
    """The points an autograded check earned."""

    grade_id: str
    question: str
    points: float
    max_points: float

    @property
    def correct(self) -> bool:
        return self.max_points > 0 and self.points >= self.max_points


@dataclass(frozen=True)
class ReflectionResult:
    """One reflection of one learner: its prompt, the levels given, and whether the mark is
    stale."""

    cell: str
    title: str
    prompt: str
    answer_sha256: str
    blank: bool
    max_points: float
    levels: Mapping[str, str] | None  # None: not marked (or the mark no longer counts)
    points: float | None
    comment: str | None
    marker: str | None
    marked_at: Any
    stale: str | None  # why an earlier mark no longer counts


@dataclass(frozen=True)
class LearnerResult:
    """One learner's result for an assessment: checks, reflections, score and outcome."""

    student: str
    person_id: int
    name: str
    score: float
    max_score: float
    checks: tuple[CheckResult, ...]
    reflections: tuple[ReflectionResult, ...]
    outcome: Outcome
    problems: tuple[str, ...] = field(default=())

    @property
    def levels(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for reflection in self.reflections:
            merged.update(reflection.levels or {})
        return merged

    @property
    def marked(self) -> bool:
        return all(r.levels is not None for r in self.reflections)

    @property
    def last_marked(self) -> Any:
        dates = [r.marked_at for r in self.reflections if r.marked_at is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class _Graded:
    """Scores and comments read from the gradebook for one submission."""

    scores: dict[str, tuple[float | None, float | None, float]]  # auto, manual, max
    comments: dict[str, str | None]


def _gradebook_rows(course: CourseDir, assessment_id: str, students: Sequence[str]) -> dict:
    from nbgrader.api import MissingEntry

    rows: dict[str, _Graded] = {}
    with gradebook(course) as gb:
        for student in students:
            try:
                submission = gb.find_submission_notebook(assessment_id, assessment_id, student)
            except MissingEntry:
                continue
            scores = {
                g.name: (g.auto_score, g.manual_score, float(g.max_score or 0))
                for g in submission.grades
            }
            comments = {c.name: c.manual_comment for c in submission.comments}
            rows[student] = _Graded(scores, comments)
    return rows


def learner_results(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    rubric: Rubric,
    *,
    role: str = "first",
    students: Sequence[str] | None = None,
    names: Mapping[int, str] | None = None,
) -> list[LearnerResult]:
    """Results for autograded learners (or the given ones), as marked by `role`."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    from .guard import readable_students, require_course

    require_course(store, course, "assess.read")
    chosen = list(students) if students is not None else course.autograded_students(assessment_id)
    chosen = readable_students(store, course, chosen)  # a learner: only their own
    the_layout = layout(course, assessment_id)
    graded = _gradebook_rows(course, assessment_id, chosen)
    with store.read() as conn:
        marks = stored_marks(conn, course, assessment_id, role)
        people = dict(
            conn.execute(
                sa.select(t.people.c.id, t.people.c.name).where(
                    t.people.c.id.in_([p for s in chosen if (p := person_of(s)) is not None])
                )
            ).all()
        )
    if names:
        people.update(names)
    results = []
    for student in chosen:
        person = person_of(student)
        rows = graded.get(student)
        notebook = course.autograded(student, assessment_id) / f"{assessment_id}.ipynb"
        if person is None or rows is None or not notebook.is_file():
            continue
        texts = answers(notebook)
        checks = []
        for gid, question in the_layout.checks:
            auto, manual, most = rows.scores.get(gid, (None, None, 0.0))
            got = manual if manual is not None else (auto or 0.0)
            checks.append(CheckResult(gid, question, float(got), most))
        reflections = []
        problems = []
        for reflection in rubric.reflections:
            text = texts.get(reflection.cell, "")
            sha = fingerprint(text)
            blank = _blank(text)
            mark = marks.get((person, reflection.cell, role))
            stale = None
            if mark is not None and mark.answer_sha256 != sha:
                stale = "the answer has changed since it was marked"
            elif mark is not None and role == "first":
                manual = rows.scores.get(reflection.cell, (None, None, 0.0))[1]
                if manual is None or abs(manual - mark.points) > 1e-9:
                    stale = (
                        f"the gradebook score ({'none' if manual is None else f'{manual:g}'}) "
                        f"differs from the rubric's ({mark.points:g})"
                    )
            if stale:
                problems.append(f"{reflection.cell}: {stale}; mark it again")
            valid = mark is not None and stale is None
            comment = None
            if valid and role == "first":
                comment = rows.comments.get(reflection.cell)
            elif valid and mark is not None:
                comment = mark.comment
            reflections.append(
                ReflectionResult(
                    reflection.cell,
                    reflection.title,
                    the_layout.prompts.get(reflection.cell, ""),
                    sha,
                    blank,
                    reflection.max_points,
                    dict(mark.levels) if valid and mark is not None else None,
                    mark.points if valid and mark is not None else None,
                    comment,
                    mark.marker if valid and mark is not None else None,
                    mark.marked_at if valid and mark is not None else None,
                    stale,
                )
            )
        check_points = sum(c.points for c in checks)
        check_max = sum(c.max_points for c in checks)
        rubric_points = sum(r.points or 0.0 for r in reflections)
        score = check_points + rubric_points
        max_score = check_max + sum(r.max_points for r in rubric.reflections)
        levels: dict[str, str] = {}
        for r in reflections:
            levels.update(r.levels or {})
        outcome = judge(rubric, levels, score, max_score)
        results.append(
            LearnerResult(
                student,
                person,
                people.get(person, student),
                score,
                max_score,
                tuple(checks),
                tuple(reflections),
                outcome,
                tuple(problems),
            )
        )
    return results


def _blank(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped == TEXT_STUB


# ---------------------------------------------------------------------- the whole picture
@dataclass(frozen=True)
class Waiting:
    """A learner on the roster without a result: not returned, in quarantine, or not graded."""

    student: str
    name: str
    state: str  # not returned | in quarantine | not autograded
    why: str


@dataclass(frozen=True)
class AssessmentStatus:
    """Every learner's result, with those waiting, set aside or with feedback out of date."""

    results: tuple[LearnerResult, ...]
    waiting: tuple[Waiting, ...]
    quarantined: tuple[dict[str, Any], ...]
    stale_feedback: tuple[Any, ...]  # feedback.StaleFeedback


def assessment_status(course: CourseDir, assessment_id: str, store: Any) -> AssessmentStatus:
    """Every learner on the roster: their result, or why there is none yet; what is in
    quarantine; and feedback handed back that no longer matches the marks."""
    from .collect import quarantined
    from .course_dir import learners
    from .feedback import stale_feedback
    from .rubric import load_checked

    rubric = load_checked(course.source(assessment_id), assessment_id)
    results = learner_results(course, assessment_id, store, rubric)
    held = quarantined(course, assessment_id)
    have = {r.student for r in results}
    submitted = set(course.submitted_students(assessment_id))
    waiting = []
    for learner in learners(course):
        if learner.student_id in have:
            continue
        mine = [q for q in held if q.get("learner") == learner.student_id]
        if mine:
            state, why = "in quarantine", "; ".join(mine[0]["problems"])
        elif learner.student_id in submitted:
            state, why = "not autograded", "collected; run autograde"
        else:
            state, why = "not returned", "no work collected yet"
        waiting.append(Waiting(learner.student_id, learner.name, state, why))
    stale = stale_feedback(course, assessment_id, store, results=results)
    return AssessmentStatus(tuple(results), tuple(waiting), tuple(held), tuple(stale))
