"""Study groups: who leads them, who may record for them, enrolment and scheduled sessions.

Kinds of group follow the course's `delivery` in the programme file:
- rolling (Awareness, Foundation...): a setting's staff or parents group, joined all year;
- in-house (Link Professional, parents' course): a setting's own group;
- annual-cohort (Lead training): trainees from many settings, led by a Trainer; the group is
  their learning network and has no single setting;
- trainer-led (insets, intensives, action-planning days): an event led and recorded only by a
  person holding a current Trainer award.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import Conflict, Duplicate, InvalidValue, NotFound, PermissionDenied
from ...lazy import lazy_module
from ...programme import Course, Programme
from ...records.clock import utcnow
from ...records.people import resolve_person
from ...store.reader import reader
from ...trust.access import allowed, require

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ...store import Store
    from ...store import schema as t
else:  # imported on first use: a read command on SQLite reads through store.reader
    sa = lazy_module("sqlalchemy")
    t = lazy_module("imatter.store.schema")

AUDIENCES = ("staff", "parents")
# Roles that may lead a group in a setting (the Trainer role, from the programme, may too).
LEAD_ROLES = ("school-lead", "community-lead", "trainee-lead")
# Deliveries whose groups only a Trainer may lead.
TRAINER_DELIVERIES = ("trainer-led", "annual-cohort")
_TERM = re.compile(r"^(\d{4})-(\d{2})(?:-t([1-3]))?$")


@dataclass(frozen=True, slots=True)
class Group:
    """A study group as stored."""

    id: int
    name: str
    course: str
    audience: str
    setting: str | None
    term: str
    leader_id: int
    leader: str


@dataclass(frozen=True, slots=True)
class Session:
    """A group session as stored (fields in the table's order)."""

    id: int
    group_id: int
    held_on: dt.date
    title: str | None
    cancelled: bool
    cancel_reason: str | None


@dataclass(frozen=True, slots=True)
class Learner:
    """A learner's place in a group (fields in the table's order), with their name and email."""

    group_id: int
    person_id: int
    enrolled_on: dt.date
    left_on: dt.date | None
    completion_id: int | None
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """A study group as listed (fields in the table's order), with its leader's name, number of
    learners, sessions held or planned (not cancelled), and first and last session dates."""

    id: int
    name: str
    course_id: str
    audience: str
    setting_id: str | None
    term: str
    leader_id: int
    created_by: str
    created_at: dt.datetime
    leader: str
    learners: int
    sessions: int
    first_session: dt.date | None
    last_session: dt.date | None


def check_term(term: str) -> str:
    """An academic year '2026-27', or one of its terms '2026-27-t1' .. '-t3'."""
    match = _TERM.match(term)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise InvalidValue(
            f"term '{term}' must be an academic year such as 2026-27, or a term such as "
            "2026-27-t2 (t1 autumn, t2 spring, t3 summer)"
        )
    return term


def audience_for(course: Course, audience: str | None) -> str:
    """The group's audience, checked against the course's (professionals, parents, both)."""
    if audience is None:
        audience = "parents" if course.audience == "parents" else "staff"
    if audience not in AUDIENCES:
        raise InvalidValue(f"audience '{audience}' must be one of: {', '.join(AUDIENCES)}")
    allowed = {"professionals": ("staff",), "parents": ("parents",), "both": AUDIENCES}
    if audience not in allowed[course.audience]:
        raise Conflict(f"{course.id} is for {course.audience}; a {audience} group cannot run it")
    return audience


def person_label(conn: sa.Connection, person_id: int) -> str:
    """'Name <email>' (or 'Name (person N)') for recorded_by columns and messages."""
    row = conn.execute(
        sa.select(t.people.c.name, t.people.c.email).where(t.people.c.id == person_id)
    ).first()
    if row is None:
        raise NotFound(f"no person with id {person_id}; see `imatter person list`")
    return f"{row.name} <{row.email}>" if row.email else f"{row.name} (person {person_id})"


def roles_on(conn: sa.Connection, programme: Programme, person_id: int, on: dt.date) -> set[str]:
    """The roles a person holds on a date (a licence only while its setting is licensed)."""
    from ..licences import held_roles

    return set(held_roles(conn, programme, [person_id], on).get(person_id, {}))


def check_leader(
    conn: sa.Connection, programme: Programme, course: Course, leader_id: int, on: dt.date
) -> None:
    """PermissionDenied unless the person may lead a group of this course on that date."""
    held = roles_on(conn, programme, leader_id, on)
    trainer = programme.trainer_role
    if course.delivery in TRAINER_DELIVERIES:
        if trainer not in held:
            raise PermissionDenied(
                f"{person_label(conn, leader_id)} cannot lead {course.id}: {course.delivery} "
                f"courses are led by a person holding a current "
                f"{programme.roles[trainer].title} award"
            )
        return
    if not held & {*LEAD_ROLES, trainer}:
        titles = [programme.roles[r].title for r in LEAD_ROLES if r in programme.roles]
        raise PermissionDenied(
            f"{person_label(conn, leader_id)} cannot lead a study group on {on}: it needs a "
            f"current {', '.join(titles)} or {programme.roles[trainer].title} award (a trainee "
            "licence counts only while its setting is licensed)"
        )


def check_recorder(
    conn: sa.Connection, programme: Programme, group: Group, recorder_id: int, on: dt.date
) -> None:
    """PermissionDenied unless the person may record attendance or completions for the group
    on `on` (the day they record it).

    Trainer-led courses are recorded only by a person holding a current Trainer award; other
    groups by their own leader or a Trainer (`trainer_led.recorded_by_role` in the programme).
    """
    course = programme.course(group.course)
    trainer = programme.trainer_role
    is_trainer = trainer in roles_on(conn, programme, recorder_id, on)
    title = programme.roles[trainer].title
    if course.delivery == "trainer-led":
        if not is_trainer:
            raise PermissionDenied(
                f"{person_label(conn, recorder_id)} cannot record {course.id}: trainer-led "
                f"courses are recorded only by a person holding a current {title} award"
            )
        return
    if recorder_id != group.leader_id and not is_trainer:
        raise PermissionDenied(
            f"{person_label(conn, recorder_id)} cannot record for group {group.id}: only its "
            f"leader ({group.leader}) or a person holding a current {title} award may"
        )


def require_change(conn: sa.Connection, group: Group) -> None:
    """PermissionDenied unless the actor may run this group (its setting's delivery)."""
    require(conn, "delivery.manage", setting=group.setting)


# A learner reading their own groups ("my progress"): the person whose membership opens a group.
_member_reading: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "imatter_member_reading", default=None
)


