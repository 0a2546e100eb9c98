"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C vc-di-eddsa).

Sign: canonicalise the proof options and the document (RDFC-1.0 via pyld), hash each with
SHA-256, concatenate (proof options first), sign with Ed25519, and encode the signature as
multibase base58btc (`z...`). Verify does the same and checks the signature. The crypto is
`cryptography`'s; the canonicalisation is pyld's; base58 is the `base58` package's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import InvalidCredential
from .jsonld import DocumentLoader, canonize

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"
_PROOF_KEYS = {"type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"}


def xsd_datetime(moment: dt.datetime) -> str:
    """A UTC timestamp as XML Schema dateTime with a Z, to the second."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def parse_xsd_datetime(value: Any, what: str) -> dt.datetime:
    """A dateTime from a credential as an aware UTC datetime, or InvalidCredential."""
    if not isinstance(value, str):
        raise InvalidCredential(f"not an Open Badges 3.0 credential: {what} is not a date-time")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidCredential(
            f"not an Open Badges 3.0 credential: {what} '{value}' is not a date-time"
        ) from None
    if moment.tzinfo is None:
        raise InvalidCredential(
            f"not an Open Badges 3.0 credential: {what} '{value}' has no time zone"
        )
    return moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class HashData:
    """The intermediate values of a proof, kept so tests can compare them with the spec."""

    canonical_proof_config: str
    canonical_document: str

    @property
    def proof_config_hash(self) -> bytes:
        return hashlib.sha256(self.canonical_proof_config.encode("utf-8")).digest()

    @property
    def document_hash(self) -> bytes:
        return hashlib.sha256(self.canonical_document.encode("utf-8")).digest()

    @property
    def combined(self) -> bytes:
        return self.proof_config_hash + self.document_hash


def hash_data(
    document: Mapping[str, Any], proof_options: Mapping[str, Any], loader: DocumentLoader | None
) -> HashData:
    """Canonicalise and hash an unsecured document and its proof options (spec §3.3.3-3.3.4)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    config["@context"] = document.get("@context")
    return HashData(canonize(config, loader), canonize(unsecured, loader))


def sign(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: dt.datetime,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """A copy of `document` with an `eddsa-rdfc-2022` DataIntegrityProof added."""
    if "proof" in document:
        raise InvalidCredential("the document already has a proof; sign an unsecured document")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    data = hash_data(document, options, loader)
    signature = private_key.sign(data.combined)
    signed = dict(document)
    signed["proof"] = {**options, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    return signed


def proof_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The single eddsa-rdfc-2022 proof of a document, checked for shape."""
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise InvalidCredential(
                f"not an Open Badges 3.0 credential: expected one proof, found {len(proof)}"
            )
        proof = proof[0]
    if not isinstance(proof, dict):
        raise InvalidCredential("not an Open Badges 3.0 credential: it has no proof")
    if proof.get("type") != PROOF_TYPE:
        raise InvalidCredential(
            f"not an Open Badges 3.0 credential: proof type '{proof.get('type')}' is not "
            f"{PROOF_TYPE}"
        )
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise InvalidCredential(
            f"not an Open Badges 3.0 credential: cryptosuite '{proof.get('cryptosuite')}' is "
            f"not {CRYPTOSUITE}"
        )
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        raise InvalidCredential(
            f"not an Open Badges 3.0 credential: proof purpose '{proof.get('proofPurpose')}' "
            f"is not {PROOF_PURPOSE}"
        )
    extra = sorted(set(proof) - _PROOF_KEYS)
    if extra:
        raise InvalidCredential(
            f"undefined property: '{extra[0]}' at proof is not used by {CRYPTOSUITE}"
        )
    if not isinstance(proof.get("verificationMethod"), str):
        raise InvalidCredential(
            "not an Open Badges 3.0 credential: proof.verificationMethod is not a URL"
        )
    parse_xsd_datetime(proof.get("created"), "proof.created")
    return proof


def decode_proof_value(value: Any) -> bytes:
    """The 64-byte Ed25519 signature in a multibase base58btc proofValue."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise InvalidCredential(
            "bad signature: proofValue is not multibase base58btc (it must start with 'z')"
        )
    try:
        raw = base58.b58decode(value[1:].encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidCredential("bad signature: proofValue is not valid base58btc") from None
    if len(raw) != 64:
        raise InvalidCredential(
            f"bad signature: proofValue holds {len(raw)} bytes, not a 64-byte Ed25519 signature"
        )
    return raw


def verify_signature(
    document: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    loader: DocumentLoader | None = None,
) -> bool:
    """True if the document's eddsa-rdfc-2022 proof verifies with `public_key`."""
    proof = proof_of(document)
    signature = decode_proof_value(proof.get("proofValue"))
    data = hash_data(document, proof, loader)
    try:
        public_key.verify(signature, data.combined)
    except InvalidSignature:
        return False
    return True
