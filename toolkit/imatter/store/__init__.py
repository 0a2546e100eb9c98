"""The records store: one database (SQLite by default), its migrations and its transactions.

`Store.write()` opens a transaction that takes the write lock at once (SQLite `BEGIN
IMMEDIATE`), so read-then-write use cases wait their turn instead of failing with SQLITE_BUSY.
`Store.read()` opens a plain (deferred) transaction.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreError
from .reader import BUSY_TIMEOUT_MS

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["Store", "metadata"]


def __getattr__(name: str):
    """`metadata` (the schema) is imported on first use: read commands never need it."""
    if name == "metadata":
        from .schema import metadata

        return metadata
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _utcnow() -> dt.datetime:
    from ..clock import utcnow

    return utcnow()


class Store:
    """A connection pool to the records database, migrated to the current schema on open."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        import sqlalchemy as sa

        self.url = url
        try:
            self.engine = sa.create_engine(url)
        except (sa.exc.ArgumentError, ImportError) as err:
            raise StoreError(f"cannot use database URL '{url}': {err}") from None
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            self._check_sqlite_file()
        elif self.engine.dialect.name == "postgresql":
            _configure_postgresql(self.engine)
        if migrate:
            self.migrate()

    def _check_sqlite_file(self) -> None:
        """StoreError naming the file if it is not a SQLite database (or is damaged)."""
        import sqlalchemy as sa

        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        except sa.exc.DatabaseError as err:
            where = self.sqlite_path or self.url
            raise StoreError(
                f"{where}: not a usable SQLite database ({err.orig}); restore it from a "
                "backup with `imatter restore FILE` (move the damaged file and any -wal or -shm "
                "beside it away first)"
            ) from None

    @classmethod
    def for_file(cls, path: str | Path, *, migrate: bool = True) -> Store:
        """A store over a SQLite file (created if missing)."""
        return cls(f"sqlite:///{Path(path)}", migrate=migrate)

    @property
    def sqlite_path(self) -> Path | None:
        database = self.engine.url.database
        if self.is_sqlite and database and database != ":memory:":
            return Path(database)
        return None

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction: commits on success, rolls back on any error.

        It takes the write lock at once (waiting up to the busy timeout), and retries taking it
        a few times, which is safe because nothing has been done yet.
        """
        from . import audit

        with self.engine.connect() as conn:
            transaction = _begin_with_retry(conn)
            try:
                with audit.bind_actor(conn):
                    yield conn
            except BaseException:
                transaction.rollback()
                raise
            transaction.commit()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only transaction (a consistent snapshot)."""
        with self.engine.connect().execution_options(imatter_readonly=True) as conn:
            with conn.begin():
                yield conn

    # ------------------------------------------------------------ migrations
    def applied_migrations(self) -> set[int]:
        """The versions recorded in this database's `schema_migrations` table."""
        import sqlalchemy as sa

        from .schema import schema_migrations

        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("schema_migrations"):
                return set()
            return set(conn.execute(sa.select(schema_migrations.c.version)).scalars())

    def schema_version(self) -> int:
        """The highest migration applied to this database (0 for an empty one)."""
        return max(self.applied_migrations(), default=0)

    def migrate(self) -> list[int]:
        """Apply pending migrations in one transaction, backing up a SQLite file first."""
        from . import audit
        from .migrations import MIGRATIONS
        from .schema import metadata, schema_migrations

        applied = self.applied_migrations()
        current = max(applied, default=0)
        known = {m.version for m in MIGRATIONS}
        unknown = sorted(applied - known)
        if unknown:
            raise StoreError(
                f"the database {self.url} has schema {unknown[-1]}, newer than this toolkit "
                f"({max(known)}); upgrade imatter"
            )
        # Every migration not yet recorded, in order (not only those above the highest).
        pending = [m for m in MIGRATIONS if m.version not in applied]
        if not pending:
            return []
        if current > 0:
            self.backup_before_upgrade(current)
        # Migrations are recorded as the local account: no grant can be read before they run.
        with audit.recording_as(audit.local_actor()), self.write() as conn:
            for migration in pending:
                migration.apply(conn)
                if migration.version >= AUDIT_MIGRATION:
                    # From here on every change, this migration's own record included, is audited.
                    audit.install_triggers(conn, metadata)
                conn.execute(
                    schema_migrations.insert().values(
                        version=migration.version, name=migration.name, applied_at=_utcnow()
                    )
                )
            if max(applied | {m.version for m in pending}) >= AUDIT_MIGRATION:
                # Every table, old or new, appends to the audit log.
                audit.install_triggers(conn, metadata)
        return [m.version for m in pending]

    def backup_before_upgrade(self, version: int) -> Path | None:
        """Copy a SQLite database with the online backup API before changing its schema."""
        path = self.sqlite_path
        if path is None or not path.exists():
            return None
        target = path.with_name(f"{path.stem}.schema{version}.bak{path.suffix}")
        return self.backup(target)

    def backup(self, target: str | Path) -> Path:
        """A consistent copy of a live SQLite database (never copy the file itself)."""
        path = self.sqlite_path
        if path is None:
            raise StoreError("backups here work for SQLite files; use pg_dump for PostgreSQL")
        target = Path(target)
        source = sqlite3.connect(path)
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return target

    def dispose(self) -> None:
        """Close pooled connections (call before fork() or at exit)."""
        self.engine.dispose()


AUDIT_MIGRATION = 7

BEGIN_ATTEMPTS = 5


def _is_busy(err: sa.exc.OperationalError) -> bool:
    text = str(err.orig).lower()
    return "database is locked" in text or "database is busy" in text


def _begin_with_retry(conn: sa.Connection) -> sa.RootTransaction:
    """Begin a write transaction; on SQLite a busy lock is retried (nothing is done yet)."""
    import time

    import sqlalchemy as sa

    for attempt in range(1, BEGIN_ATTEMPTS + 1):
        try:
            return conn.begin()
        except sa.exc.OperationalError as err:
            if not _is_busy(err):
                raise
            if attempt == BEGIN_ATTEMPTS:
                raise StoreError(
                    f"the database is busy: another program has held it for over "
                    f"{BEGIN_ATTEMPTS * BUSY_TIMEOUT_MS // 1000} s; close it and try again"
                ) from None
            conn.rollback()
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _configure_postgresql(engine: sa.Engine) -> None:
    import sqlalchemy as sa
    from sqlalchemy import event

    from . import audit

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("imatter_readonly", False):
            return
        # One writer at a time, like SQLite's BEGIN IMMEDIATE: read-then-write use cases
        # (is this completion already recorded?) cannot race. And who is acting, for the audit.
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({audit.ADVISORY_LOCK})")
        conn.execute(
            sa.text("SELECT set_config('imatter.actor', :actor, true)"),
            {"actor": audit.current_actor()},
        )


def _configure_sqlite(engine: sa.Engine) -> None:
    from sqlalchemy import event

    from . import audit

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        audit.register_functions(dbapi_conn)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content is zeroed, so erased personal data does not linger.
        cursor.execute("PRAGMA secure_delete = ON")
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode and mode[0] == "wal":
            cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        readonly = conn.get_execution_options().get("imatter_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
