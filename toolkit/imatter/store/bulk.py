"""Bulk writes: many rows per statement, audited in one batch exactly as the triggers would.

Row-at-a-time writes cost five statements per row (about 1.5k rows/s); a plain `executemany`
runs at 150k rows/s or more (DECISIONS.md 13). An import validates the whole file first, then,
inside the same write transaction and with the tables' insert triggers off, inserts each
table's rows in bulk and appends the audit records itself: the same records, in the same
order, with the same digests and chain hashes as the triggers would have written row by row.
On SQLite `insert_audited` computes the digests and the chain on a second thread while the
database writes (see there); the digests Python cannot write exactly as SQLite's `json_array`
does are computed by the database with the trigger's own SQL, so they cannot drift.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import islice, repeat
from typing import Any, NamedTuple, cast

import sqlalchemy as sa

from . import audit

CHUNK = 20_000
# The most rows one call into C handles while another thread may be waiting to run: a
# thread gets Python's lock back only between calls, so one long call (hashing a whole part)
# would keep the writing thread from starting its next statement.
STEP = 2_048


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a bulk import makes millions of small
    objects and no cycles, and the collector would walk them again and again."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _cursor(conn: sa.Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def any_of(conn: sa.Connection, column: str, values: Sequence[object]) -> tuple[str, dict]:
    """SQL testing `column` against many values with one parameter (no IN-list limits)."""
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY(:values)", {"values": list(values)}
    import json

    return f"{column} IN (SELECT value FROM json_each(:values))", {"values": json.dumps(values)}


def fetch(conn: sa.Connection, sql: str, params: dict) -> list[tuple]:
    """Every row of a query (with `:name` parameters) as plain tuples; on SQLite straight from
    the driver, without SQLAlchemy's per-row work."""
    if conn.dialect.name == "sqlite":
        cursor = _cursor(conn)
        try:
            return cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()
    return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def reserve_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` new ids for an integer primary key, taken inside the write transaction."""
    if count == 0:
        return []
    (key,) = table.primary_key.columns
    if conn.dialect.name == "postgresql":
        return list(
            conn.exec_driver_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', '{key.name}')) "
                f"FROM generate_series(1, {int(count)})"
            ).scalars()
        )
    # SQLite: the write lock is held (BEGIN IMMEDIATE), so nobody else can take these.
    top = conn.exec_driver_sql(
        f"SELECT COALESCE(MAX({key.name}), 0) FROM {table.name}"
    ).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


def insert_many(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence]
) -> list[str | None]:
    """Insert rows (tuples in `columns` order) with one `executemany` per chunk (see
    `insert_columns`, which takes the same values column by column)."""
    if not rows:
        return []
    return insert_columns(conn, table, columns, list(zip(*rows, strict=True)))


class Same:
    """One value for every row of a column given to `insert_columns`."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def insert_columns(
    conn: sa.Connection,
    table: sa.Table,
    names: Sequence[str],
    columns: Sequence[Sequence | Same],
) -> list[str | None]:
    """Insert rows given column by column (`Same(value)` for a column that never changes) with
    one `executemany` per chunk.

    Values go through the same type conversions SQLAlchemy applies to single inserts, so the
    stored text (dates, times, booleans) is byte for byte what a row-at-a-time insert stores.
    Returns each row's audit digest where it could be computed here (see `_digests`);
    `audit_inserts` asks the database for the others.
    """
    columns, count = _prepared(conn, table, names, columns)
    if not count:
        return []
    _execute_many(conn, table, names, columns, count)
    if table.name in audit.NOT_AUDITED:
        return []
    return _digests(conn.dialect.name == "sqlite", table, names, columns, count)


def _prepared(
    conn: sa.Connection, table: sa.Table, names: Sequence[str], columns: Sequence[Sequence | Same]
) -> tuple[list[Sequence | Same], int]:
    """The columns with SQLAlchemy's conversions for this database applied, and the row count."""
    count = next((len(c) for c in columns if not isinstance(c, Same)), 0)
    processors = [table.c[name].type._cached_bind_processor(conn.dialect) for name in names]
    prepared = [
        c if process is None else _processed(c, process)
        for c, process in zip(columns, processors, strict=True)
    ]
    return prepared, count


def _literal(value: object) -> str | None:
    """`value` as an SQL literal, for the plain kinds whose text is certain; else None."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _execute_many(
    conn: sa.Connection,
    table: sa.Table,
    names: Sequence[str],
    columns: Sequence[Sequence | Same],
    count: int,
) -> None:
    """One executemany per chunk; a plain value that never changes is written once, into the
    statement, rather than bound for every row."""
    postgres = conn.dialect.name == "postgresql"
    marks, varying = [], []
    for column in columns:
        literal = _literal(column.value) if isinstance(column, Same) else None
        if literal is None:
            marks.append("%s" if postgres else "?")
            varying.append(_expanded(column, count))
        else:
            marks.append(literal.replace("%", "%%") if postgres else literal)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(marks)})"
    rows = list(zip(*varying, strict=True))
    cursor = _cursor(conn)
    try:
        for start in range(0, count, CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])
    finally:
        cursor.close()


_HEX = type(hashlib.sha256()).hexdigest


def _json_values(values: Sequence) -> tuple[Sequence | bytes, bool] | None:
    """Each value as SQLite's json_array writes it, for integers, NULLs and text: one UTF-8
    text when every value is the same, else the integers themselves (for `%d`) or each value's
    text (for `%s`); and whether some text has a control character (the two escape those
    differently). None for a column holding anything else."""
    from json.encoder import encode_basestring  # '"' and '\\' escaped

    kinds = set(map(type, values))
    if not kinds <= {int, str, type(None)}:
        return None
    if len(kinds) == 1 and values.count(values[0]) == len(values):
        value = values[0]
        if value is None:
            return b"null", False
        if type(value) is int:
            return b"%d" % value, False
        return encode_basestring(value).encode(), bool(_CONTROL.search(value))
    if kinds == {int}:
        return values, False
    texts = [v for v in values if type(v) is str] if len(kinds) > 1 else values
    unsafe = bool(_CONTROL.search("".join(dict.fromkeys(texts))))
    if kinds == {str}:
        distinct = dict.fromkeys(values)
        if len(distinct) * 2 > len(values):
            return [encode_basestring(v).encode() for v in values], unsafe
        # Values that repeat (a file's path on each of its rows) are written once each.
        encoded = {v: encode_basestring(v).encode() for v in distinct}
        return list(map(encoded.__getitem__, values)), unsafe
    return [
        encode_basestring(v).encode() if type(v) is str else (b"null" if v is None else b"%d" % v)
        for v in values
    ], unsafe


def _digests(
    sqlite: bool,
    table: sa.Table,
    names: Sequence[str],
    columns: Sequence[Sequence | Same],
    count: int,
) -> list[str | None]:
    """Each row's digest as SQLite's trigger computes it, sha256(json_array(every column)),
    in row order. Only for rows whose JSON text Python writes identically: integers, NULLs,
    and text without control characters (both escape only '"' and '\\' then); None for the
    others, and no digests at all ([]) elsewhere than on SQLite: the database computes them.

    Each column is turned into JSON at once, a column that never changes once; then every
    row's UTF-8 text is formatted (integers by `%d`, straight from the column) and hashed
    without a Python loop."""
    keys = {c.name for c in table.primary_key.columns}
    if not sqlite or not keys <= set(names):
        return []  # (a key the database assigns is not known here)
    where = dict(zip(names, columns, strict=True))
    unsafe: set[int] = set()
    template: list[bytes] = []
    parts: list[Sequence] = []
    for column in table.columns:
        values = where.get(column.name, Same(None))
        json = _json_values([values.value] if isinstance(values, Same) else values)
        if json is None:
            return []  # a float or other value: the database computes every digest
        texts, control = json
        if control:  # the rows whose text has one are left to the database
            unsafe.update(
                i
                for i, v in enumerate(_expanded(values, count))
                if type(v) is str and _CONTROL.search(v)
            )
        if isinstance(texts, bytes):
            template.append(texts.replace(b"%", b"%%"))
        else:
            template.append(b"%d" if type(texts[0]) is int else b"%s")
            parts.append(texts)
    text = b"[" + b",".join(template) + b"]"
    rows = map(text.__mod__, zip(*parts, strict=True)) if parts else repeat(text % (), count)
    hashes = map(_HEX, map(hashlib.sha256, rows))
    digests: list[str | None] = []
    for _ in range(0, count, STEP):  # (see STEP)
        digests.extend(islice(hashes, STEP))
    for i in unsafe:
        digests[i] = None
    return digests


def _expanded(column: Sequence | Same, count: int) -> Iterable:
    return repeat(column.value, count) if isinstance(column, Same) else column


_CONTROL = re.compile(r"[\x00-\x1f]")  # in JSON text: a control character, escaped as \uXXXX


def _processed(column: Sequence | Same, process: Any) -> Sequence | Same:
    """A column with each value converted; conversions are remembered (dates repeat a lot)."""
    if isinstance(column, Same):
        return Same(process(column.value) if column.value is not None else None)
    memo: dict = {None: None}
    for value in set(column):
        if value not in memo:
            memo[value] = process(value)
    return list(map(memo.__getitem__, column))


CACHE_KIB = 512 * 1024  # SQLite's page cache while a bulk import runs (grown as used)


@contextmanager
def roomy(conn: sa.Connection) -> Iterator[None]:
    """On SQLite, a bigger page cache for the block, then the connection's own again: a bulk
    insert into big indexes then reads and writes each page once instead of spilling it to
    the WAL and reading it back. Durability is unchanged (the journal and synchronous
    settings are left as they are). (temp_store cannot change inside a transaction.)"""
    if conn.dialect.name != "sqlite":
        yield
        return
    cursor = _cursor(conn)
    try:
        cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(cache)}")
    finally:
        cursor.close()


@contextmanager
def insert_triggers_off(conn: sa.Connection, tables: Iterable[sa.Table]) -> Iterator[None]:
    """Turn the audit insert triggers of `tables` off inside the open write transaction.

    They come back on when the block ends. If the block fails, the transaction rolls back and
    the triggers were never off for anyone else: SQLite's DDL and PostgreSQL's ALTER TABLE are
    part of the transaction (and other writers wait for the lock). Use only together with
    `audit_inserts` for every row inserted in the block.
    """
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        present = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars()
        )
        tables = [t for t in tables if f"audit_{t.name}_insert" in present]
    else:
        present = set(
            conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
            ).scalars()
        )
        tables = [t for t in tables if f"audit_{t.name}" in present]
    for table in tables:
        if sqlite:
            conn.exec_driver_sql(f"DROP TRIGGER audit_{table.name}_insert")
        else:
            conn.exec_driver_sql(f"ALTER TABLE {table.name} DISABLE TRIGGER audit_{table.name}")
    with roomy(conn):
        yield
    for table in tables:  # only those that were there
        if sqlite:
            conn.exec_driver_sql(audit._sqlite_trigger(table, "insert"))
        else:
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ENABLE TRIGGER audit_{table.name}")


@contextmanager
def completion_summary_in_batch(conn: sa.Connection, first: int, last: int) -> Iterator[None]:
    """Keep the per-person completion summary (`store.summary`) for completions inserted in
    the block with ids `first`..`last` in three statements after it, rather than by its
    trigger once per row: the same course bits, in the same order, and the same summary rows.
    SQLite only (elsewhere there is no summary); the trigger is back when the block ends."""
    from .summary import TRIGGER

    present = (
        conn.dialect.name == "sqlite"
        and conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'completions_summary'"
        ).first()
    )
    if not present:
        yield
        return
    conn.exec_driver_sql("DROP TRIGGER completions_summary")
    yield
    new = "c.id BETWEEN ? AND ? AND c.supersedes_id IS NULL AND NOT c.withdrawn"
    # A new course takes the next bit, in the order the trigger would have met it.
    for (course,) in conn.exec_driver_sql(
        f"SELECT c.course_id FROM completions c WHERE {new} GROUP BY c.course_id"
        " ORDER BY MIN(c.id)",
        (first, last),
    ).all():
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO course_bits (course_id, bit)"
            " VALUES (?, (SELECT COUNT(*) FROM course_bits))",
            (course,),
        )
    conn.exec_driver_sql(
        "INSERT INTO person_course_summary (person_id, mask, last_day)"
        " SELECT c.person_id, SUM(DISTINCT CASE WHEN b.bit < 63 THEN 1 << b.bit ELSE 0 END),"
        " MAX(CAST(julianday(c.completed_on) AS INTEGER))"
        f" FROM completions c JOIN course_bits b ON b.course_id = c.course_id WHERE {new}"
        " GROUP BY c.person_id"
        " ON CONFLICT (person_id) DO UPDATE SET mask = mask | excluded.mask,"
        " last_day = MAX(last_day, excluded.last_day)",
        (first, last),
    )
    conn.exec_driver_sql(TRIGGER)


def row_digests(conn: sa.Connection, table: sa.Table, keys: Sequence[str]) -> dict[str, str]:
    """{row key: digest} for some rows of a table, computed by the database as the triggers
    compute them (an integer key is looked up by range; others by reading the table)."""
    if not keys:
        return {}
    dialect = conn.dialect.name
    sql = (
        f"SELECT {audit.key_sql(table, 'r', dialect)}, {audit.digest_sql(table, 'r', dialect)} "
        f"FROM {table.name} AS r"
    )
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
        numbers = [int(k) for k in keys]
        sql += f" WHERE r.{pk[0].name} BETWEEN {min(numbers)} AND {max(numbers)}"
    wanted = set(keys)
    cursor = _cursor(conn)
    try:
        return {str(key): digest for key, digest in cursor.execute(sql) if str(key) in wanted}
    finally:
        cursor.close()


def audit_inserts(
    conn: sa.Connection,
    tables: Sequence[sa.Table],
    keys: Sequence[Sequence[int | str]],
    known: dict[str, list[str | None]] | None = None,
) -> int:
    """Append one 'insert' record per new row, in row-at-a-time order; returns the last seq.

    `keys[t][i]` is the key of the row that source row i put in `tables[t]`; the records go
    in the order one source row at a time would have written them (a person, their
    affiliation, the next person ...), so the chain equals the row-at-a-time chain. `known`
    holds the digests `insert_columns` computed (None where it could not), in row order, by
    table name; the database computes the rest.
    """
    names = [str(t.name) for t in tables]  # not SQLAlchemy's str subclass: sqlite3 probes those
    texts = [list(map(str, column)) for column in keys]
    digests: list[list[str]] = []
    for table, name, column in zip(tables, names, texts, strict=True):
        found = list((known or {}).get(name) or [None] * len(column))
        if None in found:
            missing = [i for i, digest in enumerate(found) if digest is None]
            computed = row_digests(conn, table, [column[i] for i in missing])
            for i in missing:
                found[i] = computed[column[i]]
        digests.append(cast("list[str]", found))
    count, width = len(texts[0]) if texts else 0, len(tables)
    with audit._appender(conn) as append:
        for start in range(0, count, audit.CHUNK // width):
            stop = min(count, start + audit.CHUNK // width)
            append.columns(
                *_interleaved(
                    names,
                    [column[start:stop] for column in texts],
                    [column[start:stop] for column in digests],
                )
            )
        return append.seq


class Rows(NamedTuple):
    """New rows for one table, given column by column (`Same(value)` for a column that never
    changes), and the key each row's audit record names (None: the row's primary key values,
    integers or text, joined by '/' as the log writes keys; they must be among the columns)."""

    table: sa.Table
    names: Sequence[str]
    columns: Sequence[Sequence | Same]
    keys: Sequence[int | str] | None = None


def _keys(
    rows: Rows, columns: Sequence[Sequence | Same], keys: Sequence | None, count: int
) -> list[str]:
    """The audit keys of `count` rows of `rows.table` (see `Rows.keys`), as text."""
    if keys is not None:
        return list(map(str, keys))
    where = dict(zip(rows.names, columns, strict=True))
    parts: list[Iterable] = []
    for column in rows.table.primary_key.columns:
        if column.name not in where:
            raise ValueError(f"{rows.table.name}: give the keys, or the {column.name} column")
        given = where[column.name]
        kinds = {type(given.value)} if isinstance(given, Same) else set(map(type, given))
        if not kinds <= {int, str}:
            raise ValueError(f"{rows.table.name}: give the keys ({column.name} is not plain)")
        parts.append(_expanded(given, count))
    if len(parts) == 1:
        return list(map(str, parts[0]))
    return list(map("/".join(["{}"] * len(parts)).format, *parts))


ROWS_AT_ONCE = 25_000  # source rows prepared, then written, together by `insert_audited`


def insert_audited(conn: sa.Connection, batches: Sequence[Rows]) -> None:
    """Insert each batch into its table and append one 'insert' audit record per row, in
    row-at-a-time order (row 1 of every batch, then row 2 ...: batches are equally long).
    Use inside `insert_triggers_off` for those tables. The records are exactly those
    `audit_inserts` writes.

    On SQLite, when Python can compute every digest (see `_digests`), preparing and writing
    overlap. The rows go in a part at a time. While a second thread (`_Preparing`) computes a
    part's digests, chain and audit statement, and the next part's insert statements, this
    one runs the part's insert statements and the previous part's audit statement: each one
    INSERT ... SELECT over a JSON text (`_insert_statement`, `_log_statement`), a single call
    during which SQLite runs without Python's lock."""
    prepared = [_prepared(conn, b.table, b.names, b.columns) for b in batches]
    count = prepared[0][1] if prepared else 0
    tables = [b.table for b in batches]
    if conn.dialect.name != "sqlite" or not count:
        known = {
            str(b.table.name): insert_columns(conn, b.table, b.names, b.columns) for b in batches
        }
        keys = [_keys(b, b.columns, b.keys, count) for b in batches]
        audit_inserts(conn, tables, keys, known)
        return
    names = [str(t.name) for t in tables]  # not SQLAlchemy's str subclass: sqlite3 probes those
    spans = [(start, min(count, start + ROWS_AT_ONCE)) for start in range(0, count, ROWS_AT_ONCE)]

    def part(i: int) -> _Part | None:
        if i >= len(spans):
            return None
        start, stop = spans[i]
        return _Part(
            stop - start,
            [
                (b, [_sliced(c, start, stop) for c in columns], _sliced(b.keys, start, stop))
                for b, (columns, _) in zip(batches, prepared, strict=True)
            ],
        )

    with audit._appender(conn) as append, _prompt_handover():
        current = cast("_Part", part(0))
        statements = current.statements()
        logged: Callable[[], None] | None = None  # the previous part's audit records
        for i in range(len(spans)):
            following = part(i + 1)
            preparing = _Preparing(append, names, current, following)
            preparing.start()
            try:
                if logged is not None:
                    logged()
                for (b, columns, _), statement in zip(current.rows, statements, strict=True):
                    if statement is None:
                        _execute_many(conn, b.table, b.names, columns, current.size)
                    else:
                        _run(conn, statement)
            finally:
                preparing.join()
            logged = preparing.logging(conn)
            if logged is None:  # some digest only the database can compute
                known = {n: list(d) for n, d in zip(names, preparing.digests, strict=True) if d}
                audit_inserts(conn, tables, preparing.keys, known)
                append.resume()
            if following is not None:
                current, statements = following, preparing.statements
        if logged is not None:
            logged()


@contextmanager
def _prompt_handover() -> Iterator[None]:
    """Python's lock handed between threads after 0.2 ms rather than 5 ms, for the block: the
    writing thread, back from a statement, waits less for the preparing one to let it go."""
    import sys

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def _sliced(column: Any, start: int, stop: int) -> Any:
    return column if column is None or isinstance(column, Same) else column[start:stop]


class _Statement(NamedTuple):
    sql: str
    params: Sequence | dict


def _run(conn: sa.Connection, statement: _Statement) -> None:
    cursor = _cursor(conn)
    try:
        cursor.execute(statement.sql, statement.params)
    finally:
        cursor.close()


class _Part(NamedTuple):
    """`size` source rows: for each batch, its converted columns and its keys (or None)."""

    size: int
    rows: list[tuple[Rows, list[Sequence | Same], Sequence | None]]

    def statements(self) -> list[_Statement | None]:
        return [_insert_statement(b.table, b.names, c, self.size) for b, c, _ in self.rows]


class _Preparing:
    """On a second thread, with no database work: a part's keys, digests, audit chain and
    audit statement, and the next part's insert statements."""

    def __init__(
        self, append: audit._Appender, names: list[str], part: _Part, following: _Part | None
    ) -> None:
        import threading

        self.append, self.names, self.part, self.following = append, names, part, following
        self.keys: list[list[str]] = []
        self.digests: list[list[str | None]] = []
        self.chained: tuple | None = None
        self.logged: _Statement | None = None
        self.statements: list[_Statement | None] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="imatter-audit-preparing")

    def _run(self) -> None:
        try:
            count = self.part.size
            self.keys = [_keys(b, c, k, count) for b, c, k in self.part.rows]
            self.digests = [
                _digests(True, b.table, b.names, c, count) for b, c, _ in self.part.rows
            ]
            if all(d and None not in d for d in self.digests):
                digests = cast("list[list[str]]", self.digests)  # (none is None)
                self.chained = self.append.chain(*_interleaved(self.names, self.keys, digests))
                self.logged = _log_statement(self.names, self.chained)
            if self.following is not None:
                self.statements = self.following.statements()
        except BaseException as err:  # noqa: BLE001 - raised again on the writing thread
            self.error = err

    def start(self) -> None:
        self.thread.start()

    def join(self) -> None:
        self.thread.join()

    def logging(self, conn: sa.Connection) -> Callable[[], None] | None:
        """What writes the part's audit records (None if some digest is missing); the
        thread's error, raised."""
        if self.error is not None:
            raise self.error
        chained, logged = self.chained, self.logged
        if chained is None:
            return None
        if logged is None:
            return partial(audit._Appender.insert_into, conn, chained)
        return partial(_run, conn, logged)


def _json(value: object) -> str:
    """Compact JSON text, non-ASCII kept as it is (SQLite reads the text as UTF-8)."""
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _log_statement(names: list[str], chained: tuple) -> _Statement | None:
    """The statement inserting records `audit._Appender.chain` made for `_interleaved`
    columns on SQLite: one INSERT ... SELECT, the keys as a JSON array, the digests and the
    hashes as two texts of 64-character pieces (the previous hash first), cut out by
    position. None when those texts would not be plain (then `_Appender.insert_into`)."""
    seqs, at, actor, action, _, keys, digests, prevs, hashes = chained
    if len(prevs[0]) != 64 or not prevs[0].isascii() or "\x00" in "".join(keys):
        return None
    width = len(names)
    tbl = (
        ":tbl0"
        if width == 1
        else f"CASE key % {width} "
        + " ".join(f"WHEN {i} THEN :tbl{i}" for i in range(width))
        + " END"
    )
    params: dict[str, object] = {
        "first": seqs[0],
        "at": at.value,
        "actor": actor.value,
        "action": action.value,
        "keys": _json(keys),
        "digests": "".join(digests).encode("ascii"),
        "hashes": (prevs[0] + "".join(hashes)).encode("ascii"),
        **{f"tbl{i}": name for i, name in enumerate(names)},
    }
    sql = (
        "INSERT INTO audit_log (seq, at, actor, action, tbl, row_key, data_sha256, prev_hash,"
        f" hash) SELECT :first + key, :at, :actor, :action, {tbl}, value,"
        " CAST(substr(:digests, key * 64 + 1, 64) AS TEXT),"
        " CAST(substr(:hashes, key * 64 + 1, 64) AS TEXT),"
        " CAST(substr(:hashes, key * 64 + 65, 64) AS TEXT)"
        " FROM json_each(:keys)"
    )
    return _Statement(sql, params)


def _interleaved(
    names: Sequence[str], keys: Sequence[Sequence[str]], digests: Sequence[Sequence[str]]
) -> tuple:
    """(actions, tables, keys, digests) columns of the records, a source row's records
    together (row 1 of every table, then row 2 ...)."""
    width = len(names)
    if width == 1:
        return Same("insert"), Same(names[0]), keys[0], digests[0]
    size = len(keys[0]) * width
    tbls: list[str] = [""] * size
    row_keys: list[str] = [""] * size
    row_digests_: list[str] = [""] * size
    for i in range(width):
        tbls[i::width] = repeat(names[i], len(keys[0]))
        row_keys[i::width] = keys[i]
        row_digests_[i::width] = digests[i]
    return Same("insert"), tbls, row_keys, row_digests_


_PLAIN = {int, str, bool, type(None)}
_INT64 = (-(2**63), 2**63 - 1)


def _insert_statement(
    table: sa.Table, names: Sequence[str], columns: Sequence[Sequence | Same], count: int
) -> _Statement | None:
    """The SQLite statement inserting converted columns in one go, INSERT ... SELECT over
    the rows as one JSON text, when every varying value is of a kind JSON carries exactly
    (integers within 64 bits, text without NUL, booleans, NULL); else None (`_execute_many`).

    Only what varies goes into the JSON: a value the same in every row is bound once, a run
    of consecutive integers (new ids) is counted from its first, small non-negative integers
    (ids, flags) are packed into one integer per row, and rows that come in blocks sharing
    some values (a file's answers: its learner, its path) carry those once a block."""
    # Each column's SQL: bound ("?"), the row's number plus a first id, or a varying value.
    selected: list[str | tuple[str, int]] = []
    bound: list[object] = []
    varying: list[Sequence] = []
    ranges: list[tuple[int, int] | None] = []  # each varying column's least and greatest number
    for column in columns:
        if isinstance(column, Same):
            selected.append("?")
            bound.append(column.value)
            continue
        first = column[0]
        if column.count(first) == count:  # the same in every row
            if type(first) not in _PLAIN:
                return None
            selected.append("?")
            bound.append(first)
            continue
        kinds = set(map(type, column))
        if not kinds <= _PLAIN:
            return None
        if (
            kinds == {int}
            and column[-1] - first == count - 1
            and column == list(range(first, first + count))
        ):
            selected.append(("row", int(first)))
            continue
        numbers = kinds <= {int, bool}
        if numbers or int in kinds:
            ints = column if numbers else [v for v in column if type(v) is int]
            low, high = min(ints), max(ints)
            if low < _INT64[0] or high > _INT64[1]:
                return None
        if str in kinds:
            texts = column if kinds == {str} else [v for v in column if type(v) is str]
            if "\x00" in "".join(texts):
                return None
        selected.append(("value", len(varying)))
        varying.append(column)
        ranges.append((int(low), int(high)) if numbers else None)
    row, source = "key", "json_each(?)"  # (json_each's key: the row's index)
    packed = _packed(varying, ranges) if len(varying) > 1 else None
    blocks = _blocks(varying, count) if len(varying) > 1 and packed is None else None
    if packed is not None:
        values, text = packed
    elif len(varying) == 1:  # one value per row, not an array per row
        values, text = ["value"], _json(varying[0])
    elif blocks is not None:
        values, text, size, width = blocks
        row = f"(b.key * {size} + r.key)"
        source = f"json_each(?) AS b, json_each(b.value, '$[{width}]') AS r"
    elif varying:
        values = [f"json_extract(value, '$[{i}]')" for i in range(len(varying))]
        rows = list(zip(*varying, strict=True))
        text = _json_in_steps(rows, STEP)
    else:
        values, text = [], "[" + ",".join("0" * count) + "]"  # only the row count matters
    sql = ", ".join(
        part
        if isinstance(part, str)
        else (f"{part[1]} + {row}" if part[0] == "row" else values[part[1]])
        for part in selected
    )
    return _Statement(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {sql} FROM {source}",
        (*bound, text),
    )


def _json_in_steps(items: list, step: int) -> str:
    """`items` as one JSON array, written `step` items per call (see STEP)."""
    steps = range(0, len(items), step)
    return "[" + ",".join(_json(items[i : i + step])[1:-1] for i in steps) + "]"


MAX_BLOCK = 256  # the most rows a block of rows sharing values may hold (see `_blocks`)


def _blocks(columns: Sequence[Sequence], count: int) -> tuple[list[str], str, int, int] | None:
    """When the rows come in blocks of equal size in which some columns keep one value (the
    size is the first run of equal values in a column): ([SQL of each column], the JSON
    text, the block size, where in each block its rows are); else None.

    The text is an array of blocks, each [the block's shared values..., its rows], read by
    `json_each(?) AS b, json_each(b.value, '$[<where>]') AS r`. A column that repeats the
    same values in every block (a questionnaire's items) is written into the SQL instead."""
    size = 0
    for column in columns:
        run = 1
        while run < count and run <= MAX_BLOCK and column[run] == column[0]:
            run += 1
        if 1 < run <= MAX_BLOCK and count % run == 0:
            size = run
            break
    if not size:
        return None
    shared: list[int] = []
    per_row: list[int] = []
    values: list[str] = [""] * len(columns)
    for i, column in enumerate(columns):
        heads = column[::size]
        if all(column[j::size] == heads for j in range(1, size)):
            values[i] = f"json_extract(b.value, '$[{len(shared)}]')"
            shared.append(i)
            continue
        repeats = isinstance(column, list) and column == column[:size] * (count // size)
        cycle = list(map(_literal, column[:size])) if repeats else [None]
        if None not in cycle:
            whens = " ".join(f"WHEN {j} THEN {sql}" for j, sql in enumerate(cycle))
            values[i] = f"CASE r.key {whens} END"
            continue
        per_row.append(i)
    if not shared:
        return None
    for place, i in enumerate(per_row):
        values[i] = "r.value" if len(per_row) == 1 else f"json_extract(r.value, '$[{place}]')"
    starts = range(0, count, size)
    if len(per_row) == 1:
        (only,) = (columns[i] for i in per_row)
        rows: list = [only[start : start + size] for start in starts]
    elif per_row:
        rows = [
            list(zip(*(columns[i][start : start + size] for i in per_row), strict=True))
            for start in starts
        ]
    else:
        rows = [[0] * size] * len(starts)  # only the row count matters
    firsts = [columns[i][::size] for i in shared]  # each shared column, once a block
    blocks = [
        [*shared_values, block_rows]
        for shared_values, block_rows in zip(zip(*firsts, strict=True), rows, strict=True)
    ]
    return values, _json_in_steps(blocks, max(1, STEP // size)), size, len(shared)


PACKED_BITS = 62  # integers packed together stay well within SQLite's 64-bit integers


def _packed(
    columns: Sequence[Sequence], ranges: Sequence[tuple[int, int] | None]
) -> tuple[list[str], str] | None:
    """Columns of non-negative integers (booleans as 0 and 1) packed into one integer per
    row, the first column highest: ([SQL taking each column back out of `value`], the JSON
    text); None when they are not all such or do not fit together. `ranges` holds each
    column's least and greatest value, or None for a column that is not all numbers."""
    from operator import lshift, or_

    widths: list[int] = []
    for numbers in ranges:
        if numbers is None or numbers[0] < 0:
            return None
        widths.append(max(numbers[1].bit_length(), 1))
    if sum(widths) > PACKED_BITS:
        return None
    parts: list[str] = []
    shift = sum(widths)
    for width in widths:
        shift -= width
        parts.append(f"((value >> {shift}) & {(1 << width) - 1})")
    values: Iterable[int] = columns[0]
    for column, width in zip(columns[1:], widths[1:], strict=True):
        values = map(or_, map(lshift, values, repeat(width)), column)
    if len(columns) == 1:  # (a flag shifted, or or'ed with an integer, is one already)
        values = map(int, values)
    return parts, _json(list(values))
