"""The W3C Bitstring Status List: encoding, size, the published list credential."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imatter.credentials import status_list
from imatter.credentials.jsonld import VC_V2
from imatter.errors import InvalidCredential


def test_a_list_has_at_least_131072_entries():
    raw = status_list.decode(status_list.encode([]))
    assert len(raw) * 8 == status_list.LIST_SIZE >= 131_072
    assert not any(raw)


def test_encoding_is_gzip_base64url_multibase_with_index_0_leftmost():
    encoded = status_list.encode([0, 9])
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded
    body = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert raw[0] == 0b1000_0000 and raw[1] == 0b0100_0000


@given(st.sets(st.integers(0, status_list.LIST_SIZE - 1), max_size=40))
def test_encode_decode_round_trip(indexes):
    raw = status_list.decode(status_list.encode(indexes))
    assert {i for i in indexes if status_list.bit(raw, i)} == indexes
    for probe in list(indexes)[:5]:
        for neighbour in (probe - 1, probe + 1):
            if 0 <= neighbour < status_list.LIST_SIZE:
                assert status_list.bit(raw, neighbour) == (neighbour in indexes)


def test_too_short_a_list_is_refused():
    short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(100))).decode().rstrip("=")
    with pytest.raises(InvalidCredential, match="fewer than the 131072"):
        status_list.decode(short)


def test_index_outside_the_list_is_refused():
    with pytest.raises(ValueError, match="outside"):
        status_list.encode([status_list.LIST_SIZE])
    raw = status_list.decode(status_list.encode([]))
    with pytest.raises(InvalidCredential, match="outside the list"):
        status_list.bit(raw, status_list.LIST_SIZE)


def test_published_list_is_a_signed_bitstring_status_list_credential(issuer):
    made = issuer.add_award()
    path = issuer.settings.public_folder / "status" / "revocation-1.json"
    published = json.loads(path.read_text())
    assert published["@context"] == [VC_V2]
    assert published["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert published["id"] == "https://imatter.example.org/credentials/status/revocation-1.json"
    assert published["issuer"] == issuer.settings.issuer_id
    subject = published["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert published["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    raw = status_list.decode(subject["encodedList"])
    assert not status_list.bit(raw, made["row"]["status_index"])


def test_a_full_list_opens_the_next(issuer, monkeypatch):
    monkeypatch.setattr(status_list, "FILL_LIMIT", 2 / status_list.LIST_SIZE)
    person = issuer.add_person()
    lists = [
        issuer.add_award(person_id=person, courses=())["row"]["status_list_id"] for _ in range(3)
    ]
    assert lists == ["revocation-1", "revocation-1", "revocation-2"]
    assert (issuer.settings.public_folder / "status" / "revocation-2.json").exists()
