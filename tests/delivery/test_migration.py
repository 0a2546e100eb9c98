"""Migration 3 (delivery) upgrades a database made by an earlier schema, keeping its rows."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from imatter.store import Store
from imatter.store import schema as t
from imatter.store.migrations import MIGRATIONS

DELIVERY_TABLES = {
    "study_groups",
    "group_members",
    "group_sessions",
    "attendance",
    "self_reviews",
    "self_review_ratings",
    "action_item_updates",
    "cluster_contacts",
    "directory_consents",
}


def test_versions_are_ordered_and_delivery_is_three():
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert {tb.name for tb in t.metadata.sorted_tables if tb.info.get("migration") == 3} == (
        DELIVERY_TABLES
    )


def test_a_schema_one_database_upgrades(tmp_path):
    path = tmp_path / "old.db"
    old = Store.for_file(path, migrate=False)
    with old.write() as conn:  # what a schema-1 toolkit made
        MIGRATIONS[0].apply(conn)
        conn.execute(
            t.schema_migrations.insert().values(
                version=1, name=MIGRATIONS[0].name, applied_at=dt.datetime(2026, 9, 1)
            )
        )
        conn.execute(
            t.settings.insert().values(
                id="oak",
                name="Oak",
                kind="school",
                pupils_on_roll=10,
                created_at=dt.datetime(2026, 9, 1),
            )
        )
    old.dispose()
    store = Store.for_file(path)
    assert store.schema_version() == MIGRATIONS[-1].version
    with store.read() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert DELIVERY_TABLES <= tables
        assert conn.execute(sa.select(t.settings.c.name)).scalar_one() == "Oak"
    assert (tmp_path / "old.schema1.bak.db").exists()  # backed up before the upgrade
    store.dispose()
