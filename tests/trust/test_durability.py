"""Durability: the SQLite settings promised, online backups, checked restores, their CLI.

Real SQLite files and real processes throughout: a backup is taken while another process
writes, and a restore is checked against the backup file itself.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imatter import records as r
from imatter.errors import StoreError
from imatter.store import Store
from imatter.store.migrations import MIGRATIONS
from imatter.trust.backup import backup_database, inspect_backup, restore_database

from ..conftest import PROGRAMME_FILE, TODAY

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LATEST = MIGRATIONS[-1].version
ON = dt.date(2026, 10, 1)
RECORD_TABLES = ("settings", "people", "affiliations", "completions", "awards")


# ----------------------------------------------------------------------------- helpers
def _populate(ws, people: int = 3) -> None:
    r.add_setting(ws.store, "brook-primary", "Brook Primary", pupils_on_roll=240)
    for i in range(1, people + 1):
        pid = r.add_person(
            ws.store,
            ws.programme,
            f"Person {i}",
            email=f"p{i}@example.org",
            setting="brook-primary",
            position="teacher",
        )
        r.record_completion(
            ws.store, ws.programme, pid, "foundation-a", ON, recorded_by="lead", today=TODAY
        )


def _dump(path: Path, tables: tuple[str, ...] = RECORD_TABLES) -> dict[str, list[tuple]]:
    """Every row of the record tables, read with a plain read-only connection."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()


def _integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ----------------------------------------------------------------------------- settings
def test_sqlite_connection_settings_are_as_promised(ws):
    with ws.store.engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragma["journal_mode"] == "wal"
    assert pragma["synchronous"] == 2  # FULL
    assert pragma["busy_timeout"] > 0
    assert pragma["foreign_keys"] == 1
    # WAL is recorded in the file itself (header bytes 18-19 are 2), for every later opener.
    assert ws.store.sqlite_path.read_bytes()[18:20] == b"\x02\x02"


def test_a_write_transaction_holds_the_write_lock_from_its_start(ws):
    """BEGIN IMMEDIATE: another writer waits (here: fails at once with no timeout)."""
    other = sqlite3.connect(ws.store.sqlite_path, timeout=0, isolation_level=None)
    try:
        with ws.store.write():
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once the transaction ends
        other.execute("ROLLBACK")
    finally:
        other.close()


# ----------------------------------------------------------------------------- backup
def test_backup_result_and_file(ws, tmp_path):
    _populate(ws)
    target = tmp_path / "backups" / "b.db"
    target.parent.mkdir()
    result = backup_database(ws.store, target)
    assert result.path == target
    assert result.database == ws.store.sqlite_path
    assert result.size == target.stat().st_size > 0
    assert result.schema_version == LATEST
    assert {k: result.counts[k] for k in RECORD_TABLES} == {
        "settings": 1,
        "people": 3,
        "affiliations": 3,
        "completions": 3,
        "awards": 0,
    }
    # One self-contained, checked file; no temporary or journal files beside it.
    assert _listing(target.parent) == ["b.db"]
    assert _integrity(target) == ["ok"]
    assert target.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL
    assert _dump(target) == _dump(ws.store.sqlite_path)


def test_backup_refuses_to_overwrite_unless_asked(ws, tmp_path):
    _populate(ws)
    target = tmp_path / "b.db"
    target.write_bytes(b"precious")
    with pytest.raises(StoreError) as err:
        backup_database(ws.store, target)
    assert err.value.message == (
        f"{target} already exists; nothing was written. Give another file name, "
        "or use --force to replace it"
    )
    assert target.read_bytes() == b"precious"
    assert not list(tmp_path.glob(".b.db.*"))
    result = backup_database(ws.store, target, overwrite=True)
    assert result.counts["people"] == 3
    assert _integrity(target) == ["ok"]
    assert not list(tmp_path.glob(".b.db.*"))


