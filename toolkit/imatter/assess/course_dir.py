"""An nbgrader course directory: one per study group or setting, with its own gradebook.

The directory holds what nbgrader expects (``source/``, ``release/``, ``submitted/``,
``autograded/``, ``gradebook.db``) plus ``nbgrader_config.py`` (so that plain ``nbgrader``
commands and the formgrader work in it too), ``imatter-course.yml`` (what makes it ours) and
``quarantine/`` (returned files that could not be collected).

Learners are the store's people: person 12 is nbgrader student ``p12``. The roster is the
gradebook's student table, filled from the store by `add_learners`.

nbgrader is imported only inside functions: it is slow to import.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import AssessmentError, Conflict, InvalidValue, NotFound
from ..yamlfile import YAML_FAILURES, read_text, safe_load
from ..yamlfile import problem as yaml_problem

COURSE_FILE = "imatter-course.yml"
CONFIG_FILE = "nbgrader_config.py"
GRADEBOOK = "gradebook.db"
DEFAULT_TIMEOUT = 30  # seconds a learner's cell may run before it is stopped

TEXT_STUB = (
    "Write your reflection here. Please keep everyone anonymous: no names or details that "
    "could identify a child, a family or a colleague."
)
IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "rubric.yml"]

_STUDENT = re.compile(r"^p([1-9][0-9]{0,9})$")
_COURSE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_ASSESSMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def student_id(person_id: int) -> str:
    """The nbgrader student id of a person in the store (person 12 is ``p12``)."""
    return f"p{int(person_id)}"


def person_of(student: str) -> int | None:
    """The store person id behind an nbgrader student id, or None if it is not ``p<number>``."""
    match = _STUDENT.match(student)
    return int(match.group(1)) if match else None


def check_assessment_id(assessment_id: str) -> str:
    if not _ASSESSMENT_ID.match(assessment_id or ""):
        raise InvalidValue(
            f"'{assessment_id}' is not an assessment id (lower-case letters, digits and -)"
        )
    return assessment_id


def read_learners(path: Path) -> dict[str, dict[str, Any]]:
    """The per-learner entries of a record the toolkit keeps beside a course (feedback issued,
    moderation resolved): ``{"learners": {...}}``; empty when absent or unreadable."""
    import json

    if not path.is_file():
        return {}
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    learners = body.get("learners", {}) if isinstance(body, dict) else {}
    return learners if isinstance(learners, dict) else {}


def shared_gradebook() -> str | None:
    """The shared gradebook's URL from $NBGRADER_DB_URL, or None (each directory its own)."""
    return os.environ.get("NBGRADER_DB_URL", "").strip() or None


@dataclass(frozen=True)
class Learner:
    """One learner on a course directory's roster."""

    student_id: str
    person_id: int
    name: str


@dataclass(frozen=True)
class CourseDir:
    """A course directory as the toolkit sees it (see the module docstring)."""

    root: Path
    course_id: str
    timeout: int = DEFAULT_TIMEOUT
    exchange_root: str | None = None
    setting: str | None = None  # the setting a hosted course belongs to (`assess init --setting`)

    @property
    def db_url(self) -> str:
        """The gradebook: $NBGRADER_DB_URL when set (one gradebook that several markers share,
        as nbgrader's ``CourseDirectory.db_url``), else the directory's own SQLite file."""
        return shared_gradebook() or f"sqlite:///{self.root / GRADEBOOK}"

    def source(self, assessment_id: str) -> Path:
        return self.root / "source" / assessment_id

    def release(self, assessment_id: str) -> Path:
        return self.root / "release" / assessment_id

    def released_notebook(self, assessment_id: str) -> Path:
        return self.release(assessment_id) / f"{assessment_id}.ipynb"

    def source_notebook(self, assessment_id: str) -> Path:
        return self.source(assessment_id) / f"{assessment_id}.ipynb"

    def rubric_path(self, assessment_id: str) -> Path:
        return self.source(assessment_id) / "rubric.yml"

    def submitted(self, student: str, assessment_id: str) -> Path:
        return self.root / "submitted" / student / assessment_id

    def autograded(self, student: str, assessment_id: str) -> Path:
        return self.root / "autograded" / student / assessment_id

    def quarantine(self, assessment_id: str) -> Path:
        return self.root / "quarantine" / assessment_id

    def submitted_students(self, assessment_id: str) -> list[str]:
        """Students with a collected notebook for this assessment, sorted."""
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(
            d.name
            for d in base.iterdir()
            if (d / assessment_id / f"{assessment_id}.ipynb").is_file()
        )

    def autograded_students(self, assessment_id: str) -> list[str]:
        base = self.root / "autograded"
        if not base.is_dir():
            return []
        return sorted(
            d.name
            for d in base.iterdir()
            if (d / assessment_id / f"{assessment_id}.ipynb").is_file()
        )


