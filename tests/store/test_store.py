"""Migrations kept in the database; write transactions that wait their turn."""

from __future__ import annotations

import multiprocessing as mp
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from imatter.errors import StoreError
from imatter.store import Store
from imatter.store.audit import register_functions
from imatter.store.migrations import MIGRATIONS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LATEST = MIGRATIONS[-1].version


def test_migrations_on_an_empty_database(tmp_path):
    store = Store.for_file(tmp_path / "new.db")
    assert store.schema_version() == LATEST
    with store.read() as conn:
        applied = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT version FROM schema_migrations ORDER BY version"
            )
        ]
    assert applied == [m.version for m in MIGRATIONS]
    assert not list(tmp_path.glob("*.bak*"))  # nothing to back up


def test_schema_1_database_upgrades_keeping_its_records(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema-1.db", path)
    store = Store.for_file(path)
    assert store.schema_version() == LATEST
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT name FROM people").scalars().all() == ["Fixture Person"]
        assert conn.exec_driver_sql("SELECT count(*) FROM completions").scalar() == 2
        tables = set(sa.inspect(conn).get_table_names())
    from imatter.store.schema import metadata

    assert set(metadata.tables) <= tables
    backup = tmp_path / "old.schema1.bak.db"
    assert backup.exists()
    assert sqlite3.connect(backup).execute(
        "SELECT max(version) FROM schema_migrations"
    ).fetchone() == (1,)


def test_opening_twice_applies_nothing_more(tmp_path):
    Store.for_file(tmp_path / "x.db")
    assert Store.for_file(tmp_path / "x.db").migrate() == []


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "future.db"
    Store.for_file(path).dispose()
    db = sqlite3.connect(path)
    register_functions(db)  # the audit triggers call them
    db.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', '2030-01-01')")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema 999, newer than this toolkit"):
        Store.for_file(path)


def test_a_failed_migration_leaves_the_database_unchanged(tmp_path, monkeypatch):
    from imatter.store import migrations

    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema-1.db", path)

    def broken(conn):
        raise RuntimeError("boom")

    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [*MIGRATIONS, migrations.Migration(LATEST + 1, "broken", (broken,))],
    )
    # Store.migrate reads store.migrations.MIGRATIONS when it runs (imported there lazily).
    with pytest.raises(RuntimeError):
        Store.for_file(path)
    assert sqlite3.connect(path).execute(
        "SELECT max(version) FROM schema_migrations"
    ).fetchone() == (1,)


def _writer(path: str, person: int, rounds: int) -> None:
    store = Store.for_file(path, migrate=False)
    for i in range(rounds):
        with store.write() as conn:  # read then write in one transaction
            count = conn.exec_driver_sql("SELECT count(*) FROM completions").scalar()
            conn.exec_driver_sql(
                "INSERT INTO completions (person_id, course_id, completed_on, evidence, "
                "recorded_by, recorded_at, withdrawn) VALUES (?, ?, '2026-01-01', ?, 'w', "
                "'2026-01-01 00:00:00', 0)",
                (person, f"c{i}", str(count)),
            )


def test_concurrent_read_then_write_transactions_wait_their_turn(tmp_path):
    path = tmp_path / "busy.db"
    store = Store.for_file(path)
    with store.write() as conn:
        for pid in (1, 2):
            conn.exec_driver_sql(
                "INSERT INTO people (id, name, created_at) VALUES (?, 'P', '2026-01-01')", (pid,)
            )
    store.dispose()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), pid, 40)) for pid in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM completions").fetchone() == (80,)


def test_a_skipped_migration_is_applied_later(tmp_path):
    """A database that recorded 1 and 3 (made while 2 was unreleased) still gets 2."""
    path = tmp_path / "gap.db"
    Store.for_file(path).dispose()
    db = sqlite3.connect(path)
    register_functions(db)  # the audit triggers call them
    second = MIGRATIONS[1]
    db.execute("DELETE FROM schema_migrations WHERE version = ?", (second.version,))
    from imatter.store.schema import metadata

    for table in [t for t in metadata.sorted_tables if t.info.get("migration") == second.version]:
        db.execute(f'DROP TABLE "{table.name}"')
    db.commit()
    db.close()
    assert Store.for_file(path, migrate=False).applied_migrations() == (
        {m.version for m in MIGRATIONS} - {second.version}
    )
    assert Store.for_file(path).migrate() == []  # opening applied it
    assert Store.for_file(path).applied_migrations() == {m.version for m in MIGRATIONS}
