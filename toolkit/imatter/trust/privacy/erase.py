"""Erase a person: their record becomes a pseudonymous one, in one write transaction.

The people row keeps its id (so reports, eligibility history and the audit chain still hold
together) with the name "Erased person <id>" and no email or area. Every column the coverage
map lists is then erased as the map says, and a final scan of every text column replaces any
remaining mention of the name, email or sign-in identity. After the commit, SQLite rewrites the
file (VACUUM) and empties its write-ahead log, so no older copy of a row stays in the database
files; the person's credential files are removed; the nbgrader gradebooks of the workspace's
assessment course directories are cleaned (see `gradebooks`); and backups and other files in
the workspace that still mention the person (or a gradebook that could not be cleaned) are
listed, so the caller can warn.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...errors import Duplicate, InvalidValue, PermissionDenied
from ...records.clock import utcnow
from ...records.people import resolve_person
from .coverage import NOT_SCANNED, Erase, Match, covered, erased_name
from .export import workspace_files
from .matching import Terms, fit
from .rows import Found, Subject, database_tables, erasing, find_rows, load_subject, where_key

BACKUP_NAME = re.compile(r"\.bak\b|backup|before-restore", re.IGNORECASE)
SCAN_LIMIT = 20 * 1024 * 1024  # files larger than this are not searched for mentions
CHECKPOINT_WAIT_MS = 5000  # how long the final checkpoint waits for readers to finish


@dataclass(frozen=True)
class ErasureSummary:
    """What an erasure changed, and what it could not reach."""

    person_id: int
    label: str  # what text naming them now says
    erased_by: str
    reason: str
    changed: Mapping[str, int]  # table -> rows changed (including the final scan's)
    scanned: Mapping[str, int]  # table -> rows the final scan of text columns changed
    removed_files: tuple[Path, ...]
    backups: tuple[Path, ...]  # backups in the workspace that still hold older copies
    mentions: tuple[Path, ...]  # other workspace files that still mention the person
    notes: tuple[str, ...]  # what the database could not do (a checkpoint blocked, ...)
    gradebooks: tuple[Path, ...] = ()  # nbgrader gradebooks the person was erased from
    gradebooks_failed: tuple[Path, ...] = ()  # gradebooks that could not be cleaned (see notes)

    @property
    def rows(self) -> int:
        return sum(self.changed.values())


def erase_person(
    ws: Any, person: str | int, *, reason: str, erased_by: str, compact: bool = True
) -> ErasureSummary:
    """Erase a person (an id or an email) from the records, keeping a pseudonymous record.

    :param compact: on SQLite, rewrite the file afterwards (VACUUM) so that no freed page keeps
        an older copy of a row; without it, `PRAGMA secure_delete` still zeroes what this
        erasure frees.
    :raises NotFound: no such person. :raises Duplicate: the person is already erased.
    :raises InvalidValue: no reason given.
    """
    from ...store.audit import append_event
    from . import authorise

    if not reason or not reason.strip():
        raise InvalidValue("an erasure needs a reason (for example: the person asked, by letter)")
    store = ws.store
    now = utcnow()
    changed: dict[str, set[tuple]] = defaultdict(set)
    scanned: dict[str, set[tuple]] = defaultdict(set)
    notes: list[str] = []
    with store.write() as conn:
        if store.is_sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        person_id = resolve_person(conn, person)
        authorise(conn, "privacy.erase", person_id, person)
        tables = database_tables(conn)
        subject = load_subject(conn, tables, person_id, for_export=False)
        if subject.erased:
            raise Duplicate(
                f"person {subject.id} is already erased; there is nothing left to erase"
            )
        _check_admins(conn, tables, subject)
        files = _credential_files(conn, ws, tables, subject)
        file_terms = _file_terms(subject)
        codes = {
            code: f"ERASED-{subject.id}-{n}"
            for n, code in enumerate(sorted({s for _, _, s in subject.pseudonyms}), start=1)
        }
        for name, table in tables.items():
            if all(e.erase in (Erase.KEEP, Erase.AUDIT) for e in covered(name)):
                continue  # nothing to change here (ids kept; the audit chain left alone)
            for found in list(find_rows(conn, table, subject)):
                if _apply(conn, table, found, subject, codes, now=now, by=erased_by):
                    changed[name].add(tuple(found.key.values()))
        for name, key in _scan(conn, tables, subject.terms, notes):
            changed[name].add(key)
            scanned[name].add(key)
        # The erasure itself, in the audit log: a digest of who, why and what, never the text.
        details = {
            "event": "privacy-erase",
            "by": erased_by,
            "reason": reason.strip(),
            "changed": {name: len(keys) for name, keys in sorted(changed.items())},
        }
        append_event(conn, "people", str(subject.id), json.dumps(details, sort_keys=True))
    # After the commit nothing may fail: what cannot be done is said in `notes`.
    removed = _remove(files, notes)
    notes += _compact(store, compact) if store.is_sqlite else _vacuum_postgres(store, changed)
    grades = _gradebooks(ws, subject, notes)
    backups, mentions, skipped = _workspace_files(ws, store, file_terms)
    if skipped:
        notes.append(
            f"{skipped} file(s) in the workspace were not searched (larger than 20 MB, or "
            "unreadable); check them by hand"
        )
    return ErasureSummary(
        person_id=subject.id,
        label=subject.label,
        erased_by=erased_by,
        reason=reason.strip(),
        changed={name: len(keys) for name, keys in sorted(changed.items())},
        scanned={name: len(keys) for name, keys in sorted(scanned.items())},
        removed_files=tuple(removed),
        backups=tuple(backups),
        mentions=tuple(mentions),
        notes=tuple(notes),
        gradebooks=grades.cleaned,
        gradebooks_failed=tuple(path for path, _ in grades.failed),
    )


# ------------------------------------------------------------------ in the transaction
def _apply(
    conn: sa.Connection,
    table: sa.Table,
    found: Found,
    subject: Subject,
    codes: dict[str, str],
    *,
    now: Any,
    by: str,
) -> bool:
    """Erase one found row as the map says; True if it changed."""
    actions = erasing(found)
    where = where_key(table, found.key)
    if Erase.DELETE in actions:
        conn.execute(table.delete().where(where))
        return True
    old = found.values
    values: dict[str, Any] = {}
    for entry in actions.get(Erase.RENAME, []):
        values[entry.column] = erased_name(subject.id)
    for entry in actions.get(Erase.CLEAR, []):
        values[entry.column] = None
    for entry in actions.get(Erase.PSEUDONYMISE, []):
        value = old[entry.column]
        if entry.match is Match.PSEUDONYM:
            values[entry.column] = codes[value]
        elif value.strip().lower() in subject.exact:
            values[entry.column] = subject.label
        else:
            length = getattr(table.c[entry.column].type, "length", None)
            values[entry.column] = fit(subject.terms.scrub(value), length, subject.label)
    if Erase.REVOKE in actions:
        values["identity"] = subject.label
        if old.get("revoked_at") is None:
            values |= {"revoked_at": now, "revoked_by": by}
    for entry in actions.get(Erase.REDACT, []):
        values[entry.column] = _stub(old, now)
    values = {k: v for k, v in values.items() if v != old[k]}
    if not values:
        return False
    conn.execute(table.update().where(where).values(**values))
    return True


def _check_admins(conn: sa.Connection, tables: dict[str, sa.Table], subject: Subject) -> None:
    """Refuse to revoke the last organisation admin: with no grant left, the records would be
    open to anyone who can reach the database."""
    if "access_grants" not in tables or not subject.grant_ids:
        return
    g = tables["access_grants"]
    admins = g.c.role == "admin", g.c.revoked_at.is_(None)
    theirs = conn.execute(
        sa.select(sa.func.count()).where(*admins, g.c.id.in_(subject.grant_ids))
    ).scalar_one()
    others = conn.execute(
        sa.select(sa.func.count()).where(*admins, g.c.id.not_in(subject.grant_ids))
    ).scalar_one()
    if theirs and not others:
        raise PermissionDenied(
            f"person {subject.id} holds the last organisation admin grant; grant another admin "
            "(`imatter access grant IDENTITY --role admin`) before erasing them"
        )


def _stub(credential: Mapping[str, Any], now: Any) -> str:
    """What a redacted credential's document becomes: enough to account for it, nothing more.

    It has no "id" key, so a verifier comparing a presented credential with "the one issued"
    does not take the stub for it.
    """
    return json.dumps(
        {
            "redacted": "erased at the request of the person it named",
            "erased_at": now.isoformat(),
            "credential": credential["id"],
            "sha256": credential["sha256"],
            "status_list": credential["status_list_id"],
            "status_index": credential["status_index"],
        },
        sort_keys=True,
    )


def _scan(
    conn: sa.Connection, tables: dict[str, sa.Table], terms: Terms, notes: list[str]
) -> Iterator[tuple[str, tuple]]:
    """The safety net: every text column the map does not list, in every table but the audit
    chain, migrations and people; replace what still names the person. Yields (table, key).

    Keys, foreign keys and short codes (under 100 characters: a position, a role, a cohort)
    are never rewritten, as that could break other people's records: a hit there is added to
    `notes` to be fixed by hand.
    """
    if terms.regex is None:
        return
    for name, table in tables.items():
        if name in NOT_SCANNED:
            continue
        mapped = {e.column for e in covered(name)}
        key_columns = list(table.primary_key.columns)
        for column in table.columns:
            if column.name in mapped or not isinstance(column.type, sa.String):
                continue
            narrowed = terms.candidates(column)
            condition = column.is_not(None) if narrowed is None else narrowed
            shown = key_columns or [c for c in table.columns if c is not column]
            rows = conn.execute(sa.select(*shown, column).where(condition)).mappings().all()
            hits = [row for row in rows if terms.found_in(row[column.name])]
            length = getattr(column.type, "length", None)
            if hits and (column.primary_key or column.foreign_keys or (length or 100) < 100):
                notes.append(
                    f"{name}.{column.name} still names the person in {len(hits)} row(s); it "
                    "holds keys or codes, which are not rewritten: correct them by hand"
                )
                continue
            for row in hits:
                new = fit(terms.scrub(row[column.name]), length, terms.label)
                key = {c.name: row[c.name] for c in shown}
                where = where_key(table, key)
                if not key_columns:
                    where = sa.and_(where, column == row[column.name])
                conn.execute(table.update().where(where).values({column.name: new}))
                yield name, tuple(key.values())


def _credential_files(
    conn: sa.Connection, ws: Any, tables: dict[str, sa.Table], subject: Subject
) -> list[Path]:
    if "credentials" not in tables or not subject.award_ids:
        return []
    c = tables["credentials"]
    rows = conn.execute(
        sa.select(c.c.id, c.c.file).where(c.c.award_id.in_(sorted(subject.award_ids)))
    ).all()
    return [path for row in rows for _folder, path in workspace_files(ws, row.id, row.file)]


def _file_terms(subject: Subject) -> Terms:
    """What marks a workspace file as mentioning the person: their name and email, and the
    codes they typed into the impact questionnaire (in their answers files)."""
    codes = sorted({s for _, _, s in subject.pseudonyms})
    return Terms.of(subject.label, *subject.terms.texts, *codes)


# ------------------------------------------------------------------ after the commit
def _gradebooks(ws: Any, subject: Subject, notes: list[str]) -> Any:
    """Erase the person from every nbgrader gradebook in the workspace; say what failed."""
    from ...assess.course_dir import student_id
    from .gradebooks import clean_gradebooks

    result = clean_gradebooks(Path(ws.path), student_id(subject.id), subject.terms)
    notes += [
        f"the nbgrader gradebook {path} could not be cleaned ({why}); erase "
        f"{student_id(subject.id)}'s name and email there by hand"
        for path, why in result.failed
    ]
    return result


def _remove(files: list[Path], notes: list[str]) -> list[Path]:
    removed = []
    for path in files:
        try:
            if path.is_file():
                path.unlink()
                removed.append(path)
        except OSError as err:
            notes.append(f"{path} could not be removed ({err.strerror}); delete it by hand")
    return removed


def _compact(store: Any, compact: bool) -> list[str]:
    """VACUUM (optional), then fold the write-ahead log into the file and truncate it."""
    notes = []
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if compact:
            try:
                cursor.execute("VACUUM")
            except sqlite3.OperationalError as err:
                notes.append(
                    f"the database file could not be rewritten ({err}); the pages this erasure "
                    f"freed were zeroed, but run `sqlite3 {store.sqlite_path} VACUUM` when no "
                    "one else is using the database, to clear older free space"
                )
        # Wait a little for readers to move to the new snapshot, not the usual 30 seconds.
        waited = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {int(CHECKPOINT_WAIT_MS)}")
        try:
            busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(waited)}")
        if busy:
            wal = f"{store.sqlite_path}-wal" if store.sqlite_path else "the -wal file"
            notes.append(
                f"the write-ahead log ({wal}) could not be emptied because other programs are "
                "reading the database; it may hold older copies of the erased rows until they "
                "close (when the last connection closes, SQLite folds the log in and removes it)"
            )
        cursor.close()
    finally:
        raw.close()
    return notes


def _vacuum_postgres(store: Any, changed: Mapping[str, set[tuple]]) -> list[str]:
    """VACUUM the changed tables, so that the old row versions are not kept for reuse."""
    notes = []
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in sorted(changed):
            try:
                conn.exec_driver_sql(f'VACUUM "{name}"')
            except sa.exc.DBAPIError as err:
                notes.append(f"VACUUM {name} failed ({err.orig}); ask the database owner to run it")
    notes.append(
        "PostgreSQL keeps older row versions in its write-ahead log, WAL archives and base "
        "backups until they are recycled; erase them by your retention policy"
    )
    return notes


def _workspace_files(ws: Any, store: Any, terms: Terms) -> tuple[list[Path], list[Path], int]:
    """Backups in the workspace (and beside the database), and files that mention the person.

    A backup is a copy of a records database (a SQLite file with `people` and
    `schema_migrations` tables) or a file named like one (.bak, backup, before-restore).
    """
    own: set[Path] = set()
    folders = [Path(ws.path)]
    if store.sqlite_path is not None:
        db = store.sqlite_path.resolve()
        own = {db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))}
        if db.parent != Path(ws.path).resolve():
            folders.append(db.parent)
    backups: set[Path] = set()
    mentions: set[Path] = set()
    skipped = 0
    seen: set[Path] = set()
    for index, folder in enumerate(folders):
        paths = folder.rglob("*") if index == 0 else folder.glob("*")
        for path in paths:
            try:
                resolved = path.resolve()
                if resolved in own or resolved in seen or not path.is_file():
                    continue
                seen.add(resolved)
                if BACKUP_NAME.search(path.name) or _records_copy(path):
                    backups.add(path)
                elif path.stat().st_size > SCAN_LIMIT:
                    skipped += 1
                elif _mentions(path, terms):
                    mentions.add(path)
            except OSError:  # unreadable: count it as not searched
                skipped += 1
    return sorted(backups), sorted(mentions), skipped


def _records_copy(path: Path) -> bool:
    """Whether a file is a copy of a records database (opened read-only, never changed)."""
    try:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return False
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            names = {
                r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            db.close()
    except (OSError, sqlite3.Error):
        return False
    return {"people", "schema_migrations"} <= names


def _sqlite_mentions(path: Path, terms: Terms) -> bool | None:
    """Whether a SQLite file's text values name the person (None: not a SQLite file).

    Its bytes alone do not tell: a record's fields are stored side by side, so a name can run
    into the value before it ("p12Ann Able") and a whole-word search misses it.
    """
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return None
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        names = [
            r[0]
            for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith("sqlite_")
        ]
        for name in names:
            quoted = name.replace('"', '""')
            for row in db.execute(f'SELECT * FROM "{quoted}"'):
                if any(terms.found_in(value) for value in row):
                    return True
        return False
    except sqlite3.Error:  # damaged: its bytes are searched instead
        return None
    finally:
        db.close()


def _mentions(path: Path, terms: Terms) -> bool:
    try:
        in_database = _sqlite_mentions(path, terms)
        if in_database is not None:
            return in_database or terms.found_in(path.read_bytes().decode("utf-8", "replace"))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return any(
                    terms.found_in(archive.read(info).decode("utf-8", "replace"))
                    for info in archive.infolist()
                    if info.file_size <= SCAN_LIMIT and not info.is_dir()
                )
        return terms.found_in(path.read_bytes().decode("utf-8", "replace"))
    except (OSError, zipfile.BadZipFile, RuntimeError):
        return False
