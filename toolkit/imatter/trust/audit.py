"""The audit log: verify its hash chain, seal its head with the issuer key, export the head.

The database's triggers append a record for every change (see `store/audit.py`). This module
checks the chain from the first record to the last and names the first record that is wrong:
edited (its hash no longer matches its content), deleted (a gap in the numbering), moved (its
link to the record before is broken) or cut off (a signed head names a record that is gone or
different). A seal is the head `(seq, hash)` signed with the issuer's Ed25519 key; it is kept in
the database and can be written to a file kept elsewhere, which `verify` then checks too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ImatterError
from ..progress import progress_bar
from ..store.audit import (
    GENESIS,
    audited_tables,
    chain_hash,
    current_actor,
    digest_sql,
    key_sql,
)
from ..store.schema import audit_log, audit_seals, metadata
from .access import require

if TYPE_CHECKING:
    from ..workspace import Workspace

HEAD_TYPE = "imatter-audit-head"
GUARDS_SQLITE = {"audit_log_no_update", "audit_log_no_delete"}


class AuditError(ImatterError):
    """The audit log or a head file fails verification, or cannot be sealed."""


@dataclass(frozen=True)
class Head:
    """A signed statement that the log's record `seq` has hash `hash`."""

    seq: int
    hash: str
    sealed_at: str
    sealed_by: str
    key_id: str
    signature: str

    def payload(self) -> bytes:
        """The bytes that are signed (canonical JSON without the signature)."""
        data = {
            "type": HEAD_TYPE,
            "seq": self.seq,
            "hash": self.hash,
            "sealed_at": self.sealed_at,
            "sealed_by": self.sealed_by,
            "key_id": self.key_id,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return {**json.loads(self.payload()), "signature": self.signature}


@dataclass
class AuditReport:
    """What `verify` found: `ok`, how many records, the head, and the first problem."""

    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    seals_checked: int = 0
    problem: str | None = None
    first_bad: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


AUDIT_TABLES = ("audit_log", "audit_seals")


def _fail(report: AuditReport, seq: int | None, problem: str) -> AuditReport:
    if report.problem is None:
        report.problem, report.first_bad = problem, seq
    return report


def _guards_present(conn: sa.Connection) -> bool:
    if conn.dialect.name == "sqlite":
        names = set(
            conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            ).scalars()
        )
        return GUARDS_SQLITE <= names
    if conn.dialect.name == "postgresql":
        return bool(
            conn.exec_driver_sql(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_guard' AND NOT tgisinternal"
            ).first()
        )
    return True


def verify_chain(conn: sa.Connection, *, progress: bool | None = None) -> AuditReport:
    """Check every record's number, its link to the record before, and its hash."""
    report = AuditReport()
    expected, prev = 1, GENESIS
    total = conn.exec_driver_sql("SELECT MAX(seq) FROM audit_log").scalar() or 0
    # Plain tuples in seq order: this loop is the whole cost of verifying a big log.
    with conn.exec_driver_sql(
        "SELECT seq, at, actor, action, tbl, row_key, data_sha256, prev_hash, hash "
        "FROM audit_log ORDER BY seq",
        execution_options={"yield_per": 20_000},
    ) as rows:  # closed on every return: a server-side cursor on PostgreSQL
        for seq, at, actor, action, tbl, key, digest, prev_hash, stored in progress_bar(
            rows, desc="chain", total=total, unit=" records", enabled=progress
        ):
            if seq != expected:
                if seq > expected:
                    missing = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
                    return _fail(report, expected, f"record {missing} is missing (deleted)")
                return _fail(report, seq, f"record {seq} is out of order")
            if prev_hash != prev:
                return _fail(
                    report,
                    seq,
                    f"record {seq} does not link to record {seq - 1}: records were "
                    "deleted, moved or edited",
                )
            if chain_hash(prev_hash, seq, at, actor, action, tbl, key, digest) != stored:
                return _fail(report, seq, f"record {seq} was edited: its hash does not match")
            prev, expected = stored, expected + 1
            report.records += 1
    report.head_seq, report.head_hash = expected - 1, prev
    if not _guards_present(conn):
        _fail(report, None, "the audit log's append-only guard was removed from the database")
    return report


