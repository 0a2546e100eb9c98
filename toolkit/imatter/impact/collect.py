"""Collect returned answers files into the store: all of them, or none.

Files are found anywhere under the folder as `imatter-answers/<course>-<stage>.json` (an
nbgrader `submitted/` or `feedback/` tree, or a folder of returned notebooks). Every file is
read and validated first; if any is malformed, or two files clash, nothing is written and the
error names each file. Collecting the same files twice changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..errors import Duplicate, ImatterError, NotFound
from ..programme import Programme
from ..store import Store
from ..store import schema as t
from .answers import Answers, AnswersFileError, read_answers_file
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
    """The answers files under `root` as `root.rglob("*.json")` finds them (files or folders;
    linked folders not entered), in the order sorted() puts those paths in, and which of them
    are symbolic links; walked with plain strings and one scandir per folder."""
    found: list[str] = []
    links: set[str] = set()
    stack = [str(root)]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                entries = list(it)
        except OSError:
            continue
        answers = os.path.basename(top) == ANSWERS_FOLDER
        for entry in entries:
            name = entry.name
            link = entry.is_symlink()
            if answers and name.endswith(".json") and not name.startswith("."):
                found.append(entry.path)
                if link:
                    links.add(entry.path)
            try:
                if not link and entry.is_dir():
                    stack.append(entry.path)
            except OSError:
                pass
    found.sort(key=lambda p: p.split(os.sep))
    return found, links


def _resolver(folder: str | Path, links: set[str]) -> Callable[[Path], str]:
    """`str(path.resolve())` for the files `_find(folder)` found (`links` the links among
    them), without asking the file system about every folder on every path: the walk enters
    no linked folder, so only the folder itself and a file that is a link need resolving."""
    root = str(Path(folder))
    real = str(Path(folder).resolve())
    prefix = root.rstrip(os.sep) + os.sep

    def resolve(path: Path) -> str:
        text = str(path)
        if not text.startswith(prefix) or text in links or ".." in text.split(os.sep):
            return str(path.resolve())
        return os.path.join(real, text[len(prefix) :])

    return resolve


def _key(a: Answers, cohort: str) -> tuple[str, str, str, str]:
    return (a.course, cohort, a.stage, a.pseudonym)


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
    from ..progress import progress_bar

    if Path(folder).is_dir():
        paths, links = _find(Path(folder))
        files = [Path(p) for p in paths]
    else:
        files = find_answers_files(folder)
        links = {str(p) for p in files}  # resolved as they are
    if not files:
        raise NotFound(
            f"{folder}: no answers files ({ANSWERS_FOLDER}/<course>-<stage>.json) found; "
            "collect the learners' returned folders first"
        )
    problems: list[str] = []
    answers: list[Answers] = []
    for path in progress_bar(files, desc="reading answers", unit="file", enabled=progress):
        try:
            found = read_answers_file(path)
        except AnswersFileError as err:
            problems.append(err.message)
            continue
        if found.course not in programme.courses:
            problems.append(f"{path}: unknown course '{found.course}' in this programme")
            continue
        answers.append(found)
    if problems:
        _raise_all(AnswersFileError, problems, "malformed")

    # One answer set per (course, cohort, stage, code): identical copies are fine, clashes not.
    chosen: dict[tuple[str, str, str, str], Answers] = {}
    for a in answers:
        key = _key(a, cohort or a.cohort or DEFAULT_COHORT)
        other = chosen.get(key)
        if other is None:
            chosen[key] = a
        elif other.scores != a.scores:
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
    with store.write() as conn:
        batch = _new_or_unchanged(conn, chosen)
        if batch is not None:
            fresh, lines = batch
            _insert_batch(conn, fresh, collected_by, collected_at, _resolver(folder, links))
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
                        "source": str(a.source.resolve()),
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
    conn: sa.Connection, chosen: dict[tuple[str, str, str, str], Answers]
) -> tuple[list[tuple[tuple[str, str, str, str], Answers]], list[str]] | None:
    """When no answer set clashes with one collected before: the sets to insert (in order)
    and one line per file, from one query per (course, cohort, stage); None otherwise (the
    sets are then taken one by one, and each clash named)."""
    r = t.impact_responses
    stored: dict[tuple[str, str, str, str], dict[str, int]] = {}
    for course, cohort, stage in {key[:3] for key in chosen}:
        query = sa.select(r.c.pseudonym, r.c.item, r.c.score).where(
            r.c.course_id == course, r.c.cohort == cohort, r.c.stage == stage
        )
        for code, item, score in conn.execute(query):
            stored.setdefault((course, cohort, stage, code), {})[item] = score
    fresh: list[tuple[tuple[str, str, str, str], Answers]] = []
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


def _insert_batch(
    conn: sa.Connection,
    fresh: list[tuple[tuple[str, str, str, str], Answers]],
    collected_by: str,
    collected_at: object,
    resolve: Callable[[Path], str],
) -> None:
    """Insert answer sets with one executemany, audited in batch in row-at-a-time order."""
    from ..store import bulk

    if not fresh:
        return
    r = t.impact_responses

    def each(values: Iterable) -> list:
        """A set's value once for each of its items (the rows of the set)."""
        return [value for value in values for _ in ITEM_IDS]

    sets = [a for _, a in fresh]
    course, cohort, stage, code = map(each, zip(*(key for key, _ in fresh), strict=True))
    ids = bulk.reserve_ids(conn, r, len(course))
    columns: list[Sequence | bulk.Same] = [
        ids,
        code,
        course,
        cohort,
        stage,
        list(ITEM_IDS) * len(sets),
        [a.scores[item] for a in sets for item in ITEM_IDS],
        each(a.answered_at.date() for a in sets),
        each(resolve(a.source) for a in sets),
        each(a.sha256 for a in sets),
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
        known = bulk.insert_columns(conn, r, names, columns)
        bulk.audit_inserts(conn, [r], [ids], {r.name: known})


def _raise_all(kind: type[ImatterError], problems: Iterable[str], what: str) -> None:
    problems = list(problems)
    if len(problems) == 1:
        raise kind(f"{problems[0]}; nothing was imported")
    raise kind(f"{len(problems)} answers files are {what}; nothing was imported", details=problems)
