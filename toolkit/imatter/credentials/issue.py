"""Issue an Open Badges 3.0 `OpenBadgeCredential` for an awarded role.

`build_credential` is pure: plain data in, an unsigned credential out. `issue_award_credential`
is the use case the award transaction calls: it reads the award through the caller's
connection, signs, writes the file and records the credential, all inside that transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import ImatterError, InvalidCredential, NotFound
from ..programme import (
    AllOf,
    AnyOf,
    Programme,
    Requirement,
    Role,
)
from ..store.schema import award_revocations, awards, completions, credentials, people
from ..trust.access import require
from .jsonld import OB_V3, VC_V2, check_fully_defined
from .proof import sign, xsd_datetime
from .shape import check_shape

CONTEXTS = [VC_V2, OB_V3]


# ------------------------------------------------------------------------------ criteria in words
def describe_requirement(req: Requirement, programme: Programme) -> str:
    """A role's requirement, in words (Markdown), for the achievement's criteria."""
    if isinstance(req, AllOf):
        return "\n".join(f"- {_phrase(part, programme)}" for part in req.parts)
    return f"- {_phrase(req, programme)}"


def _phrase(req: Requirement, programme: Programme) -> str:
    from ..eligibility.kinds import KINDS

    if isinstance(req, AllOf):
        return "all of: " + "; ".join(_phrase(p, programme) for p in req.parts)
    if isinstance(req, AnyOf):
        return "one of: " + "; or ".join(_phrase(p, programme) for p in req.parts)
    return KINDS[type(req)].criterion(req, programme)


# ------------------------------------------------------------------------------ the credential
@dataclass(frozen=True)
class EvidenceItem:
    """One completion a role rests on."""

    course_id: str
    completed_on: dt.date


@dataclass(frozen=True)
class Issuer:
    """The organisation that issues credentials: its id, name and web address."""

    id: str
    name: str
    url: str


def email_identity(email: str, salt: str) -> dict[str, Any]:
    """An OB 3.0 IdentityObject: the email, salted and SHA-256 hashed (never in clear)."""
    normalised = email.strip().lower()
    digest = hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def email_matches(identity: Mapping[str, Any], email: str) -> bool:
    """Whether a hashed email IdentityObject names `email`."""
    expected = email_identity(email, str(identity.get("salt", "")))
    return expected["identityHash"] == identity.get("identityHash")


def achievement_id(base_url: str, role_id: str) -> str:
    return f"{base_url}/achievements/{role_id}"


def _date_time(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def build_credential(
    *,
    credential_id: str,
    issuer: Issuer,
    base_url: str,
    programme: Programme,
    role: Role,
    kind: str,
    award_id: str,
    email: str,
    salt: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    evidence: Sequence[EvidenceItem],
    status: Mapping[str, Any],
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential for one award (pure: no files, no clock)."""
    achievement: dict[str, Any] = {
        "id": achievement_id(base_url, role.id),
        "type": ["Achievement"],
        "achievementType": "License" if kind == "licence" else "Certification",
        "name": role.title,
        "description": role.description,
        "criteria": {
            "narrative": (
                f"The {programme.name} programme ({programme.version}) awards this role to a "
                f"person who:\n{describe_requirement(role.requires, programme)}"
            )
        },
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": f"{programme.name} programme {programme.version}: {role.title}",
                "targetDescription": role.description,
                "targetFramework": f"{programme.name} programme",
                "targetCode": role.id,
                "targetUrl": issuer.url,
            }
        ],
        "humanCode": role.id,
    }
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [email_identity(email, salt)],
        "achievement": achievement,
    }
    if kind == "licence":
        subject["licenseNumber"] = award_id
    document: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": role.title,
        "description": f"{issuer.name} certifies this {'licence' if kind == 'licence' else 'role'}"
        f": {role.title}.",
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url},
        "validFrom": _date_time(valid_from),
    }
    if valid_until is not None:
        # The award's valid_until is its last valid day: the credential expires as it ends.
        document["validUntil"] = _date_time(valid_until + dt.timedelta(days=1))
    document["credentialSubject"] = subject
    document["credentialStatus"] = dict(status)
    if evidence:
        document["evidence"] = [
            {
                "type": ["Evidence"],
                "name": _course_title(programme, item.course_id),
                "description": (
                    f"Completed {_course_title(programme, item.course_id)} on "
                    f"{item.completed_on.isoformat()}."
                ),
                "genre": "Course completion",
            }
            for item in evidence
        ]
    return document


