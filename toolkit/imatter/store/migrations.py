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


@dataclass(frozen=True)
class Migration:
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
    Migration(9, "catch-ups: a missed session caught up as the course allows"),
    # Feature migrations append here, each with the next version number and its own tables in
    # schema.py. Never edit a released migration: add a new one.
]
