"""All-or-nothing CSV imports of people and completions.

Every row is checked first, with set-based lookups (one query for all the people named, one for
their current completions); one bad row means nothing is imported, and every bad row is listed
with its line number and the fix. Good files are written with one `executemany` per table and
audited in batch (see `imatter.store.bulk`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from ..errors import ImatterError, ImportRowError, NotFound
from ..programme import Programme
from ..store import Store, bulk
from ..store import schema as t
from ..trust.access import allowed, not_found_person, visible_person_ids
from .clock import utcnow
from .completions import check_completion_date
from .csvfile import EXTRA, one_line, parse_date, read_csv, read_table, shown
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
    ids = {r for r in refs if r.isdigit() and r.isascii() and len(r) <= 18}
    emails: dict[str, str] = {}
    for ref in refs - ids:
        try:
            email = normalise_email(ref)
        except ImatterError:
            continue
        if email:
            emails[ref] = email
    found: dict[str, int] = {}
    if ids:
        where, params = bulk.any_of(conn, "id", sorted(int(i) for i in ids))
        known = set(conn.execute(sa.text(f"SELECT id FROM people WHERE {where}"), params).scalars())
        found.update({r: int(r) for r in ids if int(r) in known})
    if emails:
        where, params = bulk.any_of(conn, "email", sorted(set(emails.values())))
        query = sa.text(f"SELECT email, id FROM people WHERE {where}")
        by_email = {email: pid for email, pid in conn.execute(query, params)}
        found.update({r: by_email[e] for r, e in emails.items() if e in by_email})
    visible = visible_person_ids(conn)
    if visible is not None:
        found = {r: pid for r, pid in found.items() if pid in visible}
    return found


def current_courses(conn: sa.Connection, person_ids: list[int]) -> dict[tuple[int, str], tuple]:
    """{(person, course): (record id, date)} of current completions, in one query."""
    if not person_ids:
        return {}
    where, params = bulk.any_of(conn, "c.person_id", person_ids)
    rows = conn.execute(
        sa.text(
            "SELECT c.person_id, c.course_id, c.id, c.completed_on FROM completions c "
            f"WHERE {where} AND NOT c.withdrawn AND NOT EXISTS "
            "(SELECT 1 FROM completions n WHERE n.supersedes_id = c.id)"
        ),
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


def _import_completions(
    store: Store, programme: Programme, path: Path, recorded_by: str, today: dt.date
) -> int:
    table = read_table(path, COMPLETION_COLUMNS, COMPLETION_OPTIONAL, aliases=COMPLETION_HEADERS)
    problems: dict[int, list[str]] = defaultdict(list)
    checked: list[tuple[int, str, str, dt.date, str]] = []
    for line, row in table.rows:
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
        except ValueError as err:
            problems[line].append(str(err))
        except ImatterError as err:
            problems[line].append(err.message)
        if line not in problems and on is not None:
            checked.append((line, ref, course, on, row.get("evidence", "")))
    evidence_default = f"imported from {path.name}"
    with store.write() as conn:
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
        insert_completions(conn, good, recorded_by=recorded_by)
    return len(good)


def _may_record(conn: sa.Connection, person_ids: set[int]) -> set[int]:
    from .staff_import import _full_access

    if _full_access(conn, "completions.record"):
        return person_ids
    return {pid for pid in person_ids if allowed(conn, "completions.record", person=pid)}


def insert_completions(
    conn: sa.Connection, rows: list[tuple[int, str, dt.date, str]], *, recorded_by: str
) -> list[int]:
    """Insert checked completions (person, course, date, evidence) with one executemany,
    audited in batch; returns their ids."""
    c = t.completions
    ids = bulk.reserve_ids(conn, c, len(rows))
    now = utcnow()
    with bulk.insert_triggers_off(conn, [c]):
        known = bulk.insert_many(
            conn,
            c,
            (
                "id",
                "person_id",
                "course_id",
                "completed_on",
                "evidence",
                "recorded_by",
                "recorded_at",
                "withdrawn",
            ),
            [
                (i, pid, course, on, evidence, recorded_by, now, False)
                for i, (pid, course, on, evidence) in zip(ids, rows, strict=True)
            ],
        )
        bulk.audit_inserts(conn, [c], [ids], {"completions": known})
    return ids
