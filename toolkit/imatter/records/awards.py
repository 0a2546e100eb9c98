"""Role awards and licences, applications for them, and documented cases."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from ..clock import refuse_future
from ..errors import Conflict, Duplicate, InvalidValue, NotFound
from ..programme import Programme
from ..store import Store
from ..store import schema as t
from ..trust.access import require, require_self_or, visible_people
from .clock import utcnow
from .people import resolve_person

APPLICATION_STATES = ("submitted", "approved", "refused")
_CASE_REF = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9-]{2,39}$")


def list_awards(store: Store, *, person: str | int | None = None) -> list[dict]:
    """Awards with their state (current, expired, revoked, superseded)."""
    a, r, p = t.awards, t.award_revocations, t.people
    with store.read() as conn:
        query = (
            sa.select(a, p.c.name, r.c.revoked_on, r.c.reason.label("revoked_reason"))
            .select_from(a.join(p, p.c.id == a.c.person_id).outerjoin(r, r.c.award_id == a.c.id))
            .order_by(a.c.granted_at)
        )
        if person is not None:
            query = query.where(a.c.person_id == resolve_person(conn, person))
        else:
            visible = visible_people(conn)
            if visible is not None:
                query = query.where(visible)
        return [dict(row._mapping) for row in conn.execute(query)]


def apply_for_role(
    store: Store,
    programme: Programme,
    person: str | int,
    role_id: str,
    submitted_on: dt.date,
    *,
    setting: str | None = None,
) -> int:
    """Record an application for a role (e.g. the trainee licence); returns its id."""
    programme.role(role_id)
    programme.check_date(submitted_on, what="application date")
    ap = t.applications
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        # People apply for themselves; a Lead or the organisation may record it for them.
        require_self_or(conn, "people.write", person_id)
        open_app = conn.execute(
            sa.select(ap.c.id).where(
                ap.c.person_id == person_id, ap.c.role_id == role_id, ap.c.status == "submitted"
            )
        ).scalar()
        if open_app is not None:
            raise Duplicate(f"application {open_app} for {role_id} is already awaiting a decision")
        return int(
            conn.execute(
                ap.insert().values(
                    person_id=person_id,
                    role_id=role_id,
                    setting_id=setting,
                    submitted_on=submitted_on,
                    status="submitted",
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )


def decide_application(
    store: Store,
    application_id: int,
    *,
    approve: bool,
    decided_by: str,
    on: dt.date,
    reason: str | None = None,
) -> None:
    """Approve or refuse a submitted application (a refusal needs a reason)."""
    if not approve and not (reason and reason.strip()):
        raise InvalidValue("a refusal needs a --reason")
    ap = t.applications
    with store.write() as conn:
        row = conn.execute(sa.select(ap).where(ap.c.id == application_id)).first()
        if row is None:
            raise NotFound(f"no application {application_id}")
        require(conn, "awards.grant", person=row.person_id)
        if row.status != "submitted":
            raise Duplicate(f"application {application_id} was already {row.status}")
        if on < row.submitted_on:
            raise Conflict(f"decision date {on} is before the application ({row.submitted_on})")
        conn.execute(
            ap.update()
            .where(ap.c.id == application_id)
            .values(
                status="approved" if approve else "refused",
                decided_by=decided_by,
                decided_on=on,
                reason=reason,
            )
        )


def add_case(
    store: Store,
    person: str | int,
    reference: str,
    started_on: dt.date,
    *,
    recorded_by: str,
    last_reviewed_on: dt.date | None = None,
) -> int:
    """Record a documented case by an anonymised reference (never a child's name)."""
    if not _CASE_REF.match(reference):
        raise InvalidValue(
            f"case reference '{reference}' must be an anonymised code with a digit, such as "
            "FAM-0007 (letters, digits, hyphens; never a name)"
        )
    if last_reviewed_on is not None and last_reviewed_on < started_on:
        raise InvalidValue("the last review cannot be before the case started")
    refuse_future(started_on, "the case's start date")
    if last_reviewed_on is not None:
        refuse_future(last_reviewed_on, "the case's last review")
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        require(conn, "completions.record", person=person_id)
        dc = t.documented_cases
        if conn.execute(
            sa.select(dc.c.id).where(dc.c.person_id == person_id, dc.c.reference == reference)
        ).first():
            raise Duplicate(f"case {reference} is already recorded for person {person_id}")
        return int(
            conn.execute(
                dc.insert().values(
                    person_id=person_id,
                    reference=reference,
                    started_on=started_on,
                    last_reviewed_on=last_reviewed_on,
                    recorded_by=recorded_by,
                    recorded_at=utcnow(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )


def add_action_plan(
    store: Store,
    setting_id: str,
    title: str,
    created_on: dt.date,
    *,
    created_by: str,
    items: list[dict] | None = None,
) -> int:
    """An action plan for a setting (the licence rule asks for one), with optional items."""
    from .settings import require_setting

    with store.write() as conn:
        require_setting(conn, setting_id)
        require(conn, "delivery.manage", setting=setting_id)
        plan_id = conn.execute(
            t.action_plans.insert().values(
                setting_id=setting_id, title=title, created_on=created_on, created_by=created_by
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        for item in items or []:
            conn.execute(t.action_items.insert().values(plan_id=plan_id, **item))
    return int(plan_id)
