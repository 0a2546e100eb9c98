"""Collect returned answers files into the store: all of them, or none.

Files are found anywhere under the folder as `imatter-answers/<course>-<stage>.json` (an
nbgrader `submitted/` or `feedback/` tree, or a folder of returned notebooks). Every file is
read and validated first; if any is malformed, or two files clash, nothing is written and the
error names each file. Collecting the same files twice changes nothing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from ..errors import Duplicate, ImatterError, NotFound
from ..programme import Programme
from ..store import Store, bulk
from ..store import schema as t
from . import walk
from .answers import AnswersFileError, Read, read_answers
from .items import ANSWERS_FOLDER, ITEM_IDS

DEFAULT_COHORT = "default"


@dataclass(frozen=True)
class CollectResult:
    """What a collection did: files read, answer sets imported, replaced and already present."""

    files: int
    imported: int
    replaced: int
    unchanged: int
    items: tuple[str, ...] = field(default=())  # one line per file: "path: imported ..."


def find_answers_files(folder: str | Path) -> list[Path]:
    """Every `imatter-answers/*.json` under a folder (or the one file given), sorted."""
    root = Path(folder)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise NotFound(f"{root}: no such folder")
    return [Path(p) for p in _find(root)[0]]


def _find(root: Path) -> tuple[list[str], set[str]]:
    """The answers files under `root` (see `walk.answers_files`), in the order sorted() puts
    those paths in, and which of them are symbolic links."""
    found: list[str] = []
    links: set[str] = set()

    def found_one(path: str, link: bool) -> None:
        found.append(path)
        if link:
            links.add(path)

    walk.answers_files(str(root), found_one)
    found.sort(key=_parts_order)
    return found, links


def _walked_and_read(
    root: Path, progress: bool | None
) -> tuple[list[str], set[str], dict[str, Read | str]] | None:
    """What `_find(root)` gives, and each file read (its answers, or what is wrong with it),
    with the walk in a child process (`walk.py`) while this one reads each file as soon as
    the child names it: the two use two cores, and neither waits for the other's system
    calls. None when no child could walk the folder (then walk it here)."""
    import subprocess
    import sys

    from ..progress import progress_bar

    if not sys.executable:
        return None
    try:
        child = subprocess.Popen(
            [sys.executable, "-I", "-S", walk.__file__, str(root)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
    found: list[str] = []
    links: set[str] = set()
    read: dict[str, Read | str] = {}
    ended: list[bool] = []

    def named() -> Iterator[tuple[str, bool]]:
        """(path, is a link) of each file, as the child names them."""
        stream = cast("io.BufferedReader", child.stdout)
        rest = b""
        while chunk := stream.read1(1 << 16):  # (whatever has come, without waiting for more)
            *records, rest = (rest + chunk).split(b"\0")
            for record in records:
                if record == b"E":
                    ended.append(True)
                    return
                yield os.fsdecode(record[1:]), record[:1] == b"L"

    try:
        for path, link in progress_bar(
            named(), desc="reading answers", unit="file", enabled=progress
        ):
            found.append(path)
            if link:
                links.add(path)
            read[path] = _read_one(path)
    finally:
        if child.poll() is None and not ended:
            child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    if not ended or child.returncode != 0:
        return None
    found.sort(key=_parts_order)
    return found, links, read


def _read_one(path: str) -> Read | str:
    """A file's answers, or what is wrong with it."""
    try:
        return read_answers(path)
    except AnswersFileError as err:
        return err.message


def _parts_order(path: str) -> str:
    """A key that sorts paths as their lists of parts sort (`path.split(os.sep)`): the
    separator made lower than any character a name can hold."""
    return path.replace(os.sep, "\0")


def _resolver(folder: str | Path, links: set[str]) -> Callable[[str], str]:
    """`str(Path(path).resolve())` for the files `_find(folder)` found (`links` the links
    among them), without asking the file system about every folder on every path: the walk
    enters no linked folder, so only the folder itself and a file that is a link need
    resolving."""
    root = str(Path(folder))
    real = str(Path(folder).resolve())
    prefix = "" if root == os.curdir else root.rstrip(os.sep) + os.sep
    cut = len(prefix)
    plain = os.sep + os.pardir + os.sep not in os.sep + root + os.sep  # no ".." to undo
    sep = os.sep
    base = real if real.endswith(sep) else real + sep  # os.path.join(real, a relative path)

    def resolve(text: str) -> str:
        if plain and text.startswith(prefix) and text not in links:
            rest = text[cut:]
            return os.path.join(real, rest) if rest.startswith(sep) else base + rest
        return str(Path(text).resolve())

    return resolve


