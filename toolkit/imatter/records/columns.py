"""Read the store into the bulk engine's columns (`eligibility.bulk.Columns`), behind Store.

The store is read in a few aggregate queries: a completion bitmask per person (one pass over
the covering index on completions, or the summary a trigger keeps), each current affiliation's
person and position (OR-ed per person in NumPy) with the ids of affiliations in licensed
settings (from the index on setting_id), and the small tables (awards, approved applications,
cases) as arrays. On SQLite the queries run in two threads over read-only connections, each
query returning one row of aggregated text that NumPy parses, so both cores are used and no
Python object is made per value; the two long ones pack each row into one number first (a
third of the text to make and parse). Elsewhere they run through the store's own
transactions. Licences tied to a setting are read as the engine's facts, so their lapses are
judged by the same code as one person's. A Workspace on a SQLite file is read without opening
a Store, so without importing SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..eligibility.bulk import NAT, Columns, evaluate_columns
from ..programme import Programme

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store
    from ..workspace import Workspace

    #: Where the loader reads: a Store, or a Workspace (whose plain SQLite file is read
    #: without opening a Store, so without importing SQLAlchemy).
    Source = Store | Workspace


def _int_matrix(rows: list[tuple], width: int) -> np.ndarray:
    """Rows of integers (no NULLs) as an (n, width) int64 array, converted in C."""
    if not rows:
        return np.zeros((0, width), dtype=np.int64)
    return np.array(rows, dtype=np.int64).reshape(len(rows), width)


class _Queries:
    """The SQL, shared by the SQLite and the generic loaders."""

    def __init__(self, programme: Programme) -> None:
        self.courses = {cid: i for i, cid in enumerate(programme.courses)}
        self.positions = {p: i for i, p in enumerate(programme.positions)}
        self.roles = {r: i for i, r in enumerate(programme.roles)}
        if max(len(self.courses), len(self.positions)) > 62:
            raise ValueError("the bulk engine handles up to 62 courses and 62 positions")
        course_case = " ".join(f"WHEN '{c}' THEN {1 << i}" for c, i in self.courses.items())
        # a position's index + 1 (0: not in the programme), turned into its bit in NumPy
        position_case = " ".join(f"WHEN '{p}' THEN {i + 1}" for p, i in self.positions.items())
        licensed = (
            "SELECT s.id FROM settings s WHERE EXISTS (SELECT 1 FROM setting_licences l"
            " WHERE l.setting_id = s.id AND l.valid_from <= :d"
            " AND (l.valid_until IS NULL OR l.valid_until >= :d)"
            " AND (l.revoked_on IS NULL OR l.revoked_on > :d))"
            " AND EXISTS (SELECT 1 FROM memberships m WHERE m.setting_id = s.id"
            " AND m.starts_on <= :d AND m.ends_on >= :d)"
        )
        # At most one current completion per person and course (the store enforces it), so the
        # SUM of distinct powers of two is their OR; people with corrections are redone exactly.
        self.mask = (
            "SELECT person_id AS c0,"
            f" CAST(COALESCE(SUM(CASE course_id {course_case} ELSE 0 END), 0) AS BIGINT) AS c1"
            " FROM completions WHERE completed_on <= :d AND person_id BETWEEN :lo AND :hi"
            " GROUP BY person_id"
        )
        # supersedes_id > 0 (not IS NOT NULL), no DISTINCT: so SQLite searches its unique index.
        self.corrected = "SELECT person_id FROM completions WHERE supersedes_id > 0"
        current = "(since IS NULL OR since <= :d) AND (until IS NULL OR until >= :d)"
        # One row per current affiliation: the person, the position and the affiliation's id;
        # positions are OR-ed per person in NumPy, and the ids of affiliations in licensed
        # settings are read from the index on setting_id (asking each row whether its setting
        # is in the list costs more than the rest of the row).
        self.affiliations = (
            f"SELECT person_id AS c0, CASE position {position_case} ELSE 0 END AS c1,"
            f" id AS c2 FROM affiliations WHERE {current} AND id BETWEEN :lo AND :hi"
        )
        self.licensed_affiliations = (
            f"SELECT id AS c0 FROM affiliations WHERE setting_id IN ({licensed})"
        )
        role_case = " ".join(f"WHEN '{r}' THEN {i}" for r, i in self.roles.items())
        self.role_case = f"CASE {{col}} {role_case} ELSE -1 END"
        # Dates come back as day numbers ({day:col}, 0 for none), so everything is integers.
        self.awards = (
            "SELECT a.person_id AS c0, " + self.role_case.format(col="a.role_id") + " AS c1,"
            " {day:a.valid_from} AS c2, {day:a.valid_until} AS c3, {day:r.revoked_on} AS c4,"
            # 1: a licence tied to a setting, read as facts (its clock stops in a lapse)
            " CASE WHEN a.kind = 'licence' AND a.setting_id IS NOT NULL THEN 1 ELSE 0 END AS c5"
            " FROM awards a LEFT JOIN award_revocations r ON r.award_id = a.id"
            " WHERE a.withdrawn = :no AND a.id NOT IN"
            " (SELECT supersedes_id FROM awards WHERE supersedes_id IS NOT NULL)"
        )
        self.approved = (
            "SELECT person_id AS c0, " + self.role_case.format(col="role_id") + " AS c1,"
            " {day:COALESCE(decided_on, submitted_on)} AS c2"
            " FROM applications WHERE status = 'approved'"
            " AND COALESCE(decided_on, submitted_on) <= :d"
        )
        self.cases = (
            "SELECT person_id AS c0, {day:started_on} AS c1, {day:last_reviewed_on} AS c2"
            " FROM documented_cases WHERE started_on <= :d"
        )
        self.people = "SELECT id AS c0, name AS c1 FROM people ORDER BY id"
        self.mask_for = (
            "SELECT person_id AS c0,"
            f" CAST(COALESCE(SUM(CASE course_id {course_case} ELSE 0 END), 0) AS BIGINT) AS c1"
            " FROM completions WHERE completed_on <= :d AND person_id IN ({ids})"
            " GROUP BY person_id"
        )
        # c2: 1 for someone whose latest completion is after the date (:jd, as a day number)
        self.summary = (
            "SELECT person_id AS c0, mask AS c1, last_day > :jd AS c2 FROM person_course_summary"
            " WHERE person_id BETWEEN :lo AND :hi"
        )


def load_columns(
    source: Source,
    programme: Programme,
    on: dt.date,
    *,
    names: bool = True,
    warm_pandas: bool = True,
) -> Columns:
    """Read the store into columns for evaluation on a date. `warm_pandas`: import pandas
    while the workers read, for a caller that makes a DataFrame of the columns."""
    q = _Queries(programme)
    reader, is_sqlite = _reader(source)
    day = on.isoformat() if is_sqlite else on
    params = {"d": day, "no": False}
    with closing(reader), reader.pool() as pool:  # the workers finish, then connections close
        summary = reader.summary_bits()
        # Longest first, the two longest in parts, so that the two workers finish together.
        # The two long ones come back packed, several small numbers in one (see `_packing`).
        small: dict[str, Future] = {
            "awards": pool.submit(reader.ints, reader.days(q.awards), params, 6),
            "approved": pool.submit(reader.ints, reader.days(q.approved), params, 3),
        }
        # An affiliation's id and position are bounded by the query; its person is checked.
        affiliation_ids = _span(reader, "affiliations", "id")
        person = _span(reader, "affiliations", "person_id")
        person_bits = max(person[1].bit_length(), 1)
        affiliations_f = _in_parts(
            pool,
            reader,
            q.affiliations,
            params,
            affiliation_ids,
            _packing(
                person,
                len(q.positions).bit_length(),
                affiliation_ids,
                check="(SELECT MIN(person_id) FROM affiliations) >= 0 AND"
                f" (SELECT MAX(person_id) FROM affiliations) < {1 << person_bits}",
            ),
        )
        if summary is not None:
            # A person is bounded by the query, the flag is 0 or 1; the mask is checked.
            person = _span(reader, "person_course_summary", "person_id")
            mask_bits = max(summary.values(), default=0) + 1
            summary_f = _in_parts(
                pool,
                reader,
                q.summary,
                {"jd": on.toordinal() + JULIAN_OFFSET},
                person,
                _packing(
                    person,
                    mask_bits,
                    1,
                    check=f"(SELECT COALESCE(MAX(bit), 0) FROM course_bits) < {mask_bits}",
                ),
            )
        else:
            masks_f = _mask_scan(pool, reader, q, params)
        small["licensed"] = pool.submit(reader.ints, q.licensed_affiliations, params, 1)
        small["cases"] = pool.submit(reader.ints, reader.days(q.cases), params, 3)
        small["corrected"] = pool.submit(reader.rows, q.corrected, params)
        if names:  # a long read: the workers share it
            people_f = pool.submit(reader.people, q.people, names)
        else:  # usually from the index alone, at once
            people_f = Future()
            people_f.set_result(reader.people(q.people, names))
        if warm_pandas:
            import pandas  # noqa: F401  (the table needs it; import while the workers read)

        person_ids, name_array = people_f.result()
        n = len(person_ids)
        course_mask = np.zeros(n, dtype=np.int64)
        if summary is not None:
            found = _joined(summary_f)
            stale = found[:, 2] != 0  # completed after the date
            course_mask[_rows(person_ids, found[:, 0])] = _remap_bits(
                found[:, 1], summary, q.courses
            )
            stale_ids = found[stale, 0]
            # recomputed below from the records; none of their courses may count until then
            course_mask[_rows(person_ids, stale_ids)] = 0
            if len(stale_ids) > max(STALE_LIMIT, n // 20):
                masks_f = _mask_scan(pool, reader, q, params)  # far in the past: scan them all
            else:
                masks_f = [pool.submit(reader.ints, _in_list(q.mask_for, stale_ids), params, 2)]
        awards = small.pop("awards").result()
        tied = awards[:, 5] != 0  # people with licences tied to a setting: read as facts
        licences = _licence_awards(source, q, on, sorted({int(i) for i in awards[tied, 0]}))
        awards = awards[~tied, :5]
        affiliations = _joined(affiliations_f)
        idx = _rows(person_ids, affiliations[:, 0])
        position = affiliations[:, 1]
        bits = np.where(position > 0, np.int64(1) << np.maximum(position - 1, 0), 0)
        position_mask = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(position_mask, idx, bits)
        member = np.zeros(n, dtype=bool)
        member[idx] = True
        licensed = np.zeros(n, dtype=bool)
        in_licensed = _among(affiliations[:, 2], small.pop("licensed").result()[:, 0])
        licensed[idx[in_licensed]] = True
        for future in masks_f:
            found = future.result()
            course_mask[_rows(person_ids, found[:, 0])] = found[:, 1]
        rows = {key: future.result() for key, future in small.items()}
    corrected = sorted({row[0] for row in rows["corrected"]})
    if corrected:
        _redo_corrected(source, q, on, person_ids, course_mask, corrected)
    approved, cases = rows["approved"], rows["cases"]
    approved = approved[approved[:, 1] >= 0]
    # awards read as rows, then the licences read as facts (with their two more columns)
    awards = np.concatenate([np.pad(awards, ((0, 0), (0, 2))), licences])
    return Columns(
        person_ids=person_ids,
        names=name_array,
        course_mask=course_mask,
        position_mask=position_mask,
        member=member,
        licensed=licensed,
        award_person=awards[:, 0],
        award_role=awards[:, 1],
        award_from=_day_numbers(awards[:, 2]),
        award_until=_day_numbers(awards[:, 3]),
        award_revoked=_day_numbers(awards[:, 4]),
        award_paused=awards[:, 5],
        award_lapsed=awards[:, 6] != 0,
        approved_person=approved[:, 0],
        approved_role=approved[:, 1],
        approved_on=_day_numbers(approved[:, 2]),
        case_person=cases[:, 0],
        case_start=_day_numbers(cases[:, 1]),
        case_end=_day_numbers(cases[:, 2]),
    )


def _rows(person_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The rows of `ids` (all present) in the sorted `person_ids`: a subtraction when the
    ids run without gaps (the usual case), else a binary search."""
    n = len(person_ids)
    if n and int(person_ids[-1]) - int(person_ids[0]) == n - 1:
        if not len(ids) or (ids.min() >= person_ids[0] and ids.max() <= person_ids[-1]):
            return ids - person_ids[0]
    return np.searchsorted(person_ids, ids)


