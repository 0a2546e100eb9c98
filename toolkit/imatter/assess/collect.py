"""Collect returned notebooks: from a folder or zip of files, or from nbgrader's exchange.

Every returned file is checked before nbgrader sees it. A file that cannot be marked safely is
copied, byte for byte, into ``quarantine/<assessment>/<collection time>/`` with a note saying
why, and the others carry on. A file is quarantined when

- its name is not ``p<person id>_<assessment>.ipynb`` (the name `release` gave it), allowing
  for what browsers and file managers add to a second download (``p12_<assessment> (1).ipynb``,
  ``... - Copy.ipynb``); a bare ``<assessment> (2).ipynb`` is matched by the learner the
  notebook itself says it was sent to;
- it is not valid JSON, or not a valid notebook, or another assessment's notebook;
- its learner is not on the course directory's roster (an unknown learner), or the notebook
  says it belongs to someone else;
- answer or graded cells were duplicated, changed to another cell type, or an answer cell was
  deleted (or left empty while the writing went into a new cell of the learner's own);
- the same learner returned two files in one batch;
- it is hostile: JSON nested too deeply or holding absurd numbers, a notebook larger than
  `MAX_NOTEBOOK_BYTES`, or an archive that would unpack to more than `MAX_UNPACKED_BYTES` or
  whose entries are compressed more than `MAX_RATIO` times (a zip bomb). Archives are checked
  before anything is extracted; a refused one is kept (as sent) with the reason, nothing unpacked.

Deleted check (test) cells and deleted or edited instruction cells are not the learner's work:
nbgrader restores them when it grades (`OverwriteCells.add_missing_cells`), and they are
reported as notes. Problems and notes never quote what a learner wrote.

A quarantined file stays listed until it is resolved: when the learner's work is later
collected, or the Lead clears it (`clear_quarantine`). Its files are kept either way.

When a learner sends their work again, the earlier submission is kept in
``versions/<learner>/<assessment>/<time>/`` and the answers that changed are named.

Folder and zip collection runs nbgrader's zip collect (`ZipCollectApp`: extract, match files
to learners, copy into ``submitted/``) with these checks between its extract and collect steps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import tarfile
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AssessmentError, Conflict, InvalidValue, NotFound
from .course_dir import (
    TEXT_STUB,
    CourseDir,
    check_result,
    learners,
    nbgrader_api,
    nbgrader_config,
    person_of,
)

_RETURNED = re.compile(r"^(?P<student>p[1-9][0-9]{0,9})[_-](?P<rest>.+)\.ipynb$")
# What a browser or file manager adds to a second copy: " (1)", "(2)", " - Copy", " copy 2".
_COPY_SUFFIX = re.compile(
    r"(?:\s*\(\d{1,3}\)|\s*-\s*copy(?:\s*\(\d{1,3}\))?|\s+copy(?:\s+\d{1,3})?)+$", re.I
)
RETURN_NOTE_NAME = "HOW-TO-RETURN.txt"  # written by release beside the notebooks
_SKIP = {".DS_Store", "Thumbs.db", "desktop.ini", RETURN_NOTE_NAME}
_COLLECTOR = "imatter.assess.nbgrader_plugins.LearnerFileCollector"
ARCHIVE_EXTS = (".zip", ".gz")  # what nbgrader's extractor unpacks (and the archives inside)
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # all the files one archive may unpack to
MAX_RATIO = 100  # how much more an entry may unpack to than it takes in the archive
RATIO_FROM_BYTES = 1024 * 1024  # smaller entries may compress well: they cannot hurt
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024  # a returned notebook larger than this is not read


@dataclass(frozen=True)
class Problem:
    """A returned file that was quarantined: which file, whose (if known) and why."""

    file: str
    learner: str | None
    problems: tuple[str, ...]
    kept_at: Path | None = None

    def __str__(self) -> str:
        who = self.learner or "unknown learner"
        return f"{self.file} ({who}): {'; '.join(self.problems)}"


@dataclass(frozen=True)
class Note:
    """Something repaired or worth knowing about a collected submission."""

    learner: str
    message: str

    def __str__(self) -> str:
        return f"{self.learner}: {self.message}"


@dataclass(frozen=True)
class Resubmission:
    """A learner's work collected again: what changed, and where the earlier version is kept."""

    learner: str
    changed: tuple[str, ...]  # grade ids of the answers that differ
    kept_at: Path

    def __str__(self) -> str:
        what = ", ".join(self.changed) if self.changed else "no answer (only other cells)"
        return f"{self.learner} sent their work again: changed {what}; earlier version kept"