# ---------------------------------------------------------------------- nbgrader settings
def nbgrader_settings(course: CourseDir) -> dict[str, dict[str, Any]]:
    """The nbgrader configuration of a course directory, as {class: {trait: value}}.

    Both `nbgrader_config` (in-process) and the written ``nbgrader_config.py`` come from here,
    so that the toolkit and plain ``nbgrader`` commands in the directory behave the same.
    """
    settings: dict[str, dict[str, Any]] = {
        "CourseDirectory": {
            "root": str(course.root),
            "course_id": course.course_id,
            "ignore": list(IGNORE),
        },
        # Knowledge-check answers are typed into `answer_1 = ""`: the stub adds nothing.
        "ClearSolutions": {"code_stub": {"python": ""}, "text_stub": TEXT_STUB},
        # Learner code runs under a time limit per cell; a stuck cell is interrupted.
        "Execute": {"timeout": int(course.timeout), "interrupt_on_timeout": True},
        # Deleted grade cells are put back from the gradebook before grading.
        "OverwriteCells": {"add_missing_cells": True},
    }
    if course.exchange_root:
        settings["Exchange"] = {"root": course.exchange_root}
    return settings


def nbgrader_config(course: CourseDir, extra: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """A traitlets Config for nbgrader's Python API over this course directory."""
    from traitlets.config import Config

    config = Config()
    merged = nbgrader_settings(course)
    merged["CourseDirectory"]["db_url"] = course.db_url  # not written to the file: a password
    for section, values in (extra or {}).items():
        merged.setdefault(section, {}).update(values)
    for section, values in merged.items():
        for key, value in values.items():
            setattr(config[section], key, value)
    config.NbGraderAPI.log_level = "ERROR"
    return config


def nbgrader_api(course: CourseDir, extra: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """nbgrader's high-level API (`NbGraderAPI`) configured for this course directory."""
    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=nbgrader_config(course, extra), log=_quiet_log())
    api.log.setLevel(logging.ERROR)
    return api


def _quiet_log() -> logging.Logger:
    """nbgrader's logger here: errors are captured in memory by nbgrader (for
    `summarise_error`) and go nowhere else, because its log can quote notebook content and
    learners' writing is never logged. (A logger of our own, so that the host application's
    logging, a Jupyter kernel's say, is left alone.)"""
    log = logging.getLogger("imatter.assess.nbgrader")
    log.setLevel(logging.ERROR)
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


def check_result(result: Mapping[str, Any] | None, what: str) -> None:
    """Turn nbgrader's {success, error, log} answer into an exception (its log is not shown:
    it can quote notebook content)."""
    if result is None:
        raise AssessmentError(f"{what}: nbgrader cannot do this on this platform")
    if not result.get("success"):
        reason = summarise_error(result.get("error") or "", result.get("log") or "")
        raise AssessmentError(f"{what} failed: {reason}")


_KNOWN_ERRORS = {
    "JSONDecodeError": "the collected notebook is not valid JSON",
    "NotJSONError": "the collected notebook is not valid JSON",
    "ValidationError": "the collected notebook is not a valid notebook",
    "JsonSchemaValueException": "the collected notebook is not a valid notebook",
    "UnresponsiveKernelError": "the learner's code did not finish within the time limit",
    "CellTimeoutError": "the learner's code did not finish within the time limit",
    "DeadKernelError": "the kernel running the learner's code died",
    "MissingEntry": "the gradebook does not know this learner or assessment",
    "SchemaTooOldError": "the notebook's nbgrader metadata is too old",
    "SchemaTooNewError": "the notebook's nbgrader metadata is too new",
}
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?([A-Z]\w*(?:Error|Exception|Entry))\b")


def summarise_error(*texts: str, command: str = "") -> str:
    """A one-line, content-free summary of nbgrader's failure (its traceback and log).

    Only exception names are read: their messages can quote a learner's answer.
    """
    names = []
    for text in texts:
        for line in (text or "").splitlines():
            match = _EXCEPTION_LINE.match(line.strip())
            if match:
                names.append(match.group(1))
    causes = [n for n in names if n in _KNOWN_ERRORS]
    if causes:
        return _KNOWN_ERRORS[causes[0]]
    specific = [n for n in names if n != "NbGraderException"]
    kind = specific[-1] if specific else (names[-1] if names else "unknown error")
    hint = f"run `{command}` in the course directory" if command else "run nbgrader by hand"
    return f"nbgrader failed ({kind}); {hint} to see why"


_REVISION = re.compile(
    r"^(down_revision|revision)\s*=\s*(?:'([0-9a-f]+)'|\"([0-9a-f]+)\"|None)\s*$"
)


def _head_of(versions: Path) -> str | None:
    """The one revision of a linear alembic history that no other revision follows, read
    from the version files' `revision = ...` and `down_revision = ...` lines (None when the
    history is not that simple)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in versions.glob("*.py"):
        found: dict[str, str | None] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _REVISION.match(line)
            if match and match.group(1) not in found:
                found[match.group(1)] = match.group(2) or match.group(3)
        if "revision" not in found or "down_revision" not in found or not found["revision"]:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            followed.add(found["down_revision"])
    heads = revisions - followed
    return heads.pop() if len(heads) == 1 and followed <= revisions else None


def _alembic_head() -> str:
    """The gradebook schema version nbgrader expects (its alembic head), found in-process:
    read from nbgrader's version files (without importing nbgrader), else through alembic."""
    import importlib.util

    spec = importlib.util.find_spec("nbgrader")
    folder = Path(spec.origin).parent / "alembic" if spec and spec.origin else None
    head = _head_of(folder / "versions") if folder else None
    if head:
        return head
    import nbgrader
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
    head = ScriptDirectory.from_config(config).get_current_head()
    if not head:
        raise AssessmentError("cannot find nbgrader's gradebook schema version (alembic head)")
    return head


def _create_gradebook(course: CourseDir) -> None:
    """Create the course directory's gradebook. nbgrader would stamp a new database by running
    the `alembic` command (slow, and it must be on PATH); stamping it here first is the same."""
    path = course.root / GRADEBOOK
    if not shared_gradebook() and not path.exists():
        head = _alembic_head()
        con = sqlite3.connect(path)
        try:
            with con:
                con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
                con.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
        finally:
            con.close()
    with _open_gradebook(course):
        pass


@contextmanager
def _open_gradebook(course: CourseDir) -> Iterator[Any]:
    """nbgrader's `Gradebook`; a shared gradebook that cannot be reached is a one-line error."""
    import sqlalchemy as sa
    from nbgrader.api import Gradebook

    try:
        gb = Gradebook(course.db_url, course.course_id)
    except sa.exc.SQLAlchemyError as err:
        if not shared_gradebook():
            raise
        raise AssessmentError(
            f"NBGRADER_DB_URL: cannot open the shared gradebook ({type(err).__name__}); "
            "check the address, the password and that the database server is running"
        ) from None
    with gb:
        yield gb


@contextmanager
def gradebook(course: CourseDir) -> Iterator[Any]:
    """nbgrader's `Gradebook` for this course directory (never a new, empty one by mistake)."""
    if not shared_gradebook() and not (course.root / GRADEBOOK).is_file():
        raise NotFound(
            f"{course.root}: no {GRADEBOOK}; run `imatter assess init` for this course directory"
        )
    with _open_gradebook(course) as gb:
        yield gb


# ---------------------------------------------------------------------- create and open
def _render_config(settings: Mapping[str, Mapping[str, Any]]) -> str:
    lines = [
        "# nbgrader configuration for this course directory, written by `imatter assess init`.",
        "# The toolkit passes the same settings to nbgrader's Python API; edit",
        f"# {COURSE_FILE} (timeout, exchange_root) and run `imatter assess init` again.",
        "c = get_config()  # noqa: F821",
    ]
    for section, values in settings.items():
        for key, value in values.items():
            lines.append(f"c.{section}.{key} = {value!r}")
    return "\n".join(lines) + "\n"


def create_course_dir(
    root: str | Path,
    course_id: str,
    *,
    timeout: int = DEFAULT_TIMEOUT,
    exchange_root: str | None = None,
    setting: str | None = None,
) -> CourseDir:
    """Create (or update the settings of) a course directory and its empty gradebook.

    `setting` names the setting the course belongs to when its name does not (a hosted
    course such as ``foundation-a``), so that the setting's Lead may run it."""
    if not _COURSE_ID.match(course_id or ""):
        raise InvalidValue(
            f"'{course_id}' cannot name a course directory: use letters, digits, '.', '_' or '-'"
        )
    if timeout < 1:
        raise InvalidValue("the time limit for learners' code must be at least 1 second")
    root = Path(root).resolve()
    existing = root / COURSE_FILE
    if existing.exists():
        current = open_course_dir(root)
        if current.course_id != course_id:
            raise Conflict(
                f"{existing}: this course directory belongs to '{current.course_id}', "
                f"not '{course_id}'"
            )
    elif root.exists() and any(root.iterdir()):
        raise Conflict(f"{root} is not empty and is not an assessment course directory")
    root.mkdir(parents=True, exist_ok=True)
    course = CourseDir(root, course_id, timeout, exchange_root, setting)
    body = {"schema": 1, "course_id": course_id, "timeout": timeout}
    if exchange_root:
        body["exchange_root"] = exchange_root
    if setting:
        body["setting"] = setting
    existing.write_text(
        "# An I Matter assessment course directory (nbgrader). See `imatter assess --help`.\n"
        + yaml.safe_dump(body, sort_keys=False),
        encoding="utf-8",
    )
    (root / CONFIG_FILE).write_text(_render_config(nbgrader_settings(course)), encoding="utf-8")
    for sub in ("source", "release", "submitted", "autograded", "quarantine"):
        (root / sub).mkdir(exist_ok=True)
    _create_gradebook(course)
    return course


def open_course_dir(root: str | Path) -> CourseDir:
    """An existing course directory; NotFound says how to create one."""
    root = Path(root).resolve()
    path = root / COURSE_FILE
    if not path.is_file():
        raise NotFound(
            f"{root} is not an assessment course directory (no {COURSE_FILE}); "
            "run `imatter assess init` first"
        )
    text = read_text(path, AssessmentError)
    try:
        body = safe_load(text) or {}
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        raise AssessmentError(f"{path}:{line}: not valid YAML ({problem})") from None
    if not isinstance(body, dict) or not isinstance(body.get("course_id"), str):
        raise AssessmentError(f"{path}:1: course_id: this field is missing; add it")
    if body.get("schema") != 1:
        raise AssessmentError(
            f"{path}: schema: {body.get('schema')!r} is not a course directory format this "
            "toolkit knows (1); upgrade imatter"
        )
    timeout = body.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
        raise AssessmentError(f"{path}: timeout: expected a whole number of seconds (1 or more)")
    exchange = body.get("exchange_root")
    setting = body.get("setting")
    if setting is not None and (not isinstance(setting, str) or not setting.strip()):
        raise AssessmentError(
            f"{path}: setting: expected a setting id (text); run `imatter assess init --setting ID`"
        )
    return CourseDir(
        root, body["course_id"], timeout, str(exchange) if exchange else None, setting or None
    )


# ---------------------------------------------------------------------- learners
def learners(course: CourseDir, store: Any = None) -> list[Learner]:
    """The roster: the gradebook's students that are store people, by person id.

    With the store, only as the actor may see it (a learner: themselves)."""
    if store is not None:
        from .guard import readable_students, require_course

        require_course(store, course, "assess.read")
        mine = set(readable_students(store, course, sorted(roster(course))))
    with gradebook(course) as gb:
        rows = [(s.id, s.first_name or "", s.last_name or "") for s in gb.students]
    found = []
    for sid, first, last in rows:
        pid = person_of(sid)
        if pid is not None and (store is None or sid in mine):
            found.append(Learner(sid, pid, " ".join(p for p in (first, last) if p)))
    return sorted(found, key=lambda learner: learner.person_id)


def people_for(store: Any, person_ids: list[int]) -> dict[int, Any]:
    """The store rows of these people (id, name, email); NotFound names any unknown id."""
    import sqlalchemy as sa

    from ..store import schema as t
    from ..trust.access import visible_people

    wanted = sorted({int(p) for p in person_ids})
    with store.read() as conn:
        query = sa.select(t.people.c.id, t.people.c.name, t.people.c.email).where(
            t.people.c.id.in_(wanted)
        )
        visible = visible_people(conn)  # someone out of reach is reported as unknown
        if visible is not None:
            query = query.where(visible)
        rows = conn.execute(query).all()
    known = {row.id: row for row in rows}
    missing = [str(p) for p in wanted if p not in known]
    if missing:
        raise NotFound(f"no person {', '.join(missing)} in the records; see `imatter person list`")
    return known


def roster(course: CourseDir) -> set[str]:
    """The student ids on the roster, read straight from the SQLite gradebook (no nbgrader
    import: the autograde parent process stays light), or from the shared one."""
    if shared_gradebook():
        import sqlalchemy as sa

        engine = sa.create_engine(course.db_url)
        try:
            with engine.connect() as conn:
                return set(conn.execute(sa.text("SELECT id FROM student")).scalars())
        except sa.exc.SQLAlchemyError as err:
            raise AssessmentError(
                f"NBGRADER_DB_URL: cannot read the shared gradebook's students "
                f"({type(err).__name__})"
            ) from None
        finally:
            engine.dispose()
    path = course.root / GRADEBOOK
    if not path.is_file():
        raise NotFound(
            f"{course.root}: no {GRADEBOOK}; run `imatter assess init` for this course directory"
        )
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return {row[0] for row in con.execute("SELECT id FROM student")}
    except sqlite3.Error as err:
        raise AssessmentError(f"{path}: cannot read the gradebook's students ({err})") from None
    finally:
        con.close()


def add_learners(course: CourseDir, store: Any, person_ids: list[int]) -> list[Learner]:
    """Put people from the store on the roster (idempotent); NotFound names unknown ids."""
    from .guard import require_course, require_learner

    require_course(store, course, "assess.run")
    known = people_for(store, person_ids)
    with store.read() as conn:
        for pid in known:
            require_learner(conn, "assess.run", pid)
    added = []
    with gradebook(course) as gb:
        for pid, row in sorted(known.items()):
            gb.update_or_create_student(
                student_id(pid), first_name=row.name, last_name="", email=row.email
            )
            added.append(Learner(student_id(pid), pid, row.name))
    return added


# ---------------------------------------------------------------------- assessment sources
def default_sources() -> Path:
    """Where assessment sources live: $IMATTER_ASSESSMENTS, else the project's
    ``assessments/source`` (beside ``modules/``)."""
    env = os.environ.get("IMATTER_ASSESSMENTS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[3] / "assessments" / "source"
    if here.exists():
        return here
    for parent in [Path.cwd(), *Path.cwd().parents]:
        candidate = parent / "assessments" / "source"
        if candidate.exists():
            return candidate
    return here


def source_folder(sources: Path, assessment_id: str) -> Path:
    """The source folder of one assessment; NotFound lists the ones there are."""
    check_assessment_id(assessment_id)
    folder = Path(sources) / assessment_id
    if not (folder / f"{assessment_id}.ipynb").is_file():
        known = sorted(d.name for d in Path(sources).glob("*") if (d / f"{d.name}.ipynb").is_file())
        raise NotFound(
            f"no assessment '{assessment_id}' in {sources} (expected "
            f"{assessment_id}/{assessment_id}.ipynb); known: {', '.join(known) or 'none'}"
        )
    return folder


def install_source(course: CourseDir, sources: Path, assessment_id: str) -> Path:
    """Copy an assessment's source folder into the course directory's ``source/``."""
    folder = source_folder(sources, assessment_id)
    target = course.source(assessment_id)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        folder, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    )
    return target


def study_group_learners(store: Any, group_id: int) -> tuple[str, list[int]]:
    """A study group's name and its current learners (not the ones who left), for the roster."""
    import sqlalchemy as sa

    from ..delivery.groups.core import load_group
    from ..store import schema as t

    gm = t.group_members
    with store.read() as conn:
        group = load_group(conn, group_id)
        members = conn.execute(
            sa.select(gm.c.person_id)
            .where(gm.c.group_id == group_id, gm.c.left_on.is_(None))
            .order_by(gm.c.person_id)
        ).scalars()
        return group.name, list(members)