@contextmanager
def reading_as_member(person_id: int) -> Iterator[None]:
    """Inside the block, groups `person_id` belongs to are visible even without reports.read
    on their setting (the caller has checked that the actor may read this person)."""
    token = _member_reading.set(person_id)
    try:
        yield
    finally:
        _member_reading.reset(token)


def _member_of(conn: sa.Connection, group_id: int) -> bool:
    person_id = _member_reading.get()
    if person_id is None:
        return False
    found = reader(conn).first(
        "SELECT group_id FROM group_members WHERE group_id = :g AND person_id = :p",
        g=group_id,
        p=person_id,
    )
    return found is not None


def load_group(conn: sa.Connection, group_id: int) -> Group:
    """The group with this id, or NotFound."""
    row = reader(conn).first(
        "SELECT g.*, p.name AS leader FROM study_groups g JOIN people p ON p.id = g.leader_id"
        " WHERE g.id = :g",
        g=group_id,
    )
    # A group the actor may not see is reported exactly like one that does not exist.
    if row is None or not (
        allowed(conn, "reports.read", setting=row.setting_id) or _member_of(conn, group_id)
    ):
        raise NotFound(f"no study group {group_id}; see `imatter group list`")
    return Group(
        row.id,
        row.name,
        row.course_id,
        row.audience,
        row.setting_id,
        row.term,
        row.leader_id,
        row.leader,
    )