def test_backup_refuses_a_missing_folder_and_the_live_file(ws, tmp_path):
    missing = tmp_path / "nowhere" / "b.db"
    with pytest.raises(StoreError) as err:
        backup_database(ws.store, missing)
    assert err.value.message == f"the folder {missing.parent} does not exist; create it first"
    live = ws.store.sqlite_path
    with pytest.raises(StoreError) as err:
        backup_database(ws.store, live, overwrite=True)
    assert err.value.message == f"{live} is the live database itself; give another file name"


def _writer(db: str, stop, progress) -> None:  # type: ignore[no-untyped-def]
    """Child process: add people (person + affiliation, one transaction each) until stopped."""
    from imatter.programme import load_programme

    gc.freeze()  # collections would otherwise walk (and copy) all of pytest's inherited heap
    store = Store.for_file(db, migrate=False)  # its own connections, never the parent's
    programme = load_programme(PROGRAMME_FILE)
    i = 0
    while not stop.is_set():
        i += 1
        r.add_person(store, programme, f"Writer {i}", setting="brook-primary", position="teacher")
        progress.value = i
    store.dispose()


def test_backup_while_another_process_writes_is_a_committed_state(ws, tmp_path):
    r.add_setting(ws.store, "brook-primary", "Brook Primary", pupils_on_roll=240)
    live = ws.store.sqlite_path
    ws.store.dispose()  # no connection crosses fork()
    ctx = mp.get_context("fork")
    stop, progress = ctx.Event(), ctx.Value("i", 0)
    child = ctx.Process(target=_writer, args=(str(live), stop, progress))
    child.start()
    try:
        copies = []
        for n in range(3):
            deadline = time.monotonic() + 30
            while progress.value < 20 * (n + 1) and time.monotonic() < deadline:
                time.sleep(0.01)
            before = progress.value
            result = backup_database(ws.store, tmp_path / f"during-{n}.db")
            copies.append((before, progress.value, result))
    finally:
        stop.set()
        child.join(30)
    assert child.exitcode == 0
    final = _dump(live)
    for before, after, result in copies:
        assert _integrity(result.path) == ["ok"]
        copy = _dump(result.path)
        people = len(copy["people"])
        # A committed state: every person has their affiliation, and it is a prefix of history.
        assert before <= people <= after + 1
        assert result.counts["people"] == result.counts["affiliations"] == people
        assert copy["people"] == final["people"][:people]
        assert copy["affiliations"] == final["affiliations"][:people]
        assert [row[0] for row in copy["people"]] == list(range(1, people + 1))
    assert len(final["people"]) >= copies[-1][1] >= 60


# ----------------------------------------------------------------------------- restore
def test_restore_round_trip(ws, tmp_path):
    _populate(ws)
    backup = backup_database(ws.store, tmp_path / "b.db")
    expected = _dump(backup.path)
    # Life goes on after the backup: more people, a correction.
    r.add_person(ws.store, ws.programme, "Later Person", email="later@example.org")
    r.correct_completion(
        ws.store, ws.programme, 1, reason="wrong date", recorded_by="lead", today=TODAY, on=ON
    )
    changed = _dump(ws.store.sqlite_path)
    assert changed != expected
    # Another user of the database has a pooled connection open all along.
    other = Store(ws.store.url, migrate=False)
    with other.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM people").scalar() == 4

    result = restore_database(ws.store, backup.path)

    live = ws.store.sqlite_path
    assert _dump(live) == expected
    assert _integrity(live) == ["ok"]
    assert (result.source, result.database) == (backup.path, live)
    assert result.schema_version == result.upgraded_to == LATEST
    assert result.counts == backup.counts
    # The replaced database was saved beside it, whole.
    assert result.saved is not None and result.saved.parent == live.parent
    assert result.saved.name.startswith("imatter.before-restore-")
    assert result.saved.name.endswith("Z.db")
    assert _dump(result.saved) == changed
    # The API reads the restored records, through this store and the other one.
    assert [p.name for p in r.list_people(ws.store)] == ["Person 1", "Person 2", "Person 3"]
    with other.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM people").scalar() == 3
    other.dispose()
    # No staging files are left beside the database.
    assert [n for n in _listing(live.parent) if n.startswith(".")] == []


