"""Completion through a study group: who has met the rule, and recording their completions.

`group_completion_status` applies the rule (groups.rules) to every learner in a group.
`complete_group` records a completion for each learner who meets it, with evidence naming the
group, the attendance and (for lead-y1-t2 / lead-y1-t3) the group the trainee led. Where an
assessment pass was already recorded as the course's completion, that record is superseded by
one whose evidence keeps the assessment and adds the group, so the link is on the record.
`record_event` runs a trainer-led event (an inset, an intensive, an action-planning day) as a
one-session group in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import InvalidValue
from ...lazy import lazy_module
from ...programme import Programme
from ...records.clock import utcnow
from ...records.completions import insert_completion
from ...records.people import resolve_person
from ...store.reader import reader, snapshot
from .attendance import Register, _mark, read_register
from .catchup import catch_ups_used, caught_up
from .core import (
    Group,
    Session,
    check_recorder,
    insert_group,
    insert_member,
    load_group,
    person_label,
    reading_as_member,
    require_change,
)
from .rules import (
    ASSESSMENT_PREFIX,
    LedGroupFact,
    Progress,
    SessionFact,
    completion_evidence,
    group_ran_on,
    learner_progress,
    sessions_for,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ...store import Store
    from ...store import schema as t
else:  # imported on first use: a read command on SQLite reads through store.reader
    sa = lazy_module("sqlalchemy")
    t = lazy_module("imatter.store.schema")


@dataclass(frozen=True, slots=True)
class GroupStatus:
    """A group's register and every learner's progress against the completion rule."""

    group: Group
    register: Register
    progress: tuple[Progress, ...]

    @property
    def completed(self) -> tuple[Progress, ...]:
        return tuple(p for p in self.progress if p.completed)


@dataclass(frozen=True, slots=True)
class CompletionOutcome:
    """What complete_group did for one learner."""

    person_id: int
    name: str
    action: str  # recorded | updated | already recorded | not yet
    completion_id: int | None
    detail: str


def session_facts(reg: Register) -> list[SessionFact]:
    """The rule's view of a register's sessions."""
    facts = []
    for s in reg.sessions:
        marks = [v for (sid, _pid), v in reg.marks.items() if sid == s.id]
        facts.append(SessionFact(s.id, s.held_on, bool(s.cancelled), bool(marks), any(marks)))
    return facts


def _led_groups(
    conn: sa.Connection, person_ids: list[int], on: dt.date
) -> dict[int, list[LedGroupFact]]:
    led: dict[int, list[LedGroupFact]] = defaultdict(list)
    if not person_ids:
        return led
    for row in reader(conn).rows(
        "SELECT id FROM study_groups WHERE leader_id IN (:ids)", ids=person_ids
    ):
        reg = read_register(conn, row.id)
        facts = session_facts(reg)
        days = [f.held_on for f in facts if not f.cancelled]
        led[reg.group.leader_id].append(
            LedGroupFact(
                reg.group.id,
                reg.group.name,
                reg.group.audience,
                min(days) if days else None,
                group_ran_on(facts, on),
            )
        )
    return led


def _current_completions(
    conn: sa.Connection, person_ids: list[int], course_id: str
) -> dict[int, Any]:
    from ...records.load import current_completions

    return {
        row.person_id: row
        for row in current_completions(conn, person_ids)
        if row.course_id == course_id
    }


def assessment_passes(
    conn: sa.Connection, person_ids: list[int], course_id: str
) -> dict[int, dt.date]:
    """The day each learner first passed the course's assessment: a pass `assess sync`
    recorded, or (records made before passes were kept apart) a completion resting on one."""
    passes: dict[int, dt.date] = {}
    if not person_ids:
        return passes
    for row in reader(conn).rows(
        "SELECT s.person_id, s.passed_on, c.completed_on FROM assessment_syncs s"
        " LEFT OUTER JOIN completions c ON c.id = s.completion_id"
        " WHERE s.course_id = :course AND s.person_id IN (:ids)"
        " AND coalesce(s.passed_on, c.completed_on) IS NOT NULL",
        course=course_id,
        ids=person_ids,
    ):
        day = row.passed_on if row.passed_on is not None else row.completed_on
        passes[row.person_id] = min(passes.get(row.person_id, day), day)
    for pid, row in _current_completions(conn, person_ids, course_id).items():
        if row.evidence.startswith(ASSESSMENT_PREFIX):
            passes[pid] = min(passes.get(pid, row.completed_on), row.completed_on)
    return passes


def read_status(
    conn: sa.Connection, programme: Programme, group_id: int, on: dt.date
) -> GroupStatus:
    """The group's status inside an open transaction."""
    reg = read_register(conn, group_id)
    course = programme.course(reg.group.course)
    ids = [learner.person_id for learner in reg.learners]
    current = _current_completions(conn, ids, course.id)
    passes = assessment_passes(conn, ids, course.id) if course.assessment else {}
    led = _led_groups(conn, ids, on) if course.runs_group else {}
    facts = session_facts(reg)
    allowed = course.catch_up.sessions if course.catch_up else 0
    progress = []
    for learner in reg.learners:
        mine = sessions_for(facts, learner.enrolled_on, learner.left_on)
        present = {s.id for s in mine if reg.mark(s.id, learner.person_id)}
        present |= caught_up(course, reg, mine, learner.person_id, present)
        record = current.get(learner.person_id)
        passed = passes.get(learner.person_id)
        progress.append(
            learner_progress(
                course,
                person_id=learner.person_id,
                name=learner.name,
                sessions=mine,
                present=present,
                assessment_on=passed if passed is not None and passed <= on else None,
                led_groups=led.get(learner.person_id, []),
                on=on,
                completion_id=record.id if record is not None else None,
                completion_evidence=record.evidence if record is not None else None,
                catch_ups_left=max(0, allowed - catch_ups_used(reg, learner.person_id)),
            )
        )
    return GroupStatus(reg.group, reg, tuple(progress))