def _day_numbers(days: np.ndarray) -> np.ndarray:
    """Julian day numbers (0 for none) as datetime64[D] (NaT for none)."""
    out = (days - (JULIAN_OFFSET + dt.date(1970, 1, 1).toordinal())).astype("datetime64[D]")
    out[days == 0] = NAT
    return out


def _licence_awards(source: Source, q: _Queries, on: dt.date, ids: list[int]) -> np.ndarray:
    """Licence awards tied to a setting (of the people `ids`, who have some), as award rows
    plus two columns: the days the licence did not count up to the date, and whether it is
    lapsed on the date (`AwardFact`, the same facts the single-person engine reads)."""
    if not ids:
        return _int_matrix([], 7)
    from ..store.reader import snapshot
    from .load import award_fact, current_awards, licence_setting_facts

    with snapshot(source) as conn:
        rows = [r for r in current_awards(conn, ids) if r.kind == "licence" and r.setting_id]
        settings = licence_setting_facts(conn, rows)
    out = []
    for row in rows:
        fact = award_fact(row, settings)
        out.append(
            (
                row.person_id,
                q.roles.get(row.role_id, -1),
                _julian(row.valid_from),
                _julian(row.valid_until),
                _julian(row.revoked_on),
                fact.paused_days(on),
                fact.lapse(on) is not None,
            )
        )
    return _int_matrix(out, 7)


