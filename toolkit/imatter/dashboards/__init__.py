"""Dashboards for people who do not use a terminal: ipywidgets over the Python API, served by
Voila (`imatter dashboard`).

- `lead.ipynb`: a Lead Professional's groups, attendance (take the register), progress,
  reflections waiting to be marked and who is eligible next (`dashboards.lead`);
- `progress.ipynb`: a learner's own progress (`dashboards.progress`);
- `organisation.ipynb`: licences, renewals and trainee applications (`dashboards.organisation`).

The notebooks ship with the package. They read the workspace from the environment that
`imatter dashboard` sets (IMATTER_WORKSPACE, IMATTER_DB, IMATTER_PROGRAMME), the person to show
from IMATTER_DASHBOARD_PERSON and the date from IMATTER_TODAY (default: today).
This module imports nothing heavy: ipywidgets is imported by the widget modules only.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidValue, NotFound

DASHBOARDS = {
    "lead": "lead.ipynb",
    "progress": "progress.ipynb",
    "organisation": "organisation.ipynb",
}
ENV_PERSON = "IMATTER_DASHBOARD_PERSON"
ENV_TODAY = "IMATTER_TODAY"
ENV_COURSE_DIRS = "IMATTER_COURSE_DIRS"


def notebook_folder() -> Path:
    """The folder holding the dashboard notebooks (package data)."""
    return Path(__file__).resolve().parent


def notebook(name: str) -> Path:
    """The notebook of one dashboard (lead, progress, organisation)."""
    if name not in DASHBOARDS:
        raise InvalidValue(f"unknown dashboard '{name}'; use one of: {', '.join(DASHBOARDS)}")
    path = notebook_folder() / DASHBOARDS[name]
    if not path.is_file():
        raise NotFound(f"{path} is missing: reinstall imatter (the dashboards are package data)")
    return path


def voila_command(name: str | None, *, port: int, open_browser: bool) -> list[str]:
    """The Voila command serving one dashboard, or (name None) all three from a listing."""
    target = notebook(name) if name else notebook_folder()
    command = [
        sys.executable,
        "-m",
        "voila",
        str(target),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--no-browser" if not open_browser else "",
        "--strip_sources=True",
        "--template=imatter",  # lab, without its CDN icon font (data/jupyter/voila/templates)
    ]
    return [part for part in command if part]


def dashboard_env(
    *,
    workspace: Path,
    db: str | None = None,
    programme: str | None = None,
    person: str | None = None,
    today: str | None = None,
    course_dirs: Iterable[Path] = (),
) -> dict[str, str]:
    """The environment the dashboard kernels read their workspace, person and date from."""
    from ..trust.access import identity

    env = dict(os.environ)
    # Voila finds the dashboards' page template (data/jupyter/voila/templates/imatter) here.
    shipped = str(Path(__file__).resolve().parents[1] / "data" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (shipped, env.get("JUPYTER_PATH")) if p)
    env["IMATTER_WORKSPACE"] = str(Path(workspace).resolve())
    # The kernels act as the person who started the dashboard (`imatter --as` included): what
    # they show is limited to what that person may see.
    env["IMATTER_USER"] = identity()
    for key, value in (
        ("IMATTER_DB", db),
        ("IMATTER_PROGRAMME", programme),
        (ENV_PERSON, person),
        (ENV_TODAY, today),
    ):
        if value:
            env[key] = str(value)
    dirs = [str(Path(d).resolve()) for d in course_dirs]
    if dirs:
        env[ENV_COURSE_DIRS] = os.pathsep.join(dirs)
    return env


def serve(name: str | None, *, port: int, open_browser: bool, env: dict[str, str]) -> int:
    """Run Voila in the foreground until it is stopped; returns its exit code.

    Ctrl-C, SIGTERM or SIGHUP stop Voila and its kernels with it: they run in their own process
    group, which is ended before this returns, so no server is left behind.
    """
    import signal

    command = voila_command(name, port=port, open_browser=open_browser)
    proc = subprocess.Popen(command, env=env, start_new_session=True)

    def stop(_signum: int = 0, _frame: object = None) -> None:
        _end_group(proc)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _end_group(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _end_group(proc: subprocess.Popen) -> None:
    """Stop a process group politely (SIGTERM), then firmly (SIGKILL) after 10 seconds."""
    import signal

    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            os.killpg(proc.pid, 0)  # the kernels may outlive Voila for a moment
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


# ------------------------------------------------------------------ reflections to mark
@dataclass(frozen=True)
class MarkingQueue:
    """Notebooks in one nbgrader course directory with answers still to be marked by hand."""

    course_dir: Path
    course_id: str
    waiting: dict[int, int]  # person id -> notebooks waiting
    other: int  # waiting notebooks of students who are not store people

    @property
    def total(self) -> int:
        return sum(self.waiting.values()) + self.other


def course_dirs(workspace: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """nbgrader course directories: those named in IMATTER_COURSE_DIRS or `extra`, and any
    under the workspace folder (up to three levels down)."""
    from ..assess.course_dir import COURSE_FILE

    found: list[Path] = []
    named = [Path(p) for p in os.environ.get(ENV_COURSE_DIRS, "").split(os.pathsep) if p]
    for folder in [*named, *extra]:
        if (folder / COURSE_FILE).is_file():
            found.append(folder.resolve())
    for depth in ("*", "*/*", "*/*/*"):
        for marker in sorted(Path(workspace).glob(f"{depth}/{COURSE_FILE}")):
            found.append(marker.parent.resolve())
    return list(dict.fromkeys(found))


def marking_queues(folders: Iterable[Path]) -> list[MarkingQueue]:
    """Count submitted notebooks needing a manual grade in each course directory's gradebook.

    Each directory's own SQLite gradebook is read read-only with sqlite3 (nbgrader is slow to
    import and not needed to count); a folder without one is skipped. When NBGRADER_DB_URL
    names a gradebook that several markers share (a hub's PostgreSQL), that one is read,
    limited to the directory's course.
    """
    from ..assess.course_dir import GRADEBOOK, open_course_dir, person_of, shared_gradebook

    shared = shared_gradebook()
    queues = []
    for folder in folders:
        db = Path(folder) / GRADEBOOK
        if not shared and not db.is_file():
            continue
        course = open_course_dir(folder)
        rows = _waiting_shared(shared, course.course_id) if shared else _waiting_sqlite(db)
        waiting: dict[int, int] = {}
        other = 0
        for student, count in rows:
            pid = person_of(student)
            if pid is None:
                other += count
            else:
                waiting[pid] = waiting.get(pid, 0) + count
        queues.append(MarkingQueue(Path(folder), course.course_id, waiting, other))
    return queues


_WAITING = (
    "SELECT sa.student_id, COUNT(DISTINCT sn.id) FROM grade g "
    "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
    "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
)


def _waiting_sqlite(db: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            _WAITING + "WHERE g.needs_manual_grade = 1 GROUP BY sa.student_id"
        ).fetchall()
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()


def _waiting_shared(url: str, course_id: str) -> list[tuple[str, int]]:
    """Per student, notebooks waiting for a hand mark in the shared gradebook's course."""
    return _shared_query(
        url,
        "SELECT sa.student_id, COUNT(DISTINCT sn.id)",
        "sa.student_id",
        course_id,
    )


def shared_waiting_by_assessment(folder: Path) -> list[tuple[str, int]]:
    """(assessment id, answers waiting for a hand mark) of one course directory's course in
    the shared gradebook (NBGRADER_DB_URL)."""
    from ..assess.course_dir import open_course_dir, shared_gradebook

    url = shared_gradebook()
    if not url or not (Path(folder) / "imatter-course.yml").is_file():
        return []
    course_id = open_course_dir(folder).course_id
    return _shared_query(url, "SELECT a.name, COUNT(*)", "a.name ORDER BY a.name", course_id)


def _shared_query(url: str, select: str, group: str, course_id: str) -> list[tuple[str, int]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"{select} FROM grade g "  # noqa: S608 (fixed text: no input in it)
                    "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
                    "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
                    "JOIN assignment a ON sa.assignment_id = a.id "
                    "WHERE g.needs_manual_grade = :yes AND a.course_id = :course "
                    f"GROUP BY {group}"
                ),
                {"yes": True, "course": course_id},
            ).all()
        return [(str(key), int(count)) for key, count in rows]
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
        from ..errors import AssessmentError

        raise AssessmentError(
            f"NBGRADER_DB_URL: cannot open the shared gradebook ({type(err).__name__}); "
            "check the address, the password and that the database server is running"
        ) from None
    except sa.exc.ProgrammingError:
        return []  # no gradebook there yet: nothing is waiting
    finally:
        engine.dispose()