@dataclass(frozen=True)
class CollectReport:
    """What a collection did: notebooks collected, unchanged, resubmitted, set aside, and why."""

    assessment_id: str
    collected: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[Note, ...] = ()
    quarantine: Path | None = None
    resubmitted: tuple[Resubmission, ...] = ()
    cleared: tuple[str, ...] = ()  # quarantined files resolved by this collection


# ---------------------------------------------------------------------- the expected notebook
@dataclass(frozen=True)
class ExpectedCell:
    """A graded cell the released notebook holds, to check a handed-in notebook against."""

    grade_id: str
    cell_type: str
    kind: str  # "answer" (the learner writes here), "check" (a test), "locked" (instructions)
    source: str


@dataclass(frozen=True)
class Expected:
    """What a returned notebook must look like: the released (student) version's cells."""

    assessment_id: str
    cells: tuple[ExpectedCell, ...]

    def by_id(self) -> dict[str, ExpectedCell]:
        return {c.grade_id: c for c in self.cells}


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata")
    if not isinstance(meta, dict):
        return {}
    value = meta.get("nbgrader")
    return value if isinstance(value, dict) else {}


def expected_cells(course: CourseDir, assessment_id: str) -> Expected:
    """The cells of the released notebook; AssessmentError if it has not been generated."""
    path = course.released_notebook(assessment_id)
    if not path.is_file():
        raise NotFound(
            f"{path} does not exist; run `imatter assess generate {assessment_id}` first"
        )
    return expected_from(path, assessment_id)


def expected_from(path: Path, assessment_id: str) -> Expected:
    """The expected cells read from a notebook (the released one, or its source)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        meta = _nbgrader(cell)
        gid = meta.get("grade_id")
        if not gid:
            continue
        if meta.get("solution"):
            kind = "answer"
        elif meta.get("grade"):
            kind = "check"
        else:
            kind = "locked"
        cells.append(ExpectedCell(gid, cell["cell_type"], kind, _source(cell)))
    return Expected(assessment_id, tuple(cells))


# ---------------------------------------------------------------------- checking one file
@dataclass
class Verdict:
    """What the checks found in one returned file."""

    learner: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    owner: str | None = None  # the learner the notebook says it was sent to
    bare_copy: bool = False  # named <assessment>.ipynb (or a copy of it) without the learner


def expected_name(student: str, assessment_id: str) -> str:
    """The file name a learner's copy is released under (and must come back under)."""
    return f"{student}_{assessment_id}.ipynb"


def _uncopied(name: str) -> str:
    """A file name without what a browser adds to a second download ("x (1).ipynb" is x)."""
    if not name.lower().endswith(".ipynb"):
        return name
    return _COPY_SUFFIX.sub("", name[: -len(".ipynb")]) + ".ipynb"


def learner_from_name(name: str, assessment_id: str) -> str | None:
    """The student id in a returned file's name (as released, or as a browser renamed a
    second download of it), or None if the name is not the released one."""
    match = _RETURNED.match(_uncopied(name))
    if not match or match.group("rest") != assessment_id:
        return None
    return match.group("student")


def check_name(name: str, assessment_id: str, verdict: Verdict) -> None:
    student = learner_from_name(name, assessment_id)
    if student is None and _uncopied(name) == f"{assessment_id}.ipynb":
        verdict.bare_copy = True  # matched later, by the learner the notebook names
    elif student is None:
        verdict.problems.append(
            f"wrong file name: expected p<person id>_{assessment_id}.ipynb, as it was sent out "
            "(rename it and collect again)"
        )
    elif name != _uncopied(name):
        verdict.notes.append(f"renamed by the browser as '{name}'; matched by its name")
    verdict.learner = student


