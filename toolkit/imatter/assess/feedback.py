"""An HTML feedback file per learner, to hand back: outcome, knowledge check, and for each
reflection the rubric with the level reached on each criterion and the marker's comment.

The file does not quote the learner's reflections (they stay in the learner's own copy), so it
can be emailed or left on a shared drive without spreading what they wrote about children.

Every file written is recorded in ``feedback-issued/<assessment>.json`` in the course directory
with the outcome, score and levels it showed. When moderation or re-marking changes any of
them, `stale_feedback` lists the learner and `write_feedback` issues the file again. With
``nbgrader=True`` the file is also laid out as nbgrader's own ``generate_feedback`` does
(``feedback/<learner>/<assessment>/<assessment>.html``), so ``nbgrader release_feedback`` can
hand it back through a hub's exchange.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .course_dir import CourseDir, read_learners
from .results import LearnerResult, learner_results
from .rubric import Rubric, load_checked

FEEDBACK_SCHEMA = 1


@dataclass(frozen=True)
class FeedbackReport:
    """Feedback files written, skipped and written again for an assessment."""

    assessment_id: str
    written: tuple[Path, ...]
    skipped: tuple[tuple[str, str], ...]  # (learner, why)
    reissued: tuple[tuple[str, str, str], ...] = ()  # (learner, what it said, what it says now)


@dataclass(frozen=True)
class StaleFeedback:
    """Feedback already handed back that no longer matches the learner's marks."""

    student: str
    issued: str  # what the file said, e.g. "not yet, 7 of 15"
    now: str  # what the marks say now

    def __str__(self) -> str:
        return f"{self.student}: feedback says {self.issued}, the marks now say {self.now}"


def issued_path(course: CourseDir, assessment_id: str) -> Path:
    """Where the record of feedback handed back for an assessment is kept."""
    return course.root / "feedback-issued" / f"{assessment_id}.json"


def _issued(course: CourseDir, assessment_id: str) -> dict[str, dict[str, Any]]:
    return read_learners(issued_path(course, assessment_id))


def _summary(result: LearnerResult) -> str:
    if not result.marked or result.problems:
        return "not fully marked"
    return f"{result.outcome.label}, {_num(result.score)} of {_num(result.max_score)}"


def _state(result: LearnerResult) -> dict[str, Any]:
    return {"summary": _summary(result), "levels": dict(sorted(result.levels.items()))}


def stale_feedback(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    *,
    rubric: Rubric | None = None,
    results: list[LearnerResult] | None = None,
) -> list[StaleFeedback]:
    """Learners whose handed-back feedback no longer matches their marks (moderation or
    re-marking changed an outcome, a score or a level since)."""
    issued = _issued(course, assessment_id)
    if not issued:
        return []
    if results is None:
        rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
        results = learner_results(course, assessment_id, store, rubric, students=sorted(issued))
    found = []
    for result in results:
        was = issued.get(result.student)
        if was is None:
            continue
        now = _state(result)
        if now != {"summary": was.get("summary"), "levels": was.get("levels")}:
            issued_as = was.get("summary", "?")
            now_as = now["summary"]
            if issued_as == now_as:
                now_as += " (levels changed)"
            found.append(StaleFeedback(result.student, issued_as, now_as))
    return found


@cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def markdown_html(text: str, *, drop_heading: bool = False) -> str:
    """Markdown to HTML with raw HTML escaped (safe for a learner's or author's text)."""
    lines = text.strip().splitlines()
    if drop_heading and lines and lines[0].lstrip().startswith("#"):
        lines = lines[1:]
    return _markdown().render("\n".join(lines).strip())


def _template() -> Any:
    from ..templates import environment

    return environment().get_template("assess/feedback.html.j2")


def _num(value: float | None) -> str:
    return "0" if value is None else f"{value:g}"


def feedback_name(student: str, assessment_id: str) -> str:
    return f"{student}_{assessment_id}-feedback.html"


