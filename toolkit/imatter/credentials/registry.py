"""The workspace's issued credentials: find, describe, revoke, and verify against them.

These are the use cases behind `imatter credential ...`, `imatter credential revoke` and
`imatter credential verify`; each takes the caller's connection (one transaction per use case) and
explicit dates.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, Duplicate, ImatterError, InvalidCredential, NotFound
from ..store.reader import reader
from ..trust.access import allowed, require_or_missing
from .settings import CredentialSettings, settings_for

if TYPE_CHECKING:  # SQLAlchemy and the schema are imported where a write or a list needs them
    import sqlalchemy as sa

    from .verify import Verified


def _credential_key(ident: str) -> str:
    ident = ident.strip()
    return ident if ident.startswith("urn:uuid:") else f"urn:uuid:{ident}"


def find_credentials(conn: sa.Connection, ident: str) -> list[dict[str, Any]]:
    """The credentials named by a credential id (urn:uuid:... or the bare uuid) or award id."""
    db = reader(conn)
    rows = db.rows("SELECT * FROM credentials WHERE id = :id", id=_credential_key(ident))
    if not rows:
        rows = db.rows(
            "SELECT * FROM credentials WHERE award_id = :award ORDER BY issued_at",
            award=ident.strip(),
        )
    return [{k: v for k, v in r._mapping.items() if k != "document"} for r in rows]


def credential_details(ws: Any, conn: sa.Connection, ident: str) -> dict[str, Any]:
    """Everything `imatter credential show` prints about one credential."""
    rows = find_credentials(conn, ident)
    if not rows:
        raise NotFound(f"no credential or award '{ident}'; see `imatter credential list`")
    if len(rows) > 1:
        listed = ", ".join(r["id"] for r in rows)
        raise ImatterError(f"award {ident} has {len(rows)} credentials ({listed}); name one")
    row = rows[0]
    db = reader(conn)
    award = db.rows("SELECT * FROM awards WHERE id = :id", id=row["award_id"])[0]._mapping
    if not allowed(conn, "people.read", person=award["person_id"]):
        raise NotFound(f"no credential or award '{ident}'; see `imatter credential list`")
    person = db.rows("SELECT id, name FROM people WHERE id = :id", id=award["person_id"])[0]
    revocation = db.first("SELECT * FROM award_revocations WHERE award_id = :id", id=award["id"])
    settings = settings_for(ws)
    role = ws.programme.roles.get(award["role_id"])
    if revocation is not None:
        status = f"revoked on {revocation.revoked_on}: {revocation.reason}"
    elif award["withdrawn"]:
        status = f"withdrawn: {award['reason'] or 'corrected by a later award'}"
    else:
        status = "issued"
    setting = (
        db.scalar("SELECT name FROM settings WHERE id = :id", id=award["setting_id"])
        if award["setting_id"]
        else None
    )
    return {
        **row,
        "setting": setting,
        "path": str(settings.workspace / row["file"]),
        "person_id": person.id,
        "person": person.name,
        "role_id": award["role_id"],
        "role": role.title if role else award["role_id"],
        "kind": award["kind"],
        "granted_by": award["granted_by"],
        "status": status,
        "status_list_url": settings.status_list_url(row["status_list_id"]),
        "issuer": settings.issuer_name,
        "issuer_id": settings.issuer_id,
    }


def list_credentials(conn: sa.Connection, *, person_id: int | None = None) -> list[dict[str, Any]]:
    """Issued credentials, newest first, with the person and role."""
    import sqlalchemy as sa

    from ..store.schema import award_revocations, awards, credentials, people
    from ..trust.access import visible_people

    query = (
        sa.select(
            credentials.c.id,
            credentials.c.award_id,
            credentials.c.issued_at,
            credentials.c.valid_until,
            awards.c.role_id,
            people.c.id.label("person_id"),
            people.c.name.label("person"),
            award_revocations.c.revoked_on,
        )
        .join(awards, awards.c.id == credentials.c.award_id)
        .join(people, people.c.id == awards.c.person_id)
        .outerjoin(award_revocations, award_revocations.c.award_id == awards.c.id)
        .order_by(credentials.c.issued_at.desc(), credentials.c.id)
    )
    if person_id is not None:
        query = query.where(people.c.id == person_id)
    visible = visible_people(conn)
    if visible is not None:
        query = query.where(visible)
    return [dict(r) for r in conn.execute(query).mappings()]


def revoke(
    ws: Any,
    conn: sa.Connection,
    ident: str,
    *,
    reason: str,
    revoked_by: str,
    revoked_on: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """Revoke an award (named by award id or by one of its credentials) and republish its lists.

    Records an `award_revocations` row, sets the award's credentials' bits and writes the
    re-signed status lists to the public folder, all in the caller's transaction.
    """
    import sqlalchemy as sa

    from ..store.schema import award_revocations, awards, credentials
    from . import status_list

    if not reason.strip():
        raise ImatterError("give a reason for the revocation (--reason)")
    rows = find_credentials(conn, ident)
    award_id = rows[0]["award_id"] if rows else ident.strip()
    award = conn.execute(sa.select(awards.c.id).where(awards.c.id == award_id)).first()
    missing = NotFound(f"no credential or award '{ident}'; see `imatter credential list`")
    if award is None:
        raise missing
    person_id = conn.execute(sa.select(awards.c.person_id).where(awards.c.id == award_id)).scalar()
    # Someone the actor may not see: their award looks exactly like one that does not exist.
    require_or_missing(conn, "awards.revoke", missing, person=person_id)
    valid_from = conn.execute(
        sa.select(awards.c.valid_from).where(awards.c.id == award_id)
    ).scalar()
    if valid_from is not None and revoked_on < valid_from:
        raise Conflict(
            f"award {award_id} is valid from {valid_from:%d/%m/%Y}; a revocation cannot take "
            "effect before that"
        )
    existing = (
        conn.execute(sa.select(award_revocations).where(award_revocations.c.award_id == award_id))
        .mappings()
        .first()
    )
    if existing is not None:
        raise Duplicate(
            f"award {award_id} was already revoked on {existing['revoked_on']} by "
            f"{existing['revoked_by']}: {existing['reason']}"
        )
    conn.execute(
        award_revocations.insert().values(
            award_id=award_id,
            revoked_on=revoked_on,
            reason=reason.strip(),
            revoked_by=revoked_by,
            revoked_at=_naive(now),
        )
    )
    affected = conn.execute(
        sa.select(credentials.c.id, credentials.c.status_list_id).where(
            credentials.c.award_id == award_id
        )
    ).all()
    settings = settings_for(ws)
    published = [
        status_list.publish_list(conn, settings, list_id, now=now)
        for list_id in sorted({r.status_list_id for r in affected})
    ]
    from .pages import write_page

    for r in affected:
        write_page(ws, conn, settings, r.id, today=revoked_on)
    return {
        "award_id": award_id,
        "credentials": [r.id for r in affected],
        "status_lists": published,
        "revoked_on": revoked_on,
        "reason": reason.strip(),
    }


def _naive(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


# ------------------------------------------------------------------------------ verification
def read_json_file(path: Path, what: str) -> Any:
    from .jsonld import loads_strict

    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{what} {path} not found") from None
    except IsADirectoryError:
        raise NotFound(f"{what} {path} is a folder, not a file") from None
    try:
        return loads_strict(payload)
    except InvalidCredential as err:
        raise InvalidCredential(f"{path}: {err.message}") from None


class LocalDocuments:
    """The issuer's key document and status lists, read from local files only."""

    def __init__(
        self,
        *,
        settings: CredentialSettings | None = None,
        keys_file: Path | None = None,
        status_files: Iterable[Path] = (),
    ) -> None:
        self.settings = settings
        if keys_file is None:
            if settings is None:
                raise ImatterError(
                    "no issuer key document: pass --keys FILE (the issuer.json published "
                    "with the book) or run inside a workspace"
                )
            keys_file = settings.public_folder / "issuer.json"
            if not keys_file.exists():
                raise NotFound(
                    f"{keys_file} not found; run `imatter keys init` (or pass --keys FILE)"
                )
        from .keys import KeyDocument

        self.keys = KeyDocument.from_json(read_json_file(keys_file, "key document"), str(keys_file))
        self.status: dict[str, Mapping[str, Any]] = {}
        for path in status_files:
            doc = read_json_file(path, "status list")
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                self.status[doc["id"]] = doc

    def resolve_status(self, url: str) -> Mapping[str, Any] | None:
        if url in self.status:
            return self.status[url]
        if self.settings is not None:
            path = self.settings.local_path(url)
            if path is not None and path.exists():
                from .jsonld import loads_strict

                try:
                    return loads_strict(path.read_bytes())
                except InvalidCredential as err:
                    raise InvalidCredential(
                        f"cannot check revocation: {path}: {err.message}"
                    ) from None
        return None


