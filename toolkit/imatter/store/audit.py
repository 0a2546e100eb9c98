"""The audit log's mechanics: triggers that append every change, chained by SHA-256.

Every insert, update and delete on every table of the schema appends one `audit_log` record in
the same transaction, whoever makes the change (the toolkit, a notebook, or SQL typed by hand).
A record holds the table, the row's key, a digest of the row's content, the actor (a reference,
never a name or email), the time and two hashes:

    hash = sha256(prev_hash | seq | at | actor | action | tbl | row_key | data_sha256)

so that editing, deleting, reordering or truncating records breaks the chain (see
`imatter.trust.audit` for verifying it and signing its head). On SQLite the digests are computed by
functions this module registers on each connection; on PostgreSQL by one PL/pgSQL function that
also serialises appends with a transaction advisory lock.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: read commands never write, nor import SQLAlchemy
    import sqlalchemy as sa

    from .bulk import Same

GENESIS = "0" * 64
ADVISORY_LOCK = 7_427_001  # PostgreSQL: one writer at a time, like SQLite's BEGIN IMMEDIATE
NOT_AUDITED = {"audit_log"}

_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("imatter_actor", default=None)


def chain_hash(
    prev: str, seq: int, at: str, actor: str, action: str, tbl: str, key: str, digest: str
) -> str:
    """The hash of one audit record, given the hash of the record before it."""
    import hashlib  # here, not above: read commands import this module and never hash

    text = "|".join([prev, str(seq), at, actor, action, tbl, key, digest])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def local_actor() -> str:
    """The actor reference for changes made outside any granted access (a local account)."""
    import getpass
    import os

    name = os.environ.get("IMATTER_USER") or getpass.getuser()
    # A reference, not personal data: an email address is not kept in the chain.
    return "local" if "@" in name else f"local:{name.replace('|', '_')[:80]}"


def os_account() -> str:
    """The operating-system account running this process (not the identity acted as): the
    name `getpass.getuser()` gives, from the environment or else the password database (that
    look-up made once: the audit triggers ask for every row they log)."""
    import os

    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):  # as getpass.getuser() reads
        name = os.environ.get(variable)
        if name:
            break
    else:
        name = _account_of(os.getuid())
    return name.replace("|", "_").replace(" ", "_")[:60]


@lru_cache(maxsize=4)
def _account_of(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid)[0]
    except (KeyError, OSError):  # no passwd entry (some containers)
        return f"uid{uid}"


def current_actor() -> str:
    """Who the audit log records for changes made now: the acting reference (a grant, a person
    or a local account) and the operating-system account, e.g. ``grant:3 os:alice``."""
    return f"{_actor.get() or local_actor()} os:{os_account()}"


# access.actors registers how to resolve the identity acted as (``--as``, $IMATTER_USER) to a
# grant reference; the store layer cannot import it (access imports the store).
_RESOLVERS: list[Callable[[sa.Connection], str | None]] = []


def set_resolver(resolve: Callable[[sa.Connection], str | None]) -> None:
    """Use `resolve(conn)` to name the actor of each write transaction (see `bind_actor`)."""
    _RESOLVERS[:] = [resolve]


@contextmanager
def bind_actor(conn: sa.Connection) -> Iterator[None]:
    """Inside a write transaction: record its changes as the identity acted as, resolved to its
    grant, unless an explicit `recording_as` is in force."""
    ref = None
    if _actor.get() is None and _RESOLVERS:
        ref = _RESOLVERS[0](conn)
    if ref is None:
        yield
        return
    with recording_as(ref):
        if conn.dialect.name == "postgresql":
            import sqlalchemy as sa

            conn.execute(
                sa.text("SELECT set_config('imatter.actor', :actor, true)"),
                {"actor": current_actor()},
            )
        yield


@contextmanager
def recording_as(actor: str) -> Iterator[None]:
    """Record changes made inside the block as done by `actor` (a reference like 'grant:3')."""
    token = _actor.set(actor.replace("|", "_"))
    try:
        yield
    finally:
        _actor.reset(token)


def _sha256(text: object) -> str:
    import hashlib  # as in chain_hash

    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def register_functions(dbapi_conn) -> None:
    """Give a raw sqlite3 connection the functions the audit triggers call."""
    dbapi_conn.create_function("imatter_sha256", 1, _sha256, deterministic=True)
    dbapi_conn.create_function("imatter_chain", 8, chain_hash, deterministic=True)
    dbapi_conn.create_function("imatter_actor", 0, current_actor)


def audited_tables(metadata: sa.MetaData, conn: sa.Connection | None = None) -> list[sa.Table]:
    """The tables whose changes are logged (with `conn`: those that exist in its database)."""
    tables = [t for t in metadata.sorted_tables if t.name not in NOT_AUDITED]
    if conn is not None:
        import sqlalchemy as sa

        existing = set(sa.inspect(conn).get_table_names())
        tables = [t for t in tables if t.name in existing]
    return tables


# ---------------------------------------------------------------- row keys and digests
def key_sql(table: sa.Table, row: str, dialect: str) -> str:
    """SQL for a row's key as the log records it: primary key values joined by '/'."""
    if dialect == "postgresql":
        parts = [f"COALESCE(to_jsonb({row}) ->> '{c.name}', '')" for c in table.primary_key]
    else:
        parts = [f"CAST({row}.{c.name} AS TEXT)" for c in table.primary_key.columns]
    return " || '/' || ".join(parts)


