"""Verify an Open Badges 3.0 credential offline, and say exactly why when it is not valid.

The checks run in this order, and the first that fails is the answer (its message starts
with the reason):

1. `not valid JSON` / `not an Open Badges 3.0 credential` - shape, contexts, types, proof kind,
   and the exact JSON shape imatter issues (`schemas/openbadge-credential.schema.json`);
2. `undefined property` - a key imatter does not issue, or a term or IRI that JSON-LD would
   drop, so it would not be signed;
3. `unknown key` - the proof's key is not one the issuer has published (or was retired before
   the proof was made), or the issuer named in the credential is not the key's owner;
4. `altered` / `bad signature` - the signature does not verify;
5. `revoked` - the bit at the credential's index in the issuer's status list is set;
6. `expired` / `not yet valid` - outside validFrom .. validUntil.

Nothing is fetched: the contexts ship with the package, and the issuer's key document and
status lists are handed in as local documents (the workspace's `public/credentials/`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidCredential
from .jsonld import OB_V3, VC_V2, DocumentLoader, canonize, check_fully_defined, loads_strict
from .keys import KeyDocument, PublicKeyEntry
from .proof import parse_xsd_datetime, proof_of, verify_signature
from .shape import check_shape
from .status_list import PURPOSE, bit, decode

CONTEXTS = [VC_V2, OB_V3]
OB_TYPES = {"OpenBadgeCredential", "AchievementCredential"}

#: A resolver turns a status list URL into its (local) signed document, or None.
Resolver = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Verified:
    """A credential that passed every check, with what a person wants to read about it."""

    id: str
    name: str
    issuer: str
    achievement: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    key_id: str
    status: str
    sha256: str | None = None
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        until = _last_valid(self.valid_until) if self.valid_until else "no expiry"
        out = [
            f"id: {self.id}",
            f"achievement: {self.achievement}",
            f"issuer: {self.issuer}",
            f"valid: {self.valid_from.date().isoformat()} to {until}",
            f"signed by: {self.key_id}",
            f"status: {self.status}",
        ]
        if self.sha256:
            out.append(f"sha256: {self.sha256}")
        return out


def verify_file_bytes(
    payload: bytes,
    *,
    keys: KeyDocument,
    resolve_status: Resolver,
    now: dt.datetime,
    reference: Mapping[str, Any] | None = None,
    loader: DocumentLoader | None = None,
) -> Verified:
    """Verify a credential file's bytes; see `verify_credential`."""
    document = loads_strict(payload)
    result = verify_credential(
        document,
        keys=keys,
        resolve_status=resolve_status,
        now=now,
        reference=reference,
        loader=loader,
    )
    return Verified(**{**result.__dict__, "sha256": hashlib.sha256(payload).hexdigest()})


def verify_credential(
    document: Any,
    *,
    keys: KeyDocument,
    resolve_status: Resolver,
    now: dt.datetime,
    reference: Mapping[str, Any] | None = None,
    loader: DocumentLoader | None = None,
) -> Verified:
    """Verify an OpenBadgeCredential; raise InvalidCredential saying exactly why it is not valid.

    `keys` is the issuer's published key document (the trust anchor); `resolve_status` finds a
    status list credential by URL; `reference` is the credential as issued, when the verifier
    has the records, which lets it tell an altered credential from a corrupt signature.
    """
    now = _aware(now)
    _check_basics(document)
    proof = proof_of(document)
    check_shape(document)
    check_fully_defined(document, contexts=CONTEXTS, loader=loader)
    entry = _trusted_key(document, proof, keys)
    if not verify_signature(document, entry.public_key, loader=loader):
        raise InvalidCredential(_signature_failure(document, reference, loader))
    status = _check_status(
        document, keys=keys, resolve_status=resolve_status, now=now, loader=loader
    )
    valid_from = parse_xsd_datetime(document["validFrom"], "validFrom")
    valid_until = (
        parse_xsd_datetime(document["validUntil"], "validUntil")
        if "validUntil" in document
        else None
    )
    if valid_until is not None and now >= valid_until:
        raise InvalidCredential(
            f"expired: the credential was valid until {_last_valid(valid_until)} "
            f"(checked at {_show(now)})"
        )
    if now < valid_from:
        raise InvalidCredential(
            f"not yet valid: the credential is valid from {_show(valid_from)} "
            f"(checked at {_show(now)})"
        )
    issuer = document["issuer"]
    achievement = document["credentialSubject"]["achievement"]
    return Verified(
        id=document["id"],
        name=str(document.get("name", "")),
        issuer=f"{issuer.get('name', '')} ({issuer['id']})".strip(),
        achievement=str(achievement.get("name", "")),
        valid_from=valid_from,
        valid_until=valid_until,
        key_id=entry.id,
        status=status,
    )