def issued_document(ws: Any, credential_id: Any) -> Mapping[str, Any] | None:
    """The credential exactly as this workspace issued it (kept in the database), if it did."""
    if ws is None or not isinstance(credential_id, str):
        return None
    with ws.store.read() as conn:
        text = reader(conn).scalar(
            "SELECT document FROM credentials WHERE id = :id", id=credential_id
        )
    return json.loads(text) if text else None


def verify_file(
    path: Path,
    *,
    now: dt.datetime,
    ws: Any = None,
    keys_file: Path | None = None,
    status_files: Iterable[Path] = (),
) -> Verified:
    """Verify a credential file offline against a workspace's (or given) published documents."""
    from .jsonld import loads_strict
    from .verify import verify_file_bytes

    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path} not found") from None
    except IsADirectoryError:
        raise NotFound(f"{path} is a folder; give a credential file") from None
    try:
        document = loads_strict(payload)
    except InvalidCredential as err:  # not JSON at all: say so before looking for keys
        raise InvalidCredential(f"{path}: {err.message}") from None
    settings = settings_for(ws) if ws is not None else None
    docs = LocalDocuments(settings=settings, keys_file=keys_file, status_files=status_files)
    reference = issued_document(ws, document.get("id")) if isinstance(document, dict) else None
    return verify_file_bytes(
        payload,
        keys=docs.keys,
        resolve_status=docs.resolve_status,
        now=now,
        reference=reference,
    )
