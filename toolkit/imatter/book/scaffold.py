"""`imatter module new ID`: start a course's folder from the templates in
`imatter/templates/module/`.

The course must already be in the catalogue (modules/programme.yml): that is where its id,
title, level, audience and prerequisites are written, once. The scaffold writes only what
belongs to the course folder (course.yml with a description and outcomes, session notebooks
in the house pattern), plus, if the catalogue gives the course an assessment that does not
exist yet, a placeholder notebook under `assessments/source/<assessment>/` for the assessment
author. Nothing that already exists is overwritten.
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
            text = (TEMPLATES / "assessment-stub.ipynb").read_text(encoding="utf-8")
            text = text.replace("__COURSE__", course_id).replace(
                "__ASSESSMENT__", course.assessment
            )
            stub.mkdir(parents=True)
            target.write_text(text, encoding="utf-8")
            created.append(target)
            notes.append(
                f"Placeholder: {target.relative_to(project.root)} is a stub for the assessment "
                "author (assessments/ is theirs); tell them the course exists."
            )
    return Scaffold(tuple(created), tuple(notes))