def render_feedback(result: LearnerResult, rubric: Rubric) -> str:
    """The feedback page for one fully marked learner."""
    reflections = []
    for reflection, rr in zip(rubric.reflections, result.reflections, strict=True):
        titles = [tuple(lv.title for lv in c.levels) for c in reflection.criteria]
        widest = max(len(c.levels) for c in reflection.criteria)
        if len(set(titles)) == 1:
            first = reflection.criteria[0]
            headings = [f"{lv.title} ({_num(lv.points)})" for lv in first.levels]
        else:
            headings = [f"Level {i}" for i in range(1, widest + 1)]
        rows = []
        for criterion in reflection.criteria:
            chosen = (rr.levels or {}).get(criterion.id)
            cells = [
                {
                    "title": lv.title,
                    "descriptor": lv.descriptor,
                    "chosen": lv.id == chosen,
                }
                for lv in criterion.levels
            ]
            cells += [{"title": "", "descriptor": "", "chosen": False}] * (widest - len(cells))
            rows.append({"title": criterion.title, "cells": cells})
        reflections.append(
            {
                "title": reflection.title,
                "prompt": markdown_html(rr.prompt, drop_heading=True),
                "blank": rr.blank,
                "points": _num(rr.points),
                "max_points": _num(rr.max_points),
                "headings": headings,
                "rows": rows,
                "comment": markdown_html(rr.comment) if rr.comment else "",
            }
        )
    markers = sorted({r.marker for r in result.reflections if r.marker})
    last = result.last_marked
    return _template().render(
        schema=FEEDBACK_SCHEMA,
        title=rubric.title.removesuffix(": reflective assessment"),
        name=result.name,
        student=result.student,
        marked_on=last.date().isoformat() if isinstance(last, dt.datetime) else None,
        markers=", ".join(markers),
        outcome=result.outcome,
        score=_num(result.score),
        max_score=_num(result.max_score),
        pass_mark=_num(rubric.pass_mark),
        checks=[
            {"question": markdown_html(c.question, drop_heading=True), "correct": c.correct}
            for c in result.checks
        ],
        reflections=reflections,
        resubmit_file=f"{result.student}_{rubric.assessment}.ipynb",
    )


def write_feedback(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    to: str | Path,
    *,
    rubric: Rubric | None = None,
    students: list[str] | None = None,
    nbgrader: bool = False,
    now: dt.datetime | None = None,
) -> FeedbackReport:
    """Write a feedback file for every fully marked learner into `to`; say who was skipped,
    and whose earlier feedback this replaces because their marks changed.

    With `nbgrader`, also lay each file out as nbgrader's ``feedback/`` folder does."""
    from .guard import require_course

    require_course(store, course, "assess.mark")
    rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    results = learner_results(course, assessment_id, store, rubric, students=students)
    stale = {s.student: s for s in stale_feedback(course, assessment_id, store, results=results)}
    issued = _issued(course, assessment_id)
    from ..records.clock import utcnow

    stamp = (now or utcnow()).isoformat(timespec="seconds")
    written, skipped, reissued = [], [], []
    for result in results:
        if result.problems:
            skipped.append((result.student, "; ".join(result.problems)))
            continue
        if not result.marked:
            left = sum(1 for r in result.reflections if r.levels is None)
            skipped.append((result.student, f"{left} reflection(s) not marked yet"))
            continue
        page = render_feedback(result, rubric)
        target = to / feedback_name(result.student, assessment_id)
        _write(target, page)
        written.append(target)
        files = [str(target)]
        if nbgrader:
            files.append(str(_write_nbgrader(course, result.student, assessment_id, page)))
        if result.student in stale:
            old = stale[result.student]
            reissued.append((result.student, old.issued, old.now))
        issued[result.student] = {**_state(result), "written_at": stamp, "files": files}
    if written:
        path = issued_path(course, assessment_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, json.dumps({"schema": 1, "learners": issued}, indent=1, sort_keys=True))
    return FeedbackReport(assessment_id, tuple(written), tuple(skipped), tuple(reissued))


def _write(target: Path, text: str) -> None:
    partial = target.with_name(target.name + ".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)


def _write_nbgrader(course: CourseDir, student: str, assessment_id: str, page: str) -> Path:
    """nbgrader's feedback layout: feedback/<student>/<assignment>/<notebook>.html, with the
    submission's timestamp.txt (and submission_secret.txt, from an exchange) beside it."""
    folder = course.root / "feedback" / student / assessment_id
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{assessment_id}.html"
    _write(target, page)
    graded = course.autograded(student, assessment_id)
    for name in ("timestamp.txt", "submission_secret.txt"):
        if (graded / name).is_file():
            shutil.copy2(graded / name, folder / name)
    return target


def release_feedback_exchange(course: CourseDir, assessment_id: str) -> None:
    """Hand the nbgrader-layout feedback back through the exchange (`nbgrader release_feedback`),
    where learners fetch it with `nbgrader fetch_feedback` or the Assignments tab."""
    import gc
    import warnings

    from ..errors import Conflict
    from .course_dir import check_result, nbgrader_api

    if not course.exchange_root:
        raise Conflict(
            f"{course.root}: no exchange is set up; hand the files in handback/ back instead"
        )
    with warnings.catch_warnings():
        # nbgrader 0.9's API passes a misspelt `authentictor`; traitlets warns about it.
        warnings.filterwarnings("ignore", "Passing unrecognized arguments", DeprecationWarning)
        # ... and reads timestamp.txt without closing it: collect that file here, quietly.
        warnings.filterwarnings("ignore", category=ResourceWarning)
        result = nbgrader_api(course).release_feedback(assessment_id)
        gc.collect()
    check_result(result, f"release feedback for {assessment_id}")
