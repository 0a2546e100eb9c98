"""Check the assessment sources (``assessments/source/<id>/``) before they are used.

Each catalogue course with an assessment needs a folder with ``<id>.ipynb`` and ``rubric.yml``.
The notebook must be an nbgrader source notebook of the agreed shape: instructions in locked
cells, reflections in manually graded markdown answer cells, and a knowledge check whose answers
are typed into code cells and checked by tests hidden from the learner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import AssessmentError, ImatterError
from ..programme import Programme
from .rubric import Rubric, load_checked


@dataclass(frozen=True)
class SourcesReport:
    """What the check of an assessment's source notebooks found."""

    checked: tuple[str, ...]
    problems: tuple[str, ...]


def check_notebook_shape(path: Path, assessment_id: str) -> None:
    """Raise AssessmentError naming the file and cell if the notebook is not of the agreed
    shape."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AssessmentError(f"{path}: cannot read the notebook ({err})") from None

    def fail(where: str, problem: str) -> AssessmentError:
        return AssessmentError(f"{path}: {where}: {problem}")

    meta = nb.get("metadata", {})
    if (meta.get("imatter") or {}).get("assessment") != assessment_id:
        raise fail("metadata.imatter.assessment", f"must be '{assessment_id}'")
    if (meta.get("kernelspec") or {}).get("name") != "python3":
        raise fail("metadata.kernelspec.name", "must be python3")
    hidden_tests = answers = reflections = 0
    seen: set[str] = set()
    intro = ""
    for i, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        grader = (cell.get("metadata") or {}).get("nbgrader")
        where = f"cell {i}"
        if not grader:
            raise fail(where, "every cell needs nbgrader metadata (locked, answer or test)")
        gid = grader.get("grade_id")
        where = f"cell {i} ('{gid}')"
        if not gid or gid in seen:
            raise fail(where, "needs a unique grade_id")
        seen.add(gid)
        if grader.get("schema_version") != 3:
            raise fail(where, "nbgrader schema_version must be 3")
        solution, grade, locked = grader.get("solution"), grader.get("grade"), grader.get("locked")
        if solution and grade:
            if cell["cell_type"] != "markdown":
                raise fail(where, "a manually graded answer must be a markdown cell")
            reflections += 1
        elif solution:
            if cell["cell_type"] != "code" or "BEGIN SOLUTION" not in source:
                raise fail(where, "a knowledge-check answer is a code cell with a SOLUTION region")
            answers += 1
        elif grade:
            if not locked or "BEGIN HIDDEN TESTS" not in source:
                raise fail(where, "a check cell is locked and keeps its tests in HIDDEN TESTS")
            hidden_tests += 1
        elif not locked:
            raise fail(where, "an instruction cell must be locked")
        elif not intro:
            intro = source
    if reflections == 0:
        raise fail("cells", "no manually graded reflection")
    if answers == 0 or hidden_tests == 0:
        raise fail("cells", "no knowledge check (answer cells with hidden tests)")
    if "anonymous" not in intro.lower():
        raise fail("cell 0", "the opening must remind learners to keep everyone anonymous")


def check_assessment(sources: Path, assessment_id: str) -> Rubric:
    folder = Path(sources) / assessment_id
    notebook = folder / f"{assessment_id}.ipynb"
    if not notebook.is_file():
        raise AssessmentError(f"{notebook}: missing; every assessment needs its notebook")
    check_notebook_shape(notebook, assessment_id)
    return load_checked(folder, assessment_id)


def check_sources(sources: Path, programme: Programme) -> SourcesReport:
    """Check every assessment the catalogue names, and that no stray source folder exists."""
    wanted = sorted({c.assessment for c in programme.courses.values() if c.assessment})
    problems: list[str] = []
    checked: list[str] = []
    for assessment_id in wanted:
        try:
            check_assessment(Path(sources), assessment_id)
        except ImatterError as err:
            problems.append(err.message)
            problems.extend(err.details)
        else:
            checked.append(assessment_id)
    if Path(sources).is_dir():
        for folder in sorted(Path(sources).iterdir()):
            if folder.is_dir() and folder.name not in wanted:
                problems.append(
                    f"{folder}: no course in {programme.source} has the assessment '{folder.name}'"
                )
    return SourcesReport(tuple(checked), tuple(problems))