def test_restore_without_keeping_the_current_database(ws, tmp_path):
    _populate(ws)
    backup = backup_database(ws.store, tmp_path / "b.db")
    r.add_person(ws.store, ws.programme, "Later Person")
    result = restore_database(ws.store, backup.path, keep_current=False)
    assert result.saved is None
    assert not list(ws.store.sqlite_path.parent.glob("*before-restore*"))
    assert _dump(ws.store.sqlite_path) == _dump(backup.path)


def test_restore_of_an_old_schema_upgrades_it(ws, tmp_path):
    _populate(ws)
    source = tmp_path / "schema-1.db"
    shutil.copy(FIXTURES / "schema-1.db", source)
    result = restore_database(ws.store, source)
    assert (result.schema_version, result.upgraded_to) == (1, LATEST)
    assert ws.store.schema_version() == LATEST
    assert [p.name for p in r.list_people(ws.store)] == ["Fixture Person"]
    assert result.counts["completions"] == 2
    # The backup itself is untouched, and no staging or upgrade copies are left behind.
    assert sqlite3.connect(source).execute(
        "SELECT max(version) FROM schema_migrations"
    ).fetchone() == (1,)
    assert [n for n in _listing(ws.path) if n.startswith(".") or ".bak" in n] == []


def _not_a_database(path: Path) -> None:
    path.write_text("name,email\nAlex,alex@example.org\n", encoding="utf-8")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_imatter(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


def _newer(path: Path) -> None:
    store = Store.for_file(path)  # through the store: its triggers need its SQL functions
    with store.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO schema_migrations VALUES (999, 'from the future', '2030-01-01')"
        )
    store.dispose()


