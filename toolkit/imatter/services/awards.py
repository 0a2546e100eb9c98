"""Awarding a role: check the rules, record the award and issue its credential, in one
transaction. This use case spans records, eligibility and credentials, so it lives here rather
than in `records` (which would otherwise import upwards)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import Duplicate, NotEligible
from ..programme import Programme, courses_required
from ..records.clock import utcnow
from ..records.people import resolve_person
from ..store import schema as t
from ..trust.access import require

if TYPE_CHECKING:
    from ..credentials.issue import IssuedCredential


@dataclass(frozen=True, slots=True)
class GrantedAward:
    """A role just awarded, and its credential when one was issued in the same transaction."""

    award_id: str
    person_name: str
    role_title: str
    valid_from: dt.date
    valid_until: dt.date | None
    credential: IssuedCredential | None


def award_role(
    ws,
    person: str | int,
    role_id: str,
    on: dt.date,
    *,
    granted_by: str,
    setting: str | None = None,
) -> GrantedAward:
    """Grant a role when the engine says it is met on that date; NotEligible says why not.

    The award, and its credential when the issuer has a key, are written in one transaction.
    """
    from ..eligibility import evaluate_role
    from ..eligibility.dates import add_years
    from ..records.load import current_completions, person_records

    programme: Programme = ws.programme
    role = programme.role(role_id)
    programme.check_date(on, what="award date")
    with ws.store.write() as conn:
        person_id = resolve_person(conn, person)
        require(conn, "awards.grant", person=person_id)
        facts = person_records(conn, person_id)
        result = evaluate_role(programme, facts, role_id, on)
        if result.held:
            raise Duplicate(f"{facts.name} already holds {role.title}")
        if not result.met:
            raise NotEligible(f"{facts.name} does not yet meet {role.title}: {result.summary}")
        wanted = courses_required(role.requires)
        evidence = [
            row.id for row in current_completions(conn, [person_id]) if row.course_id in wanted
        ]
        valid_until = add_years(on, role.valid_years) if role.valid_years else None
        award_id = str(uuid.uuid4())
        conn.execute(
            t.awards.insert().values(
                id=award_id,
                person_id=person_id,
                role_id=role_id,
                kind=role.kind,
                setting_id=setting or _main_setting(facts),
                valid_from=on,
                valid_until=valid_until,
                granted_by=granted_by,
                granted_at=utcnow(),
                evidence=json.dumps(evidence),
            )
        )
        credential = _issue_credential(ws, conn, award_id)
    return GrantedAward(
        award_id=award_id,
        person_name=facts.name,
        role_title=role.title,
        valid_from=on,
        valid_until=valid_until,
        credential=credential,
    )


def _main_setting(facts) -> str | None:
    return facts.settings[0].id if facts.settings else None


def _issue_credential(ws, conn: sa.Connection, award_id: str) -> IssuedCredential | None:
    """Issue the award's credential when the credentials feature and an issuer key exist."""
    try:
        from ..credentials import issue_award_credential, issuer_ready
    except ImportError:
        return None
    if not issuer_ready(ws):
        return None
    email = conn.execute(
        sa.select(t.people.c.email)
        .select_from(t.awards.join(t.people, t.people.c.id == t.awards.c.person_id))
        .where(t.awards.c.id == award_id)
    ).scalar()
    if not email:
        # The credential identifies its holder by a hashed email; the award still stands.
        return None
    return issue_award_credential(ws, conn, award_id)