def digest_sql(table: sa.Table, row: str, dialect: str) -> str:
    """SQL for the digest of a row's content, exactly as the triggers compute it."""
    if dialect == "postgresql":
        return f"encode(sha256(convert_to(to_jsonb({row})::text, 'UTF8')), 'hex')"
    values = ", ".join(f"{row}.{c.name}" for c in table.columns)
    return f"imatter_sha256(json_array({values}))"


# ---------------------------------------------------------------- SQLite
# Every table's triggers hand (action, table, key, digest) to one shared step, an INSTEAD OF
# trigger on the view `audit_entry`, which numbers, timestamps and chains the record. SQLite
# parses the whole schema on each new connection, so the chaining SQL written once rather than
# in each of ~100 triggers takes ~20M instructions off every command (a third of the schema
# text it used to be). Dropping the shared step makes every write fail, never go unlogged.
_SQLITE_ENTRY = """
CREATE VIEW IF NOT EXISTS audit_entry (action, tbl, row_key, data_sha256) AS
    SELECT NULL, NULL, NULL, NULL WHERE 0"""

_SQLITE_APPEND = f"""
CREATE TRIGGER audit_entry_append INSTEAD OF INSERT ON audit_entry
BEGIN
    INSERT INTO audit_log (seq, at, actor, action, tbl, row_key, data_sha256, prev_hash, hash)
    SELECT s.seq, s.at, s.actor, NEW.action, NEW.tbl, NEW.row_key, NEW.data_sha256, s.prev,
           imatter_chain(s.prev, s.seq, s.at, s.actor, NEW.action, NEW.tbl, NEW.row_key,
                         NEW.data_sha256)
    FROM (SELECT COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                          '{GENESIS}') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 imatter_actor() AS actor) AS s;
END"""


def _sqlite_trigger(table: sa.Table, action: str) -> str:
    row = "OLD" if action == "delete" else "NEW"
    key, digest = key_sql(table, row, "sqlite"), digest_sql(table, row, "sqlite")
    return f"""
CREATE TRIGGER audit_{table.name}_{action} AFTER {action.upper()} ON {table.name}
BEGIN
    INSERT INTO audit_entry VALUES ('{action}', '{table.name}', {key}, {digest});
END"""


_SQLITE_GUARD = """
CREATE TRIGGER audit_log_no_{action} BEFORE {ACTION} ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END"""


def _install_sqlite(conn: sa.Connection, metadata: sa.MetaData) -> None:
    existing = set(
        conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
        ).scalars()
    )
    for name in existing:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    conn.exec_driver_sql(_SQLITE_ENTRY)
    conn.exec_driver_sql(_SQLITE_APPEND)
    for table in audited_tables(metadata, conn):
        for action in ("insert", "update", "delete"):
            conn.exec_driver_sql(_sqlite_trigger(table, action))
    for action in ("update", "delete"):
        conn.exec_driver_sql(_SQLITE_GUARD.format(action=action, ACTION=action.upper()))