def check_notebook(data: bytes, expected: Expected, verdict: Verdict) -> None:
    """Check a returned notebook's content against the released version (adds to `verdict`)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        verdict.problems.append("not a notebook: the file is not text (was it saved as PDF?)")
        return
    from ..safejson import hostile

    why = hostile(text)
    if why:
        verdict.problems.append(
            f"refused: the JSON has {why}; Jupyter does not write such files (send it again)"
        )
        return
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        verdict.problems.append(
            f"invalid JSON at line {err.lineno}, column {err.colno}: the file is damaged "
            "(cut short, or edited outside Jupyter)"
        )
        return
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        verdict.problems.append("not a Jupyter notebook: valid JSON but no list of cells")
        return
    structural = _validate_notebook(text)
    if structural:
        verdict.problems.append(structural)
        return

    meta = raw["metadata"] if isinstance(raw.get("metadata"), dict) else {}
    ours = meta["imatter"] if isinstance(meta.get("imatter"), dict) else {}
    other_assessment = ours.get("assessment")
    if other_assessment and other_assessment != expected.assessment_id:
        verdict.problems.append(
            f"this is the '{other_assessment}' notebook, not '{expected.assessment_id}'"
        )
        return
    owner = ours.get("learner")
    if isinstance(owner, str):
        verdict.owner = owner
    if owner and verdict.learner and owner != verdict.learner:
        verdict.problems.append(
            f"the file name says {verdict.learner} but the notebook was sent to {owner}"
        )
    if verdict.learner is None and isinstance(owner, str) and not verdict.bare_copy:
        verdict.notes.append(f"the notebook says it was sent to {owner}")

    cells = raw["cells"]
    odd = [
        str(n)
        for n, cell in enumerate(cells, start=1)
        if _nbgrader(cell).get("grade_id") and not isinstance(_nbgrader(cell)["grade_id"], str)
    ]
    if odd:
        verdict.problems.append(
            f"cell(s) {', '.join(odd)}: the grade_id in the cell's nbgrader metadata is not text "
            "(the metadata was edited outside Jupyter)"
        )
        return
    wanted = expected.by_id()
    seen: Counter[str] = Counter()
    for cell in cells:
        gid = _nbgrader(cell).get("grade_id")
        if gid:
            seen[str(gid)] += 1
    foreign = sorted(g for g in seen if g not in wanted)
    if foreign and not any(g in wanted for g in seen):
        verdict.problems.append("none of its cells belong to this assessment")
        return
    for gid, count in sorted(seen.items()):
        if gid in wanted and count > 1:
            verdict.problems.append(f"cell '{gid}' appears {count} times (copied or duplicated)")
    if foreign:
        verdict.problems.append(f"cells from another notebook: {', '.join(foreign)}")
    present: dict[str, dict] = {}
    for cell in cells:
        gid = _nbgrader(cell).get("grade_id")
        if gid in wanted and gid not in present:
            present[gid] = cell
    for gid, exp in wanted.items():
        cell = present.get(gid)
        if cell is None:
            if exp.kind == "answer":
                verdict.problems.append(
                    f"answer cell '{gid}' is missing (deleted, or its metadata was lost)"
                )
            elif exp.kind == "check":
                verdict.notes.append(f"check cell '{gid}' was deleted; nbgrader restores it")
            else:
                verdict.notes.append(f"instruction cell '{gid}' was deleted (no effect on marks)")
            continue
        if cell.get("cell_type") != exp.cell_type:
            verdict.problems.append(
                f"cell '{gid}' was changed from {exp.cell_type} to {cell.get('cell_type')}"
            )
        elif exp.kind in ("check", "locked") and _source(cell) != exp.source:
            verdict.notes.append(f"locked cell '{gid}' was edited; the original is used")
    own_cells = [c for c in cells if not _nbgrader(c).get("grade_id")]
    own_with_text = [c for c in own_cells if _source(c).strip()]
    blank = [
        gid
        for gid, exp in wanted.items()
        if exp.kind == "answer"
        and gid in present
        and exp.cell_type == "markdown"
        and _is_blank(_source(present[gid]), exp.source)
    ]
    if blank and own_with_text:
        verdict.problems.append(
            f"reflection {', '.join(repr(b) for b in blank)} is empty but the notebook has "
            f"{len(own_with_text)} new cell(s) with writing: copy the writing into the answer "
            "cell"
        )
    elif own_cells:
        verdict.notes.append(f"added {len(own_cells)} cell(s) of their own (kept, not marked)")


def _is_blank(source: str, stub: str) -> bool:
    text = source.strip()
    return not text or text == stub.strip() or text == TEXT_STUB


def _validate_notebook(text: str) -> str | None:
    """nbformat's validation, reduced to a message that quotes no content."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. missing cell ids, which nbformat repairs
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - nbformat raises several kinds
        where = ""
        path = list(getattr(err, "absolute_path", None) or getattr(err, "path", None) or [])
        if path:
            where = " at " + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        return f"not a valid Jupyter notebook{where} (it may have been edited outside Jupyter)"
    return None


