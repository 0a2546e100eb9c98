"""Revocation with a W3C Bitstring Status List (v1.0).

Each credential gets a random, unused index in a list of 131,072 entries (so that a published
list says nothing about when or in what order credentials were issued). The list is a signed
`BitstringStatusListCredential` whose `encodedList` is the GZIP-compressed bitstring, base64url
without padding, multibase prefix `u`. Index 0 is the left-most bit of the first byte.

A bit is set when the credential's award is revoked (`award_revocations`) or withdrawn.
The list is written to `<workspace>/public/credentials/status/<list id>.json` and published
with the book.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..errors import InvalidCredential
from ..store.schema import award_revocations, awards, credential_status_lists, credentials
from .jsonld import VC_V2

LIST_SIZE = 131_072  # the spec's minimum: 16 KiB of bits
PURPOSE = "revocation"
#: Open a new list once this share of the current one is used, so random picks stay quick.
FILL_LIMIT = 0.75


# ------------------------------------------------------------------------------ the bitstring
def encode(set_bits: Iterable[int], size: int = LIST_SIZE) -> str:
    """The `encodedList` for a list of `size` entries with `set_bits` set."""
    if size % 8:
        raise ValueError("a status list size must be a whole number of bytes")
    raw = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside 0..{size - 1}")
        raw[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(raw), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode(encoded: Any) -> bytes:
    """The uncompressed bitstring of an `encodedList`, or InvalidCredential."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise InvalidCredential(
            "cannot check revocation: the status list's encodedList is not multibase base64url"
        )
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        raw = gzip.decompress(packed)
    except (ValueError, OSError, EOFError):
        raise InvalidCredential(
            "cannot check revocation: the status list's encodedList is not GZIP base64url"
        ) from None
    if len(raw) * 8 < LIST_SIZE:
        raise InvalidCredential(
            f"cannot check revocation: the status list holds {len(raw) * 8} entries, fewer "
            f"than the {LIST_SIZE} the standard requires"
        )
    return raw


def bit(raw: bytes, index: int) -> bool:
    """Whether entry `index` of an uncompressed bitstring is set."""
    if not 0 <= index < len(raw) * 8:
        raise InvalidCredential(
            f"cannot check revocation: status index {index} is outside the list "
            f"(0..{len(raw) * 8 - 1})"
        )
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def unsigned_list_credential(*, url: str, issuer_id: str, encoded_list: str) -> dict[str, Any]:
    """The BitstringStatusListCredential (before signing).

    It has no validFrom: its proof's `created` says when it was made, and a verifier whose
    clock runs slow would otherwise refuse a list published moments ago.
    """
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encoded_list,
        },
    }


def status_entry(url: str, index: int) -> dict[str, Any]:
    """The `credentialStatus` of a credential at `index` in the list at `url`."""
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


# ------------------------------------------------------------------------------ the database
def current_list(conn: sa.Connection, settings: Any, *, now: dt.datetime) -> dict[str, Any]:
    """The list new credentials go into, opening a new one when the current one is full."""
    lists = (
        conn.execute(
            sa.select(credential_status_lists)
            .where(credential_status_lists.c.purpose == PURPOSE)
            .order_by(credential_status_lists.c.created_at, credential_status_lists.c.id)
        )
        .mappings()
        .all()
    )
    if lists:
        latest = dict(lists[-1])
        used = _used_count(conn, latest["id"])
        if used < latest["size"] * FILL_LIMIT:
            return latest
    list_id = f"{PURPOSE}-{len(lists) + 1}"
    row = {
        "id": list_id,
        "purpose": PURPOSE,
        "size": LIST_SIZE,
        "url": settings.status_list_url(list_id),
        "created_at": _naive(now),
        "published_at": None,
    }
    conn.execute(credential_status_lists.insert().values(**row))
    return row


def _used_count(conn: sa.Connection, list_id: str) -> int:
    return conn.execute(
        sa.select(sa.func.count()).where(credentials.c.status_list_id == list_id)
    ).scalar_one()


def allocate_index(conn: sa.Connection, status_list: Mapping[str, Any]) -> int:
    """A random index not yet used in this list (cryptographically random, never reused)."""
    size = status_list["size"]
    for _ in range(1000):
        index = secrets.randbelow(size)
        taken = conn.execute(
            sa.select(credentials.c.id).where(
                credentials.c.status_list_id == status_list["id"],
                credentials.c.status_index == index,
            )
        ).first()
        if taken is None:
            return index
    raise InvalidCredential(  # pragma: no cover - needs a list more than 99.9% full
        f"status list {status_list['id']} has no free index; open a new list"
    )


def revoked_indexes(conn: sa.Connection, list_id: str) -> list[int]:
    """Indexes whose award is revoked or withdrawn."""
    revoked = sa.select(award_revocations.c.award_id)
    withdrawn = sa.select(awards.c.id).where(awards.c.withdrawn.is_(True))
    rows = conn.execute(
        sa.select(credentials.c.status_index).where(
            credentials.c.status_list_id == list_id,
            sa.or_(credentials.c.award_id.in_(revoked), credentials.c.award_id.in_(withdrawn)),
        )
    ).scalars()
    return sorted(rows)


def build_signed_list(
    conn: sa.Connection, settings: Any, list_id: str, *, now: dt.datetime
) -> dict[str, Any]:
    """The signed status list credential for `list_id`, as it is now in the database."""
    from .proof import sign

    row = (
        conn.execute(
            sa.select(credential_status_lists).where(credential_status_lists.c.id == list_id)
        )
        .mappings()
        .one()
    )
    key, vm = settings.key_store().signing_key()
    document = unsigned_list_credential(
        url=row["url"],
        issuer_id=settings.issuer_id,
        encoded_list=encode(revoked_indexes(conn, list_id), row["size"]),
    )
    return sign(document, key, verification_method=vm, created=now)


def publish_list(
    conn: sa.Connection, settings: Any, list_id: str, *, now: dt.datetime
) -> dict[str, Any]:
    """Sign and write one status list to the public folder (undone if the transaction fails)."""
    from .files import write_in_transaction

    signed = build_signed_list(conn, settings, list_id, now=now)
    path = settings.local_path(signed["id"])
    write_in_transaction(conn, path, signed)
    conn.execute(
        credential_status_lists.update()
        .where(credential_status_lists.c.id == list_id)
        .values(published_at=_naive(now))
    )
    return {"id": list_id, "url": signed["id"], "file": str(path)}


def publish_all(conn: sa.Connection, settings: Any, *, now: dt.datetime) -> list[dict[str, Any]]:
    """Re-sign and write every status list (after revocations, withdrawals or a key rotation)."""
    from ..trust.access import require

    require(conn, "keys.manage")
    ids = (
        conn.execute(sa.select(credential_status_lists.c.id).order_by(credential_status_lists.c.id))
        .scalars()
        .all()
    )
    return [publish_list(conn, settings, list_id, now=now) for list_id in ids]


def _naive(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)