def _last_valid(until: dt.datetime) -> str:
    """validUntil at midnight means valid through the day before: show that day."""
    until = until.astimezone(dt.UTC)
    if until.time() == dt.time(0, 0):
        return (until.date() - dt.timedelta(days=1)).isoformat()
    return _show(until)


def _show(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC)
    if moment.time() == dt.time(0, 0):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# ------------------------------------------------------------------------------ 1. shape
def _not_ob(why: str) -> InvalidCredential:
    return InvalidCredential(f"not an Open Badges 3.0 credential: {why}")


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_basics(document: Any) -> None:
    if not isinstance(document, dict):
        raise _not_ob("the file holds JSON but not a JSON object")
    context = document.get("@context")
    if not isinstance(context, list) or context[:1] != [VC_V2]:
        raise _not_ob(f"its first @context must be {VC_V2}")
    if OB_V3 not in context:
        raise _not_ob(f"its @context does not include {OB_V3}")
    types = _types(document.get("type"))
    if "VerifiableCredential" not in types or not OB_TYPES & set(types):
        raise _not_ob("its type must include VerifiableCredential and OpenBadgeCredential")
    if not isinstance(document.get("id"), str):
        raise _not_ob("it has no id")
    issuer = document.get("issuer")
    if not isinstance(issuer, dict) or not isinstance(issuer.get("id"), str):
        raise _not_ob("its issuer must be a Profile with an id")
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("achievement"), dict):
        raise _not_ob("its credentialSubject must be one AchievementSubject with an achievement")
    if "validFrom" not in document:
        raise _not_ob("it has no validFrom")
    parse_xsd_datetime(document["validFrom"], "validFrom")
    if "validUntil" in document:
        parse_xsd_datetime(document["validUntil"], "validUntil")
    if "proof" not in document:
        raise _not_ob("it has no proof (it is not signed)")


# ------------------------------------------------------------------------------ 3. the key
def _trusted_key(
    document: Mapping[str, Any], proof: Mapping[str, Any], keys: KeyDocument
) -> PublicKeyEntry:
    vm = proof["verificationMethod"]
    entry = keys.find(vm)
    if entry is None:
        raise InvalidCredential(
            f"unknown key: the credential is signed by {vm}, which is not one of the keys "
            f"published by {keys.issuer_id}"
        )
    issuer_id = (
        document["issuer"]["id"]
        if isinstance(document.get("issuer"), dict)
        else (document.get("issuer"))
    )
    if issuer_id != keys.issuer_id:
        raise InvalidCredential(
            f"unknown key: the credential names the issuer {issuer_id}, but its key belongs to "
            f"{keys.issuer_id}"
        )
    created = parse_xsd_datetime(proof["created"], "proof.created")
    if entry.retired is not None and created > entry.retired:
        raise InvalidCredential(
            f"unknown key: the credential was signed on {_show(created)} with {vm}, which was "
            f"retired on {_show(entry.retired)}"
        )
    return entry


