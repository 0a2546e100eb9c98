"""All-or-nothing CSV imports of people and completions.

Every row is checked first, with set-based lookups (one query for all the people named, one for
their current completions); one bad row means nothing is imported, and every bad row is listed
with its line number and the fix. Good files are written with one `executemany` per table and
audited in batch (see `imatter.store.bulk`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from ..errors import ImatterError, ImportRowError, NotFound
from ..programme import Programme
from ..store import Store, bulk
from ..store import schema as t
from ..trust.access import allowed, not_found_person, visible_person_ids
from .clock import utcnow
from .completions import check_completion_date
from .csvfile import EXTRA, CsvFile, one_line, parse_date, read_csv, read_table, shown
from .people import normalise_email, resolve_person
from .staff_import import PeopleImport, import_people

__all__ = [
    "COMPLETION_COLUMNS",
    "COMPLETION_OPTIONAL",
    "PEOPLE_COLUMNS",
    "PEOPLE_OPTIONAL",
    "PeopleImport",
    "import_completions",
    "import_people",
    "one_line",
    "read_csv",
    "row_person",
    "run_import",
]

# The columns of the toolkit's own people file (an MIS export may use its own headers).
PEOPLE_COLUMNS = ("name", "email", "setting", "position")
PEOPLE_OPTIONAL = ("since", "area")
COMPLETION_COLUMNS = ("person", "course", "date")
COMPLETION_OPTIONAL = ("evidence",)
COMPLETION_HEADERS = {
    "email": "person",
    "email address": "person",
    "person id": "person",
    "learner": "person",
    "course id": "course",
    "completed on": "date",
    "completion date": "date",
    "date completed": "date",
}


def row_person(conn: sa.Connection, ref: str) -> int:
    """A CSV cell's person (id or email); NotFound also for ids no database can hold."""
    text = ref.strip()
    if text.isdigit() and not (text.isascii() and len(text) <= 18):
        raise NotFound(f"no person '{text}' (give an id or an email); see `imatter person list`")
    return resolve_person(conn, text)


def run_import(
    store: Store,
    path: Path,
    rows: list[tuple[int, dict]],
    apply_row: Callable[[sa.Connection, dict], object],
) -> int:
    """Apply every row in one transaction; collect every row's error; roll back if any.

    `apply_row` raises ImatterError or ValueError for a bad row. Row at a time (with a
    savepoint each): for small files whose rows depend on each other, like registers.
    """
    problems: list[str] = []

    class _Rollback(Exception):
        pass

    try:
        with store.write() as conn:
            for line, row in rows:
                if EXTRA in row:
                    problems.append(
                        f"line {line}: more values than columns; check for stray commas"
                    )
                    continue
                try:
                    with conn.begin_nested():
                        apply_row(conn, row)
                except ImatterError as err:
                    problems.append(one_line(f"line {line}: {err.message}"))
                except ValueError as err:
                    problems.append(one_line(f"line {line}: {err}"))
            if problems:
                raise _Rollback
    except _Rollback:
        raise ImportRowError(
            f"{path}: {len(problems)} bad row(s); nothing was imported. Fix them and import again:",
            details=problems,
        ) from None
    return len(rows)


def refuse(path: Path, problems: dict[int, list[str]], hints: list[str] | None = None) -> None:
    """ImportRowError: one line per bad row holding all its problems."""
    details = [
        one_line(f"line {line}: {'; '.join(found)}") for line, found in sorted(problems.items())
    ]
    raise ImportRowError(
        f"{path}: {len(problems)} bad row(s); nothing was imported. Fix them and import again:",
        details=details,
        hints=hints,
    )


def people_by_ref(conn: sa.Connection, refs: set[str]) -> dict[str, int]:
    """{cell as given: person id} for the ids and emails that name a person the actor may see
    (two queries whatever the number of people)."""
    ids = set(_ID_LINE.findall("\n".join(refs))) & refs if refs else set()
    emails, as_given = _emails_of(refs - ids)
    found: dict[str, int] = {}
    if ids:
        where, params = bulk.any_of(conn, "id", sorted(int(i) for i in ids))
        known = {i for (i,) in bulk.fetch(conn, f"SELECT id FROM people WHERE {where}", params)}
        found.update({r: int(r) for r in ids if int(r) in known})
    if emails:
        by_email = _ids_by_email(conn, set(emails.values()))
        if as_given:  # every cell is its own normalised email
            found.update(by_email)
        else:
            found.update({r: by_email[e] for r, e in emails.items() if e in by_email})
    visible = visible_person_ids(conn)
    if visible is not None:
        found = {r: pid for r, pid in found.items() if pid in visible}
    return found


def _ids_by_email(conn: sa.Connection, emails: set[str]) -> dict[str, int]:
    """{email: person id} for the emails that are someone's: one query for them, or, when they
    are a good part of everyone, one pass over the email index (much faster than a look-up
    each, as a big import's are)."""
    people = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM people").scalar_one()
    if len(emails) * 4 < people:
        where, params = bulk.any_of(conn, "email", list(emails))
        return dict(bulk.fetch(conn, f"SELECT email, id FROM people WHERE {where}", params))
    everyone = dict(bulk.fetch(conn, "SELECT email, id FROM people WHERE email IS NOT NULL", {}))
    known = everyone.keys() & emails
    return dict(zip(known, map(everyone.__getitem__, known), strict=True))


