"""Backups and restores of a live SQLite records database, safe while others are using it.

`backup_database` copies with SQLite's online backup API (never a file copy) to a temporary
name beside the target, checks the copy, then renames it: a crash leaves the old file or the
new one, never half a backup. `restore_database` checks a backup thoroughly and upgrades it
to the current schema on a staging copy, saves the current database, then copies the backup
into the live database with the online backup API in one transaction, so that every other
connection sees either the old database or the restored one. Any failure changes nothing.

PostgreSQL databases are backed up and restored with `pg_dump` and `pg_restore`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..errors import StoreError
from ..store import Store
from ..store.audit import append_event
from ..store.migrations import MIGRATIONS
from .access import require

__all__ = [
    "BackupInfo",
    "BackupResult",
    "RestoreResult",
    "backup_database",
    "inspect_backup",
    "inspect_database",
    "restore_database",
]

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables whose row counts describe a backup (those present in the file are counted).
MAIN_TABLES = ("settings", "people", "affiliations", "completions", "awards", "credentials")
_SIDECARS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupInfo:
    """What a database file holds: its schema version and the row counts of the main tables."""

    path: Path
    size: int
    schema_version: int
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """`schema 6: settings 1, people 3, ...` for messages."""
        counts = ", ".join(f"{table} {n}" for table, n in self.counts.items())
        return (
            f"schema {self.schema_version}: {counts}" if counts else f"schema {self.schema_version}"
        )


@dataclass(frozen=True)
class BackupResult:
    """A checked backup: where it is, how big, its schema version and row counts."""

    path: Path
    database: Path
    size: int
    schema_version: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreResult:
    """A restore: the backup used, the live database, where the replaced one was saved."""

    source: Path
    database: Path
    saved: Path | None
    schema_version: int  # the backup's schema, before any upgrade
    upgraded_to: int  # the schema the live database now has
    counts: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------- backup
def backup_database(store: Store, target: str | Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the live database to `target` (online backup API), checked and renamed into place.

    Raises StoreError if `target` exists (unless `overwrite`), if the copy fails its integrity
    check, or for a PostgreSQL database (use pg_dump). On failure nothing is written.
    """
    live = _live_path(store, action="backup", target=target)
    _require(store, "store.backup")
    target = Path(target)
    if target.is_dir():
        raise StoreError(
            f"{target} is a folder; give a file name such as {target / 'imatter-backup.db'}"
        )
    if not target.parent.is_dir():
        raise StoreError(f"the folder {target.parent} does not exist; create it first")
    if _same_file(target, live):
        raise StoreError(f"{target} is the live database itself; give another file name")
    if target.exists() and not overwrite:
        raise StoreError(
            f"{target} already exists; nothing was written. Give another file name, "
            "or use --force to replace it"
        )
    info = _copy_live(store, live, target, check=True)
    return BackupResult(info.path, live, info.size, info.schema_version, info.counts)