def collect_answers(
    store: Store,
    programme: Programme,
    folder: str | Path,
    *,
    collected_by: str,
    collected_at,
    cohort: str | None = None,
    replace: bool = False,
    progress: bool | None = None,
) -> CollectResult:
    """Read every answers file under `folder` into `impact_responses` in one transaction.

    :param cohort: the cohort to file the answers under; overrides the files' own cohort
        (answers with neither go under "default").
    :param replace: let a changed file replace answers collected before for the same code,
        course, cohort and stage (otherwise that is an error).
    :param collected_at: the time to record (a parameter: library code reads no clock).
    :raises AnswersFileError: a file is malformed (every bad file is listed; nothing written).
    :raises Duplicate: two files, or a file and the store, disagree for one learner code.
    """
    with bulk.no_gc():  # many small objects and no cycles (see `bulk.no_gc`)
        return _collect_answers(
            store, programme, folder, collected_by, collected_at, cohort, replace, progress
        )


def _collect_answers(
    store: Store,
    programme: Programme,
    folder: str | Path,
    collected_by: str,
    collected_at: object,
    cohort: str | None,
    replace: bool,
    progress: bool | None,
) -> CollectResult:
    from ..progress import progress_bar

    walked = _walked_and_read(Path(folder), progress) if Path(folder).is_dir() else None
    if walked is not None:
        files, links, read = walked
    else:
        if Path(folder).is_dir():
            files, links = _find(Path(folder))
        else:
            files = [str(p) for p in find_answers_files(folder)]
            links = set(files)  # resolved as they are
        read = {
            path: _read_one(path)
            for path in progress_bar(files, desc="reading answers", unit="file", enabled=progress)
        }
    if not files:
        raise NotFound(
            f"{folder}: no answers files ({ANSWERS_FOLDER}/<course>-<stage>.json) found; "
            "collect the learners' returned folders first"
        )
    problems: list[str] = []
    answers: list[Read] = []
    courses = programme.courses
    for path in files:
        found = read[path]
        if isinstance(found, str):
            problems.append(found)
        elif found.course not in courses:
            problems.append(f"{path}: unknown course '{found.course}' in this programme")
        else:
            answers.append(found)
    if problems:
        _raise_all(AnswersFileError, problems, "malformed")

    # One answer set per (course, cohort, stage, code): identical copies are fine, clashes not.
    chosen: dict[tuple[str, str, str, str], Read] = {}
    for a in answers:
        key = (a.course, cohort or a.cohort or DEFAULT_COHORT, a.stage, a.pseudonym)
        other = chosen.setdefault(key, a)
        if other is not a and other.scores != a.scores:
            problems.append(
                f"{a.source}: code {a.pseudonym} also answered {a.course} {a.stage} in "
                f"{other.source} with different answers; two learners may have chosen the same "
                "code: remove the wrong file"
            )
    if problems:
        _raise_all(Duplicate, problems, "clashing")

    r = t.impact_responses
    imported = replaced = unchanged = 0
    lines: list[str] = []
    resolve = _resolver(folder, links)
    with store.write() as conn:
        batch = _new_or_unchanged(conn, chosen)
        if batch is not None:
            fresh, lines = batch
            _insert_batch(conn, fresh, collected_by, collected_at, resolve)
            imported = len(fresh)
            return CollectResult(len(files), imported, 0, len(chosen) - imported, tuple(lines))
        for key, a in chosen.items():
            course, the_cohort, stage, code = key
            where = sa.and_(
                r.c.course_id == course,
                r.c.cohort == the_cohort,
                r.c.stage == stage,
                r.c.pseudonym == code,
            )
            rows = conn.execute(sa.select(r.c.item, r.c.score, r.c.source).where(where)).all()
            if rows:
                stored = {row.item: row.score for row in rows}
                if stored == a.scores:
                    unchanged += 1
                    lines.append(f"{a.source}: already collected")
                    continue
                if not replace:
                    problems.append(
                        f"{a.source}: code {code} already has different {stage} answers for "
                        f"{course} (cohort {the_cohort}) from {rows[0].source}; pass --replace "
                        "to keep the newer file"
                    )
                    continue
                conn.execute(r.delete().where(where))
                replaced += 1
                lines.append(f"{a.source}: replaced the earlier answers")
            else:
                imported += 1
                lines.append(f"{a.source}: imported")
            conn.execute(
                r.insert(),
                [
                    {
                        "pseudonym": code,
                        "course_id": course,
                        "cohort": the_cohort,
                        "stage": stage,
                        "item": item,
                        "score": a.scores[item],
                        "answered_on": a.answered_at.date(),
                        "source": resolve(a.source),
                        "source_sha256": a.sha256,
                        "collected_by": collected_by,
                        "collected_at": collected_at,
                    }
                    for item in ITEM_IDS
                ],
            )
        if problems:
            # Raising inside the transaction rolls every insert back: nothing half-imported.
            _raise_all(Duplicate, problems, "clashing")
    return CollectResult(len(files), imported, replaced, unchanged, tuple(lines))