# ---------------------------------------------------------------- PostgreSQL
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION imatter_audit() RETURNS trigger AS $$
DECLARE
    r jsonb; k text := ''; i int; s bigint; prev text; ts text; who text; d text; act text;
BEGIN
    PERFORM pg_advisory_xact_lock({ADVISORY_LOCK});
    IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        k := k || CASE WHEN i > 0 THEN '/' ELSE '' END || COALESCE(r ->> TG_ARGV[i], '');
    END LOOP;
    SELECT seq, hash INTO s, prev FROM audit_log ORDER BY seq DESC LIMIT 1;
    IF s IS NULL THEN s := 0; prev := '{GENESIS}'; END IF;
    s := s + 1;
    ts := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    who := COALESCE(NULLIF(current_setting('imatter.actor', true), ''), 'local');
    d := encode(sha256(convert_to(r::text, 'UTF8')), 'hex');
    act := lower(TG_OP);
    INSERT INTO audit_log (seq, at, actor, action, tbl, row_key, data_sha256, prev_hash, hash)
    VALUES (s, ts, who, act, TG_TABLE_NAME, k, d, prev,
            encode(sha256(convert_to(concat_ws('|', prev, s::text, ts, who, act,
                                               TG_TABLE_NAME, k, d), 'UTF8')), 'hex'));
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""

_PG_GUARD = """
CREATE OR REPLACE FUNCTION imatter_audit_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$ LANGUAGE plpgsql
"""


def _install_postgresql(conn: sa.Connection, metadata: sa.MetaData) -> None:
    conn.exec_driver_sql(_PG_FUNCTION)
    conn.exec_driver_sql(_PG_GUARD)
    for table in audited_tables(metadata, conn):
        keys = ", ".join(f"'{c.name}'" for c in table.primary_key.columns)
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_{table.name} ON {table.name}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER audit_{table.name} AFTER INSERT OR UPDATE OR DELETE ON "
            f"{table.name} FOR EACH ROW EXECUTE FUNCTION imatter_audit({keys})"
        )
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_guard ON audit_log")
    conn.exec_driver_sql(
        "CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION imatter_audit_guard()"
    )


def install_triggers(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """(Re)create the audit triggers for every table; run after every migration."""
    if conn.dialect.name == "sqlite":
        _install_sqlite(conn, metadata)
    elif conn.dialect.name == "postgresql":
        _install_postgresql(conn, metadata)


def _now() -> str:
    from ..clock import stamp

    return stamp(millis=True)


_LOG_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "tbl",
    "row_key",
    "data_sha256",
    "prev_hash",
    "hash",
)


def _append(conn: sa.Connection, entries: Iterable[tuple[str, str, str, str]]) -> int:
    """Append (action, tbl, key, digest) records, chained in Python; returns the last seq."""
    from itertools import islice

    it = iter(entries)
    with _appender(conn) as append:
        while append(islice(it, CHUNK)):
            pass
        return append.seq


CHUNK = 100_000  # records chained and inserted at a time