BAD_FILES = {
    "not-a-database": (
        _not_a_database,
        "{f} is not a SQLite database; give a backup made with `imatter backup`; "
        "nothing was changed",
    ),
    "empty": (
        _empty,
        "{f} is not a SQLite database; give a backup made with `imatter backup`; "
        "nothing was changed",
    ),
    "truncated": (
        _truncated,
        "{f} is damaged (database disk image is malformed); restore another backup; "
        "nothing was changed",
    ),
    "not-imatter": (
        _not_imatter,
        "{f} is not an imatter database (no schema_migrations table); give a backup made "
        "with `imatter backup`; nothing was changed",
    ),
    "newer-schema": (
        _newer,
        "{f} has schema 999, newer than this toolkit ("
        + str(LATEST)
        + "); upgrade imatter, then restore; nothing was changed",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_restore_of_a_bad_file_fails_and_changes_nothing(ws, tmp_path, case):
    _populate(ws)
    source = backup_database(ws.store, tmp_path / f"{case}.db").path
    spoil, message = BAD_FILES[case]
    spoil(source)
    r.add_person(ws.store, ws.programme, "After The Backup")
    live = ws.store.sqlite_path
    before, files = _dump(live), _listing(live.parent)
    with pytest.raises(StoreError) as err:
        restore_database(ws.store, source)
    assert err.value.message == message.format(f=source)
    assert _dump(live) == before
    assert _listing(live.parent) == files  # not even a before-restore copy


def test_restore_of_a_corrupt_page_fails_and_changes_nothing(ws, tmp_path):
    _populate(ws, people=40)
    source = backup_database(ws.store, tmp_path / "b.db").path
    data = bytearray(source.read_bytes())
    page = 4096
    data[3 * page : 5 * page] = bytes(range(256)) * (2 * page // 256)  # pages 4-5: garbage
    source.write_bytes(bytes(data))
    live = ws.store.sqlite_path
    before, files = _dump(live), _listing(live.parent)
    with pytest.raises(StoreError) as err:
        restore_database(ws.store, source)
    assert err.value.message.startswith(f"{source} is damaged (")
    assert err.value.message.endswith("); restore another backup; nothing was changed")
    assert _dump(live) == before
    assert _listing(live.parent) == files


def test_restore_over_a_damaged_live_database_refuses_until_it_is_moved_aside(ws, tmp_path):
    _populate(ws)
    backup = backup_database(ws.store, tmp_path / "b.db")
    live = ws.store.sqlite_path
    ws.store.dispose()
    data = live.read_bytes()
    live.write_bytes(data[: len(data) // 3])  # a disk fault: the file lost its end
    damaged, files = live.read_bytes(), _listing(live.parent)
    with pytest.raises(StoreError) as err:
        restore_database(ws.store, backup.path)
    assert err.value.message == (
        f"the live database {live} is damaged (database disk image is malformed); stop "
        "everything using it, move it (and any imatter.db-wal and imatter.db-shm) to another "
        "folder, then restore again; nothing was changed"
    )
    # Unchanged: the same bytes, and no new file but the -wal and -shm any reader makes.
    assert live.read_bytes() == damaged
    assert [n for n in _listing(live.parent) if not n.endswith(("-wal", "-shm"))] == files
    aside = tmp_path / "aside"
    aside.mkdir()
    for path in live.parent.glob("imatter.db*"):
        path.rename(aside / path.name)
    result = restore_database(ws.store, backup.path)
    assert result.saved is None  # nothing to save
    assert _dump(live) == _dump(backup.path)
    assert [p.name for p in r.list_people(ws.store)] == ["Person 1", "Person 2", "Person 3"]


def test_restore_of_a_missing_file_or_the_live_one(ws, tmp_path):
    missing = tmp_path / "gone.db"
    with pytest.raises(StoreError) as err:
        restore_database(ws.store, missing)
    assert err.value.message == (
        f"{missing}: file not found; give the path of a backup made with `imatter backup`"
    )
    live = ws.store.sqlite_path
    with pytest.raises(StoreError) as err:
        restore_database(ws.store, live)
    assert err.value.message == f"{live} is the live database itself; give a backup file"


def test_inspect_backup_describes_a_good_file(ws, tmp_path):
    _populate(ws)
    path = backup_database(ws.store, tmp_path / "b.db").path
    info = inspect_backup(path)
    assert (info.path, info.schema_version, info.counts["people"]) == (path, LATEST, 3)
    assert info.describe().startswith(f"schema {LATEST}: settings 1, people 3, affiliations 3")
    assert _listing(tmp_path) == ["b.db", "ws"]  # reading it left nothing beside it


def test_postgres_points_to_pg_dump_and_pg_restore(pg_ws, tmp_path):
    libpq = pg_ws.store.engine.url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    target = tmp_path / "b.dump"
    with pytest.raises(StoreError) as err:
        backup_database(pg_ws.store, target)
    assert err.value.message == (
        "PostgreSQL databases are backed up with pg_dump, not `imatter backup`: run "
        f"pg_dump --format=custom --file={target} '{libpq}'"
    )
    with pytest.raises(StoreError) as err:
        restore_database(pg_ws.store, target)
    assert err.value.message == (
        "PostgreSQL databases are restored with pg_restore, not `imatter restore`: run "
        f"pg_restore --clean --if-exists --dbname '{libpq}' {target}"
    )
    assert not target.exists()


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def cli(run_cli):
    assert run_cli("init")[0] == 0
    setting = ("setting", "add", "brook-primary", "--name", "Brook Primary", "--pupils", "240")
    assert run_cli(*setting)[0] == 0
    assert run_cli("person", "add", "Alex Test", "--setting", "brook-primary")[0] == 0
    return run_cli


def test_cli_backup_exit_codes_and_messages(cli, tmp_path):
    target = tmp_path / "b.db"
    live = tmp_path / "ws" / "imatter.db"
    code, out, err = cli("backup", str(target))
    size = target.stat().st_size
    assert (code, err) == (0, "")
    assert out == (
        f"Backed up {live.resolve()} to {target} ({size:,} bytes, schema {LATEST}; "
        "settings 1, people 1, affiliations 1, completions 0, awards 0, credentials 0)\n"
    )
    assert cli("backup", str(target)) == (
        1,
        "",
        f"Error: {target} already exists; nothing was written. Give another file name, "
        "or use --force to replace it\n",
    )
    code, out, err = cli("backup", str(target), "--force")
    assert (code, err) == (0, "") and out.startswith(f"Backed up {live.resolve()} to {target}")


def test_cli_restore_exit_codes_and_messages(cli, tmp_path):
    target = tmp_path / "b.db"
    assert cli("backup", str(target))[0] == 0
    assert cli("person", "add", "Later Person")[0] == 0
    live = (tmp_path / "ws" / "imatter.db").resolve()
    code, out, err = cli("restore", str(target), "--yes")
    (saved,) = live.parent.glob("imatter.before-restore-*.db")
    assert (code, err) == (0, "")
    assert out == (
        f"Restored {target} into {live} (schema {LATEST}; settings 1, people 1, affiliations 1, "
        "completions 0, awards 0, credentials 0)\n"
        f"The previous database is saved as {saved}\n"
    )
    code, out, _ = cli("person", "list", "--json")
    assert [p["name"] for p in json.loads(out)] == ["Alex Test"]
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n", encoding="utf-8")
    assert cli("restore", str(bad), "--yes") == (
        1,
        "",
        f"Error: {bad} is not a SQLite database; give a backup made with `imatter backup`; "
        "nothing was changed\n",
    )
    missing = tmp_path / "gone.db"
    assert cli("restore", str(missing), "--yes") == (
        1,
        "",
        f"Error: {missing}: file not found; give the path of a backup made with `imatter backup`\n",
    )


def _imatter(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("imatter")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "imatter.cli"]
    env = {
        **os.environ,
        "IMATTER_WORKSPACE": str(tmp_path / "ws"),
        "IMATTER_PROGRAMME": str(PROGRAMME_FILE),
        "IMATTER_USER": "tester",
    }
    env.pop("IMATTER_DB", None)
    return subprocess.run(
        [*command, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_restore_asks_first_showing_what_it_replaces(cli, tmp_path):
    target = tmp_path / "b.db"
    assert cli("backup", str(target))[0] == 0
    assert cli("person", "add", "Later Person")[0] == 0
    live = (tmp_path / "ws" / "imatter.db").resolve()
    before = _dump(live)
    prompt = (
        f"This replaces {live} (schema {LATEST}: settings 1, people 2, affiliations 1, "
        "completions 0, awards 0, credentials 0)\n"
        f"with {target} (schema {LATEST}: settings 1, people 1, affiliations 1, completions 0, "
        "awards 0, credentials 0).\n"
        "The current database is saved beside it first.\n"
        "Restore? [y/N]: "
    )
    refused = _imatter(tmp_path, "restore", str(target), stdin="n\n")
    assert (refused.returncode, refused.stdout, refused.stderr) == (1, prompt, "Aborted.\n")
    assert _dump(live) == before
    assert not list(live.parent.glob("*before-restore*"))

    accepted = _imatter(tmp_path, "restore", str(target), stdin="y\n")
    assert (accepted.returncode, accepted.stderr) == (0, "")
    assert accepted.stdout.startswith(prompt + f"Restored {target} into {live} (")
    assert _dump(live) == _dump(target)


def test_cli_on_postgres_points_to_pg_dump_and_pg_restore(pg_ws, run_cli, tmp_path):
    libpq = pg_ws.store.engine.url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    target = tmp_path / "b.dump"
    assert run_cli("backup", str(target)) == (
        1,
        "",
        "Error: PostgreSQL databases are backed up with pg_dump, not `imatter backup`: run "
        f"pg_dump --format=custom --file={target} '{libpq}'\n",
    )
    assert run_cli("restore", str(target)) == (
        1,
        "",
        "Error: PostgreSQL databases are restored with pg_restore, not `imatter restore`: run "
        f"pg_restore --clean --if-exists --dbname '{libpq}' {target}\n",
    )