def _julian(day: dt.date | None) -> int:
    return 0 if day is None else day.toordinal() + JULIAN_OFFSET


STALE_LIMIT = 1000  # more people with later completions than this: scan every completion
JULIAN_OFFSET = 1721424  # date.toordinal() + this = SQLite's CAST(julianday(date) AS INTEGER)


def _mask_scan(pool: Executor, reader: _Reader, q: _Queries, params: dict) -> list:
    """Aggregate every completion, split into four by person id so both cores share it."""
    bounds = reader.rows("SELECT (SELECT MIN(id) FROM people), (SELECT MAX(id) FROM people)", {})[0]
    lo, hi = (bounds[0] or 0), (bounds[1] or 0)
    cuts = np.linspace(lo, hi + 1, 5).astype(np.int64)
    return [
        pool.submit(reader.ints, q.mask, {**params, "lo": int(a), "hi": int(b) - 1}, 2)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]


def _span(reader: _Reader, table: str, column: str) -> tuple[int, int]:
    """The least and greatest value of an integer column that leads an index (or is the
    rowid), looked up in the index; (0, 0) for an empty table."""
    # Two subqueries: SQLite looks a lone MIN or MAX up in the index, but scans for both.
    lo, hi = reader.rows(
        f"SELECT (SELECT MIN({column}) FROM {table}), (SELECT MAX({column}) FROM {table})", {}
    )[0]
    return int(lo or 0), int(hi or 0)


