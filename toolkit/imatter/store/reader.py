"""Read queries written once as plain SQL, run on SQLite without SQLAlchemy, on PostgreSQL
through it.

Read commands (`status`, `person list` ...) spend most of their time importing SQLAlchemy. On a
SQLite file they read through `SQLiteReader` instead: the standard library's `sqlite3` in a
deferred (snapshot) transaction with `PRAGMA query_only`, the busy timeout the store sets, and
the column types SQLAlchemy gives (DATE, DATETIME and BOOLEAN columns come back as `date`,
`datetime` and `bool`). A function that reads calls `reader(conn)` and runs the same SQL text
whether `conn` is a `SQLiteReader` or a SQLAlchemy connection (a write transaction included).

SQL is written with named parameters (`:name`); a list or tuple value is spread for
`IN (:name)`. Rows read like SQLAlchemy's: by attribute, by index and through `_mapping`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

#: The migrations this toolkit knows (`store.migrations.MIGRATIONS`; a test keeps them equal).
#: A database that records any other set is opened through `Store`, which migrates it or says
#: why it cannot.
KNOWN_MIGRATIONS = frozenset(range(1, 13))
BUSY_TIMEOUT_MS = 30_000  # as Store sets


class Row(tuple):
    """A result row: by index, by column name as an attribute, or as `_mapping`."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._index[name]]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return {name: self[i] for name, i in self._index.items()}

    @property
    def _fields(self) -> tuple[str, ...]:
        return tuple(self._index)


_ROW_TYPES: dict[tuple[str, ...], type[Row]] = {}


def _row_type(names: tuple[str, ...]) -> type[Row]:
    found = _ROW_TYPES.get(names)
    if found is None:
        found = _ROW_TYPES[names] = type("Row", (Row,), {"__slots__": (), "_index": {}})
        index: dict[str, int] = {}
        for i, name in enumerate(names):
            index.setdefault(name, i)  # a name given twice reads the first, as SQLAlchemy
        found._index = index
    return found


def _spread(sql: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """Named parameters, with each list or tuple value spread into one parameter per item."""
    if not params:
        return sql, {}
    flat: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, list | tuple | set | frozenset):
            items = list(value)
            names = [f"{name}__{i}" for i in range(len(items))]
            flat.update(zip(names, items, strict=True))
            spread = ", ".join(f":{n}" for n in names) or "NULL"
            sql = re.sub(rf":{name}\b", spread, sql)
        else:
            flat[name] = value
    return sql, flat


class Reader:
    """Runs SQL text on one connection; see `reader`."""

    dialect = "sqlite"
    url = ""

    def _execute(self, sql: str, params: dict[str, Any]) -> Iterator[Row]:
        raise NotImplementedError

    def rows(self, sql: str, params: Mapping[str, Any] | None = None, /, **more: Any) -> list[Row]:
        """Every row of the query."""
        sql, flat = _spread(sql, {**(params or {}), **more})
        return list(self._execute(sql, flat))

    def first(
        self, sql: str, params: Mapping[str, Any] | None = None, /, **more: Any
    ) -> Row | None:
        found = self.rows(sql, params, **more)
        return found[0] if found else None

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None, /, **more: Any) -> Any:
        """The first column of the first row (None if there is none)."""
        row = self.first(sql, params, **more)
        return None if row is None else row[0]

    def scalars(self, sql: str, params: Mapping[str, Any] | None = None, /, **more: Any) -> list:
        """The first column of every row."""
        return [row[0] for row in self.rows(sql, params, **more)]


