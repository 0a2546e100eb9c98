"""What the Lead needs to run a term from the dashboard, as plain data (no widgets): the
settings they lead in, each setting's staff list, who needs what in a group, and the
"N of M staff trained" headline by staff group."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..programme import Programme
from ..store import Store
from ..store import schema as t

# Courses a Lead runs in their own setting (the others are run by a Trainer).
SETTING_DELIVERIES = ("rolling", "in-house")


def lead_settings(store: Store, leader_id: int, on: dt.date) -> list[tuple[str, str]]:
    """(label, id) for the settings the Lead belongs to on a date, by name."""
    a, s = t.affiliations, t.settings
    with store.read() as conn:
        rows = conn.execute(
            sa.select(s.c.id, s.c.name)
            .select_from(a.join(s, s.c.id == a.c.setting_id))
            .where(
                a.c.person_id == leader_id,
                sa.or_(a.c.since.is_(None), a.c.since <= on),
                sa.or_(a.c.until.is_(None), a.c.until >= on),
            )
            .distinct()
            .order_by(s.c.name)
        ).all()
    return [(row.name, row.id) for row in rows]


def staff_list(
    store: Store, programme: Programme, setting: str, on: dt.date, *, audience: str = "staff"
) -> list[tuple[str, int]]:
    """(label, id) for the setting's current staff (or parents), by name: "Name, Position"."""
    a, p = t.affiliations, t.people
    wanted = a.c.position == "parent" if audience == "parents" else a.c.position != "parent"
    with store.read() as conn:
        rows = conn.execute(
            sa.select(p.c.id, p.c.name, a.c.position)
            .select_from(a.join(p, p.c.id == a.c.person_id))
            .where(
                a.c.setting_id == setting,
                wanted,
                sa.or_(a.c.since.is_(None), a.c.since <= on),
                sa.or_(a.c.until.is_(None), a.c.until >= on),
            )
            .order_by(p.c.name, p.c.id)
        ).all()
    seen: dict[int, str] = {}
    for row in rows:
        title = programme.positions.get(row.position, row.position)
        seen[row.id] = f"{seen[row.id]}, {title}" if row.id in seen else f"{row.name}, {title}"
    return [(label, pid) for pid, label in sorted(seen.items(), key=lambda kv: kv[1].lower())]


@dataclass(frozen=True)
class Need:
    """One learner in a group: where they stand and what they still need."""

    person_id: int
    name: str
    attended: int
    required: int
    sessions: int
    catch_ups: int
    catch_ups_allowed: int
    assessment: str  # "none" | "passed on DATE" | "not passed yet"
    still_needed: str


def who_needs_what(store: Store, programme: Programme, group_id: int, on: dt.date) -> list[Need]:
    """Each learner's sessions attended and needed, catch-ups used, assessment and what is
    still needed."""
    from ..delivery import groups

    status = groups.group_completion_status(store, programme, group_id, on)
    course = programme.course(status.group.course)
    allowed = course.catch_up.sessions if course.catch_up else 0
    needs = []
    for p in status.progress:
        if p.assessment is None:
            assessment = "none"
        elif p.assessment_on is not None:
            assessment = f"passed on {p.assessment_on:%d/%m/%Y}"
        else:
            assessment = "not passed yet"
        needs.append(
            Need(
                p.person_id,
                p.name,
                p.attended,
                p.required,
                p.sessions,
                groups.catch_ups_used(status.register, p.person_id),
                allowed,
                assessment,
                "nothing: completed" if p.completed else p.summary,
            )
        )
    return needs


@dataclass(frozen=True)
class Trained:
    """How many of a setting's current staff hold a current completion of a course."""

    setting: str
    course_id: str
    course_title: str
    trained: int
    staff: int
    by_group: tuple[tuple[str, int, int], ...]  # (position title, trained, staff)

    @property
    def headline(self) -> str:
        return f"{self.trained} of {self.staff} staff trained"


def staff_trained(
    store: Store, programme: Programme, setting: str, course_id: str, on: dt.date
) -> Trained:
    """The "N of M staff trained" headline for one course in one setting on a date, and the
    same by staff group (position). Staff are current members other than parents; trained
    means a current completion of the course on or before the date."""
    from ..eligibility import short_title
    from ..records.load import current_completions

    course = programme.course(course_id)
    a, s = t.affiliations, t.settings
    with store.read() as conn:
        name = conn.execute(sa.select(s.c.name).where(s.c.id == setting)).scalar() or setting
        rows = conn.execute(
            sa.select(a.c.person_id, a.c.position).where(
                a.c.setting_id == setting,
                a.c.position != "parent",
                sa.or_(a.c.since.is_(None), a.c.since <= on),
                sa.or_(a.c.until.is_(None), a.c.until >= on),
            )
        ).all()
        ids = sorted({r.person_id for r in rows})
        done = {
            c.person_id
            for c in current_completions(conn, ids)
            if c.course_id == course_id and c.completed_on <= on
        }
    staff: Counter[str] = Counter()
    trained: Counter[str] = Counter()
    for row in rows:
        staff[row.position] += 1
        trained[row.position] += row.person_id in done
    order = list(programme.positions)
    by_group = tuple(
        (programme.positions.get(pos, pos), trained[pos], staff[pos])
        for pos in sorted(staff, key=lambda p: order.index(p) if p in order else len(order))
    )
    return Trained(
        name, course_id, short_title(course.title), len(done & set(ids)), len(ids), by_group
    )


def assessments_waiting(folder: Path) -> list[tuple[str, int]]:
    """(assessment id, answers waiting for a hand mark) for each assessment with work handed in
    in one nbgrader course directory, read from its gradebook read-only (none without one)."""
    import sqlite3

    from ..assess.course_dir import GRADEBOOK, shared_gradebook

    if shared_gradebook():  # a hub's gradebook that several markers share (NBGRADER_DB_URL)
        from . import shared_waiting_by_assessment

        return shared_waiting_by_assessment(folder)
    db = Path(folder) / GRADEBOOK
    if not db.is_file():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        # Every assessment with work handed in (none waiting still counts: it can be
        # second-marked, and its feedback returned).
        rows = conn.execute(
            "SELECT a.name, COALESCE(SUM(g.needs_manual_grade = 1), 0) FROM assignment a "
            "JOIN submitted_assignment sa ON sa.assignment_id = a.id "
            "JOIN submitted_notebook sn ON sn.assignment_id = sa.id "
            "LEFT JOIN grade g ON g.notebook_id = sn.id "
            "GROUP BY a.name ORDER BY a.name"
        ).fetchall()
    finally:
        conn.close()
    return [(str(name), int(n)) for name, n in rows]
