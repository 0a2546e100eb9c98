"""The JSON shape check: tampering the signature cannot see is still refused.

The proof signs the RDF graph. The Open Badges 3.0.3 context maps `criteria` (in an Achievement)
and the type term `Criteria` to the same IRI, so renaming the key keeps the signature valid:
an exhaustive run of every single-bit flip found exactly this case.
"""

from __future__ import annotations

import copy
import json

import pytest
from imatter.credentials.keys import KeyDocument
from imatter.credentials.proof import verify_signature
from imatter.credentials.shape import check_shape
from imatter.errors import InvalidCredential


@pytest.fixture(scope="module")
def issued(module_issuer):  # type: ignore[no-untyped-def]
    made = module_issuer.add_award(role_id="trainee-lead", kind="licence")
    document = json.loads(module_issuer.credential_path(made["row"]).read_text())
    keys = KeyDocument.from_json(
        json.loads((module_issuer.settings.public_folder / "issuer.json").read_text())
    )
    return document, keys


def test_renaming_criteria_keeps_the_signature_but_is_refused(issued):
    document, keys = issued
    renamed = copy.deepcopy(document)
    achievement = renamed["credentialSubject"]["achievement"]
    achievement["Criteria"] = achievement.pop("criteria")
    key = keys.find(document["proof"]["verificationMethod"]).public_key
    assert verify_signature(renamed, key) is True  # the RDF is the same ...
    with pytest.raises(InvalidCredential) as err:  # ... but the JSON is not what we issued
        check_shape(renamed)
    assert err.value.message == (
        "undefined property: 'Criteria' at credentialSubject.achievement is not part of an "
        "Open Badges credential as imatter issues it"
    )


def test_issued_credentials_have_the_shape(issued):
    check_shape(issued[0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["credentialSubject"]["identifier"][0].update(hashed="true"),
            "not an Open Badges 3.0 credential: credentialSubject.identifier.0.hashed: "
            "True was expected",
        ),
        (
            lambda d: d["credentialSubject"]["identifier"][0].update(identityHash="a@b.example"),
            "not an Open Badges 3.0 credential: credentialSubject.identifier.0.identityHash: "
            "'a@b.example' does not match '^sha256\\\\$[0-9a-f]{64}$'",
        ),
        (
            lambda d: d["credentialStatus"].update(statusListIndex=7),
            "not an Open Badges 3.0 credential: credentialStatus.statusListIndex: "
            "7 is not of type 'string'",
        ),
        (
            lambda d: d["evidence"][0].update(narrative="extra"),
            "undefined property: 'narrative' at evidence[0] is not part of an Open Badges "
            "credential as imatter issues it",
        ),
    ],
)
def test_shape_messages(issued, change, message):
    document = copy.deepcopy(issued[0])
    change(document)
    with pytest.raises(InvalidCredential) as err:
        check_shape(document)
    assert err.value.message == message
