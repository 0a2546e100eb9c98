"""Autograde collected submissions in parallel: a few worker processes over disjoint learners.

nbgrader grades one submission at a time, and most of its time is a kernel starting and
stopping. Each worker process runs nbgrader's Python API in-process over its own share of the
learners (never one process per learner: that pays nbgrader's start-up every time). Workers are
started as soon as it is known that there is work (their imports overlap reading the roster)
and sent their share on stdin; inside, the next learner's kernel starts while this one is
graded (still one fresh kernel per learner: see `worker`). Workers are a fresh interpreter
(``python -m imatter.assess.worker``), not forks of the caller: they inherit no threads or
database connections, and never re-run the caller's script the way multiprocessing's spawn
does with a script that lacks a main guard. That interpreter imports nbgrader once and forks
its own copies, one per further worker, before it opens anything.

Learner code runs under the course directory's time limit per cell (``Execute.timeout``);
a cell that runs longer is interrupted and scores nothing, and the others carry on.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidValue
from .course_dir import CourseDir, nbgrader_api, roster, summarise_error

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}


@dataclass(frozen=True)
class GradeResult:
    """One learner's autograde: whether nbgrader managed it, and what to tell the Lead."""

    student: str
    ok: bool
    seconds: float
    message: str | None = None
    timed_out: bool = False


