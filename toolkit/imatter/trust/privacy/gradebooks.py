"""Erasure in nbgrader gradebooks: the `gradebook.db` of every assessment course directory in
the workspace (``assess/<group>/``) holds a learner's name and email in its student table.

Each gradebook is changed in its own transaction: the student row keeps its id (`p<person id>`,
so marks and submissions still hold together) with the erased label as its name and no email;
any other text that names the person is scrubbed like the records; then the file is rewritten
(VACUUM) so that no freed page keeps the old row. A gradebook that cannot be cleaned (locked,
damaged, not a gradebook) is listed with the reason, never skipped silently. Reflections in
submitted notebooks are kept, as in the records (see `privacy export`): they name no one but
the learner's id.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .matching import Terms

GRADEBOOK = "gradebook.db"
LOCK_WAIT_S = 5.0
_KEPT_COLUMNS = {"id", "student_id", "type"}  # keys and codes: never rewritten


@dataclass(frozen=True)
class GradebookCleaning:
    """What an erasure did in the workspace's gradebooks."""

    cleaned: tuple[Path, ...]  # gradebooks where the person was found and erased
    failed: tuple[tuple[Path, str], ...]  # gradebooks that could not be cleaned, and why


def find_gradebooks(root: Path) -> list[Path]:
    """Every nbgrader gradebook file under a folder (the workspace)."""
    return sorted(p for p in Path(root).rglob(GRADEBOOK) if p.is_file())


def clean_gradebooks(root: Path, student: str, terms: Terms) -> GradebookCleaning:
    """Erase `student` (their `p<id>`) and every mention of `terms` from each gradebook."""
    cleaned, failed = [], []
    for path in find_gradebooks(root):
        try:
            if _clean(path, student, terms):
                cleaned.append(path)
        except sqlite3.Error as err:
            failed.append((path, str(err)))
    return GradebookCleaning(tuple(cleaned), tuple(failed))


def _text_columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [
        row[1]
        for row in db.execute(f'PRAGMA table_info("{table}")')
        if (row[2] or "").upper().startswith(("VARCHAR", "TEXT", "CHAR", "CLOB"))
        and row[1] not in _KEPT_COLUMNS
        and not row[1].endswith("_id")
        and not row[5]  # not part of the primary key
    ]


def _clean(path: Path, student: str, terms: Terms) -> bool:
    """Clean one gradebook; True if it held the person. sqlite3.Error if it cannot be done."""
    db = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=LOCK_WAIT_S, isolation_level=None
    )
    try:
        tables = {
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        }
        if "student" not in tables:
            raise sqlite3.DatabaseError("not an nbgrader gradebook (no student table)")
        db.execute("PRAGMA secure_delete = ON")
        db.execute("BEGIN IMMEDIATE")
        try:
            changed = db.execute(
                "UPDATE student SET first_name = ?, last_name = '', email = NULL, "
                "lms_user_id = NULL WHERE id = ?",
                (terms.label, student),
            ).rowcount
            if terms.regex is not None:
                for table in sorted(tables - {"alembic_version", "student"}):
                    for column in _text_columns(db, table):
                        rows = db.execute(
                            f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
                        ).fetchall()
                        for rowid, value in rows:
                            if terms.found_in(value):
                                db.execute(
                                    f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                                    (terms.scrub(value), rowid),
                                )
                                changed += 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if changed:
            db.execute("VACUUM")
        return bool(changed)
    finally:
        db.close()