# ---------------------------------------------------------------------- quarantine
class _Quarantine:
    def __init__(self, course: CourseDir, assessment_id: str, stamp: str) -> None:
        self.folder = course.quarantine(assessment_id) / stamp
        self.items: list[Problem] = []

    def keep(
        self,
        source: Path,
        name: str,
        learner: str | None,
        problems: list[str],
        *,
        copy: bool = True,
    ) -> Problem:
        """Keep a copy of `source` with a note of its problems (only the note if not `copy`)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        n = 1
        while target.exists() or target.with_name(target.name + ".problem.txt").exists():
            n += 1
            target = self.folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        if copy and source.is_dir():
            shutil.copytree(source, target)
        elif copy:
            shutil.copy2(source, target)
        note = target.with_name(target.name + ".problem.txt")
        note.write_text(
            f"file: {name}\nlearner: {learner or 'unknown'}\n"
            + "".join(f"problem: {p}\n" for p in problems)
            + "Fix the file (or ask the learner to send it again) and collect it again.\n",
            encoding="utf-8",
        )
        item = Problem(name, learner, tuple(problems), target)
        self.items.append(item)
        return item


def _too_big(path: Path) -> str:
    return (
        f"refused: {_size(path.stat().st_size)} is far larger than a returned notebook "
        f"(at most {_size(MAX_NOTEBOOK_BYTES)}); the file was not copied: find the right file"
    )


def _stamp(now: dt.datetime | None) -> str:
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.strftime("%Y%m%d-%H%M%S")


def _iso(now: dt.datetime | None) -> str:
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------- files and zips
def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


class _Budget:
    """What one archive (with the archives inside it) may unpack to."""

    def __init__(self) -> None:
        self.left = MAX_UNPACKED_BYTES

    def take(self, name: str, size: int, packed: int | None) -> str | None:
        if packed is not None and size > RATIO_FROM_BYTES and size > MAX_RATIO * max(packed, 1):
            return (
                f"refused: {name} would unpack from {_size(packed)} to {_size(size)}, more than "
                f"{MAX_RATIO} times (a zip bomb); nothing was extracted"
            )
        self.left -= size
        if self.left < 0:
            return (
                f"refused: the archive would unpack to more than {_size(MAX_UNPACKED_BYTES)} "
                "(a zip bomb, or far more than returned notebooks); nothing was extracted"
            )
        return None


def archive_problem(path: Path) -> str | None:
    """Why an archive must not be extracted (too big unpacked, or compressed like a bomb).

    Reads only the archives' directories (and archives inside, within the same budget).
    """
    try:
        with path.open("rb") as handle:
            return _archive_problem(handle, path.name, path.stat().st_size, _Budget())
    except (
        OSError,
        zipfile.BadZipFile,
        tarfile.TarError,
        zlib.error,
        EOFError,
        ValueError,
        RuntimeError,  # an encrypted entry
        NotImplementedError,  # a compression method Python cannot read
    ) as err:
        return f"not a readable archive ({err.__class__.__name__}); nothing was extracted"


def _is_archive(name: str) -> bool:
    return Path(name).suffix in ARCHIVE_EXTS


def _archive_problem(handle: Any, name: str, packed: int, budget: _Budget) -> str | None:
    if zipfile.is_zipfile(handle):
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            entries = [i for i in archive.infolist() if not i.is_dir()]
            for info in entries:
                why = budget.take(info.filename, info.file_size, info.compress_size)
                if why:
                    return why
            for info in entries:
                if _is_archive(info.filename):
                    with archive.open(info) as opened:
                        buffer = io.BytesIO(opened.read())
                    why = _archive_problem(buffer, info.filename, info.compress_size, budget)
                    if why:
                        return why
        return None
    handle.seek(0)
    total = 0
    nested: list[tuple[str, bytes, int]] = []
    with tarfile.open(fileobj=handle, mode="r:*") as archive:
        for member in archive:  # headers are read one by one: stops as soon as the budget ends
            if not member.isfile():
                continue
            total += member.size
            why = budget.take(member.name, member.size, None)
            if why:
                return why
            if _is_archive(member.name):
                inner = archive.extractfile(member)
                if inner is not None:
                    nested.append((member.name, inner.read(), member.size))
    if total > RATIO_FROM_BYTES and total > MAX_RATIO * max(packed, 1):
        return (
            f"refused: {name} would unpack from {_size(packed)} to {_size(total)}, more than "
            f"{MAX_RATIO} times (a zip bomb); nothing was extracted"
        )
    for inner_name, data, size in nested:
        why = _archive_problem(io.BytesIO(data), inner_name, size, budget)
        if why:
            return why
    return None


def _refuse_hostile_archives(archive: Path, quarantine: _Quarantine) -> None:
    """Quarantine (as sent, with the reason) every archive that must not be extracted."""
    for path in sorted(p for p in archive.rglob("*") if p.is_file()):
        if not _is_archive(path.name):
            continue
        why = archive_problem(path)
        if why:
            quarantine.keep(path, path.name, None, [why])
            path.unlink()


def collect_files(
    course: CourseDir,
    assessment_id: str,
    inbox: str | Path,
    *,
    now: dt.datetime | None = None,
) -> CollectReport:
    """Collect returned files from a folder or a zip through nbgrader's zip collect."""
    inbox = Path(inbox)
    if not inbox.exists():
        raise NotFound(f"{inbox}: no such folder or zip file")
    if inbox.is_file() and not zipfile.is_zipfile(inbox):
        raise InvalidValue(f"{inbox}: give a folder of returned files or a .zip of them")
    expected = expected_cells(course, assessment_id)
    roster = {learner.student_id for learner in learners(course)}
    stamp = _stamp(now)
    quarantine = _Quarantine(course, assessment_id, stamp)

    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(
        course,
        {
            "CourseDirectory": {"assignment_id": assessment_id},
            "ZipCollectApp": {"force": True, "collector_plugin": _COLLECTOR},
            "ExtractorPlugin": {"force": True},
            "LearnerFileCollector": {"timestamp": _iso(now)},
            "Application": {"log_level": "CRITICAL"},
        },
    )
    app = ZipCollectApp(config=config)
    app.coursedir = CourseDirectory(parent=app)
    archive = Path(app._format_collect_path(app.archive_directory))
    extracted = Path(app._format_collect_path(app.extracted_directory))
    for folder in (archive, extracted):
        if folder.exists():
            shutil.rmtree(folder)
    archive.mkdir(parents=True)
    if inbox.is_dir():
        for item in sorted(inbox.iterdir()):
            if item.name in _SKIP or item.name.startswith("."):
                continue
            if item.is_dir():
                shutil.copytree(item, archive / item.name)
            elif item.stat().st_size > MAX_UNPACKED_BYTES:
                quarantine.keep(item, item.name, None, [_too_big(item)], copy=False)
            else:
                shutil.copy2(item, archive / item.name)
    else:
        shutil.copy2(inbox, archive / inbox.name)
    _refuse_hostile_archives(archive, quarantine)

    try:
        app.init_plugins()
        app.extract_archive_files()
    except SystemExit:
        raise AssessmentError(f"{inbox}: nbgrader could not extract the returned files") from None
    except (OSError, zipfile.BadZipFile) as err:
        raise AssessmentError(f"{inbox}: cannot extract ({err.__class__.__name__})") from None

    notes: list[Note] = []
    good: dict[str, list[Path]] = {}
    for path in sorted(p for p in extracted.rglob("*") if p.is_file()):
        rel = path.relative_to(extracted)
        if path.name in _SKIP or any(part.startswith(("__MACOSX", ".")) for part in rel.parts):
            path.unlink()
            continue
        verdict = Verdict()
        check_name(path.name, assessment_id, verdict)
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            quarantine.keep(path, path.name, verdict.learner, [_too_big(path)], copy=False)
            path.unlink()
            continue
        if path.suffix.lower() == ".ipynb":
            check_notebook(path.read_bytes(), expected, verdict)
        elif not verdict.problems:
            verdict.problems.append(f"not a notebook ({path.suffix or 'no extension'})")
        if verdict.bare_copy and verdict.learner is None:
            if verdict.owner and person_of(verdict.owner) is not None:
                verdict.learner = verdict.owner
                verdict.notes.append(
                    f"returned as '{path.name}'; matched by the learner the notebook names"
                )
            else:
                verdict.problems.insert(
                    0,
                    f"wrong file name: expected p<person id>_{assessment_id}.ipynb, as it was "
                    "sent out, and the notebook does not say whose it is (rename it and collect "
                    "again)",
                )
        if verdict.learner and verdict.learner not in roster:
            verdict.problems.append(
                f"unknown learner {verdict.learner}: not on this course directory's roster "
                f"(add person {person_of(verdict.learner)} with `imatter assess init --learner`)"
            )
        if verdict.problems:
            quarantine.keep(path, path.name, verdict.learner, verdict.problems)
            path.unlink()
            continue
        assert verdict.learner is not None
        good.setdefault(verdict.learner, []).append(path)
        notes.extend(Note(verdict.learner, n) for n in verdict.notes)

    collected, unchanged = [], []
    for student, paths in sorted(good.items()):
        if len(paths) > 1:
            for path in paths:
                quarantine.keep(
                    path,
                    path.name,
                    student,
                    [f"{len(paths)} files returned by {student} in one batch; keep one"],
                )
                path.unlink()
            continue
        current = course.submitted(student, assessment_id) / f"{assessment_id}.ipynb"
        if current.is_file() and _sha(current) == _sha(paths[0]):
            unchanged.append(student)
            paths[0].unlink()
            continue
        wanted = expected_name(student, assessment_id)
        if learner_from_name(paths[0].name, assessment_id) != student:
            paths[0] = paths[0].replace(paths[0].with_name(wanted))  # for nbgrader's matcher
        collected.append(student)

    resubmitted = [
        keep_version(course, student, assessment_id, stamp, new=good[student][0])
        for student in collected
        if (course.submitted(student, assessment_id) / f"{assessment_id}.ipynb").is_file()
    ]
    try:
        if collected:
            app.process_extracted_files()
    except SystemExit:
        raise AssessmentError(
            f"{inbox}: nbgrader's zip collect stopped; see {extracted} for the files it was given"
        ) from None
    notes = [n for n in notes if n.learner in collected]
    cleared = resolve_quarantine(
        course, assessment_id, [*collected, *unchanged], why="collected", now=now
    )
    return CollectReport(
        assessment_id,
        tuple(collected),
        tuple(unchanged),
        tuple(quarantine.items),
        tuple(notes),
        quarantine.folder if quarantine.items else None,
        tuple(resubmitted),
        tuple(cleared),
    )


