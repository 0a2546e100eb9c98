"""The W3C vc-di-eddsa test vectors for eddsa-rdfc-2022: byte-exact canonical forms, hashes,
signatures and verification, with the spec's own key pair (data in data/vc-di-eddsa/)."""

from __future__ import annotations

import hashlib
import json

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from imatter.credentials import jsonld, proof
from imatter.credentials.keys import multibase_public_key, public_key_from_multibase

from .conftest import DATA

VECTORS = DATA / "vc-di-eddsa"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def read(name: str) -> str:
    return (VECTORS / name).read_text(encoding="utf-8")


def read_json(name: str):  # type: ignore[no-untyped-def]
    return json.loads(read(name))


@pytest.fixture(scope="module")
def loader():  # type: ignore[no-untyped-def]
    return jsonld.make_loader({EXAMPLES_V2: read_json("examples-v2.jsonld")})


@pytest.fixture(scope="module")
def key_pair():  # type: ignore[no-untyped-def]
    pair = read_json("keyPair.json")
    secret = base58.b58decode(pair["privateKeyMultibase"][1:])
    assert secret[:2] == b"\x80\x26"  # multicodec ed25519-priv
    private = Ed25519PrivateKey.from_private_bytes(secret[2:])
    return private, pair["publicKeyMultibase"]


# (folder, proof options file, canonical proof options file, proof options hash or None,
#  combined hash file or None, signature hex file or None, signed file, proofValue file or None)
SETS = {
    "rec-2025-b1": dict(
        options="rec-2025-b1/proof-options.json",
        canonical_options="rec-2025-b1/canonical-proof-options.nq",
        options_hash="rec-2025-b1/proof-options-hash.txt",
        signature_hex="rec-2025-b1/signature.hex",
        signed="rec-2025-b1/signed.json",
    ),
    "repo-testvectors": dict(
        options="repo-testvectors/proofConfigDataInt.json",
        canonical_options="repo-testvectors/proofCanonDataInt.txt",
        options_hash="repo-testvectors/proofHashDataInt.txt",
        combined="repo-testvectors/combinedHashDataInt.txt",
        proof_value="repo-testvectors/sigBTC58DataInt.txt",
        signed="repo-testvectors/signedDataInt.json",
    ),
}


def test_key_pair_public_key_is_derived_from_the_private_key(key_pair):
    private, public_multibase = key_pair
    assert multibase_public_key(private.public_key()) == public_multibase
    assert public_key_from_multibase(public_multibase).public_bytes_raw() == (
        private.public_key().public_bytes_raw()
    )


def test_canonical_document_is_byte_exact(loader):
    canonical = jsonld.canonize(read_json("unsigned.json"), loader)
    assert canonical.encode("utf-8") == (VECTORS / "canonical-document.nq").read_bytes()


def test_canonical_document_hash_is_the_published_hash(loader):
    canonical = jsonld.canonize(read_json("unsigned.json"), loader)
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == read("document-hash.txt")


@pytest.mark.parametrize("name", sorted(SETS))
def test_canonical_proof_options_are_byte_exact(name, loader):
    files = SETS[name]
    options = read_json(files["options"])
    canonical = jsonld.canonize(options, loader)
    assert canonical.encode("utf-8") == (VECTORS / files["canonical_options"]).read_bytes()
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == read(files["options_hash"])


@pytest.mark.parametrize("name", sorted(SETS))
def test_hash_data_matches_the_vectors(name, loader):
    files = SETS[name]
    signed = read_json(files["signed"])
    data = proof.hash_data(read_json("unsigned.json"), signed["proof"], loader)
    assert data.canonical_document.encode() == (VECTORS / "canonical-document.nq").read_bytes()
    assert (
        data.canonical_proof_config.encode() == (VECTORS / files["canonical_options"]).read_bytes()
    )
    assert data.proof_config_hash.hex() == read(files["options_hash"])
    assert data.document_hash.hex() == read("document-hash.txt")
    if "combined" in files:
        assert data.combined.hex() == read(files["combined"])


@pytest.mark.parametrize("name", sorted(SETS))
def test_signing_reproduces_the_published_proof_value(name, key_pair, loader):
    """Ed25519 is deterministic, so our proof must equal the spec's, byte for byte."""
    files = SETS[name]
    private, _ = key_pair
    signed = read_json(files["signed"])
    options = read_json(files["options"])
    ours = proof.sign(
        read_json("unsigned.json"),
        private,
        verification_method=options["verificationMethod"],
        created=proof.parse_xsd_datetime(options["created"], "created"),
        loader=loader,
    )
    assert ours["proof"] == signed["proof"]
    signature = base58.b58decode(signed["proof"]["proofValue"][1:])
    if "signature_hex" in files:
        assert signature.hex() == read(files["signature_hex"])
    if "proof_value" in files:
        assert signed["proof"]["proofValue"] == read(files["proof_value"])


@pytest.mark.parametrize("name", sorted(SETS))
def test_published_signed_credential_verifies(name, key_pair, loader):
    _, public_multibase = key_pair
    signed = read_json(SETS[name]["signed"])
    public = public_key_from_multibase(public_multibase)
    assert proof.verify_signature(signed, public, loader=loader) is True


@pytest.mark.parametrize("name", sorted(SETS))
def test_published_signed_credential_fails_when_changed(name, key_pair, loader):
    _, public_multibase = key_pair
    signed = read_json(SETS[name]["signed"])
    signed["credentialSubject"]["alumniOf"] = "The School of Counterexamples"
    public = public_key_from_multibase(public_multibase)
    assert proof.verify_signature(signed, public, loader=loader) is False


def test_other_key_does_not_verify_the_published_credential(loader):
    signed = read_json(SETS["rec-2025-b1"]["signed"])
    other = Ed25519PrivateKey.generate().public_key()
    assert proof.verify_signature(signed, other, loader=loader) is False