_ID_LINE = re.compile(r"^[0-9]{1,18}$", re.MULTILINE)  # a person id, as `row_person` reads it
_EMAIL_LINE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", re.MULTILINE)
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e\n]")


def _emails_of(refs: set[str]) -> tuple[dict[str, str], bool]:
    """{cell: normalised email} for the cells that are email addresses (`normalise_email`),
    and whether each is its own normalised email; plain ASCII addresses, the usual case, all
    at once."""
    cells = [r for r in refs if r and "\n" not in r]
    text = "\n".join(cells)
    if len(cells) == len(refs) and text.isascii():
        lowered = text.lower()  # casefold() for ASCII
        if len(_EMAIL_LINE.findall(lowered)) == len(cells) and not _NOT_PRINTABLE.search(lowered):
            if lowered == text:
                return dict(zip(cells, cells, strict=True)), True
            return dict(zip(cells, lowered.split("\n"), strict=True)), False
    emails: dict[str, str] = {}
    for ref in refs:
        try:
            email = normalise_email(ref)
        except ImatterError:
            continue
        if email:
            emails[ref] = email
    return emails, False


def current_courses(
    conn: sa.Connection, person_ids: list[int], courses: list[str] | None = None
) -> dict[tuple[int, str], tuple]:
    """{(person, course): (record id, date)} of current completions (of `courses` only, if
    given), in one query."""
    if not person_ids:
        return {}
    where, params = bulk.any_of(conn, "c.person_id", person_ids)
    if courses is not None:
        course_in, course_params = bulk.any_of(conn, "c.course_id", courses)
        where += " AND " + course_in.replace(":values", ":courses")
        params["courses"] = course_params["values"]
    rows = bulk.fetch(
        conn,
        "SELECT c.person_id, c.course_id, c.id, c.completed_on FROM completions c "
        f"WHERE {where} AND NOT c.withdrawn AND NOT EXISTS "
        "(SELECT 1 FROM completions n WHERE n.supersedes_id = c.id)",
        params,
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def import_completions(
    store: Store,
    programme: Programme,
    path: str | Path,
    *,
    recorded_by: str,
    today: dt.date,
) -> int:
    """Import completions (person, course, date[, evidence]); returns how many."""
    with bulk.no_gc():
        return _import_completions(store, programme, Path(path), recorded_by, today)


def _course_ids(table: CsvFile, programme: Programme) -> None:
    """Courses named loosely in the file ("Foundation A") replaced by their ids, each distinct
    value looked up once; a value naming no course is kept as it is, for the checks to refuse."""
    found: dict[str, str] = {}

    def id_of(text: str) -> str:
        if text not in found:
            found[text] = programme.course_id(text) or text
        return found[text]

    if table.columns is not None:
        column = table.columns["course"]
        if not set(column) <= programme.courses.keys():
            table.columns["course"] = [id_of(text) for text in column]
        return
    for _, row in table.rows:
        if "course" in row:
            row["course"] = id_of(row["course"])


def _import_completions(
    store: Store, programme: Programme, path: Path, recorded_by: str, today: dt.date
) -> int:
    table = read_table(path, COMPLETION_COLUMNS, COMPLETION_OPTIONAL, aliases=COMPLETION_HEADERS)
    _course_ids(table, programme)
    problems: dict[int, list[str]] = defaultdict(list)
    plain = _plain_completions(table, programme, today)
    checked: list[tuple[int, str, str, dt.date, str]] = []
    for line, row in table.rows if plain is None else ():
        if EXTRA in row:
            problems[line].append("more values than columns; check for stray commas")
            continue
        ref, course, when = row.get("person", ""), row.get("course", ""), row.get("date", "")
        if not ref:
            problems[line].append("person is empty; give the person's id or email")
        if course not in programme.courses:
            problems[line].append(
                f"unknown course '{shown(course)}'; see `imatter courses` for the course ids"
            )
        on = None
        try:
            on = parse_date(when)
            check_completion_date(on, today)
            if course in programme.courses:
                programme.check_date(on, course_id=course, what="completion date")
        except ValueError as err:
            problems[line].append(str(err))
        except ImatterError as err:
            problems[line].append(err.message)
        if line not in problems and on is not None:
            checked.append((line, ref, course, on, row.get("evidence", "")))
    evidence_default = f"imported from {path.name}"
    with store.write() as conn, bulk.roomy(conn):
        if plain is not None:
            refs = plain[1]
            people = people_by_ref(conn, set(refs))
            held = current_courses(conn, sorted(set(people.values())), sorted(set(plain[2])))
            ready = _all_good(conn, people, held, plain, evidence_default)
            if ready is not None:
                insert_completions(conn, ready, recorded_by=recorded_by)
                return len(ready[0])
            checked = list(zip(*plain, strict=True))  # some row is bad: say which, below
        else:
            people = people_by_ref(conn, {ref for _, ref, *_ in checked})
            held = current_courses(conn, sorted(set(people.values())))
        may = _may_record(conn, set(people.values()))
        first: dict[tuple[int, str], int] = {}
        good: list[tuple[int, str, dt.date, str]] = []
        for line, ref, course, on, evidence in checked:
            person_id = people.get(ref)
            if person_id is None:
                problems[line].append(not_found_person(shown(ref)).message)
                continue
            if person_id not in may:
                problems[line].append(
                    f"you may not record completions for person {person_id}; ask an "
                    "organisation admin"
                )
                continue
            key = (person_id, course)
            if key in first:
                problems[line].append(f"duplicate of line {first[key]} (same person and course)")
                continue
            first[key] = line
            if key in held:
                record, done_on = held[key]
                problems[line].append(
                    f"person {person_id} already completed {course} on {done_on} (record "
                    f"{record}); to change it use `imatter complete correct {record}`"
                )
                continue
            good.append((person_id, course, on, evidence or evidence_default))
        if problems:
            refuse(path, problems)
        if good:
            columns = (
                [g[0] for g in good],
                [g[1] for g in good],
                [g[2] for g in good],
                [g[3] for g in good],
            )
            insert_completions(conn, columns, recorded_by=recorded_by)
    return len(good)


_Columns = tuple[list[int], list[str], list[str], list[dt.date], list[str]]


def _plain_completions(table: CsvFile, programme: Programme, today: dt.date) -> _Columns | None:
    """(lines, people, courses, dates, evidence) of a plain file (read by column) whose rows
    all pass the checks made without the database, checked a column at a time (each distinct
    date and course once); None for any other file, which is then checked row by row."""
    columns, lines = table.columns, table.lines
    if columns is None or lines is None:
        return None
    refs, courses = columns["person"], columns["course"]
    if not all(refs) or set(courses) - set(programme.courses):
        return None
    one = bool(courses) and courses.count(courses[0]) == len(courses)  # a file per course
    # Each distinct date (of each course) checked once; the dates looked up by that key.
    keys: list = columns["date"] if one else list(zip(columns["date"], courses, strict=True))
    days: dict = {}
    for key in set(keys):
        when, course = (key, courses[0]) if one else key
        try:
            on = parse_date(when)
            check_completion_date(on, today)
            programme.check_date(on, course_id=course, what="completion date")
        except (ValueError, ImatterError):
            return None
        days[key] = on
    dates = list(map(days.__getitem__, keys))
    evidence = columns.get("evidence") or [""] * len(lines)
    return lines, refs, courses, dates, evidence


def _all_good(
    conn: sa.Connection,
    people: dict[str, int],
    held: dict[tuple[int, str], tuple],
    plain: _Columns,
    evidence_default: str,
) -> tuple[list[int], list[str] | bulk.Same, list[dt.date], list[str] | bulk.Same] | None:
    """The columns to insert (person, course, date, evidence) if every row passes the checks
    against the store (the person is found and may be recorded for, no duplicate, nothing
    already recorded); else None."""
    _, refs, courses, dates, evidence = plain
    person_ids = list(map(people.get, refs))
    if None in person_ids:
        return None
    ids = cast("list[int]", person_ids)
    distinct = set(ids)
    course: list[str] | bulk.Same = courses
    if courses and courses.count(courses[0]) == len(courses):
        # One course: `held` holds only these people's records of it, so any is a clash.
        if len(distinct) != len(ids) or held:
            return None
        course = bulk.Same(courses[0])
    else:
        pairs = set(zip(ids, courses, strict=True))
        if len(pairs) != len(ids) or not pairs.isdisjoint(held):
            return None
    if len(_may_record(conn, distinct)) != len(distinct):
        return None
    texts: list[str] | bulk.Same = (
        [e or evidence_default for e in evidence] if any(evidence) else bulk.Same(evidence_default)
    )
    return ids, course, dates, texts


def _may_record(conn: sa.Connection, person_ids: set[int]) -> set[int]:
    from .staff_import import _full_access

    if _full_access(conn, "completions.record"):
        return person_ids
    return {pid for pid in person_ids if allowed(conn, "completions.record", person=pid)}


def insert_completions(
    conn: sa.Connection,
    columns: tuple[list[int], list[str] | bulk.Same, list[dt.date], list[str] | bulk.Same],
    *,
    recorded_by: str,
) -> list[int]:
    """Insert checked completions, given column by column (people, courses, dates,
    evidence), with one executemany, audited in batch; returns their ids."""
    c = t.completions
    ids = bulk.reserve_ids(conn, c, len(columns[0]))
    now = utcnow()
    if not ids:
        return ids
    with (
        bulk.insert_triggers_off(conn, [c]),
        bulk.completion_summary_in_batch(conn, ids[0], ids[-1]),
    ):
        names = (
            "id",
            "person_id",
            "course_id",
            "completed_on",
            "evidence",
            "recorded_by",
            "recorded_at",
            "withdrawn",
        )
        values = (ids, *columns, bulk.Same(recorded_by), bulk.Same(now), bulk.Same(False))
        bulk.insert_audited(conn, [bulk.Rows(c, names, values, ids)])
    return ids