# ---------------------------------------------------------------------- resubmissions
def versions_folder(course: CourseDir, student: str, assessment_id: str) -> Path:
    """Where a learner's earlier submissions of an assessment are kept, one folder each."""
    return course.root / "versions" / student / assessment_id


def changed_answers(old: Path, new: Path) -> tuple[str, ...]:
    """The grade ids of the answer cells whose text differs between two notebooks."""

    def read(path: Path) -> dict[str, str]:
        try:
            nb = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            return {}
        found: dict[str, str] = {}
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            meta = _nbgrader(cell)
            if meta.get("solution") and isinstance(meta.get("grade_id"), str):
                found.setdefault(meta["grade_id"], _source(cell).strip())
        return found

    before, after = read(old), read(new)
    return tuple(g for g in sorted(before.keys() | after.keys()) if before.get(g) != after.get(g))


def keep_version(
    course: CourseDir, student: str, assessment_id: str, stamp: str, *, new: Path
) -> Resubmission:
    """Copy a learner's current submission into ``versions/`` before it is replaced."""
    current = course.submitted(student, assessment_id)
    target = versions_folder(course, student, assessment_id) / stamp
    n = 1
    while target.exists():
        n += 1
        target = target.with_name(f"{stamp}.{n}")
    shutil.copytree(current, target)
    changed = changed_answers(target / f"{assessment_id}.ipynb", new)
    return Resubmission(student, changed, target)