def _course_title(programme: Programme, course_id: str) -> str:
    course = programme.courses.get(course_id)
    return course.title if course else course_id


# ------------------------------------------------------------------------------ the use case
class IssuedCredential(dict):
    """The credentials row of an issued credential (a dict), printed as its id and file."""

    def __str__(self) -> str:
        return f"{self['id']} ({self['file']})"


def issuer_ready(ws: Any) -> bool:
    """Whether the workspace has an issuer key, so awards can be issued as credentials."""
    from .settings import settings_for

    return settings_for(ws).key_store().exists()


def issue_award_credential(
    ws: Any, conn: sa.Connection, award_id: str, *, now: dt.datetime | None = None
) -> IssuedCredential:
    """Issue, sign, write and record the credential for an award, inside the caller's transaction.

    `now` is the issue time; by default the award's own `granted_at`, so no clock is read.
    Returns the credential row as a dict (str() gives "id (file)"), with the signed
    credential under "credential".
    Raises NotFound (no award, no issuer key) or ImatterError (award withdrawn or revoked).
    """
    from . import status_list
    from .files import write_in_transaction
    from .settings import settings_for

    award = conn.execute(sa.select(awards).where(awards.c.id == award_id)).mappings().first()
    if award is None:
        raise NotFound(f"no award '{award_id}'")
    require(conn, "awards.grant", person=award["person_id"])
    if award["withdrawn"]:
        raise ImatterError(f"award {award_id} was withdrawn; issue the corrected award instead")
    revoked = conn.execute(
        sa.select(award_revocations.c.revoked_on).where(award_revocations.c.award_id == award_id)
    ).first()
    if revoked is not None:
        raise ImatterError(f"award {award_id} was revoked on {revoked[0]}; it cannot be issued")
    person = (
        conn.execute(sa.select(people).where(people.c.id == award["person_id"])).mappings().first()
    )
    if person is None:  # pragma: no cover - the foreign key prevents it
        raise NotFound(f"award {award_id} names person {award['person_id']}, who is not recorded")
    if not person["email"]:
        raise ImatterError(
            f"{person['name']} (person {person['id']}) has no email address, which the "
            "credential identifies them by; add one, then run `imatter credential issue "
            f"{award_id}`"
        )
    programme = ws.programme
    role = programme.role(award["role_id"])
    settings = settings_for(ws)
    moment = now or award["granted_at"]
    key, vm = settings.key_store().signing_key()

    evidence = _evidence(conn, award)
    status = status_list.current_list(conn, settings, now=moment)
    index = status_list.allocate_index(conn, status)
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    document = build_credential(
        credential_id=credential_id,
        issuer=Issuer(settings.issuer_id, settings.issuer_name, settings.issuer_url),
        base_url=settings.base_url,
        programme=programme,
        role=role,
        kind=award["kind"],
        award_id=award_id,
        email=person["email"],
        salt=secrets.token_hex(16),
        valid_from=award["valid_from"],
        valid_until=award["valid_until"],
        evidence=evidence,
        status=status_list.status_entry(status["url"], index),
    )
    signed = sign(document, key, verification_method=vm, created=moment)
    check_shape(signed)  # exactly the shape verifiers hold it to
    check_fully_defined(signed, contexts=CONTEXTS)  # nothing in it may be left unsigned

    if status.get("published_at") is None:
        status_list.publish_list(conn, settings, status["id"], now=moment)
    path = settings.credentials_folder / f"{credential_id.rsplit(':', 1)[-1]}.json"
    payload = write_in_transaction(conn, path, signed)
    row = {
        "id": credential_id,
        "award_id": award_id,
        "file": str(path.relative_to(settings.workspace)),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "status_list_id": status["id"],
        "status_index": index,
        "key_id": vm,
        "valid_from": award["valid_from"],
        "valid_until": award["valid_until"],
        "issued_at": _naive(moment),
    }
    conn.execute(credentials.insert().values(**row, document=payload.decode("utf-8")))
    from .pages import page_url, write_page

    write_page(ws, conn, settings, credential_id, today=moment.date())
    return IssuedCredential(
        {**row, "credential": signed, "page": page_url(settings, credential_id)}
    )