class Packing(NamedTuple):
    """How a query's rows are packed into one integer each: the columns' widths in bits, and
    a SQL condition, run in the same statement as the query (so on the same snapshot), that
    holds if every value fits its width. Values the query itself bounds (a key it selects a
    range of, a CASE) need no check."""

    bits: tuple[int, ...]
    check: str = "1"


def _packing(*columns: int | tuple[int, int], check: str = "1") -> Packing | None:
    """The packing of a row's columns, each given as a width (its values from 0 to below
    2**width) or as its (least, greatest) value; None when they do not fit in 63 bits
    together (or a column can be negative)."""
    bits = []
    for column in columns:
        if isinstance(column, tuple):
            lo, hi = column
            if lo < 0:
                return None
            column = max(hi.bit_length(), 1)
        bits.append(column)
    return Packing(tuple(bits), check) if sum(bits) <= 63 else None


def _among(values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """For each of `values` (ids), whether it is among `found`: through a flag per id when
    the ids are dense enough (the usual case), else `np.isin`."""
    top = max(int(values.max(initial=0)), int(found.max(initial=0)))
    low = min(int(values.min(initial=0)), int(found.min(initial=0)))
    if low < 0 or top > 8 * (len(values) + len(found)) + 1024:
        return np.isin(values, found)
    flags = np.zeros(top + 1, dtype=bool)
    flags[found] = True
    return flags[values]


def _in_parts(
    pool: Executor,
    reader: _Reader,
    sql: str,
    params: dict,
    span: tuple[int, int],
    packing: Packing | None,
    parts: int = 2,
) -> list[Future]:
    """A query of three columns with `key BETWEEN :lo AND :hi`, in `parts` ranges of the
    `span` of its integer key (a rowid, so each part is a range scan), for both workers to
    share; `_joined` puts them together."""
    lo, hi = span
    cuts = np.linspace(lo, hi + 1, parts + 1).astype(np.int64)
    return [
        pool.submit(reader.ints, sql, {**params, "lo": int(a), "hi": int(b) - 1}, 3, packing)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]


def _joined(futures: list[Future]) -> np.ndarray:
    return np.concatenate([f.result() for f in futures])


def _in_list(template: str, ids: np.ndarray) -> str:
    """The query with its id list inlined (integers only, so nothing to escape)."""
    return template.replace("{ids}", ",".join(str(int(i)) for i in ids) or "NULL")


def _remap_bits(masks: np.ndarray, db_bits: dict[str, int], courses: dict[str, int]) -> np.ndarray:
    """Translate the summary's course bits (numbered as first seen) to the programme's order,
    a byte at a time through 256-entry tables (one pass per byte in use, not per course)."""
    moves = {bit: courses[c] for c, bit in db_bits.items() if c in courses and bit < 63}
    if all(bit == to for bit, to in moves.items()) and len(moves) == len(db_bits):
        return masks.copy()  # numbered alike: nothing to translate
    out = np.zeros(len(masks), dtype=np.int64)
    values = np.arange(256, dtype=np.int64)
    for byte in range((max(moves, default=0) >> 3) + 1):
        table = np.zeros(256, dtype=np.int64)
        for bit, to in moves.items():
            if bit >> 3 == byte:
                table |= ((values >> np.int64(bit & 7)) & 1) << np.int64(to)
        if table.any():
            out |= table[(masks >> np.int64(8 * byte)) & 0xFF]
    return out


def _redo_corrected(
    source: Source,
    q: _Queries,
    on: dt.date,
    person_ids: np.ndarray,
    course_mask: np.ndarray,
    corrected: list[int],
) -> None:
    """Recompute the masks of people whose completions were corrected, exactly."""
    from ..store.reader import snapshot
    from .load import current_completions

    fix = dict.fromkeys(corrected, 0)
    with snapshot(source) as conn:
        for row in current_completions(conn, corrected):
            if row.completed_on <= on and row.course_id in q.courses:
                fix[row.person_id] |= 1 << q.courses[row.course_id]
    pids = np.fromiter(fix, dtype=np.int64, count=len(fix))
    course_mask[np.searchsorted(person_ids, pids)] = np.fromiter(
        fix.values(), dtype=np.int64, count=len(fix)
    )


class _Reader:
    """Runs the loader's queries: `rows` as tuples, `ints` as an int64 matrix."""

    def rows(self, sql: str, params: dict) -> list[tuple]:
        raise NotImplementedError

    def ints(
        self, sql: str, params: dict, width: int, packing: Packing | None = None
    ) -> np.ndarray:
        """The rows as an (n, width) int64 matrix; `packing` (see `Packing`) lets a reader
        fetch each row as one number."""
        return _int_matrix(self.rows(sql, params), width)

    def close(self) -> None:
        """Close any connections the reader opened."""

    def summary_bits(self) -> dict[str, int] | None:
        """The completion summary's course bits, or None where there is no usable summary."""
        return None

    def pool(self) -> Executor:
        """Two workers for the queries."""
        return ThreadPoolExecutor(max_workers=2)

    def people(self, sql: str, names: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Person ids (sorted) and, if asked, their names."""
        if not names:
            ids = self.ids_in_a_run()
            if ids is not None:
                return ids, None
        rows = self.rows(sql, {})
        ids = _int_matrix([row[:1] for row in rows], 1)[:, 0]
        return ids, (np.array([row[1] for row in rows], dtype=object) if names else None)

    def ids_in_a_run(self) -> np.ndarray | None:
        """Every person id, when they run without gaps (the usual case), from the index
        alone: ids are unique, so as many people as the span holds are all of it."""
        count, lo, hi = self.rows(
            "SELECT (SELECT COUNT(*) FROM people),"
            " (SELECT MIN(id) FROM people), (SELECT MAX(id) FROM people)",
            {},
        )[0]
        if not count or hi - lo + 1 != count:
            return None
        return np.arange(lo, hi + 1, dtype=np.int64)

    def days(self, sql: str) -> str:
        """Replace each {day:column} with the column as a Julian day number (0 for NULL)."""
        return re.sub(r"\{day:([^{}]+)\}", lambda m: self.day_number(m.group(1)), sql)

    def day_number(self, column: str) -> str:
        return f"COALESCE(CAST(julianday({column}) AS INTEGER), 0)"


class _SqliteReader(_Reader):
    """Read-only connections, one per query, in two threads.

    Each query comes back as one row: one `group_concat` per column, parsed by NumPy in C, so
    there is no Python object per value. Python's sqlite3 releases the GIL while SQLite steps,
    so the two threads use both cores. (Concatenating the columns of a row with `||` first, as
    this loader once did, makes a string per row, and SQLite's allocator mutex then made two
    threads slower than one: it needed two processes, whose memory and start-up cost more.)
    """

    def __init__(self, path: Path) -> None:
        import threading

        self.uri = f"file:{path}?mode=ro"
        self._local = threading.local()
        self._opened: list = []

    def _connect(self):
        """This thread's connection, opened once: opening one parses the whole schema (with
        its audit triggers), which costs more than a small query."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            import sqlite3

            conn = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            self._local.conn = conn
            self._opened.append(conn)
        return conn

    def close(self) -> None:
        for conn in self._opened:
            conn.close()
        self._opened.clear()

    def rows(self, sql: str, params: dict) -> list[tuple]:
        return self._connect().execute(sql, params).fetchall()

    def ints(
        self, sql: str, params: dict, width: int, packing: Packing | None = None
    ) -> np.ndarray:
        if packing is not None:
            return self._packed(sql, params, packing)
        aggregates = ", ".join(f"group_concat(c{i})" for i in range(width))
        query = f"SELECT {aggregates}, COUNT(*) FROM ({sql})"
        *texts, count = self._connect().execute(query, params).fetchone()
        out = np.zeros((count, width), dtype=np.int64)
        for i, text in enumerate(texts):
            if text:
                column = np.fromstring(text, dtype=np.int64, sep=",")
                if len(column) != count:  # a NULL (group_concat skips it): read the rows
                    return super().ints(sql, params, width)
                out[:, i] = column
            elif count:
                return super().ints(sql, params, width)
        return out

    def _packed(self, sql: str, params: dict, packing: Packing) -> np.ndarray:
        """`ints` with each row packed by SQLite into one integer (the columns side by side)
        and unpacked by NumPy: a third of the numbers to format, join and parse for three
        columns. If a value may not fit (the check fails), the rows are read as they are."""
        widths = packing.bits
        shifts = [sum(widths[i + 1 :]) for i in range(len(widths))]
        packed = " | ".join(f"(c{i} << {shift})" for i, shift in enumerate(shifts))
        query = f"SELECT group_concat({packed}), COUNT(*), ({packing.check}) FROM ({sql})"
        text, count, fits = self._connect().execute(query, params).fetchone()
        column = np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)
        if fits != 1 or len(column) != count:  # or a NULL (group_concat skips it)
            return self.ints(sql, params, len(widths))
        out = np.empty((count, len(widths)), dtype=np.int64)
        for i, (bits, shift) in enumerate(zip(widths, shifts, strict=True)):
            out[:, i] = (column >> np.int64(shift)) & np.int64((1 << bits) - 1)
        return out

    def people(self, sql: str, names: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if not names:
            ids = self.ids_in_a_run()
            if ids is not None:
                return ids, None
            return self.ints(f"SELECT c0 FROM ({sql})", {}, 1)[:, 0], None
        # Two aggregates over the same rows stay aligned; names cannot hold \x1f (the store
        # folds white space, which includes it), but a name that does falls back to rows.
        ids, joined = (
            self._connect()
            .execute(f"SELECT group_concat(c0), group_concat(c1, char(31)) FROM ({sql})")
            .fetchone()
        )
        if not ids:
            return np.zeros(0, dtype=np.int64), np.array([], dtype=object)
        id_array = np.fromstring(ids, dtype=np.int64, sep=",")
        name_list = joined.split("\x1f")
        if len(name_list) != len(id_array):
            return super().people(sql, names)
        return id_array, np.array(name_list, dtype=object)

    def summary_bits(self) -> dict[str, int] | None:
        conn = self._connect()
        present = conn.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'"
            " AND name = 'completions_summary'"
        ).fetchone()[0]
        if not present:
            return None
        bits = dict(conn.execute("SELECT course_id, bit FROM course_bits").fetchall())
        return bits if len(bits) <= 63 else None


