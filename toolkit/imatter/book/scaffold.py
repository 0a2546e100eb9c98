"""`imatter module new ID`: start a course's folder from the templates in
`imatter/templates/module/`.

The course must already be in the catalogue (modules/programme.yml): that is where its id,
title, level, audience and prerequisites are written, once. The scaffold writes only what
belongs to the course folder (course.yml with a description and outcomes, session notebooks
in the house pattern), plus, if the catalogue gives the course an assessment that does not
exist yet, a working assessment under `assessments/source/<assessment>/` (an nbgrader source
notebook with a knowledge check and a reflection, and its rubric) that passes
`imatter assess check`, for the assessment author to make specific to the course.
`add_session` adds the next session to a course that already exists. Nothing that already
exists is overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Duplicate, NotFound
from .project import BookProject

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "module"
FACILITATOR_LEVELS = ("link", "lead")


@dataclass(frozen=True)
class Scaffold:
    """The files a new module was given, and notes for its author."""

    files: tuple[Path, ...]
    notes: tuple[str, ...]


def session_notebook(course_id: str, level: str, session: int) -> dict[str, Any]:
    """The session template filled in for one session (facilitator notes only for Link and
    Lead courses)."""
    text = (TEMPLATES / "session.ipynb").read_text(encoding="utf-8")
    text = text.replace('"__SESSION_NUMBER__"', str(session))
    text = text.replace("__SESSION__", str(session)).replace("__COURSE__", course_id)
    nb = json.loads(text)
    cells = []
    for cell in nb["cells"]:
        marker = cell.get("metadata", {}).pop("imatter_template", None)
        if marker == "facilitator-notes" and level not in FACILITATOR_LEVELS:
            continue
        cells.append(cell)
    nb["cells"] = cells
    return nb


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def new_module(project: BookProject, course_id: str, *, sessions: int = 1) -> Scaffold:
    """Create modules/<course_id>/ (course.yml and `sessions` notebooks) and, if needed, the
    assessment placeholder.

    :raises NotFound: the course is not in the catalogue (add it to programme.yml first).
    :raises Duplicate: the course folder already exists.
    """
    programme = project.programme()
    if course_id not in programme.courses:
        raise NotFound(
            f"'{course_id}' is not a course in {project.programme_path}; add it under courses: "
            "there first (title, level, audience, delivery, hours, prerequisites, assessment): "
            "the catalogue is the one place a course is defined"
        )
    course = programme.courses[course_id]
    folder = project.modules_dir / course_id
    if folder.exists():
        raise Duplicate(f"{folder} already exists; edit it, or remove it first to start again")
    created: list[Path] = []
    folder.mkdir(parents=True)
    (folder / "course.yml").write_text(
        (TEMPLATES / "course.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    created.append(folder / "course.yml")
    for number in range(1, sessions + 1):
        path = folder / f"{number:02d}-session-{number}.ipynb"
        _write_json(path, session_notebook(course_id, course.level, number))
        created.append(path)
    notes = [
        f"Next: write the description and outcomes in {course_id}/course.yml, rename the "
        "session files (NN-short-title.ipynb), replace every TODO, then run "
        f"`imatter module lint {course_id}`.",
    ]
    if not course.book:
        notes.append(
            f"Note: programme.yml has book: false for '{course_id}', so its pages stay out of "
            "the book until you set book: true."
        )
    if course.assessment:
        stub = project.root / "assessments" / "source" / course.assessment
        target = stub / f"{course.assessment}.ipynb"
        if stub.exists():
            notes.append(
                f"The assessment folder {stub.relative_to(project.root)} already "
                "exists: left as it is."
            )
        else:
            stub.mkdir(parents=True)
            _write_json(target, assessment_notebook(course.assessment, course.title))
            rubric = stub / "rubric.yml"
            rubric.write_text(rubric_text(course.assessment, course.title), encoding="utf-8")
            created += [target, rubric]
            notes.append(
                f"Assessment: {target.relative_to(project.root)} and its rubric.yml pass "
                "`imatter assess check`; the assessment author (assessments/ is theirs) makes "
                "the questions specific to the course."
            )
    return Scaffold(tuple(created), tuple(notes))


def add_session(project: BookProject, course_id: str) -> Scaffold:
    """Add the next session notebook to an existing course folder.

    :raises NotFound: the course is not in the catalogue, or has no folder yet.
    """
    programme = project.programme()
    if course_id not in programme.courses:
        raise NotFound(f"'{course_id}' is not a course in {project.programme_path}")
    folder = project.modules_dir / course_id
    if not folder.is_dir():
        raise NotFound(
            f"{folder}: no such course folder; start it with `imatter module new {course_id}`"
        )
    existing = sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))
    number = int(existing[-1].name[:2]) + 1 if existing else 1
    path = folder / f"{number:02d}-session-{number}.ipynb"
    if path.exists():
        raise Duplicate(f"{path} already exists")
    _write_json(path, session_notebook(course_id, programme.courses[course_id].level, number))
    note = (
        f"Next: rename it ({number:02d}-short-title.ipynb), replace every TODO, then run "
        f"`imatter module lint {course_id}`."
    )
    return Scaffold((path,), (note,))


# ---------------------------------------------------------------- the assessment
def _cell(kind: str, grade_id: str, source: str, **grader: Any) -> dict[str, Any]:
    meta = {
        "grade": False,
        "grade_id": grade_id,
        "locked": True,
        "schema_version": 3,
        "solution": False,
        "task": False,
        **grader,
    }
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": grade_id,
        "metadata": {"nbgrader": meta},
        "source": source,
    }
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def assessment_notebook(assessment_id: str, title: str) -> dict[str, Any]:
    """An nbgrader source notebook of the agreed shape: locked instructions, a one-question
    knowledge check with hidden tests, and one manually graded reflection (3 points)."""
    intro = (
        f"# {title}: reflective assessment\n\n"
        "Welcome to the assessment for this course. There are two parts: a short knowledge "
        "check, and a reflection on how the ideas apply to your own life and work.\n\n"
        "**Please keep everyone anonymous.** Do not use names, initials or anything else that "
        "could identify a child, a family or a colleague. Write *a child in Year 4*, not a "
        "name.\n\n"
        "**Please keep the notebook in one piece.** Write only in the spaces marked for you."
    )
    cells = [
        _cell("markdown", "intro", intro),
        _cell(
            "markdown",
            "check-intro",
            "## Part 1: knowledge check\n\nType your answer between the two quotation marks "
            "in the grey box under the question. Your answer is checked when your assessment "
            "is marked.",
        ),
        _cell(
            "markdown",
            "q1",
            "### Question 1\n\nWhat helps a child most when they are upset?\n\n"
            "- **a**: Being left alone until they stop.\n"
            "- **b**: A calm adult who stays close and listens.\n"
            "- **c**: Being told that it does not matter.",
        ),
        _cell(
            "code",
            "q1-answer",
            'answer_1 = ""  # type a, b or c between the quotes\n'
            '### BEGIN SOLUTION\nanswer_1 = "b"\n### END SOLUTION',
            locked=False,
            solution=True,
        ),
        _cell(
            "code",
            "q1-check",
            "# This question is checked when your assessment is marked. Nothing to do here.\n"
            "### BEGIN HIDDEN TESTS\n"
            '_given = str(answer_1).strip().strip("\\"\'().,!*").strip().lower()\n'
            'assert _given in {"b"}\n'
            "### END HIDDEN TESTS",
            grade=True,
            points=1,
        ),
        _cell(
            "markdown",
            "reflect-intro",
            "## Part 2: reflection\n\nWrite your reflection in the box under the question. "
            "Aim for 150 to 300 words.",
        ),
        _cell(
            "markdown",
            "reflect-practice-prompt",
            "### Reflection: the ideas in your own practice\n\nThink of a moment with a child "
            "you care for or work with. Which idea from this course helps you to make sense of "
            "it, and what will you do differently next time?",
        ),
        _cell(
            "markdown",
            "reflect-practice",
            "**Marker's note** (your Lead Professional reads this; it is not shown to "
            "learners): look for an anonymised example and a course idea used accurately.",
            grade=True,
            locked=False,
            points=3,
            solution=True,
        ),
        _cell(
            "markdown",
            "closing",
            "## Before you send it back\n\n- Check that nobody can be identified from what you "
            "wrote.\n- Save the notebook, and send it back to your Lead Professional with its "
            "name unchanged.",
        ),
    ]
    return {
        "cells": cells,
        "metadata": {
            "imatter": {"assessment": assessment_id, "kind": "assessment", "schema": 1},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def rubric_text(assessment_id: str, title: str) -> str:
    """The rubric for `assessment_notebook`: one criterion whose top level is the cell's 3
    points; a learner passes with 2 of the 4 points and the criterion at 'developing'."""
    import yaml

    levels = [
        ("not-yet", "Not yet", 0, "The course ideas are missing, or not linked to practice."),
        ("developing", "Developing", 1, "Links a course idea to practice in general terms."),
        ("secure", "Secure", 2, "Uses a course idea accurately to explain an anonymised example."),
        ("strong", "Strong", 3, "Uses the ideas with care and names a concrete next step."),
    ]
    data = {
        "schema": 1,
        "assessment": assessment_id,
        "title": f"{title}: reflective assessment",
        "pass_mark": 2,
        "reflections": [
            {
                "cell": "reflect-practice",
                "title": "The ideas in your own practice",
                "criteria": [
                    {
                        "id": "practice",
                        "title": "Links the ideas to own practice",
                        "pass_level": "developing",
                        "levels": [
                            {"id": i, "title": t, "points": p, "descriptor": d}
                            for i, t, p, d in levels
                        ],
                    }
                ],
            }
        ],
    }
    head = (
        f"# Rubric for the {title} assessment, written by `imatter module new`.\n"
        "# Checked by `imatter assess check` against assess-rubric.schema.json.\n"
    )
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