def _missing_triggers(conn: sa.Connection) -> list[str]:
    """Tables whose audit triggers are gone (so changes to them would not be recorded)."""
    tables = audited_tables(metadata)
    if conn.dialect.name == "sqlite":
        names = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars()
        )
        return [
            t.name
            for t in tables
            if any(f"audit_{t.name}_{a}" not in names for a in ("insert", "update", "delete"))
        ]
    if conn.dialect.name == "postgresql":
        names = set(
            conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
            ).scalars()
        )
        return [t.name for t in tables if f"audit_{t.name}" not in names]
    return []


def _latest_entries(conn: sa.Connection) -> sa.CursorResult:
    """(table, key, action, digest, seq) of each row's latest record, ordered by table then
    key as the database compares bytes (so that it merges with `_current_rows_by_key`): one
    pass over the log, sorted by the database (spilling to temporary files when it must)."""
    if conn.dialect.name == "postgresql":
        sql = (
            'SELECT DISTINCT ON (tbl COLLATE "C", row_key COLLATE "C") '
            "tbl, row_key, action, data_sha256, seq FROM audit_log WHERE action <> 'event' "
            'ORDER BY tbl COLLATE "C", row_key COLLATE "C", seq DESC'
        )
    else:  # SQLite: the other columns of a MAX() aggregate come from the row holding the max
        sql = (
            "SELECT tbl, row_key, action, data_sha256, MAX(seq) FROM audit_log "
            "WHERE action <> 'event' GROUP BY tbl, row_key ORDER BY tbl, row_key"
        )
    return conn.exec_driver_sql(sql, execution_options={"yield_per": 20_000})


def _of_table(entries: Iterator[Any], table: str, pending: list[Any]) -> Iterator[Any]:
    """The entries of `table` from a stream ordered by table (`pending` holds one look-ahead
    entry between calls); entries of tables before it are skipped."""
    while True:
        entry = pending.pop() if pending else next(entries, None)
        if entry is None:
            return
        if entry[0] < table:
            continue
        if entry[0] > table:
            pending.append(entry)
            return
        yield entry[1:]


def _current_rows_by_key(conn: sa.Connection, table: sa.Table) -> sa.CursorResult:
    """(key, digest) of every row of `table` now, ordered like `_latest_entries`."""
    dialect = conn.dialect.name
    key = key_sql(table, "r", dialect)
    order = f'({key}) COLLATE "C"' if dialect == "postgresql" else "1"
    sql = f"SELECT {key}, {digest_sql(table, 'r', dialect)} FROM {table.name} AS r ORDER BY {order}"
    return conn.exec_driver_sql(sql, execution_options={"yield_per": 20_000})


def _merged(
    current: Iterable[Any], logged: Iterable[Any]
) -> Iterator[tuple[str, str | None, tuple[str, str, int] | None]]:
    """Walk the two key-ordered streams together, in constant memory: for each key, the row's
    digest now (None: no such row) and its latest record (action, digest, seq) (None: none)."""
    rows, entries = iter(current), iter(logged)
    row, entry = next(rows, None), next(entries, None)
    while row is not None or entry is not None:
        row_key = None if row is None else str(row[0])
        entry_key = None if entry is None else str(entry[0])
        if entry_key is None or (row_key is not None and row_key < entry_key):
            yield str(row_key), str(row[1]), None  # type: ignore[index]
            row = next(rows, None)
            continue
        last = (str(entry[1]), str(entry[2]), int(entry[3]))  # type: ignore[index]
        if row_key is None or entry_key < row_key:
            yield entry_key, None, last
        else:
            yield entry_key, str(row[1]), last  # type: ignore[index]
            row = next(rows, None)
        entry = next(entries, None)


