"""Trainee licence applications, valid only while the setting is licensed with a current
membership: apply, decide, list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ...errors import NotEligible, NotFound
from ...programme import Programme
from ...store import Store
from ...store import schema as t
from ...trust.access import allowed
from .loading import TRAINEE_ROLE, setting_problem


# ------------------------------------------------------------------ trainee applications
@dataclass(frozen=True)
class TraineeApplication:
    """A trainee licence application and its state on a date."""

    id: int
    person_id: int
    name: str
    setting: str | None
    submitted_on: dt.date
    status: str  # submitted | approved | refused
    decided_on: dt.date | None
    decided_by: str | None
    reason: str | None
    problem: str | None  # approved, but the licence does not count now: "licence lapsed: ..."

    @property
    def state(self) -> str:
        """submitted, approved, lapsed (approved, but the setting is no longer licensed), or
        refused."""
        if self.status == "approved" and self.problem:
            return "lapsed"
        return self.status


def apply_trainee_licence(
    store: Store, programme: Programme, person: str | int, setting_id: str, on: dt.date
) -> int:
    """Record an application for the trainee licence in a licensed setting; returns its id.

    NotEligible if the person is not a current member of staff there, or the setting is not
    licensed with a current membership on that date; Duplicate if one is already waiting.
    """
    from ...records.awards import apply_for_role
    from ...records.people import resolve_person

    programme.role(TRAINEE_ROLE)
    aff = t.affiliations
    with store.read() as conn:
        person_id = resolve_person(conn, person)
        problem = setting_problem(conn, setting_id, on)
        if problem:
            raise NotEligible(
                "a trainee licence is only for a licensed setting with a current membership: "
                f"{problem}"
            )
        links = conn.execute(
            sa.select(aff.c.since, aff.c.until, aff.c.position).where(
                aff.c.person_id == person_id, aff.c.setting_id == setting_id
            )
        ).all()
    if not any(
        (a.since is None or a.since <= on)
        and (a.until is None or on <= a.until)
        and a.position != "parent"
        for a in links
    ):
        raise NotEligible(
            f"person {person_id} is not a current member of staff at {setting_id}; "
            "add them to the setting first"
        )
    return apply_for_role(store, programme, person_id, TRAINEE_ROLE, on, setting=setting_id)


def decide_trainee_application(
    store: Store,
    application_id: int,
    *,
    approve: bool,
    decided_by: str,
    on: dt.date,
    reason: str | None = None,
) -> TraineeApplication:
    """Approve (only while the setting is licensed) or refuse (with a reason) an application."""
    from ...records.awards import decide_application

    with store.read() as conn:
        row = _application(conn, application_id)
        if approve and row.setting_id:
            problem = setting_problem(conn, row.setting_id, on)
            if problem:
                raise NotEligible(
                    f"application {application_id} cannot be approved: {problem}; "
                    "refuse it with a --reason or renew the licence first"
                )
    decide_application(
        store, application_id, approve=approve, decided_by=decided_by, on=on, reason=reason
    )
    return _one_application(store, application_id, on)


def _application(conn: sa.Connection, application_id: int) -> sa.Row:
    ap = t.applications
    row = conn.execute(
        sa.select(ap).where(ap.c.id == application_id, ap.c.role_id == TRAINEE_ROLE)
    ).first()
    if row is None:
        raise NotFound(
            f"no trainee licence application {application_id}; see `imatter licences applications`"
        )
    return row


def _one_application(store: Store, application_id: int, on: dt.date) -> TraineeApplication:
    found = [a for a in trainee_applications(store, on) if a.id == application_id]
    return found[0]


def trainee_applications(
    store: Store, on: dt.date, *, state: str | None = None
) -> list[TraineeApplication]:
    """Trainee licence applications with their state on a date, newest first."""
    ap, p = t.applications, t.people
    with store.read() as conn:
        rows = conn.execute(
            sa.select(ap, p.c.name)
            .select_from(ap.join(p, p.c.id == ap.c.person_id))
            .where(ap.c.role_id == TRAINEE_ROLE)
            .order_by(ap.c.submitted_on.desc(), ap.c.id.desc())
        ).all()
        rows = [r for r in rows if allowed(conn, "people.read", person=r.person_id)]
        problems = {
            sid: setting_problem(conn, sid, on)
            for sid in sorted({r.setting_id for r in rows if r.setting_id})
        }
    apps = [
        TraineeApplication(
            id=row.id,
            person_id=row.person_id,
            name=row.name,
            setting=row.setting_id,
            submitted_on=row.submitted_on,
            status=row.status,
            decided_on=row.decided_on,
            decided_by=row.decided_by,
            reason=row.reason,
            problem=(
                f"licence lapsed: {problems[row.setting_id]}"
                if row.status == "approved" and problems.get(row.setting_id)
                else None
            ),
        )
        for row in rows
    ]
    if state is not None:
        apps = [a for a in apps if a.state == state]
    return apps