def _copy_live(store: Store, live: Path, target: Path, *, check: bool) -> BackupInfo:
    """Online-backup `live` to a temporary file beside `target`, check it, rename it."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            store.backup(tmp)
            with _connect(tmp) as conn:
                problem = _integrity_problem(conn)
                # A backup is one self-contained file: no -wal beside it to lose.
                conn.execute("PRAGMA journal_mode = DELETE")
                version = _schema_version(conn)
                counts = _counts(conn)
        except sqlite3.Error as err:
            raise StoreError(
                f"cannot back up {live} to {target}: {err}; check the free space and that the "
                "folder is writable; nothing was written"
            ) from None
        if check and problem:
            raise StoreError(
                f"the copy of {live} fails its integrity check ({problem}); the database may be "
                "damaged: keep it as it is and restore the last good backup with "
                "`imatter restore`; nothing was written"
            )
        _fsync(tmp)
        for suffix in _SIDECARS:  # stale files of a replaced backup must not be replayed
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:
        for suffix in ("", *_SIDECARS):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    return BackupInfo(target, target.stat().st_size, version, counts)


# ----------------------------------------------------------------------------- restore
def inspect_backup(source: str | Path, *, live: Path | None = None) -> BackupInfo:
    """Check that `source` is a sound imatter backup this toolkit can restore; describe it.

    Raises StoreError naming the file and what to do if it is missing, not a SQLite database,
    damaged, not an imatter database or from a newer toolkit.
    """
    source = Path(source)
    _check_source_file(source, live)
    try:
        with _open_read_only(source) as conn:
            problem = _integrity_problem(conn)
            if problem:
                raise StoreError(
                    f"{source} is damaged ({problem}); restore another backup; nothing was changed"
                )
            if not _has_table(conn, "schema_migrations"):
                raise StoreError(
                    f"{source} is not an imatter database (no schema_migrations table); give a "
                    "backup made with `imatter backup`; nothing was changed"
                )
            versions = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            counts = _counts(conn)
    except sqlite3.Error as err:
        raise StoreError(
            f"{source} is damaged ({err}); restore another backup; nothing was changed"
        ) from None
    known = {m.version for m in MIGRATIONS}
    newer = sorted(v for v in versions if v not in known)
    if newer:
        raise StoreError(
            f"{source} has schema {newer[-1]}, newer than this toolkit ({max(known)}); "
            "upgrade imatter, then restore; nothing was changed"
        )
    return BackupInfo(source, source.stat().st_size, max(versions, default=0), counts)


def inspect_database(store: Store, source: str | Path = "FILE") -> BackupInfo:
    """Describe the live SQLite database that restoring `source` would replace.

    Raises StoreError if it is damaged (the backup API cannot write over it) or on PostgreSQL.
    """
    live = _live_path(store, action="restore", target=source)
    if not live.exists():
        return BackupInfo(live, 0, 0, {})
    _check_live(live)
    with _open_read_only(live, live=True) as conn:
        return BackupInfo(live, live.stat().st_size, _schema_version(conn), _counts(conn))


def restore_database(
    store: Store, source: str | Path, *, keep_current: bool = True
) -> RestoreResult:
    """Replace the live database with the backup `source`, upgraded to the current schema.

    The backup is checked (see `inspect_backup`) and upgraded on a staging copy first; then,
    with `keep_current`, the current database is saved beside it as
    `<name>.before-restore-<UTC time>.db`; then the staging copy is written into the live
    database with the online backup API, in one transaction. StoreError on any failure, and
    then the live database is unchanged.
    """
    source = Path(source)
    live = _live_path(store, action="restore", target=source)
    _require(store, "store.restore")
    info = inspect_backup(source, live=live)
    replaced_head = _audit_head(live)
    latest = max(m.version for m in MIGRATIONS)
    if live.exists():
        _check_live(live)
    with _staging(live) as stage:
        try:
            with _open_read_only(source) as src:
                if live.exists():
                    # A compact copy with the live database's page size: the backup API
                    # cannot change the page size of a database in WAL mode.
                    src.execute(f"PRAGMA page_size = {_page_size(live)}")
                src.execute("VACUUM INTO ?", (str(stage),))
        except sqlite3.Error as err:
            raise StoreError(
                f"cannot read {source} ({err}); check the file and the free space beside "
                f"{live}; nothing was changed"
            ) from None
        try:
            Store.for_file(stage).dispose()  # upgrade the copy, not the live database
        except Exception as err:  # any failure to upgrade means: refuse the backup
            detail = err.message if isinstance(err, StoreError) else f"{type(err).__name__}: {err}"
            raise StoreError(
                f"cannot upgrade {source} from schema {info.schema_version} to {latest} "
                f"({detail}); nothing was changed"
            ) from None
        with _connect(stage) as conn:
            problem = _integrity_problem(conn)
            counts = _counts(conn)
            upgraded_to = _schema_version(conn)
        if problem:
            raise StoreError(
                f"{source} fails its integrity check after the upgrade ({problem}); restore "
                "another backup; nothing was changed"
            )
        saved = None
        if keep_current and live.exists():
            saved = _before_restore_name(live)
            try:
                _copy_live(store, live, saved, check=False)
            except StoreError as err:
                raise StoreError(
                    f"cannot save the current database before restoring ({err.message}); "
                    "nothing was changed"
                ) from None
        kept = f" (the previous database is saved as {saved})" if saved else ""
        try:
            with _connect(stage) as src, _connect(live, timeout=60) as dest:
                src.backup(dest)
        except sqlite3.Error as err:
            raise StoreError(
                f"cannot copy {source} into {live} ({err}); the live database was left as it "
                f"was{kept}; stop other users of the database and try again"
            ) from None
    store.dispose()  # pooled connections reopen on the restored database
    restored = Store(store.url)  # every step an open does (migrations: none left)
    try:
        # The chain now ends where the backup's did: say so in the chain itself.
        details = {"from": source.name, "saved_as": saved.name if saved else None}
        details["replaced_head"] = replaced_head
        with restored.write() as conn:
            append_event(conn, "audit_log", "restore", json.dumps(details, sort_keys=True))
    finally:
        restored.dispose()
    return RestoreResult(source, live, saved, info.schema_version, upgraded_to, counts)


# ----------------------------------------------------------------------------- helpers
def _require(store: Store, action: str) -> None:
    """The access check, when the live database can be read at all (a damaged one cannot)."""
    if store.sqlite_path is None or not store.sqlite_path.exists():
        return  # nothing to protect yet (opening it would create an empty database)
    try:
        with store.read() as conn:
            require(conn, action)
    except sa.exc.DatabaseError:
        return  # only the file's own permissions protect a file SQLite cannot read


def _audit_head(live: Path) -> list | None:
    """The (seq, hash) the live database's audit log ends at, if it can be read."""
    try:
        with _open_read_only(live, live=True) as conn:
            row = conn.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
    except (OSError, sqlite3.Error, StoreError):
        return None
    return list(row) if row else None


