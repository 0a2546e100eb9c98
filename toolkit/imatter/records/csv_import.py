"""All-or-nothing CSV imports of people and completions.

Every row is checked first; one bad row means nothing is imported, and every bad row is listed
with its line number and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa

from ..errors import ImatterError, ImportRowError, NotFound
from ..programme import Programme
from ..store import Store
from .completions import insert_completion
from .people import insert_person, normalise_email, resolve_person

PEOPLE_COLUMNS = ("name", "email", "setting", "position")
PEOPLE_OPTIONAL = ("since", "area")
COMPLETION_COLUMNS = ("person", "course", "date")
COMPLETION_OPTIONAL = ("evidence",)


def read_csv(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[tuple[int, dict]]:
    """Rows as (line number, {column: value}); ImportRowError for unreadable or empty files."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImatterError(f"{path}: file not found") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ImportRowError(
            f"{path}:{line}: not UTF-8 text; save the file as 'CSV UTF-8' and import again; "
            "nothing was imported"
        ) from None
    if not text.strip():
        raise ImportRowError(f"{path}: the file is empty; add a header row ({', '.join(required)})")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [_column(h) for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in headers]
    if missing:
        raise ImportRowError(
            f"{path}:1: missing column(s) {', '.join(missing)}; the header must include "
            f"{', '.join(required)} (optional: {', '.join(optional)}); nothing was imported"
        )
    unknown = [h for h in headers if h and h not in required + optional]
    if unknown:
        raise ImportRowError(
            f"{path}:1: unknown column(s) {', '.join(_shown(h) for h in unknown)}; "
            f"expected {', '.join(required + optional)}"
        )
    rows = []
    for record in _records(reader, path):
        line = reader.line_num - _breaks(record)  # the row's first line
        values = {
            _column(k or ""): (v or "").strip() if isinstance(v, str) else ""
            for k, v in record.items()
            if k is not None
        }
        if None in record:
            rows.append((line, {"__extra__": "yes", **values}))
            continue
        if not any(values.values()):
            continue  # a blank line
        rows.append((line, values))
    if not rows:
        raise ImportRowError(f"{path}: no rows under the header; nothing to import")
    return rows


def _column(header: str) -> str:
    return header.strip(" \t\ufeff").lower()  # a second BOM, from a file saved twice


def _breaks(record: dict) -> int:
    """How many line breaks the row's quoted values hold (a row may span several lines)."""
    values = [v for v in record.values() if isinstance(v, str)]
    values += [x for v in record.values() if isinstance(v, list) for x in v]
    return sum(len(_BREAK.findall(v)) for v in values)


_BREAK = re.compile(r"\r\n|\r|\n")


def _records(reader: csv.DictReader, path: Path) -> Iterator[dict]:
    """The reader's rows; ImportRowError naming the row's first line if one cannot be read."""
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise ImportRowError(
                f"{path}:{start}: a value longer than {csv.field_size_limit()} characters "
                "(is a quote left open?); fix it and import again; nothing was imported"
            ) from None
        yield record


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def one_line(text: str) -> str:
    """A problem as one line: line breaks and control characters from a cell shown escaped."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _shown(value: str, limit: int = 60) -> str:
    value = one_line(value)
    return value if len(value) <= limit else value[: limit - 3] + "..."


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

    `apply_row` raises ImatterError or ValueError for a bad row; other features (attendance
    imports) reuse this so that every CSV import behaves the same way.
    """
    problems: list[str] = []

    class _Rollback(Exception):
        pass

    try:
        with store.write() as conn:
            for line, row in rows:
                if "__extra__" in row:
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


def import_people(store: Store, programme: Programme, path: str | Path) -> int:
    """Import people (name, email, setting, position[, since, area]); returns how many."""
    path = Path(path)
    rows = read_csv(path, PEOPLE_COLUMNS, PEOPLE_OPTIONAL)
    seen: dict[str, int] = {}
    for line, row in rows:
        email = row.get("email", "").lower()
        if email and email in seen:
            raise ImportRowError(
                f"{path}: 1 bad row(s); nothing was imported. Fix them and import again:",
                details=[
                    f"line {line}: duplicate of line {seen[email]} (same email {email}); "
                    "keep one of them"
                ],
            )
        if email:
            seen[email] = line

    def apply_row(conn: sa.Connection, row: dict) -> None:
        if not row.get("name"):
            raise ValueError("name is empty; every person needs a name")
        since = row.get("since")
        try:
            since_date = _date(since) if since else None
        except ValueError:
            raise ValueError(f"since '{since}' is not a date; write YYYY-MM-DD") from None
        insert_person(
            conn,
            programme,
            row["name"],
            email=normalise_email(row.get("email")),
            setting=row.get("setting") or None,
            position=row.get("position") or None,
            since=since_date,
            area=row.get("area") or None,
        )

    return run_import(store, path, rows, apply_row)


def import_completions(
    store: Store,
    programme: Programme,
    path: str | Path,
    *,
    recorded_by: str,
    today: dt.date,
) -> int:
    """Import completions (person, course, date[, evidence]); returns how many."""
    path = Path(path)
    rows = read_csv(path, COMPLETION_COLUMNS, COMPLETION_OPTIONAL)
    first_seen: dict[tuple[str, str], int] = {}

    def apply_row(conn: sa.Connection, row: dict) -> None:
        ref, course, when = row.get("person", ""), row.get("course", ""), row.get("date", "")
        if not ref:
            raise ValueError("person is empty; give the person's id or email")
        if course not in programme.courses:
            raise ValueError(
                f"unknown course '{course}'; use one of: {', '.join(programme.courses)}"
            )
        try:
            on = _date(when)
        except ValueError:
            raise ValueError(f"date '{when}' is not a date; write YYYY-MM-DD") from None
        person_id = row_person(conn, ref)
        key = (str(person_id), course)
        if key in first_seen:
            raise ValueError(f"duplicate of line {first_seen[key]} (same person and course)")
        first_seen[key] = int(row.get("__line__", 0))
        insert_completion(
            conn,
            programme,
            person_id,
            course,
            on,
            evidence=row.get("evidence") or f"imported from {path.name}",
            recorded_by=recorded_by,
            today=today,
        )

    numbered = [(line, {**row, "__line__": str(line)}) for line, row in rows]
    return run_import(store, path, numbered, apply_row)