# ---------------------------------------------------------------------- resolving quarantine
_RESOLVED = "resolved: "


def resolve_quarantine(
    course: CourseDir,
    assessment_id: str,
    learners: list[str] | None = None,
    *,
    files: list[str] | None = None,
    why: str,
    now: dt.datetime | None = None,
) -> list[str]:
    """Mark quarantined files resolved (their learners', or these files; all if neither is
    given). The files stay where they are; they are no longer listed. Returns the files."""
    done = []
    for item in quarantined(course, assessment_id):
        if learners is not None and item.get("learner") not in learners:
            continue
        if files is not None and item.get("file") not in files and item["path"].name not in files:
            continue
        note = item["path"].with_name(item["path"].name + ".problem.txt")
        with note.open("a", encoding="utf-8") as fh:
            fh.write(f"{_RESOLVED}{_iso(now)}: {why}\n")
        done.append(item.get("file") or item["path"].name)
    return done


# ---------------------------------------------------------------------- the exchange
def collect_exchange(
    course: CourseDir, assessment_id: str, *, now: dt.datetime | None = None
) -> CollectReport:
    """Collect submissions from nbgrader's exchange (a hosted setting), then check them."""
    if not course.exchange_root:
        raise Conflict(
            f"{course.root}: no exchange is set up; set exchange_root with "
            "`imatter assess init --exchange PATH`, or collect returned files instead"
        )
    expected = expected_cells(course, assessment_id)
    before = {
        s: _sha(course.submitted(s, assessment_id) / f"{assessment_id}.ipynb")
        for s in course.submitted_students(assessment_id)
    }
    stamp = _stamp(now)
    held = course.root / "versions" / ".collecting" / stamp
    for sid in before:
        shutil.copytree(course.submitted(sid, assessment_id), held / sid)
    api = nbgrader_api(course)
    check_result(api.collect(assessment_id, update=True), f"collect {assessment_id}")
    roster = {learner.student_id for learner in learners(course)}
    quarantine = _Quarantine(course, assessment_id, _stamp(now))
    collected, unchanged = [], []
    notes: list[Note] = []
    for student in sorted((course.root / "submitted").iterdir()):
        folder = student / assessment_id
        if not folder.is_dir():
            continue
        sid = student.name
        notebook = folder / f"{assessment_id}.ipynb"
        verdict = Verdict(learner=sid)
        if sid not in roster:
            verdict.problems.append(f"unknown learner {sid}: not on this course directory's roster")
        if notebook.is_file() and notebook.stat().st_size > MAX_NOTEBOOK_BYTES:
            verdict.problems.append(_too_big(notebook))
        elif notebook.is_file():
            check_notebook(notebook.read_bytes(), expected, verdict)
        else:
            verdict.problems.append(f"no {assessment_id}.ipynb in the submission (wrong name?)")
        if verdict.problems:
            quarantine.keep(folder, f"{sid}_{assessment_id}", sid, verdict.problems)
            shutil.rmtree(folder)
            continue
        if before.get(sid) == _sha(notebook):
            unchanged.append(sid)
        else:
            collected.append(sid)
            notes.extend(Note(sid, n) for n in verdict.notes)
    resubmitted = []
    for sid in collected:
        if sid in before:
            target = versions_folder(course, sid, assessment_id) / stamp
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(held / sid, target)
            changed = changed_answers(
                target / f"{assessment_id}.ipynb",
                course.submitted(sid, assessment_id) / f"{assessment_id}.ipynb",
            )
            resubmitted.append(Resubmission(sid, changed, target))
    shutil.rmtree(held.parent, ignore_errors=True)
    cleared = resolve_quarantine(
        course, assessment_id, [*collected, *unchanged], why="collected", now=now
    )
    return CollectReport(
        assessment_id,
        tuple(collected),
        tuple(unchanged),
        tuple(quarantine.items),
        tuple(notes),
        quarantine.folder if quarantine.items else None,
        tuple(resubmitted),
        tuple(cleared),
    )


def quarantined(
    course: CourseDir, assessment_id: str, *, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """What is kept in quarantine for an assessment and not yet resolved, newest batch first."""
    base = course.quarantine(assessment_id)
    found: list[dict[str, Any]] = []
    if not base.is_dir():
        return found
    for note in sorted(base.rglob("*.problem.txt"), reverse=True):
        lines = note.read_text(encoding="utf-8").splitlines()
        fields: dict[str, Any] = {"path": note.with_name(note.name[: -len(".problem.txt")])}
        fields["problems"] = [ln[len("problem: ") :] for ln in lines if ln.startswith("problem: ")]
        resolved = [ln[len(_RESOLVED) :] for ln in lines if ln.startswith(_RESOLVED)]
        if resolved and not include_resolved:
            continue
        fields["resolved"] = resolved[-1] if resolved else None
        for line in lines:
            if line.startswith("learner: "):
                fields["learner"] = line[len("learner: ") :]
            if line.startswith("file: "):
                fields["file"] = line[len("file: ") :]
        found.append(fields)
    return found