class _SQLAlchemyReader(Reader):
    """The same SQL through a SQLAlchemy connection (PostgreSQL, or any write transaction)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.url = str(conn.engine.url)

    def _execute(self, sql: str, params: dict[str, Any]) -> Iterator[Row]:
        import sqlalchemy as sa

        result = self.conn.execute(sa.text(sql), params)
        names = tuple(result.keys())
        row_type = _row_type(names)
        typed = _typed_columns() if self.dialect == "sqlite" else {}
        convert = [(i, typed[name]) for i, name in enumerate(names) if name in typed]
        for row in result:
            if convert:
                values = list(row)
                for i, to in convert:
                    if type(values[i]) in (str, int):  # not NULL, nor converted already
                        values[i] = to(values[i])
                yield row_type(values)
            else:
                yield row_type(row)


def _typed_columns() -> dict[str, Any]:
    """SQLite through SQLAlchemy: column name -> the conversion its declared type gets (SQL
    text carries no types; a test checks that no column name has two of these types)."""
    if not _TYPED:
        from .schema import metadata

        conversions = {"DATE": dt.date.fromisoformat, "DATETIME": dt.datetime.fromisoformat}
        for table in metadata.tables.values():
            for column in table.columns:
                kind = type(column.type).__name__.upper()
                if kind == "BOOLEAN":
                    _TYPED[column.name] = bool
                elif kind in conversions:
                    _TYPED[column.name] = conversions[kind]
    return _TYPED


_TYPED: dict[str, Any] = {}


def _date(raw: bytes) -> dt.date:
    return dt.date.fromisoformat(raw.decode())


def _datetime(raw: bytes) -> dt.datetime:
    return dt.datetime.fromisoformat(raw.decode())


def _boolean(raw: bytes) -> bool:
    return bool(int(raw))


class SQLiteReader(Reader):
    """A read-only snapshot of a SQLite file through the standard library's `sqlite3`."""

    def __init__(self, path: Path, url: str) -> None:
        # The types SQLAlchemy's schema declares, converted as SQLAlchemy converts them.
        sqlite3.register_converter("DATE", _date)
        sqlite3.register_converter("DATETIME", _datetime)
        sqlite3.register_converter("BOOLEAN", _boolean)
        self.path = path
        self.url = url
        self.conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw",
            uri=True,
            detect_types=sqlite3.PARSE_DECLTYPES,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )
        self.conn.execute("PRAGMA query_only = ON")

    def _execute(self, sql: str, params: dict[str, Any]) -> Iterator[Row]:
        cursor = self.conn.execute(sql, params)
        row_type = _row_type(tuple(d[0] for d in cursor.description or ()))
        for row in cursor:
            yield row_type(row)

    def migrations(self) -> set[int] | None:
        """The versions recorded in `schema_migrations` (None: no such table)."""
        try:
            return set(self.scalars("SELECT version FROM schema_migrations"))
        except sqlite3.OperationalError:
            return None

    def close(self) -> None:
        self.conn.close()


def reader(conn: Any) -> Reader:
    """A Reader for `conn`: itself if it is one, else one over its SQLAlchemy connection."""
    if isinstance(conn, Reader):
        return conn
    return _SQLAlchemyReader(conn)


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL (None for any other database or URL form)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix) :]
    return Path(path) if path and path != ":memory:" else None


# Open read connections, reused by the snapshots of one process and thread (a read command
# takes two: the command's permission check, then its query), so that SQLite reads the schema
# (the audit triggers' SQL is most of it) once. Keyed by the file's identity too: a database
# restored from a backup is a new file.
_OPEN: dict[tuple, SQLiteReader] = {}
_KEEP = 4


def _open_reader(path: Path, url: str) -> SQLiteReader | None:
    """A reader on the file at `path` (reused if one is open), or None if it cannot be read."""
    import threading

    try:
        found = path.stat()
    except OSError:
        return None
    key = (url, found.st_dev, found.st_ino, os.getpid(), threading.get_ident())
    fast = _OPEN.get(key)
    if fast is None:
        try:
            fast = SQLiteReader(path, url)
        except sqlite3.Error:
            return None
        while len(_OPEN) >= _KEEP:
            _OPEN.pop(next(iter(_OPEN))).close()
        _OPEN[key] = fast
    return fast


@contextmanager
def read_snapshot(url: str, store: Any = None) -> Iterator[Any]:
    """A consistent read-only snapshot of the database at `url`.

    On a SQLite file migrated to exactly this toolkit's schema: a `SQLiteReader`, without
    importing SQLAlchemy. Anything else (PostgreSQL, a missing, damaged or out-of-date file)
    goes through `store()` (a `Store`, which migrates, or says what is wrong) and its `read()`.
    A snapshot taken inside another on the same file shares it.
    """
    path = sqlite_file(url)
    fast = None
    # On a hub, the first read as an impersonated identity writes an audit event (access.hub).
    hub = bool(os.environ.get("JUPYTERHUB_API_TOKEN") and os.environ.get("JUPYTERHUB_API_URL"))
    if path is not None and not hub:
        fast = _open_reader(path, url)
    if fast is not None and fast.conn.in_transaction:  # inside a snapshot of this file
        yield fast
        return
    if fast is not None:
        conn = fast.conn
        try:
            conn.execute("BEGIN")  # deferred: a snapshot from the first read on
            current = fast.migrations() == KNOWN_MIGRATIONS
        except sqlite3.Error:  # damaged, or not a database: Store says so
            current = False
        if not current:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            fast = None
    if fast is None:
        with store().read() as conn:
            yield conn
        return
    try:
        yield fast
    finally:
        fast.conn.execute("ROLLBACK")  # read only: ends the snapshot


def snapshot(source: Any) -> Any:
    """A read-only snapshot from a Workspace (`reading()`, fast on SQLite) or a Store."""
    reading = getattr(source, "reading", None)
    return reading() if reading is not None else source.read()
