"""Schema migrations, applied inside the database and recorded in `schema_migrations`.

A migration is (version, name, steps). Version N creates the tables whose `info["migration"]`
is N, then runs its extra steps (column additions, data fixes). They run in one transaction,
after a backup of a SQLite file made with the online backup API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from .schema import metadata
from .summary import create_summary


def start_audit_log(conn: sa.Connection) -> None:
    """Migration step: the log starts with how many rows existed, and a baseline record (key
    and digest) for each of them, so that every row in the database has an audit record."""
    from .audit import append_baseline, append_event

    before = [t for t in metadata.sorted_tables if t.info.get("migration", 0) < 7]
    counts = {
        t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in before
    }
    append_event(conn, "audit_log", "start", repr(sorted(counts.items())))
    append_baseline(conn, before)


def add_pass_dates(conn: sa.Connection) -> None:
    """Migration step: `assessment_syncs.passed_on`, filled from each pass's completion (or,
    without one, the day it was synced). The audit triggers are recreated first, so that the
    rows' new audit records digest the new column."""
    from . import audit

    columns = {c["name"] for c in sa.inspect(conn).get_columns("assessment_syncs")}
    if "passed_on" in columns:
        return  # made by migration 5 from today's schema
    conn.exec_driver_sql("ALTER TABLE assessment_syncs ADD COLUMN passed_on DATE")
    audit.install_triggers(conn, metadata)
    sy = metadata.tables["assessment_syncs"]
    c = metadata.tables["completions"]
    done = sa.select(c.c.completed_on).where(c.c.id == sy.c.completion_id).scalar_subquery()
    synced = (
        sa.func.date(sy.c.synced_at)
        if conn.dialect.name == "sqlite"
        else sa.cast(sy.c.synced_at, sa.Date)
    )
    conn.execute(sy.update().values(passed_on=sa.func.coalesce(done, synced)))


@dataclass(frozen=True)
class Migration:
    """One numbered change to the records database schema, and its steps."""

    version: int
    name: str
    steps: tuple[Callable[[sa.Connection], None], ...] = ()

    def apply(self, conn: sa.Connection) -> None:
        tables = [t for t in metadata.sorted_tables if t.info.get("migration") == self.version]
        metadata.create_all(conn, tables=tables)
        for step in self.steps:
            step(conn)


MIGRATIONS: list[Migration] = [
    Migration(1, "core: settings, people, completions, awards, applications, plans, cases"),
    Migration(2, "credentials: issued Open Badges credentials and their revocation status lists"),
    Migration(
        3,
        "delivery: study groups, sessions, attendance, take stock, cluster contacts, "
        "directory consents",
    ),
    Migration(4, "impact evidence: pre/post questionnaire responses"),
    Migration(5, "assessment: rubric marks, moderation samples, synced passes"),
    Migration(6, "completion summary per person, kept by a trigger (SQLite)", (create_summary,)),
    Migration(
        7,
        "trust: access grants, the hash-chained audit log and its signed seals",
        (start_audit_log,),
    ),
    Migration(8, "nominations: a Lead nominates, the organisation approves or declines"),
    Migration(9, "imports: column and position mappings saved per setting"),
    Migration(
        10,
        "assessment passes kept with their date, apart from course completions",
        (add_pass_dates,),
    ),
    Migration(11, "catch-ups: a missed session caught up as the course allows"),
    # No tables: the audit triggers are made again after it, in their compact form.
    Migration(12, "audit triggers: one shared step chains every record (a smaller schema)"),
    # Feature migrations append here, each with the next version number and its own tables in
    # schema.py. Never edit a released migration: add a new one.
]
