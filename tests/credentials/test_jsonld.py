"""Offline JSON-LD: the shipped contexts, a loader that never fetches, and the check that
refuses any property JSON-LD would drop (and so leave unsigned)."""

from __future__ import annotations

import copy
import json

import pytest
from imatter.credentials import jsonld
from imatter.credentials.issue import CONTEXTS
from imatter.errors import InvalidCredential
from pyld import jsonld as pyld_jsonld

MINIMAL = {
    "@context": list(CONTEXTS),
    "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Link Professional",
    "issuer": {"id": "https://example.org/credentials/issuer.json", "type": ["Profile"]},
    "validFrom": "2026-11-01T00:00:00Z",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.org/achievements/link",
            "type": ["Achievement"],
            "name": "Link Professional",
            "criteria": {"narrative": "Foundation A and B"},
        },
    },
}


def check(document):  # type: ignore[no-untyped-def]
    jsonld.check_fully_defined(document, contexts=list(CONTEXTS))


def test_every_shipped_context_loads_and_is_json_ld():
    contexts = jsonld.shipped_contexts()
    assert set(contexts) == {jsonld.VC_V2, jsonld.OB_V3, jsonld.MULTIKEY_V1, jsonld.DID_V1}
    for url, document in contexts.items():
        assert "@context" in document, url


def test_loader_refuses_anything_not_shipped():
    with pytest.raises(pyld_jsonld.JsonLdError, match="not shipped with imatter"):
        jsonld.default_loader("https://www.w3.org/2018/credentials/v1")


def test_shipped_contexts_are_kept_processed_and_cannot_be_replaced():
    """pyld keeps the shipped contexts processed across calls (tagged static), so a loader
    may not serve a different document under a shipped context's URL."""
    loaded = jsonld.default_loader(jsonld.VC_V2)
    assert loaded["tag"] == "static" and loaded["documentUrl"] == jsonld.VC_V2
    assert "tag" not in jsonld.make_loader({"urn:x": {"@context": {}}})("urn:x")
    with pytest.raises(ValueError, match="cannot replace a shipped context"):
        jsonld.make_loader({jsonld.VC_V2: {"@context": {}}})
    first = jsonld.canonize(MINIMAL)
    assert jsonld.canonize(copy.deepcopy(MINIMAL)) == first  # from the kept contexts


def test_expansion_of_an_unknown_context_fails_offline():
    document = {**MINIMAL, "@context": [jsonld.VC_V2, "https://example.org/ctx.json"]}
    with pytest.raises(InvalidCredential, match="not valid JSON-LD"):
        jsonld.canonize(document)


def test_pyld_default_loader_is_never_used(monkeypatch):
    def no_network(url, options=None):  # type: ignore[no-untyped-def]
        raise AssertionError(f"tried to fetch {url}")

    monkeypatch.setattr(pyld_jsonld, "_default_document_loader", no_network)
    assert jsonld.canonize(MINIMAL).count("\n") > 5
    check(MINIMAL)


def test_a_complete_minimal_credential_passes():
    check(MINIMAL)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ((), "'favouriteColour' at the top level is not defined"),
        (("credentialSubject",), "'favouriteColour' at credentialSubject is not defined"),
        (
            ("credentialSubject", "achievement", "criteria"),
            "'favouriteColour' at credentialSubject.achievement.criteria is not defined",
        ),
        (("issuer",), "'favouriteColour' at issuer is not defined"),
    ],
)
def test_undefined_property_is_refused(where, message):
    document = copy.deepcopy(MINIMAL)
    node = document
    for key in where:
        node = node[key]
    node["favouriteColour"] = "blue"
    pattern = "^undefined property: " + message.replace(".", r"\.")
    with pytest.raises(InvalidCredential, match=pattern):
        check(document)


def test_undefined_type_is_refused():
    document = copy.deepcopy(MINIMAL)
    document["credentialSubject"]["achievement"]["type"] = ["Achievement", "Trophy"]
    where = "credentialSubject.achievement.type"
    with pytest.raises(InvalidCredential, match=f"the type 'Trophy' at {where} is not defined"):
        check(document)


def test_relative_iri_is_refused():
    document = copy.deepcopy(MINIMAL)
    document["issuer"]["id"] = "issuer.json"
    message = r"'issuer\.json' at issuer\.id is not an absolute IRI"
    with pytest.raises(InvalidCredential, match=message):
        check(document)


def test_null_value_is_refused():
    document = copy.deepcopy(MINIMAL)
    document["credentialSubject"]["achievement"]["description"] = None
    with pytest.raises(InvalidCredential, match="'description' .* is null"):
        check(document)


def test_unknown_keyword_is_refused():
    document = copy.deepcopy(MINIMAL)
    document["credentialSubject"]["@comment"] = "hello"
    with pytest.raises(InvalidCredential, match="'@comment' at credentialSubject"):
        check(document)


def test_embedded_context_is_refused():
    document = copy.deepcopy(MINIMAL)
    document["credentialSubject"]["@context"] = {"favouriteColour": "https://example.org/c"}
    with pytest.raises(InvalidCredential, match="'@context' at credentialSubject"):
        check(document)


def test_contexts_must_be_exactly_the_expected_ones():
    document = {**MINIMAL, "@context": [jsonld.OB_V3, jsonld.VC_V2]}
    with pytest.raises(InvalidCredential, match="@context must be exactly"):
        check(document)


def test_duplicate_keys_are_refused():
    with pytest.raises(InvalidCredential, match="the key 'name' appears twice"):
        jsonld.loads_strict('{"name": "a", "name": "b"}')


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}'])
def test_non_json_numbers_are_refused(text):
    with pytest.raises(InvalidCredential, match="is not a JSON number"):
        jsonld.loads_strict(text)


def test_invalid_utf8_is_refused():
    with pytest.raises(InvalidCredential, match="not UTF-8"):
        jsonld.loads_strict(b'{"name": "\xff"}')


def test_loads_strict_reads_what_json_writes():
    assert jsonld.loads_strict(json.dumps(MINIMAL)) == MINIMAL


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        (("issuer",), "type", ["@rofile"]),  # found by flipping one bit of "Profile"
        ((), "type", ["VerifiableCredential", "@foo"]),
        (("credentialSubject", "achievement"), "id", "@id"),
    ],
)
def test_keyword_shaped_values_are_refused(where, key, value):
    """JSON-LD drops a value shaped like a keyword (pyld even crashes on some)."""
    document = copy.deepcopy(MINIMAL)
    node = document
    for step in where:
        node = node[step]
    node[key] = value
    with pytest.raises(InvalidCredential, match="has the form of a JSON-LD keyword"):
        check(document)


def test_pyld_internal_errors_become_invalid_credential():
    document = copy.deepcopy(MINIMAL)
    document["issuer"]["type"] = ["@rofile"]
    with pytest.raises(InvalidCredential, match="^not valid JSON-LD: "):
        jsonld.canonize(document)