class _Appender:
    """Chains records after the log's last one and inserts them, a batch at a time."""

    def __init__(self, conn: sa.Connection, seq: int, prev: str) -> None:
        self.conn, self.seq, self.prev = conn, seq, prev
        self.at, self.actor = _now(), current_actor()

    def __call__(self, entries: Iterable[tuple[str, str, str, str]]) -> int:
        """Append (action, tbl, key, digest) records; returns how many."""
        columns = list(zip(*entries, strict=True))
        if not columns:
            return 0
        actions, tbls, keys, digests = columns
        return self.columns(actions, tbls, keys, digests)

    def columns(
        self,
        actions: Sequence[str] | Same,
        tbls: Sequence[str] | Same,
        keys: Sequence[str],
        digests: Sequence[str],
    ) -> int:
        """Append records given column by column (equally long; `Same(value)` for a column
        that never changes); returns how many."""
        chained = self.chain(actions, tbls, keys, digests)
        self.insert(chained)
        return len(keys)

    def chain(
        self,
        actions: Sequence[str] | Same,
        tbls: Sequence[str] | Same,
        keys: Sequence[str],
        digests: Sequence[str],
    ) -> tuple:
        """The audit_log columns of records after the last one chained (see `insert`), and
        the appender moved past them. Pure computation: safe on another thread while the
        connection writes, as long as nothing else appends meanwhile.

        Each hash needs the one before, so this is one loop; it formats each record's text
        as `chain_hash` joins it, in the same step as hashing it."""
        from hashlib import sha256  # as in chain_hash
        from itertools import repeat

        from .bulk import Same

        count = len(keys)
        if not count:
            return ((),) * len(_LOG_COLUMNS)
        seqs = range(self.seq + 1, self.seq + 1 + count)
        at, actor = self.at, self.actor
        hashes: list[str] = []
        keep = hashes.append
        prev = self.prev
        if isinstance(actions, Same) and isinstance(tbls, Same):  # the same text, once
            middle = f"|{at}|{actor}|{actions.value}|{tbls.value}|"
            for seq, key, digest in zip(seqs, keys, digests, strict=True):
                prev = sha256(f"{prev}|{seq}{middle}{key}|{digest}".encode()).hexdigest()
                keep(prev)
        else:
            each_action = repeat(actions.value, count) if isinstance(actions, Same) else actions
            each_tbl = repeat(tbls.value, count) if isinstance(tbls, Same) else tbls
            for seq, action, tbl, key, digest in zip(
                seqs, each_action, each_tbl, keys, digests, strict=True
            ):
                prev = sha256(
                    f"{prev}|{seq}|{at}|{actor}|{action}|{tbl}|{key}|{digest}".encode()
                ).hexdigest()
                keep(prev)
        prevs = [self.prev, *hashes[:-1]]
        self.seq, self.prev = self.seq + count, prev
        return (seqs, Same(at), Same(actor), actions, tbls, keys, digests, prevs, hashes)

    def insert(self, chained: tuple) -> None:
        """Insert records `chain` made."""
        self.insert_into(self.conn, chained)

    @staticmethod
    def insert_into(conn: sa.Connection, chained: tuple) -> None:
        """Insert records `chain` made, with one executemany."""
        from .bulk import insert_columns
        from .schema import audit_log

        if len(chained[0]):
            insert_columns(conn, audit_log, _LOG_COLUMNS, chained)

    def resume(self) -> None:
        """Carry on after the log's last record (after others were appended meanwhile)."""
        import sqlalchemy as sa

        from .schema import audit_log

        last = self.conn.execute(
            sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        self.seq, self.prev = (last.seq, last.hash) if last else (0, GENESIS)


@contextmanager
def _appender(conn: sa.Connection) -> Iterator[_Appender]:
    """An appender after the log's last record (on PostgreSQL, holding the append lock)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK})")
    append = _Appender(conn, 0, GENESIS)
    append.resume()
    yield append


def append_event(conn: sa.Connection, tbl: str, key: str, details: str) -> int:
    """Append a record that is not a row change (a restore, the start of the log)."""
    return _append(conn, [("event", tbl, key, _sha256(details))])


def current_rows(conn: sa.Connection, table: sa.Table) -> Iterator[tuple[str, str]]:
    """(key, digest) of every row of a table now, computed as the triggers compute them."""
    dialect = conn.dialect.name
    alias = "r"
    sql = (
        f"SELECT {key_sql(table, alias, dialect)}, {digest_sql(table, alias, dialect)} "
        f"FROM {table.name} AS {alias}"
    )
    with conn.exec_driver_sql(sql, execution_options={"yield_per": 5000}) as rows:
        for key, digest in rows:
            yield str(key), str(digest)


def append_baseline(conn: sa.Connection, tables: list[sa.Table]) -> int:
    """A 'baseline' record for every row that exists when the log starts (migration 7)."""
    entries = (
        ("baseline", table.name, key, digest)
        for table in tables
        for key, digest in current_rows(conn, table)
    )
    return _append(conn, entries)