@dataclass(frozen=True)
class AutogradeReport:
    """What an autograde run did: each learner's result, those already up to date, workers and
    time."""

    assessment_id: str
    results: tuple[GradeResult, ...]
    up_to_date: tuple[str, ...]
    unknown: tuple[str, ...]
    workers: int
    seconds: float

    @property
    def failed(self) -> tuple[GradeResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def _timestamp(folder: Path) -> str | None:
    path = folder / "timestamp.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def pending(course: CourseDir, assessment_id: str, *, force: bool = False) -> list[str]:
    """Collected learners not yet autograded, or whose submission is newer than the grading."""
    todo = []
    for student in course.submitted_students(assessment_id):
        graded = course.autograded(student, assessment_id)
        if force or not (graded / f"{assessment_id}.ipynb").is_file():
            todo.append(student)
        elif _timestamp(course.submitted(student, assessment_id)) != _timestamp(graded):
            todo.append(student)
    return todo


def _timed_out(notebook: Path) -> bool:
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error" and output.get("ename") in TIMEOUT_ERRORS:
                return True
    return False


_FAILED_AT = re.compile(r"There was an error processing assignment: (?P<path>.+)$")
_STUCK_AT = re.compile(r"While processing assignment (?P<path>\S+), the kernel became")


def _failures(log: str) -> dict[str, str]:
    """nbgrader's log of one batch, cut into the text about each learner that failed."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in log.splitlines():
        match = _FAILED_AT.search(line) or _STUCK_AT.search(line)
        if match:
            current = Path(match.group("path").strip()).parent.name
            sections.setdefault(current, [])
            if _STUCK_AT.search(line):
                sections[current].append("UnresponsiveKernelError")
            continue
        if current is not None:
            sections[current].append(line)
    return {student: "\n".join(lines) for student, lines in sections.items()}


def grade_batch(
    course: CourseDir, assessment_id: str, students: Sequence[str], *, execute: Any = None
) -> list[GradeResult]:
    """Autograde some learners in this process with one nbgrader `Autograde` run (as the
    ``nbgrader autograde`` command does), leaving out everyone else's submissions.
    `execute` replaces nbgrader's `Execute` preprocessor (a worker's `PrestartedExecute`)."""
    from nbgrader.converters import Autograde
    from nbgrader.utils import capture_log, temp_attrs

    wanted = set(students)
    others = [s for s in course.submitted_students(assessment_id) if s not in wanted]
    api = nbgrader_api(course)
    started = time.perf_counter()
    with (
        temp_attrs(
            api.coursedir,
            assignment_id=assessment_id,
            student_id="*",
            student_id_exclude=",".join(others),
        ),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy and nbformat noise
        converter = Autograde(coursedir=api.coursedir, parent=api)
        converter.force = True
        converter.create_student = False
        if execute is not None:
            converter.autograde_preprocessors = [
                execute if pp.__name__ == "Execute" else pp
                for pp in converter.autograde_preprocessors
            ]
        outcome = capture_log(converter)
    each = (time.perf_counter() - started) / max(1, len(wanted))
    failures = _failures(outcome.get("log") or "")
    results = []
    for student in sorted(wanted):
        notebook = course.autograded(student, assessment_id) / f"{assessment_id}.ipynb"
        if notebook.is_file() and student not in failures:
            late = _timed_out(notebook)
            message = f"a cell ran longer than {course.timeout} s and was stopped" if late else None
            results.append(GradeResult(student, True, each, message, late))
            continue
        why = summarise_error(
            failures.get(student, ""),
            "" if failures else (outcome.get("error") or ""),
            command=f"nbgrader autograde {assessment_id} --student {student} --force",
        )
        results.append(GradeResult(student, False, each, why))
    return results


class Workers:
    """Worker processes started before the caller knows who needs grading (their start-up,
    nbgrader's imports, overlaps the caller's own work), each then sent one share.

    Where the platform can fork, one process is started: it imports nbgrader once, then
    forks one copy of itself per further share (before any kernel, event loop or database
    connection exists in it), so the imports' CPU time is paid once, not once per worker.
    """

    def __init__(self, count: int, *, fork: bool | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="imatter-autograde-")
        self.count = count
        self.fork = (hasattr(os, "fork") and count > 1) if fork is None else fork
        self.running: list[tuple[subprocess.Popen, Any]] = []
        for i in range(1 if self.fork else count):
            log = self._log(i).open("w+", encoding="utf-8")
            process = subprocess.Popen(
                [sys.executable, "-m", "imatter.assess.worker", *(["--fork"] if self.fork else [])],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,  # a file, not a pipe: a full pipe would stall the worker
                text=True,
            )
            self.running.append((process, log))

    def _log(self, i: int) -> Path:
        return Path(self.tmp.name) / f"worker-{i}.err"

    def __len__(self) -> int:
        return self.count

    def grade(
        self, course: CourseDir, assessment_id: str, batches: Sequence[Sequence[str]]
    ) -> list[GradeResult]:
        """Send each worker its batch (an empty one: nothing to do), wait, gather results."""
        jobs: list[dict[str, Any]] = []
        for i in range(self.count):
            batch = list(batches[i]) if i < len(batches) else []
            jobs.append(
                {
                    "root": str(course.root),
                    "course_id": course.course_id,
                    "timeout": course.timeout,
                    "exchange_root": course.exchange_root,
                    "assessment_id": assessment_id,
                    "students": batch,
                    "out": str(Path(self.tmp.name) / f"worker-{i}.json"),
                    "err": str(self._log(i)),
                }
            )
        shares = [jobs] if self.fork else [[job] for job in jobs]
        for (process, _), share in zip(self.running, shares, strict=True):
            wanted = [job for job in share if job["students"]]
            try:
                assert process.stdin is not None
                process.stdin.write(json.dumps(wanted) if wanted else "")
                process.stdin.close()
            except OSError:  # the worker already stopped: reported below
                pass
        for process, _ in self.running:
            process.wait()
        code = self.running[0][0].returncode if self.fork else None
        results: list[GradeResult] = []
        for i, job in enumerate(jobs):
            out, log = Path(job["out"]), self._log(i)
            err = log.read_text(encoding="utf-8") if log.is_file() else ""
            done = {}
            if out.is_file():
                done = {r["student"]: GradeResult(**r) for r in json.loads(out.read_text())}
            returncode = code if self.fork else self.running[i][0].returncode
            for student in job["students"]:
                if student in done:
                    results.append(done[student])
                else:
                    why = summarise_error(err) if err else f"exit {returncode}"
                    results.append(
                        GradeResult(student, False, 0.0, f"the grading worker stopped ({why})")
                    )
        return results

    def close(self) -> None:
        """Stop any worker still running (interrupted, or never sent a job), tidy up."""
        for process, log in self.running:
            if process.poll() is None:
                if process.stdin is not None and not process.stdin.closed:
                    try:
                        process.stdin.close()  # no job: it exits once its imports are done
                    except OSError:
                        pass
                try:
                    process.wait(timeout=0.1)
                except subprocess.TimeoutExpired:
                    process.terminate()  # a worker stops the copies it forked, then itself
                    process.wait()
            log.close()
        self.tmp.cleanup()


def run_workers(
    course: CourseDir, assessment_id: str, batches: Sequence[Sequence[str]]
) -> list[GradeResult]:
    """Run one worker process per batch at the same time and gather their results."""
    workers = Workers(len(batches))
    try:
        return workers.grade(course, assessment_id, batches)
    finally:
        workers.close()


def worker_main(job_text: str, *, kernels: Any = None) -> int:
    """Entry point of a worker process: grade its learners, write results as JSON.
    `kernels` (a `worker.KernelsAhead`) holds kernels started ahead for its learners."""
    job = json.loads(job_text)
    course = CourseDir(
        Path(job["root"]), job["course_id"], int(job["timeout"]), job.get("exchange_root")
    )
    out = Path(job["out"])
    results = grade_batch(
        course, job["assessment_id"], job["students"], execute=_execute(course, job, kernels)
    )
    out.write_text(json.dumps([asdict(r) for r in results]), encoding="utf-8")
    return 0


def _execute(course: CourseDir, job: dict[str, Any], kernels: Any, ahead: int = 1) -> Any:
    """nbgrader's `Execute` with each learner's kernel started ahead (None: nbgrader's own)."""
    if kernels is None:
        return None
    from .worker import prestarted_execute

    # how many kernels will be needed, so that none is started for nobody
    to_run = sum(
        len(list(course.submitted(s, job["assessment_id"]).glob("*.ipynb")))
        for s in job["students"]
    )
    return prestarted_execute(kernels, to_run, ahead)


_AHEAD: Any = None  # kernels started ahead in this process by `start_kernels`


def start_kernels(count: int = 1) -> None:
    """Start `count` kernels now for the next autograde in this process (one per learner,
    never reused), so that they boot while the caller prepares the work. Kernels not used
    are shut down when the process exits."""
    global _AHEAD
    import atexit

    from .worker import KernelsAhead

    if _AHEAD is None:
        _AHEAD = KernelsAhead()
        atexit.register(_AHEAD.close)
    for _ in range(max(0, count - len(_AHEAD.ready))):
        if not _AHEAD.start():
            break


def _grade_here(course: CourseDir, assessment_id: str, todo: list[str]) -> list[GradeResult]:
    """Grade in this process, each learner's kernel started during the learner before
    (nbgrader's own `Execute` where an event loop is already running, as in a notebook)."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return grade_batch(course, assessment_id, todo)
    global _AHEAD
    from .worker import KernelsAhead, kept_setup

    kernels, _AHEAD = _AHEAD or KernelsAhead(), None
    try:
        job = {"assessment_id": assessment_id, "students": todo}
        execute = _execute(course, job, kernels, ahead=max(1, len(kernels.ready)))
        with kept_setup():
            return grade_batch(course, assessment_id, todo, execute=execute)
    finally:
        kernels.close()


def default_workers() -> int:
    """One worker per core (at least one, at most eight)."""
    return max(1, min(os.cpu_count() or 1, 8))


def autograde(
    course: CourseDir,
    assessment_id: str,
    *,
    workers: int | None = None,
    force: bool = False,
    students: Sequence[str] | None = None,
) -> AutogradeReport:
    """Autograde what needs it, spread over `workers` processes (default: one per core)."""
    started = time.perf_counter()
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise InvalidValue("--workers must be 1 or more")
    todo = pending(course, assessment_id, force=force)
    if students is not None:
        wanted = set(students)
        todo = [s for s in todo if s in wanted]
    # start the workers now: their imports overlap reading the roster
    pool = Workers(min(workers, len(todo))) if workers > 1 and len(todo) > 1 else None
    try:
        on_roster = roster(course)
        unknown = tuple(s for s in todo if s not in on_roster)
        todo = [s for s in todo if s in on_roster]
        graded_or_waiting = set(todo) | set(unknown)
        up_to_date = tuple(
            s
            for s in course.submitted_students(assessment_id)
            if s not in graded_or_waiting and (students is None or s in set(students))
        )
        workers = max(1, min(len(pool) if pool else 1, len(todo)))
        results: list[GradeResult] = []
        if todo and pool is not None:
            results = pool.grade(course, assessment_id, [todo[i::workers] for i in range(workers)])
        elif todo:
            results = _grade_here(course, assessment_id, todo)
    finally:
        if pool is not None:
            pool.close()
    results.sort(key=lambda r: r.student)
    return AutogradeReport(
        assessment_id,
        tuple(results),
        up_to_date,
        unknown,
        workers,
        time.perf_counter() - started,
    )