def _new_or_unchanged(
    conn: sa.Connection, chosen: dict[tuple[str, str, str, str], Read]
) -> tuple[list[tuple[tuple[str, str, str, str], Read]], list[str]] | None:
    """When no answer set clashes with one collected before: the sets to insert (in order)
    and one line per file, from one query per (course, cohort, stage); None otherwise (the
    sets are then taken one by one, and each clash named)."""
    stored: dict[tuple[str, str, str, str], dict[str, int]] = {}
    for course, cohort, stage in {key[:3] for key in chosen}:
        rows = bulk.fetch(
            conn,
            "SELECT pseudonym, item, score FROM impact_responses"
            " WHERE course_id = :course AND cohort = :cohort AND stage = :stage",
            {"course": course, "cohort": cohort, "stage": stage},
        )
        for code, item, score in rows:
            stored.setdefault((course, cohort, stage, code), {})[item] = score
    if not stored:  # nothing collected before for these: every set is new
        return list(chosen.items()), [f"{a.source}: imported" for a in chosen.values()]
    fresh: list[tuple[tuple[str, str, str, str], Read]] = []
    lines: list[str] = []
    for key, a in chosen.items():
        before = stored.get(key)
        if before is None:
            fresh.append((key, a))
            lines.append(f"{a.source}: imported")
        elif before == a.scores:
            lines.append(f"{a.source}: already collected")
        else:
            return None
    return fresh, lines


def _column(values: Sequence, count: int) -> list | bulk.Same:
    """A column holding each of a set's values once per item (the rows of the set), or one
    `Same` when every set has the same value (a course, a cohort, a day). For text and dates
    only: no such value equals one of another type."""
    first = values[0]
    if values.count(first) == len(values):
        return bulk.Same(first)
    column: list = [None] * count
    width = len(ITEM_IDS)
    for i in range(width):
        column[i::width] = values
    return column


def _insert_batch(
    conn: sa.Connection,
    fresh: list[tuple[tuple[str, str, str, str], Read]],
    collected_by: str,
    collected_at: object,
    resolve: Callable[[str], str],
) -> None:
    """Insert answer sets with one executemany, audited in batch in row-at-a-time order."""
    if not fresh:
        return
    r = t.impact_responses
    width = len(ITEM_IDS)
    count = len(fresh) * width
    keys, sets = zip(*fresh, strict=True)
    course, cohort, stage, code = zip(*keys, strict=True)
    ids = bulk.reserve_ids(conn, r, count)
    columns: list[Sequence | bulk.Same] = [
        ids,
        _column(code, count),
        _column(course, count),
        _column(cohort, count),
        _column(stage, count),
        list(ITEM_IDS) * len(sets),
        [a.scores[item] for a in sets for item in ITEM_IDS],
        _column([a.answered_at.date() for a in sets], count),
        _column([resolve(a.source) for a in sets], count),
        _column([a.sha256 for a in sets], count),
        bulk.Same(collected_by),
        bulk.Same(collected_at),
    ]
    names = (
        "id",
        "pseudonym",
        "course_id",
        "cohort",
        "stage",
        "item",
        "score",
        "answered_on",
        "source",
        "source_sha256",
        "collected_by",
        "collected_at",
    )
    with bulk.insert_triggers_off(conn, [r]):
        bulk.insert_audited(conn, [bulk.Rows(r, names, columns, ids)])


def _raise_all(kind: type[ImatterError], problems: Iterable[str], what: str) -> None:
    problems = list(problems)
    if len(problems) == 1:
        raise kind(f"{problems[0]}; nothing was imported")
    raise kind(f"{len(problems)} answers files are {what}; nothing was imported", details=problems)
