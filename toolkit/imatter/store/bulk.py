"""Bulk writes: many rows per statement, audited in one batch exactly as the triggers would.

Row-at-a-time writes cost five statements per row (about 1.5k rows/s); a plain `executemany`
runs at 150k rows/s or more (DECISIONS.md 13). An import validates the whole file first, then
inserts each table's rows with one `executemany` inside the same write transaction, with that
table's insert trigger off, and appends the audit records itself: the same records, in the same
order, with the same digests and chain hashes as the trigger would have written row by row. The
digests are computed by the database with the trigger's own SQL, so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from . import audit

CHUNK = 20_000


def _cursor(conn: sa.Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def any_of(conn: sa.Connection, column: str, values: Sequence[object]) -> tuple[str, dict]:
    """SQL testing `column` against many values with one parameter (no IN-list limits)."""
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY(:values)", {"values": list(values)}
    import json

    return f"{column} IN (SELECT value FROM json_each(:values))", {"values": json.dumps(values)}


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
    top = conn.exec_driver_sql(f"SELECT COALESCE(MAX({key.name}), 0) FROM {table.name}").scalar()
    return list(range(int(top) + 1, int(top) + 1 + count))


def insert_many(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence]
) -> None:
    """Insert rows (tuples in `columns` order) with one `executemany` per chunk.

    Values go through the same type conversions SQLAlchemy applies to single inserts, so the
    stored text (dates, times, booleans) is byte for byte what a row-at-a-time insert stores.
    """
    if not rows:
        return
    dialect = conn.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    marks = ", ".join("%s" if dialect.name == "postgresql" else "?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    if any(processors):
        rows = [
            tuple(p(v) if p and v is not None else v for p, v in zip(processors, row, strict=True))
            for row in rows
        ]
    cursor = _cursor(conn)
    try:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])
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
    tables = list(tables)
    sqlite = conn.dialect.name == "sqlite"
    for table in tables:
        if sqlite:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_{table.name}_insert")
        else:
            conn.exec_driver_sql(f"ALTER TABLE {table.name} DISABLE TRIGGER audit_{table.name}")
    yield
    for table in tables:
        if sqlite:
            conn.exec_driver_sql(audit._sqlite_trigger(table, "insert"))
        else:
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ENABLE TRIGGER audit_{table.name}")


def row_digests(conn: sa.Connection, table: sa.Table, ids: Sequence[int]) -> dict[int, str]:
    """{id: (key, digest)} for rows of a table with an integer key, as the triggers compute them."""
    if not ids:
        return {}
    dialect = conn.dialect.name
    (key,) = table.primary_key.columns
    sql = (
        f"SELECT r.{key.name}, {audit.digest_sql(table, 'r', dialect)} "
        f"FROM {table.name} AS r WHERE r.{key.name} BETWEEN {int(min(ids))} AND {int(max(ids))}"
    )
    wanted = set(ids)
    return {
        int(row_id): str(digest)
        for row_id, digest in conn.exec_driver_sql(sql)
        if int(row_id) in wanted
    }


def audit_inserts(conn: sa.Connection, order: Iterable[tuple[sa.Table, int]]) -> int:
    """Append one 'insert' record per (table, id), in this order; returns the last seq.

    The order is the order the rows would have been inserted one at a time (a person, then
    their affiliation, then the next person), so the chain equals the row-at-a-time chain.
    """
    order = list(order)
    wanted: dict[sa.Table, list[int]] = {}
    for table, row_id in order:
        wanted.setdefault(table, []).append(row_id)
    digests = {table: row_digests(conn, table, ids) for table, ids in wanted.items()}
    return audit._append(
        conn,
        (("insert", table.name, str(row_id), digests[table][row_id]) for table, row_id in order),
    )