def verify_records(
    conn: sa.Connection, report: AuditReport, *, progress: bool | None = None
) -> AuditReport:
    """Check that every row of every table is as its latest audit record says, and that no
    row disappeared without one: a change made with the triggers off is found here.

    Both sides are streamed in key order and merged, so memory stays flat however big the
    log is (the database sorts, spilling to temporary files when it must)."""
    missing = _missing_triggers(conn)
    if missing:
        return _fail(
            report,
            None,
            f"the audit triggers of {', '.join(missing)} were removed: changes there would not "
            "be recorded",
        )
    tables = sorted(audited_tables(metadata), key=lambda t: t.name)
    with _latest_entries(conn) as latest:
        entries = iter(latest)
        pending: list[Any] = []
        for n, table in enumerate(tables, 1):
            problem = _check_table(
                conn, table, _of_table(entries, table.name, pending), n, len(tables), progress
            )
            if problem is not None:
                return _fail(report, *problem)
    return report


def _check_table(
    conn: sa.Connection,
    table: sa.Table,
    logged: Iterator[Any],
    n: int,
    of: int,
    progress: bool | None,
) -> tuple[int | None, str] | None:
    """The first problem with one table's rows against their latest records, if any."""
    gone: tuple[int, str] | None = None  # the earliest record of a row deleted unlogged
    with _current_rows_by_key(conn, table) as current:
        merged = progress_bar(
            _merged(current, logged),
            desc=f"rows ({n}/{of}) {table.name}",
            unit=" rows",
            enabled=progress,
        )
        for key, digest, last in merged:
            if digest is None:
                if last is not None and last[0] != "delete" and (gone is None or last[2] < gone[0]):
                    gone = (last[2], key)
                continue
            if last is None or last[0] == "delete":
                return None, (
                    f"{table.name} row {key} is not in the audit log: it was added "
                    "with the audit triggers off"
                )
            if last[1] != digest:
                return last[2], (
                    f"{table.name} row {key} was changed without an audit "
                    f"record (its last record is {last[2]})"
                )
    if gone is not None:
        seq, key = gone
        return seq, (
            f"{table.name} row {key} was deleted without an audit record (its last record is {seq})"
        )
    return None


def _check_head(report: AuditReport, head: Head, hashes_at: dict[int, str], where: str) -> None:
    if head.seq > report.head_seq:
        _fail(
            report,
            report.head_seq + 1,
            f"the log was cut short: {where} covers record {head.seq} but the log ends at "
            f"record {report.head_seq}",
        )
    elif hashes_at.get(head.seq) != head.hash:
        _fail(
            report,
            head.seq,
            f"record {head.seq} is not the one {where} signed: the log was rewritten",
        )


def _verify_signature(ws: Workspace, head: Head, where: str) -> str | None:
    from cryptography.exceptions import InvalidSignature

    from ..credentials.settings import settings_for

    entry = settings_for(ws).key_store().keyring().find(head.key_id)
    if entry is None:
        return f"{where} is signed by key {head.key_id}, which is not in this issuer's keyring"
    try:
        entry.public_key.verify(_unb64(head.signature), head.payload())
    except (InvalidSignature, ValueError):
        return f"{where} has a signature that does not match its content"
    return None