class _AlchemyReader(_Reader):
    """Any database SQLAlchemy reaches (PostgreSQL), through the store's transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def day_number(self, column: str) -> str:
        return f"COALESCE(({column} - DATE '1970-01-01') + {JULIAN_OFFSET + 719163}, 0)"

    def rows(self, sql: str, params: dict) -> list[tuple]:
        import sqlalchemy as sa

        with self.store.read() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def _reader(source: Source) -> tuple[_Reader, bool]:
    """The loader's reader over the source, and whether the database is SQLite: a SQLite file
    is read directly (from a Workspace without opening a Store), anything else through the
    Store's SQLAlchemy engine."""
    from ..store import Store
    from ..store.reader import sqlite_file

    if isinstance(source, Store):
        store = source
    else:
        path = sqlite_file(source.db_url)
        if path is not None and path.exists():
            return _SqliteReader(path), True
        store = source.store  # another URL form: the Store knows its file, if any
    path = store.sqlite_path
    if path is not None and path.exists():
        return _SqliteReader(path), True
    return _AlchemyReader(store), store.is_sqlite


def person_names(source: Source, person_ids: list[int]) -> dict[int, str]:
    """{person id: name} for some people: for a bulk table read without names (reading a
    million names costs more than the rest of a person's row)."""
    if not person_ids:
        return {}
    ids = ",".join(str(int(i)) for i in person_ids)  # integers only: nothing to escape
    sql = f"SELECT id, name FROM people WHERE id IN ({ids})"
    reader, _ = _reader(source)
    with closing(reader):
        return {int(pid): name for pid, name in reader.rows(sql, {})}


def bulk_eligibility(
    source: Source, programme: Programme, on: dt.date, *, names: bool = True
) -> pd.DataFrame:
    """Everyone's eligibility on a date as a DataFrame indexed by person id."""
    return evaluate_columns(programme, load_columns(source, programme, on, names=names), on)