def group_completion_status(
    store: Store | Any, programme: Programme, group_id: int, on: dt.date
) -> GroupStatus:
    """Every learner in a group against the course's completion rule on a date (`store`: a
    Store, or a Workspace, whose snapshot on a SQLite file needs no SQLAlchemy)."""
    with snapshot(store) as conn:
        return read_status(conn, programme, group_id, on)


def learner_status(
    store: Store, programme: Programme, group_id: int, person: str | int, on: dt.date
) -> Progress:
    """One learner's progress in one group (NotFound-style InvalidValue if not a member)."""
    with store.read() as conn:
        person_id = resolve_person(conn, person)
        status = read_status(conn, programme, group_id, on)
    for progress in status.progress:
        if progress.person_id == person_id:
            return progress
    raise InvalidValue(f"person {person_id} is not in group {group_id}")


def my_groups(
    store: Store, programme: Programme, person: str | int, on: dt.date
) -> list[GroupStatus]:
    """Each group a person is a learner in, with only their own progress (for 'my progress')."""
    gm = t.group_members
    with store.read() as conn, contextlib.ExitStack() as stack:
        person_id = resolve_person(conn, person)
        # A learner sees the groups they are in, but only their own progress in each.
        stack.enter_context(reading_as_member(person_id))
        ids = conn.execute(
            sa.select(gm.c.group_id).where(gm.c.person_id == person_id).order_by(gm.c.group_id)
        ).scalars()
        result = []
        for gid in list(ids):
            status = read_status(conn, programme, gid, on)
            mine = tuple(p for p in status.progress if p.person_id == person_id)
            result.append(GroupStatus(status.group, status.register, mine))
    return result


