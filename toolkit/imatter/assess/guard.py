"""Who may work on which assessment course directory (the permission matrix, for `assess`).

A course directory belongs to the setting its ``imatter-course.yml`` names (`assess init
--setting`: a hosted course such as ``foundation-a``), else to the one its name gives: a study
group's id (the group's setting) or a setting's id. A setting Lead works only on their own
setting's course directories and learners; another setting's looks exactly like a directory
that does not exist. A learner on the roster sees only their own results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import NotFound
from ..store import schema as t
from ..trust.access import Actor, allowed, current_actor, require, require_or_missing
from .course_dir import COURSE_FILE, CourseDir, person_of, roster, student_id


def course_setting(conn: sa.Connection, course: CourseDir | Any) -> str | None:
    """The setting a course directory belongs to (None: the organisation's own)."""
    named = _named_setting(course)
    if named:
        return named
    for name in (getattr(course, "course_id", None), course.root.name):
        if not name:
            continue
        if name.isdigit():
            group = conn.execute(
                sa.select(t.study_groups.c.setting_id).where(t.study_groups.c.id == int(name))
            ).first()
            if group is not None:
                return group.setting_id
        found = conn.execute(sa.select(t.settings.c.id).where(t.settings.c.id == name)).first()
        if found is not None:
            return str(found.id)
    return None


def _named_setting(course: CourseDir | Any) -> str | None:
    """The setting written in the course directory's file, if any (read when not yet open)."""
    if isinstance(course, CourseDir) or getattr(course, "setting", None):
        return course.setting
    if not (course.root / COURSE_FILE).is_file():
        return None
    from ..errors import ImatterError
    from .course_dir import open_course_dir

    try:
        return open_course_dir(course.root).setting
    except ImatterError:
        return None


def missing_course(course: CourseDir | Any) -> NotFound:
    """What a course directory that does not exist looks like (and so does another setting's)."""
    return NotFound(
        f"{course.root} is not an assessment course directory (no {COURSE_FILE}); "
        "run `imatter assess init` first"
    )


def _on_roster(course: CourseDir | Any, actor: Actor) -> bool:
    if actor.person_id is None or not (course.root / COURSE_FILE).is_file():
        return False
    try:
        return student_id(actor.person_id) in roster(course)
    except NotFound:
        return False


def require_course(store: Any, course: CourseDir | Any, action: str) -> Actor:
    """Refuse unless the actor may do `action` on this course directory (see the module)."""
    with store.read() as conn:
        actor = current_actor(conn)
        setting = course_setting(conn, course)
        if action == "assess.read" and not allowed(conn, action, setting=setting, actor=actor):
            if _on_roster(course, actor):
                return actor  # a learner: `readable_students` keeps them to their own work
        if setting is None:
            if not (course.root / COURSE_FILE).is_file() and action != "assess.run":
                if not allowed(conn, action, actor=actor):
                    raise missing_course(course)
            return require(conn, action)
        return require_or_missing(conn, action, missing_course(course), setting=setting)


def readable_students(store: Any, course: CourseDir | Any, students: Sequence[str]) -> list[str]:
    """Of these nbgrader students, those whose results the actor may see."""
    with store.read() as conn:
        setting = course_setting(conn, course)
        if allowed(conn, "assess.read", setting=setting):
            return list(students)
        mine = current_actor(conn).person_id
    return [s for s in students if mine is not None and person_of(s) == mine]


def require_learner(conn: sa.Connection, action: str, person: int) -> None:
    """Refuse work on a learner out of the actor's reach, exactly as for an unknown learner."""
    require_or_missing(
        conn,
        action,
        NotFound(f"no person {person} in the records; see `imatter person list`"),
        person=person,
    )