# ------------------------------------------------------------------------------ pending
def pending_reason(ws: Any, conn: sa.Connection, award_id: str) -> str | None:
    """Why an award has no credential yet (None if it has one, or never will: withdrawn or
    revoked). Such awards are pending: `issue_pending` issues them once the reason is gone."""
    row = conn.execute(
        sa.select(awards.c.withdrawn, people.c.email, people.c.name, people.c.id)
        .select_from(awards.join(people, people.c.id == awards.c.person_id))
        .where(awards.c.id == award_id)
    ).first()
    if row is None or row.withdrawn:
        return None
    if conn.execute(sa.select(credentials.c.id).where(credentials.c.award_id == award_id)).first():
        return None
    if conn.execute(
        sa.select(award_revocations.c.award_id).where(award_revocations.c.award_id == award_id)
    ).first():
        return None
    if not issuer_ready(ws):
        return (
            "no issuer key yet: run `imatter keys init`, then `imatter credential issue --pending`"
        )
    if not row.email:
        return (
            f"{row.name} (person {row.id}) has no email address; add one, then run "
            "`imatter credential issue --pending`"
        )
    return "not issued yet: run `imatter credential issue --pending`"


@dataclass(frozen=True, slots=True)
class PendingAward:
    """An award that stands but has no credential yet, and why."""

    award_id: str
    person: str  # their name
    role_id: str
    granted_at: dt.datetime
    why: str | None


def pending_awards(ws: Any, conn: sa.Connection) -> list[PendingAward]:
    """Awards that stand but have no credential yet, oldest first, with the reason."""
    from ..trust.access import visible_people

    query = (
        sa.select(awards.c.id, awards.c.role_id, awards.c.granted_at, people.c.name)
        .select_from(awards.join(people, people.c.id == awards.c.person_id))
        .outerjoin(credentials, credentials.c.award_id == awards.c.id)
        .outerjoin(award_revocations, award_revocations.c.award_id == awards.c.id)
        .where(
            credentials.c.id.is_(None),
            award_revocations.c.award_id.is_(None),
            awards.c.withdrawn.is_(False),
        )
        # oldest first; awards made in the same second by person, so the list reads stably
        .order_by(awards.c.granted_at, people.c.name, awards.c.id)
    )
    visible = visible_people(conn)
    if visible is not None:
        query = query.where(visible)
    return [
        PendingAward(r.id, r.name, r.role_id, r.granted_at, pending_reason(ws, conn, r.id))
        for r in conn.execute(query)
    ]


def issue_pending(
    ws: Any, conn: sa.Connection, *, now: dt.datetime
) -> tuple[list[IssuedCredential], list[PendingAward]]:
    """Issue a credential for every pending award that can have one now; (issued, still
    pending with the reason)."""
    if not issuer_ready(ws):
        raise NotFound("no issuer key yet; run `imatter keys init` first")
    issued: list[IssuedCredential] = []
    waiting: list[PendingAward] = []
    for item in pending_awards(ws, conn):
        email = conn.execute(
            sa.select(people.c.email)
            .select_from(awards.join(people, people.c.id == awards.c.person_id))
            .where(awards.c.id == item.award_id)
        ).scalar()
        if not email:
            waiting.append(item)
            continue
        issued.append(issue_award_credential(ws, conn, item.award_id, now=now))
    return issued, waiting


def _evidence(conn: sa.Connection, award: sa.RowMapping) -> list[EvidenceItem]:
    try:
        ids = json.loads(award["evidence"] or "[]")
    except json.JSONDecodeError:
        raise InvalidCredential(
            f"award {award['id']}: evidence is not a JSON list of completion ids"
        ) from None
    if not ids:
        return []
    rows = conn.execute(
        sa.select(completions.c.id, completions.c.course_id, completions.c.completed_on)
        .where(completions.c.id.in_([int(i) for i in ids]))
        .order_by(completions.c.completed_on, completions.c.id)
    ).all()
    missing = sorted(set(int(i) for i in ids) - {r.id for r in rows})
    if missing:
        raise NotFound(
            f"award {award['id']} rests on completions {missing}, which are not recorded"
        )
    return [EvidenceItem(r.course_id, r.completed_on) for r in rows]


def _naive(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


__all__ = [
    "CONTEXTS",
    "EvidenceItem",
    "Issuer",
    "build_credential",
    "describe_requirement",
    "email_identity",
    "email_matches",
    "issue_award_credential",
    "issue_pending",
    "PendingAward",
    "issuer_ready",
    "pending_awards",
    "pending_reason",
    "xsd_datetime",
]