def verify(
    ws: Workspace,
    head_files: list[Path] | None = None,
    *,
    records: bool = True,
    progress: bool | None = None,
) -> AuditReport:
    """Verify the audit chain, that the records match it (unless `records` is False), and
    the chain against its stored seals and any exported heads. Memory stays flat whatever
    the log's size; a progress bar goes to stderr when it is a terminal (or `progress`)."""
    given = [(read_head(path), f"the head file {path}") for path in head_files or []]
    with ws.store.read() as conn:
        require(conn, "audit.verify")
        gone = [name for name in AUDIT_TABLES if not sa.inspect(conn).has_table(name)]
        if gone:
            return _fail(
                AuditReport(),
                None,
                f"the audit table{'s' if len(gone) > 1 else ''} {' and '.join(gone)} "
                f"{'are' if len(gone) > 1 else 'is'} missing from the database (dropped): "
                "the log cannot be checked; restore the database from a backup",
            )
        stored = [
            (_head_from_row(row), f"the seal of {row.sealed_at}")
            for row in conn.execute(sa.select(audit_seals).order_by(audit_seals.c.id))
        ]
        heads = [h for h, _ in stored + given]
        report = verify_chain(conn, progress=progress)
        if report.problem is None and records:
            verify_records(conn, report, progress=progress)
        if report.problem is not None:
            return report
        wanted = sorted({h.seq for h in heads})
        hashes_at = {
            r.seq: r.hash
            for r in conn.execute(
                sa.select(audit_log.c.seq, audit_log.c.hash).where(audit_log.c.seq.in_(wanted))
            )
        }
    for head, where in stored + given:
        bad_signature = _verify_signature(ws, head, where)
        if bad_signature:
            return _fail(report, head.seq, bad_signature)
        _check_head(report, head, hashes_at, where)
        report.seals_checked += 1
    if not stored and not given:
        report.notes.append(
            "no seal yet: run `imatter audit seal --out FILE` and keep the file elsewhere, so "
            "that a cut-short log can be detected"
        )
    return report


def _head_from_row(row: sa.Row) -> Head:
    return Head(row.seq, row.hash, row.sealed_at, row.sealed_by, row.key_id, row.signature)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(ws: Workspace, out: Path | None = None) -> Head:
    """Sign the current head with the issuer key, keep it in the database, optionally a file."""
    from ..credentials.settings import settings_for

    if out is not None and out.exists():
        raise AuditError(f"{out} already exists; choose a new file name for this head")
    key, key_id = settings_for(ws).key_store().signing_key()
    with ws.store.write() as conn:
        require(conn, "audit.seal")
        last = conn.execute(
            sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        if last is None:
            raise AuditError("the audit log is empty; there is nothing to seal yet")
        from ..clock import stamp

        now = stamp()
        unsigned = Head(last.seq, last.hash, now, current_actor(), key_id, "")
        head = Head(**{**unsigned.__dict__, "signature": _b64(key.sign(unsigned.payload()))})
        conn.execute(
            audit_seals.insert().values(
                seq=head.seq,
                hash=head.hash,
                sealed_at=head.sealed_at,
                sealed_by=head.sealed_by,
                key_id=head.key_id,
                signature=head.signature,
            )
        )
        if out is not None:
            from ..credentials.keys import write_json_atomic

            write_json_atomic(out, head.to_json())
    return head


def read_head(path: Path) -> Head:
    """A head file written by `seal`, or AuditError naming the file and what is wrong."""
    from ..safejson import refuse_hostile

    try:
        text = path.read_text(encoding="utf-8")
        refuse_hostile(text, source=str(path), error=AuditError)
        data = json.loads(text)
    except FileNotFoundError:
        raise AuditError(f"{path}: no such head file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AuditError(
            f"{path}: not a head file written by `imatter audit seal` ({err})"
        ) from None
    try:
        if data.get("type") != HEAD_TYPE:
            raise ValueError(f"type is not {HEAD_TYPE}")
        head = Head(
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            sealed_at=str(data["sealed_at"]),
            sealed_by=str(data["sealed_by"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise AuditError(
            f"{path}: not a head file written by `imatter audit seal` ({err})"
        ) from None
    return head


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record (fields in the table's order): who changed which row of which table,
    when, and the digests that chain it; never the row's content."""

    seq: int
    at: str
    actor: str
    action: str
    tbl: str
    row_key: str
    data_sha256: str
    prev_hash: str
    hash: str


def recent(ws: Workspace, limit: int = 20) -> list[AuditEntry]:
    """The latest audit records, oldest first (references and digests only: no personal values)."""
    with ws.store.read() as conn:
        require(conn, "audit.verify")
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit))
        return [AuditEntry(**r._mapping) for r in rows][::-1]