def _live_path(store: Store, *, action: str, target: str | Path) -> Path:
    path = store.sqlite_path
    if path is not None:
        return path
    url = store.engine.url
    if url.get_backend_name() == "postgresql":
        libpq = url.set(drivername="postgresql", password=None).render_as_string(
            hide_password=False
        )
        if action == "backup":
            raise StoreError(
                "PostgreSQL databases are backed up with pg_dump, not `imatter backup`: run "
                f"pg_dump --format=custom --file={target} '{libpq}'"
            )
        raise StoreError(
            "PostgreSQL databases are restored with pg_restore, not `imatter restore`: run "
            f"pg_restore --clean --if-exists --dbname '{libpq}' {target}"
        )
    raise StoreError(
        f"imatter {action} works on a SQLite database file, not {store.url}; "
        "use the database's own tools"
    )


def _check_live(live: Path) -> None:
    """StoreError if the live database is damaged: the backup API cannot write over it."""
    try:
        with _open_read_only(live, live=True) as conn:
            problem = [row[0] for row in conn.execute("PRAGMA quick_check(1)")]
            problem_text = None if problem == ["ok"] else str(problem[0] if problem else "?")
    except sqlite3.Error as err:
        problem_text = str(err)
    if problem_text:
        raise StoreError(
            f"the live database {live} is damaged ({problem_text}); stop everything using it, "
            f"move it (and any {live.name}-wal and {live.name}-shm) to another folder, "
            "then restore again; nothing was changed"
        )


def _check_source_file(source: Path, live: Path | None) -> None:
    if source.is_dir():
        raise StoreError(f"{source} is a folder; give the backup file; nothing was changed")
    if not source.exists():
        raise StoreError(
            f"{source}: file not found; give the path of a backup made with `imatter backup`"
        )
    if live is not None and _same_file(source, live):
        raise StoreError(f"{source} is the live database itself; give a backup file")
    with source.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise StoreError(
            f"{source} is not a SQLite database; give a backup made with `imatter backup`; "
            "nothing was changed"
        )


@contextlib.contextmanager
def _connect(path: Path, *, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def _open_read_only(path: Path, *, live: bool = False) -> Iterator[sqlite3.Connection]:
    """Open read-only. A backup in WAL mode without a -wal beside it is opened as immutable,
    so that no -shm or -wal file is left beside it (never so a live database)."""
    with path.open("rb") as fh:
        header = fh.read(20)
    wal_mode = header[18:20] == b"\x02\x02"
    immutable = not live and wal_mode and not Path(f"{path}-wal").exists()
    uri = f"{path.resolve().as_uri()}?{'immutable=1' if immutable else 'mode=ro'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _integrity_problem(conn: sqlite3.Connection) -> str | None:
    """None if `PRAGMA integrity_check` says ok, else its first complaint."""
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
    if rows == ["ok"]:
        return None
    return str(rows[0]) if rows else "no answer from integrity_check"


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _schema_version(conn: sqlite3.Connection) -> int:
    if not _has_table(conn, "schema_migrations"):
        return 0
    return int(
        conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
    )


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        for table in MAIN_TABLES
        if _has_table(conn, table)
    }


def _page_size(path: Path) -> int:
    with _open_read_only(path, live=True) as conn:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _before_restore_name(live: Path) -> Path:
    from ..clock import now

    stamp = now().strftime("%Y%m%dT%H%M%SZ")
    candidate = live.with_name(f"{live.stem}.before-restore-{stamp}{live.suffix}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = live.with_name(f"{live.stem}.before-restore-{stamp}-{n}{live.suffix}")
    return candidate


@contextlib.contextmanager
def _staging(live: Path) -> Iterator[Path]:
    """A staging file name beside the live database; it and its by-products go afterwards."""
    fd, name = tempfile.mkstemp(
        prefix=f".{live.stem}.restore-", suffix=live.suffix, dir=live.parent
    )
    os.close(fd)
    stage = Path(name)
    stage.unlink()  # VACUUM INTO needs a new (or empty) file
    try:
        yield stage
    finally:
        for leftover in live.parent.glob(f"{stage.stem}*"):
            leftover.unlink(missing_ok=True)