def record_learner(
    conn: sa.Connection,
    programme: Programme,
    group: Group,
    p: Progress,
    label: str,
    *,
    today: dt.date,
) -> CompletionOutcome:
    """Record one learner's completion of the group's course when the rule says so: the one
    place a study-group course's completion is written (`group complete`, `assess sync`,
    events). A learner who does not meet it is reported with what is missing, and a completion
    already on record that the rule does not support is named (see `imatter complete check`)."""
    gm, c = t.group_members, t.completions
    marker = f"group {group.id}:"
    if not p.completed:
        detail = p.summary
        if p.completion_id is not None and not stands_without_rule(p.completion_evidence):
            detail += (
                f"; completion {p.completion_id} on record does not meet the rule "
                "(see `imatter complete check`)"
            )
        return CompletionOutcome(p.person_id, p.name, "not yet", None, detail)
    evidence = completion_evidence(group.id, p)
    if p.assessment is not None and p.assessment_on is not None:
        evidence += f"; assessment {p.assessment} passed on {p.assessment_on.isoformat()}"
    if p.completion_id is None:
        action = "recorded"
        cid = insert_completion(
            conn,
            programme,
            p.person_id,
            group.course,
            p.completed_on,  # type: ignore[arg-type]
            evidence=evidence,
            recorded_by=label,
            today=today,
        )
    elif (p.completion_evidence or "").startswith(ASSESSMENT_PREFIX) and marker not in (
        p.completion_evidence or ""
    ):
        action = "updated"
        evidence = f"{p.completion_evidence}; {completion_evidence(group.id, p)}"
        cid = int(
            conn.execute(
                c.insert().values(
                    person_id=p.person_id,
                    course_id=group.course,
                    completed_on=p.completed_on,
                    evidence=evidence,
                    recorded_by=label,
                    recorded_at=utcnow(),
                    supersedes_id=p.completion_id,
                    reason=f"completion rule met in study group {group.id}",
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
    else:
        action, cid, evidence = "already recorded", p.completion_id, p.completion_evidence or ""
    conn.execute(
        gm.update()
        .where(gm.c.group_id == group.id, gm.c.person_id == p.person_id)
        .values(completion_id=cid)
    )
    if p.assessment is not None:
        sy = t.assessment_syncs
        conn.execute(
            sy.update()
            .where(sy.c.person_id == p.person_id, sy.c.course_id == group.course)
            .values(completion_id=cid, outcome="recorded")
        )
    return CompletionOutcome(p.person_id, p.name, action, cid, evidence)


def stands_without_rule(evidence: str | None) -> bool:
    """A completion recorded by hand with its own evidence (a certificate, training
    elsewhere) is the organisation's decision and stands; one with no evidence, or resting
    only on an assessment pass or a group's register, must meet the course's rule."""
    text = (evidence or "").strip()
    return bool(text) and not text.startswith((ASSESSMENT_PREFIX, "group "))


def _record(
    conn: sa.Connection,
    programme: Programme,
    status: GroupStatus,
    recorder_id: int,
    today: dt.date,
) -> list[CompletionOutcome]:
    label = person_label(conn, recorder_id)
    return [
        record_learner(conn, programme, status.group, p, label, today=today)
        for p in status.progress
    ]


def learner_groups(conn: sa.Connection, person_id: int, course_id: str) -> list[int]:
    """The study groups of a course a person is a learner in, oldest first."""
    g, gm = t.study_groups, t.group_members
    return list(
        conn.execute(
            sa.select(g.c.id)
            .select_from(g.join(gm, gm.c.group_id == g.c.id))
            .where(gm.c.person_id == person_id, g.c.course_id == course_id)
            .order_by(g.c.id)
        ).scalars()
    )


def complete_group(
    store: Store,
    programme: Programme,
    group_id: int,
    *,
    recorded_by: str | int,
    on: dt.date,
    today: dt.date,
) -> list[CompletionOutcome]:
    """Record completions for every learner who meets the rule on `on`, in one transaction.

    Each completion is dated when the learner met the rule and its evidence names the group
    (and, for a course with `runs_group`, the group the learner led). Learners who do not yet
    meet it are reported with what is missing. PermissionDenied unless `recorded_by` may record
    for the group.
    """
    with store.write() as conn:
        group = load_group(conn, group_id)
        require_change(conn, group)
        recorder = resolve_person(conn, recorded_by)
        check_recorder(conn, programme, group, recorder, today)
        return _record(conn, programme, read_status(conn, programme, group_id, on), recorder, today)


def academic_year(day: dt.date) -> str:
    """The academic year (September to August) a date falls in: 2027-03-01 -> '2026-27'."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True, slots=True)
class EventResult:
    """What recording a trainer-led event did for each person who attended."""

    group_id: int
    session_id: int
    outcomes: tuple[CompletionOutcome, ...]


def record_event(
    store: Store,
    programme: Programme,
    course_id: str,
    on: dt.date,
    *,
    trainer: str | int,
    attendees: list[str | int],
    today: dt.date,
    setting: str | None = None,
    name: str | None = None,
) -> EventResult:
    """Record a trainer-led event held on one day, its attendees and their completions.

    Only a person holding a current Trainer award may (PermissionDenied otherwise). One
    transaction: the event's group, its session, the register and the completions.
    """
    course = programme.course(course_id)
    if course.delivery != "trainer-led":
        raise InvalidValue(
            f"{course_id} is a {course.delivery} course: run it as a study group "
            "(`imatter group create`)"
        )
    if not attendees:
        raise InvalidValue("name at least one attendee")
    if on > today:
        raise InvalidValue(f"the event on {on} has not happened yet (today is {today})")
    with store.write() as conn:
        group_id = insert_group(
            conn,
            programme,
            course_id=course_id,
            term=academic_year(on),
            leader=trainer,
            on=on,
            setting=setting,
            name=name,
        )
        group = load_group(conn, group_id)
        require_change(conn, group)
        check_recorder(conn, programme, group, group.leader_id, today)
        session_id = int(
            conn.execute(
                t.group_sessions.insert().values(group_id=group_id, held_on=on, title=name)
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        gs = t.group_sessions
        session = Session(**conn.execute(sa.select(gs).where(gs.c.id == session_id)).one()._mapping)
        for ref in attendees:
            person_id = resolve_person(conn, ref)
            insert_member(conn, programme, group, person_id, on)
            _mark(conn, programme, group, session, person_id, True, group.leader_id, today)
        status = read_status(conn, programme, group_id, on)
        outcomes = _record(conn, programme, status, group.leader_id, today)
    return EventResult(group_id, session_id, tuple(outcomes))


@dataclass(frozen=True, slots=True)
class RuleBreach:
    """A current completion that its course's rule does not support, and why."""

    completion_id: int
    person_id: int
    name: str
    course_id: str
    completed_on: dt.date
    evidence: str
    missing: tuple[str, ...]


def completions_breaking_rule(store: Store, programme: Programme, on: dt.date) -> list[RuleBreach]:
    """Current completions (of people the actor may see) that neither meet their course's
    rule in one of the person's study groups of the course on `on`, nor carry evidence
    recorded by hand (`stands_without_rule`): the fix is to withdraw each, or to supersede it
    with the evidence that it was met."""
    from ...records.load import current_completions
    from ...trust.access import visible_person_ids

    g, gm = t.study_groups, t.group_members
    with store.read() as conn:
        visible = visible_person_ids(conn)
        rows = [
            row
            for row in current_completions(conn)
            if row.course_id in programme.courses
            and not stands_without_rule(row.evidence)
            and (visible is None or row.person_id in visible)
        ]
        memberships: dict[tuple[int, str], list[int]] = defaultdict(list)
        for m in conn.execute(
            sa.select(gm.c.person_id, g.c.course_id, g.c.id)
            .select_from(gm.join(g, g.c.id == gm.c.group_id))
            .order_by(g.c.id)
        ):
            memberships[(m.person_id, m.course_id)].append(m.id)
        names = dict(conn.execute(sa.select(t.people.c.id, t.people.c.name)).all())
        statuses: dict[int, GroupStatus] = {}
        breaches = []
        for row in rows:
            missing = []
            for gid in memberships.get((row.person_id, row.course_id), []):
                if gid not in statuses:
                    statuses[gid] = read_status(conn, programme, gid, on)
                (p,) = [p for p in statuses[gid].progress if p.person_id == row.person_id]
                if p.completed:
                    break
                missing.append(f"group {gid}: {p.summary}")
            else:
                breaches.append(
                    RuleBreach(
                        row.id,
                        row.person_id,
                        names[row.person_id],
                        row.course_id,
                        row.completed_on,
                        row.evidence,
                        tuple(missing or [f"not a learner in a study group of {row.course_id}"]),
                    )
                )
    return breaches


def withdraw_breaches(
    store: Store,
    programme: Programme,
    on: dt.date,
    *,
    reason: str,
    recorded_by: str,
    today: dt.date,
) -> list[tuple[RuleBreach, int]]:
    """Withdraw every completion `completions_breaking_rule` lists, in one transaction;
    returns each with the id of its withdrawal record."""
    from ...records.completions import supersede_completion

    breaches = completions_breaking_rule(store, programme, on)
    done = []
    with store.write() as conn:
        for b in breaches:
            done.append(
                (
                    b,
                    supersede_completion(
                        conn,
                        programme,
                        b.completion_id,
                        reason=reason,
                        recorded_by=recorded_by,
                        today=today,
                        withdraw=True,
                    ),
                )
            )
    return done
