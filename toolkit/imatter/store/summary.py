"""A per-person summary of completed courses, kept by the database itself (SQLite).

The bulk eligibility engine would otherwise read every completion row (10 per person is
typical). A trigger keeps, for each person, the OR of their completed courses as a bitmask and
the day of their latest completion, in the same transaction as each insert, whoever inserts.
Completion records themselves are never changed; this table is a derived index of them.
People with corrections are always recomputed exactly from the records.
"""

from __future__ import annotations

import sqlalchemy as sa

MAX_BITS = 63  # bits 0..62 of a signed 64-bit integer

TRIGGER = """
CREATE TRIGGER IF NOT EXISTS completions_summary
AFTER INSERT ON completions
WHEN NEW.supersedes_id IS NULL AND NOT NEW.withdrawn
BEGIN
    INSERT OR IGNORE INTO course_bits (course_id, bit)
        VALUES (NEW.course_id, (SELECT COUNT(*) FROM course_bits));
    INSERT INTO person_course_summary (person_id, mask, last_day)
        VALUES (
            NEW.person_id,
            (SELECT CASE WHEN bit < 63 THEN 1 << bit ELSE 0 END
             FROM course_bits WHERE course_id = NEW.course_id),
            CAST(julianday(NEW.completed_on) AS INTEGER)
        )
        ON CONFLICT (person_id) DO UPDATE SET
            mask = mask | excluded.mask,
            last_day = MAX(last_day, excluded.last_day);
END
"""


def create_summary(conn: sa.Connection) -> None:
    """Migration step: the summary tables, the trigger, and a backfill from the records."""
    if conn.dialect.name != "sqlite":
        return  # other databases aggregate the completions directly
    conn.exec_driver_sql(
        "CREATE TABLE course_bits (course_id TEXT PRIMARY KEY, bit INTEGER NOT NULL UNIQUE)"
    )
    conn.exec_driver_sql(
        "CREATE TABLE person_course_summary (person_id INTEGER PRIMARY KEY,"
        " mask INTEGER NOT NULL, last_day INTEGER NOT NULL)"
    )
    conn.exec_driver_sql(
        "INSERT INTO course_bits (course_id, bit) SELECT course_id,"
        " ROW_NUMBER() OVER (ORDER BY course_id) - 1"
        " FROM (SELECT DISTINCT course_id FROM completions)"
    )
    conn.exec_driver_sql(
        "INSERT INTO person_course_summary (person_id, mask, last_day)"
        " SELECT c.person_id, SUM(DISTINCT CASE WHEN b.bit < 63 THEN 1 << b.bit ELSE 0 END),"
        " MAX(CAST(julianday(c.completed_on) AS INTEGER))"
        " FROM completions c JOIN course_bits b ON b.course_id = c.course_id"
        " WHERE c.supersedes_id IS NULL AND NOT c.withdrawn GROUP BY c.person_id"
    )
    conn.exec_driver_sql(TRIGGER)
