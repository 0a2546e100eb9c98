"""The public page of each credential: where the certificate's QR code leads.

For every issued credential the public folder (published with the book at the credentials URL)
holds ``c/<uuid>.html``, a static page saying what the credential is, who issued it, when it is
valid and its status, and ``c/<uuid>.json``, the signed credential to download into a wallet.
The page does not name the holder: the credential identifies them by a salted hash of their
email, and the paper certificate names them; the address is unguessable.

Pages are written when a credential is issued, and again when it is revoked or the
credentials are published (`publish_pages`), so the status they show is as of that day; the
status list they link to is always current.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..store.schema import award_revocations, awards, credentials
from .files import write_in_transaction
from .settings import CredentialSettings

PAGE_FOLDER = "c"


def uuid_of(credential_id: str) -> str:
    return credential_id.rsplit(":", 1)[-1]


def page_url(settings: CredentialSettings, credential_id: str) -> str:
    """The https address a certificate's QR code opens."""
    return f"{settings.base_url}/{PAGE_FOLDER}/{uuid_of(credential_id)}.html"


def page_path(settings: CredentialSettings, credential_id: str) -> Path:
    return settings.public_folder / PAGE_FOLDER / f"{uuid_of(credential_id)}.html"


def _day(value: dt.date | None) -> str:
    return value.strftime("%d %B %Y").lstrip("0") if value else ""


def credential_status(
    award: Any, revocation: Any, valid_until: dt.date | None, today: dt.date
) -> tuple[str, str]:
    """(state, words): valid, revoked, withdrawn or expired, for a page or a list."""
    if revocation is not None:
        return "revoked", f"Revoked on {_day(revocation.revoked_on)}"
    if award.withdrawn:
        return "withdrawn", "Withdrawn (replaced by a corrected award)"
    if valid_until is not None and valid_until < today:
        return "expired", f"Expired on {_day(valid_until)}"
    return "valid", "Valid"


def write_page(
    ws: Any,
    conn: sa.Connection,
    settings: CredentialSettings,
    credential_id: str,
    *,
    today: dt.date,
) -> Path:
    """Write (or rewrite) one credential's public page and its downloadable JSON."""
    row = conn.execute(sa.select(credentials).where(credentials.c.id == credential_id)).one()
    award = conn.execute(sa.select(awards).where(awards.c.id == row.award_id)).one()
    revocation = conn.execute(
        sa.select(award_revocations).where(award_revocations.c.award_id == award.id)
    ).first()
    role = ws.programme.roles.get(award.role_id)
    state, words = credential_status(award, revocation, row.valid_until, today)
    folder = settings.public_folder / PAGE_FOLDER
    json_name = f"{uuid_of(credential_id)}.json"
    write_in_transaction(conn, folder / json_name, row.document.encode("utf-8"))
    from ..templates import render

    html = render(
        "credentials/page.html.j2",
        title=role.title if role else award.role_id,
        description=role.description if role else "",
        kind="licence" if award.kind == "licence" else "role",
        issuer=settings.issuer_name,
        issuer_url=settings.issuer_url,
        valid_from=_day(row.valid_from),
        valid_until=_day(row.valid_until),
        state=state,
        status=words,
        as_of=_day(today),
        credential_id=credential_id,
        sha256=row.sha256,
        json_name=json_name,
        status_list_url=settings.status_list_url(row.status_list_id),
        key_url=settings.issuer_id,
    )
    target = page_path(settings, credential_id)
    write_in_transaction(conn, target, html.encode("utf-8"))
    return target


def publish_pages(ws: Any, conn: sa.Connection, *, today: dt.date) -> list[Path]:
    """Write the public page of every issued credential (their status as of `today`)."""
    from .settings import settings_for

    settings = settings_for(ws)
    ids = conn.execute(sa.select(credentials.c.id).order_by(credentials.c.issued_at)).scalars()
    return [write_page(ws, conn, settings, cid, today=today) for cid in list(ids)]