def insert_group(
    conn: sa.Connection,
    programme: Programme,
    *,
    course_id: str,
    term: str,
    leader: str | int,
    on: dt.date,
    setting: str | None = None,
    audience: str | None = None,
    name: str | None = None,
) -> int:
    """Create a study group inside an open write transaction; returns its id."""
    course = programme.course(course_id)
    programme.check_date(on, course_id=course_id, what="start date")
    check_term(term)
    audience = audience_for(course, audience)
    leader_id = resolve_person(conn, leader)
    require(conn, "delivery.manage", setting=setting)
    if setting is None and course.delivery not in TRAINER_DELIVERIES:
        raise InvalidValue(
            f"a {course.delivery} group runs in a setting; pass --setting (only annual cohorts "
            "and trainer-led events run across settings)"
        )
    if setting is not None:
        from ...records.settings import require_setting

        require_setting(conn, setting)
    check_leader(conn, programme, course, leader_id, on)
    from ...eligibility import short_title

    name = " ".join((name or "").split()) or (
        f"{short_title(course.title)} {audience} group {term}"
    )
    return int(
        conn.execute(
            t.study_groups.insert().values(
                name=name,
                course_id=course_id,
                audience=audience,
                setting_id=setting,
                term=term,
                leader_id=leader_id,
                created_by=person_label(conn, leader_id),
                created_at=utcnow(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def create_group(
    store: Store,
    programme: Programme,
    *,
    course_id: str,
    term: str,
    leader: str | int,
    on: dt.date,
    setting: str | None = None,
    audience: str | None = None,
    name: str | None = None,
) -> int:
    """Create a study group for a course and a term, led by a Lead, Trainee Lead or Trainer.

    `on` is the date the leader's award is checked on (usually the first session).
    Raises PermissionDenied if the leader may not lead it, InvalidValue for a bad term/audience.
    """
    with store.write() as conn:
        return insert_group(
            conn,
            programme,
            course_id=course_id,
            term=term,
            leader=leader,
            on=on,
            setting=setting,
            audience=audience,
            name=name,
        )


def _check_member(
    conn: sa.Connection, programme: Programme, group: Group, person_id: int, on: dt.date
) -> None:
    course = programme.course(group.course)
    if group.setting is not None:
        aff = t.affiliations
        links = conn.execute(
            sa.select(aff.c.position, aff.c.since, aff.c.until).where(
                aff.c.person_id == person_id, aff.c.setting_id == group.setting
            )
        ).all()
        current = [
            a.position
            for a in links
            if (a.since is None or a.since <= on) and (a.until is None or on <= a.until)
        ]
        wanted = [p for p in current if (p == "parent") == (group.audience == "parents")]
        if not wanted:
            who = "a parent or carer" if group.audience == "parents" else "a member of staff"
            raise Conflict(
                f"{person_label(conn, person_id)} is not {who} at {group.setting} on {on}; "
                f"add them to the setting first (`imatter person add --setting {group.setting}`)"
            )
    elif course.delivery == "annual-cohort":
        if "trainee-lead" in programme.roles and "trainee-lead" not in roles_on(
            conn, programme, person_id, on
        ):
            raise Conflict(
                f"{person_label(conn, person_id)} cannot join the {course.id} cohort: it is for "
                "holders of a current trainee licence in a licensed setting"
            )


def insert_member(
    conn: sa.Connection, programme: Programme, group: Group, person_id: int, on: dt.date
) -> list[str]:
    """Enrol one person inside an open transaction; returns advice (missing prerequisites)."""
    gm = t.group_members
    if conn.execute(
        sa.select(gm.c.person_id).where(gm.c.group_id == group.id, gm.c.person_id == person_id)
    ).first():
        raise Duplicate(f"{person_label(conn, person_id)} is already in group {group.id}")
    if person_id == group.leader_id:
        raise Conflict(f"{group.leader} leads group {group.id} and cannot also be a learner")
    programme.check_date(on, course_id=group.course, what="enrolment date")
    _check_member(conn, programme, group, person_id, on)
    conn.execute(gm.insert().values(group_id=group.id, person_id=person_id, enrolled_on=on))
    return _prerequisite_advice(conn, programme, group.course, person_id, on)


def _prerequisite_advice(
    conn: sa.Connection, programme: Programme, course_id: str, person_id: int, on: dt.date
) -> list[str]:
    from ...eligibility import short_title
    from ...records.load import current_completions

    done = {r.course_id for r in current_completions(conn, [person_id]) if r.completed_on <= on}
    return [
        f"{person_label(conn, person_id)} has not yet completed "
        f"{short_title(programme.courses[pre].title)}, which comes before this course"
        for pre in programme.course(course_id).prerequisites
        if pre not in done
    ]


def enrol(
    store: Store,
    programme: Programme,
    group_id: int,
    people: list[str | int],
    on: dt.date,
) -> list[str]:
    """Enrol people (ids or emails) in a group from a date; all or none. Returns advice."""
    if not people:
        raise InvalidValue("name at least one person to enrol")
    advice: list[str] = []
    with store.write() as conn:
        group = load_group(conn, group_id)
        require_change(conn, group)
        for ref in people:
            advice += insert_member(conn, programme, group, resolve_person(conn, ref), on)
    return advice


def leave(store: Store, group_id: int, person: str | int, on: dt.date) -> None:
    """Record that a learner left a group on a date (sessions after it no longer count)."""
    gm = t.group_members
    with store.write() as conn:
        require_change(conn, load_group(conn, group_id))
        person_id = resolve_person(conn, person)
        row = conn.execute(
            sa.select(gm).where(gm.c.group_id == group_id, gm.c.person_id == person_id)
        ).first()
        if row is None:
            raise NotFound(f"person {person_id} is not in group {group_id}")
        if on < row.enrolled_on:
            raise Conflict(f"{on} is before they joined the group ({row.enrolled_on})")
        conn.execute(
            gm.update()
            .where(gm.c.group_id == group_id, gm.c.person_id == person_id)
            .values(left_on=on)
        )


def schedule_sessions(
    store: Store,
    group_id: int,
    dates: list[dt.date],
    *,
    titles: list[str] | None = None,
    programme: Programme | None = None,
) -> list[int]:
    """Add sessions on these dates (one a day per group); returns their ids.

    With `programme`, a date before the course's earliest date is refused.
    """
    if not dates:
        raise InvalidValue("give at least one session date")
    if titles is not None and len(titles) != len(dates):
        raise InvalidValue("give one title per session date")
    if len(set(dates)) != len(dates):
        raise InvalidValue("the same date is given twice; a group meets at most once a day")
    gs = t.group_sessions
    ids = []
    with store.write() as conn:
        group = load_group(conn, group_id)
        require_change(conn, group)
        if programme is not None:
            for day in dates:
                programme.check_date(day, course_id=group.course, what="session date")
        taken = set(
            conn.execute(sa.select(gs.c.held_on).where(gs.c.group_id == group_id)).scalars()
        )
        clash = sorted(set(dates) & taken)
        if clash:
            raise Duplicate(
                f"group {group_id} already has a session on {', '.join(map(str, clash))}"
            )
        for day, title in sorted(zip(dates, titles or [""] * len(dates), strict=True)):
            row = gs.insert().values(group_id=group_id, held_on=day, title=title or None)
            ids.append(int(conn.execute(row).inserted_primary_key[0]))  # type: ignore[index]
    return ids


def weekly_dates(first: dt.date, count: int, *, every_days: int = 7) -> list[dt.date]:
    """`count` dates from `first`, `every_days` apart (a weekly study group by default)."""
    if count < 1 or count > 60:
        raise InvalidValue("the number of sessions must be from 1 to 60")
    if every_days < 1:
        raise InvalidValue("sessions must be at least a day apart")
    return [first + dt.timedelta(days=every_days * i) for i in range(count)]


def cancel_session(store: Store, session_id: int, reason: str) -> None:
    """Cancel a session that nobody attended; it no longer counts for the attendance rule."""
    if not reason.strip():
        raise InvalidValue("cancelling a session needs a --reason")
    gs, at = t.group_sessions, t.attendance
    with store.write() as conn:
        row = conn.execute(sa.select(gs).where(gs.c.id == session_id)).first()
        missing = NotFound(f"no session {session_id}; see `imatter group show GROUP`")
        if row is None:
            raise missing
        try:
            group = load_group(conn, row.group_id)
        except NotFound:
            raise missing from None  # a session the actor may not see looks like a missing one
        require_change(conn, group)
        present = conn.execute(
            sa.select(sa.func.count()).where(at.c.session_id == session_id, at.c.present)
        ).scalar_one()
        if present:
            raise Conflict(
                f"session {session_id} on {row.held_on} has {present} learner(s) marked present; "
                "it took place and cannot be cancelled"
            )
        conn.execute(
            gs.update()
            .where(gs.c.id == session_id)
            .values(cancelled=True, cancel_reason=reason.strip())
        )


def list_groups(
    store: Store,
    *,
    setting: str | None = None,
    leader: str | int | None = None,
    member: str | int | None = None,
    term: str | None = None,
    course: str | None = None,
) -> list[GroupSummary]:
    """Groups with their leader, number of learners and sessions, filtered as asked."""
    g, p, gm, gs = t.study_groups, t.people, t.group_members, t.group_sessions
    learners = sa.select(sa.func.count()).where(gm.c.group_id == g.c.id).scalar_subquery()
    sessions = (
        sa.select(sa.func.count())
        .where(gs.c.group_id == g.c.id, gs.c.cancelled.is_(False))
        .scalar_subquery()
    )
    first = sa.select(sa.func.min(gs.c.held_on)).where(gs.c.group_id == g.c.id).scalar_subquery()
    last = sa.select(sa.func.max(gs.c.held_on)).where(gs.c.group_id == g.c.id).scalar_subquery()
    query = (
        sa.select(
            g,
            p.c.name.label("leader"),
            learners.label("learners"),
            sessions.label("sessions"),
            first.label("first_session"),
            last.label("last_session"),
        )
        .select_from(g.join(p, p.c.id == g.c.leader_id))
        .order_by(g.c.id)
    )
    with store.read() as conn:
        if setting is not None:
            query = query.where(g.c.setting_id == setting)
        if leader is not None:
            query = query.where(g.c.leader_id == resolve_person(conn, leader))
        if member is not None:
            pid = resolve_person(conn, member)
            query = query.where(g.c.id.in_(sa.select(gm.c.group_id).where(gm.c.person_id == pid)))
        if term is not None:
            query = query.where(g.c.term == term)
        if course is not None:
            query = query.where(g.c.course_id == course)
        return [
            GroupSummary(**row._mapping)
            for row in conn.execute(query)
            if allowed(conn, "reports.read", setting=row.setting_id)
        ]
