"""An HTML feedback file per learner, to hand back: outcome, knowledge check, and for each
reflection the rubric with the level reached on each criterion and the marker's comment.

The file does not quote the learner's reflections (they stay in the learner's own copy), so it
can be emailed or left on a shared drive without spreading what they wrote about children.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .course_dir import CourseDir
from .results import LearnerResult, learner_results
from .rubric import Rubric, load_checked

FEEDBACK_SCHEMA = 1


@dataclass(frozen=True)
class FeedbackReport:
    assessment_id: str
    written: tuple[Path, ...]
    skipped: tuple[tuple[str, str], ...]  # (learner, why)


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
    )


def write_feedback(
    course: CourseDir,
    assessment_id: str,
    store: Any,
    to: str | Path,
    *,
    rubric: Rubric | None = None,
    students: list[str] | None = None,
) -> FeedbackReport:
    """Write a feedback file for every fully marked learner into `to`; say who was skipped."""
    from .guard import require_course

    require_course(store, course, "assess.mark")
    rubric = rubric or load_checked(course.source(assessment_id), assessment_id)
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for result in learner_results(course, assessment_id, store, rubric, students=students):
        if result.problems:
            skipped.append((result.student, "; ".join(result.problems)))
            continue
        if not result.marked:
            left = sum(1 for r in result.reflections if r.levels is None)
            skipped.append((result.student, f"{left} reflection(s) not marked yet"))
            continue
        target = to / feedback_name(result.student, assessment_id)
        partial = target.with_suffix(".tmp")
        partial.write_text(render_feedback(result, rubric), encoding="utf-8")
        partial.replace(target)
        written.append(target)
    return FeedbackReport(assessment_id, tuple(written), tuple(skipped))