# ------------------------------------------------------------------------------ 4. signature
def _signature_failure(
    document: Mapping[str, Any],
    reference: Mapping[str, Any] | None,
    loader: DocumentLoader | None,
) -> str:
    if reference is None or reference.get("id") != document.get("id"):
        return (
            "bad signature: the signature does not match the content; the credential was "
            "altered after signing or its proof is corrupt"
        )
    changed = _differences(reference, document)
    content = [p for p in changed if not p.startswith("proof")]
    if content:
        shown = ", ".join(content[:5]) + (" ..." if len(content) > 5 else "")
        return f"altered: {shown} differ from the credential as issued"

    def unsigned(doc: Mapping[str, Any]) -> str:
        return canonize({k: v for k, v in doc.items() if k != "proof"}, loader)

    if unsigned(reference) != unsigned(document):  # pragma: no cover - caught above
        return "altered: the content differs from the credential as issued"
    shown = ", ".join(changed) or "proof"
    return f"bad signature: the content is as issued, but {shown} was changed"


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            here = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                out.append(here)
            else:
                out.extend(_differences(a[key], b[key], here))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out.extend(_differences(x, y, f"{path}[{i}]"))
        return out
    return [] if a == b and type(a) is type(b) else [path or "the document"]


# ------------------------------------------------------------------------------ 5. status
def _check_status(
    document: Mapping[str, Any],
    *,
    keys: KeyDocument,
    resolve_status: Resolver,
    now: dt.datetime,
    loader: DocumentLoader | None,
) -> str:
    entries = document.get("credentialStatus")
    if entries is None:
        return "no revocation list"
    results = []
    for entry in _types(entries):
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            raise _not_ob("its credentialStatus is not a BitstringStatusListEntry")
        if entry.get("statusPurpose") != PURPOSE:
            raise _not_ob(f"status purpose '{entry.get('statusPurpose')}' is not {PURPOSE}")
        url = entry.get("statusListCredential")
        index_text = entry.get("statusListIndex")
        if not isinstance(index_text, str) or not index_text.isdigit():
            raise _not_ob(f"statusListIndex '{index_text}' is not a whole number")
        index = int(index_text)
        status_list = resolve_status(url) if isinstance(url, str) else None
        if status_list is None or not isinstance(url, str):
            raise InvalidCredential(
                f"cannot check revocation: the status list {url} is not available here; "
                "pass it with --status-list FILE"
            )
        raw = _verified_list(status_list, url, keys=keys, now=now, loader=loader)
        if bit(raw, index):
            raise InvalidCredential(
                f"revoked: the issuer has revoked this credential (status list {url}, "
                f"index {index})"
            )
        results.append(f"not revoked (status list {url}, index {index})")
    return "; ".join(results)


def _verified_list(
    status_list: Mapping[str, Any],
    url: str,
    *,
    keys: KeyDocument,
    now: dt.datetime,
    loader: DocumentLoader | None,
) -> bytes:
    def bad(why: str) -> InvalidCredential:
        return InvalidCredential(f"cannot check revocation: the status list {url} {why}")

    if status_list.get("id") != url:
        raise bad(f"has the id {status_list.get('id')}")
    if "BitstringStatusListCredential" not in _types(status_list.get("type")):
        raise bad("is not a BitstringStatusListCredential")
    try:
        check_fully_defined(status_list, contexts=[VC_V2], loader=loader)
        proof = proof_of(status_list)
    except InvalidCredential as err:
        raise bad(f"is malformed ({err.message})") from None
    entry = keys.find(proof["verificationMethod"])
    if entry is None or status_list.get("issuer") != keys.issuer_id:
        raise bad(f"is not signed by a key published by {keys.issuer_id}")
    created = parse_xsd_datetime(proof["created"], "proof.created")
    if entry.retired is not None and created > entry.retired:
        raise bad(f"was signed with a key retired on {_show(entry.retired)}")
    try:
        valid = verify_signature(status_list, entry.public_key, loader=loader)
    except InvalidCredential as err:
        raise bad(f"has a bad proof ({err.message})") from None
    if not valid:
        raise bad("has a bad signature (it was altered)")
    if "validUntil" in status_list and now >= parse_xsd_datetime(
        status_list["validUntil"], "validUntil"
    ):
        raise bad("has expired; publish a fresh one")
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != PURPOSE:
        raise bad(f"is not a {PURPOSE} list")
    return decode(subject.get("encodedList"))


def load_credential_file(payload: bytes) -> Any:
    """Parse a credential file strictly (duplicate keys and NaN are refused)."""
    return loads_strict(payload)


__all__ = ["Verified", "load_credential_file", "verify_credential", "verify_file_bytes"]
