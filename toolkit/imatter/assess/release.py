"""Generate the learners' version of an assessment and send it out: as files, or by exchange.

Most settings have no JupyterHub, so the usual release is a folder (or one zip) holding a copy
of the notebook for each learner on the roster, named ``p<person id>_<assessment>.ipynb`` and
marked inside with the learner it was made for. The Lead sends each learner their file (email,
shared drive) and collects the returned files with `collect_files`. Where a hub exists,
`release_exchange` puts the notebook in nbgrader's exchange instead.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import Conflict, NotFound
from .collect import RETURN_NOTE_NAME, expected_name
from .course_dir import (
    CourseDir,
    Learner,
    check_assessment_id,
    check_result,
    install_source,
    learners,
    nbgrader_api,
)
from .rubric import Rubric, load_checked

RETURN_NOTE = """\
{title}

Your assessment is the notebook file named after you: {example}.

1. Open it in Jupyter (JupyterLab or Jupyter Notebook).
2. Answer the knowledge check and write your three reflections in the spaces marked for you.
   Please keep everyone anonymous: no names or details that could identify a child, a family
   or a colleague.
3. Save it, and send the same file back to your Lead Professional without renaming it.

Please do not delete, copy or move cells, or change their type: your Lead can only mark a
notebook that is still in one piece.
"""


@dataclass(frozen=True)
class GenerateReport:
    """The student version of an assessment made from its source notebook and rubric."""

    assessment_id: str
    rubric: Rubric
    released_notebook: Path


@dataclass(frozen=True)
class ReleaseReport:
    """An assessment handed out: to whom, which files, and through which exchange or archive."""

    assessment_id: str
    learners: tuple[str, ...]
    files: tuple[Path, ...] = ()
    archive: Path | None = None
    exchange: bool = False


def generate(course: CourseDir, sources: Path, assessment_id: str) -> GenerateReport:
    """Copy the assessment's source into the course directory, check its rubric, and run
    nbgrader's generate_assignment (the learners' version, and the gradebook's cells)."""
    check_assessment_id(assessment_id)
    folder = install_source(course, sources, assessment_id)
    rubric = load_checked(folder, assessment_id)
    api = nbgrader_api(course)
    check_result(api.generate_assignment(assessment_id), f"generate {assessment_id}")
    return GenerateReport(assessment_id, rubric, course.released_notebook(assessment_id))


def _released(course: CourseDir, assessment_id: str) -> dict:
    path = course.released_notebook(assessment_id)
    if not path.is_file():
        raise NotFound(
            f"{path} does not exist; run `imatter assess generate {assessment_id}` first"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _for(roster: list[Learner], only: list[int] | None) -> list[Learner]:
    if not roster:
        raise Conflict("nobody is on this course directory's roster; add learners first")
    if not only:
        return roster
    by_person = {learner.person_id: learner for learner in roster}
    missing = [str(p) for p in only if p not in by_person]
    if missing:
        raise NotFound(f"person {', '.join(missing)} is not on this course directory's roster")
    return [by_person[p] for p in only]


def release_files(
    course: CourseDir,
    assessment_id: str,
    to: str | Path,
    *,
    as_zip: bool = False,
    people: list[int] | None = None,
) -> ReleaseReport:
    """One copy per learner in a folder (or, with `as_zip`, one zip file at `to`)."""
    nb = _released(course, assessment_id)
    chosen = _for(learners(course), people)
    to = Path(to)
    files: dict[str, bytes] = {}
    for learner in chosen:
        copy = json.loads(json.dumps(nb))
        copy.setdefault("metadata", {}).setdefault("imatter", {}).update(
            {"schema": 1, "assessment": assessment_id, "learner": learner.student_id}
        )
        text = json.dumps(copy, indent=1, ensure_ascii=False) + "\n"
        files[expected_name(learner.student_id, assessment_id)] = text.encode("utf-8")
    title = nb.get("cells", [{}])[0].get("source", "")
    title = "".join(title) if isinstance(title, list) else str(title)
    heading = title.splitlines()[0].lstrip("# ").strip() if title else assessment_id
    files[RETURN_NOTE_NAME] = RETURN_NOTE.format(
        title=heading, example=expected_name("p<your number>", assessment_id)
    ).encode("utf-8")
    ids = tuple(learner.student_id for learner in chosen)
    if as_zip:
        if to.suffix.lower() != ".zip":
            to = to.with_suffix(".zip")
        to.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(to, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        return ReleaseReport(assessment_id, ids, archive=to)
    to.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        (to / name).write_bytes(data)
        written.append(to / name)
    return ReleaseReport(assessment_id, ids, files=tuple(written))


def release_exchange(course: CourseDir, assessment_id: str) -> ReleaseReport:
    """Release through nbgrader's exchange (hub usernames must be the learners' ``p<id>``)."""
    if not course.exchange_root:
        raise Conflict(
            f"{course.root}: no exchange is set up; set one with "
            "`imatter assess init --exchange PATH`, or release as files"
        )
    _released(course, assessment_id)
    api = nbgrader_api(course)
    check_result(api.release_assignment(assessment_id), f"release {assessment_id}")
    return ReleaseReport(
        assessment_id, tuple(learner.student_id for learner in learners(course)), exchange=True
    )
