"""Nominations: a Lead puts one of their people forward for a role; the organisation approves
(which awards the role, through the rules, and issues its credential) or declines with a reason.

A Lead may nominate only people in their own settings (`awards.nominate`); deciding needs
`awards.grant`. A nomination is for someone who meets the rules now: otherwise the Lead is told
what is still missing, so nobody waits on a nomination that cannot be approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, Duplicate, InvalidValue, NotEligible, NotFound
from ..records.people import resolve_person
from ..store import Store
from ..store import schema as t
from ..trust.access import allowed, require, visible_people

PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
STATUSES = (PENDING, APPROVED, DECLINED)


@dataclass(frozen=True, slots=True)
class Nomination:
    """One nomination and, once decided, its outcome."""

    id: int
    person_id: int
    person: str
    role_id: str
    setting_id: str | None
    nominated_by: str
    nominated_on: dt.date
    note: str | None
    status: str
    decided_by: str | None
    decided_on: dt.date | None
    reason: str | None
    award_id: str | None


def _main_setting(conn: sa.Connection, person_id: int, on: dt.date) -> str | None:
    aff = t.affiliations
    row = conn.execute(
        sa.select(aff.c.setting_id)
        .where(aff.c.person_id == person_id)
        .where(sa.or_(aff.c.since.is_(None), aff.c.since <= on))
        .where(sa.or_(aff.c.until.is_(None), aff.c.until >= on))
        .order_by(aff.c.id)
    ).first()
    return row.setting_id if row else None


def _load(conn: sa.Connection, nomination_id: int) -> Nomination:
    n, p = t.nominations, t.people
    row = conn.execute(
        sa.select(n, p.c.name.label("person_name"))
        .join(p, p.c.id == n.c.person_id)
        .where(n.c.id == nomination_id)
    ).first()
    if row is None or not allowed(conn, "people.read", person=row.person_id):
        raise NotFound(f"no nomination {nomination_id}; see `imatter nomination list`")
    return _nomination(row)


def _nomination(row: Any) -> Nomination:
    return Nomination(
        id=row.id,
        person_id=row.person_id,
        person=row.person_name,
        role_id=row.role_id,
        setting_id=row.setting_id,
        nominated_by=row.nominated_by,
        nominated_on=row.nominated_on,
        note=row.note,
        status=row.status,
        decided_by=row.decided_by,
        decided_on=row.decided_on,
        reason=row.reason,
        award_id=row.award_id,
    )


def nominate(
    ws: Any,
    person: str | int,
    role_id: str,
    on: dt.date,
    *,
    nominated_by: str,
    note: str | None = None,
) -> Nomination:
    """Nominate PERSON for ROLE; NotEligible says what is missing if the rules are not met."""
    from ..eligibility import evaluate_role
    from ..records.load import person_records

    programme = ws.programme
    role = programme.role(role_id)
    n = t.nominations
    with ws.store.write() as conn:
        person_id = resolve_person(conn, person)
        setting_id = _main_setting(conn, person_id, on)
        require(conn, "awards.nominate", person=person_id, setting=setting_id)
        facts = person_records(conn, person_id)
        pending = conn.execute(
            sa.select(n.c.id).where(
                n.c.person_id == person_id, n.c.role_id == role_id, n.c.status == PENDING
            )
        ).first()
        if pending is not None:
            raise Duplicate(
                f"{facts.name} is already nominated for {role.title} (nomination {pending.id})"
            )
        result = evaluate_role(programme, facts, role_id, on)
        if result.held:
            raise Duplicate(f"{facts.name} already holds {role.title}")
        if not result.met:
            raise NotEligible(
                f"{facts.name} does not yet meet {role.title}, so cannot be nominated: "
                f"{result.summary}"
            )
        new_id = conn.execute(
            n.insert().values(
                person_id=person_id,
                role_id=role_id,
                setting_id=setting_id,
                nominated_by=nominated_by,
                nominated_on=on,
                note=(note or "").strip() or None,
                status=PENDING,
            )
        ).inserted_primary_key[0]
        return _load(conn, int(new_id))


def list_nominations(store: Store, *, status: str | None = None) -> list[Nomination]:
    """Nominations the actor may see, newest first (all of them, or those with `status`)."""
    if status is not None and status not in STATUSES:
        raise InvalidValue(f"status '{status}' must be one of: {', '.join(STATUSES)}")
    n, p = t.nominations, t.people
    query = sa.select(n, p.c.name.label("person_name")).join(p, p.c.id == n.c.person_id)
    if status is not None:
        query = query.where(n.c.status == status)
    with store.read() as conn:
        seen = visible_people(conn)
        if seen is not None:
            query = query.where(seen)
        rows = conn.execute(query.order_by(n.c.nominated_on.desc(), n.c.id.desc())).all()
    return [_nomination(r) for r in rows]


def _pending(conn: sa.Connection, nomination_id: int, on: dt.date) -> Nomination:
    found = _load(conn, nomination_id)
    require(conn, "awards.grant", person=found.person_id)
    if found.status != PENDING:
        raise Duplicate(f"nomination {nomination_id} was already {found.status}")
    if on < found.nominated_on:
        raise Conflict(f"decision date {on} is before the nomination ({found.nominated_on})")
    return found


def approve(ws: Any, nomination_id: int, *, decided_by: str, on: dt.date) -> Nomination:
    """Approve a nomination: the role is awarded through the rules (and its credential issued
    when the issuer has a key); NotEligible leaves the nomination pending and says why."""
    from .awards import award_role

    with ws.store.read() as conn:
        found = _pending(conn, nomination_id, on)
    result = award_role(
        ws, found.person_id, found.role_id, on, granted_by=decided_by, setting=found.setting_id
    )
    n = t.nominations
    with ws.store.write() as conn:
        _pending(conn, nomination_id, on)  # nobody decided it meanwhile
        conn.execute(
            n.update()
            .where(n.c.id == nomination_id)
            .values(status=APPROVED, decided_by=decided_by, decided_on=on, award_id=result.award_id)
        )
        return _load(conn, nomination_id)


def decline(
    store: Store, nomination_id: int, *, decided_by: str, on: dt.date, reason: str
) -> Nomination:
    """Decline a nomination; the reason is kept and shown to the Lead who nominated."""
    if not (reason and reason.strip()):
        raise InvalidValue("declining a nomination needs a reason the Lead can read")
    n = t.nominations
    with store.write() as conn:
        _pending(conn, nomination_id, on)
        conn.execute(
            n.update()
            .where(n.c.id == nomination_id)
            .values(status=DECLINED, decided_by=decided_by, decided_on=on, reason=reason.strip())
        )
        return _load(conn, nomination_id)
