"""Migration 2 adds the credentials tables to a database made at schema 1."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from imatter.store import Store
from imatter.store.migrations import MIGRATIONS
from imatter.store.schema import schema_migrations


def test_schema_1_database_upgrades_with_credentials_tables(tmp_path):
    path = tmp_path / "old.db"
    old = Store.for_file(path, migrate=False)
    with old.write() as conn:
        MIGRATIONS[0].apply(conn)
        conn.execute(
            schema_migrations.insert().values(
                version=1, name=MIGRATIONS[0].name, applied_at=dt.datetime(2026, 9, 1)
            )
        )
    assert old.schema_version() == 1
    old.dispose()

    store = Store.for_file(path)
    assert store.schema_version() == MIGRATIONS[-1].version >= 2
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"credentials", "credential_status_lists", "award_revocations"} <= tables
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("credentials")}
    assert {
        "id",
        "award_id",
        "file",
        "sha256",
        "document",
        "status_list_id",
        "status_index",
        "key_id",
        "issued_at",
    } <= columns
    assert (tmp_path / "old.schema1.bak.db").exists()
    names = dict(
        store.engine.connect()
        .execute(sa.select(schema_migrations.c.version, schema_migrations.c.name))
        .all()
    )
    assert names[2].startswith("credentials:")
    store.dispose()
