"""Issuing a credential for an award, and verifying it: VALID, or exactly why not."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from imatter.credentials.issue import email_matches, issue_award_credential, issuer_ready
from imatter.credentials.jsonld import OB_V3, VC_V2
from imatter.errors import ImatterError, InvalidCredential, NotFound
from imatter.store.schema import award_revocations, awards, credentials

from .conftest import DURING, GRANTED, VALID_FROM, make_issuer, rewrite


def document(issuer, row):  # type: ignore[no-untyped-def]
    return json.loads(issuer.credential_path(row).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------ issuing
def test_issued_credential_is_an_open_badge_with_everything_the_award_says(issuer):
    made = issuer.add_award(
        role_id="trainee-lead", kind="licence", valid_until=dt.date(2028, 11, 1)
    )
    cred = document(issuer, made["row"])
    programme = issuer.ws.programme
    role = programme.roles["trainee-lead"]

    assert cred["@context"] == [VC_V2, OB_V3]
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["id"] == made["row"]["id"] and cred["id"].startswith("urn:uuid:")
    assert cred["issuer"] == {
        "id": "https://imatter.example.org/credentials/issuer.json",
        "type": ["Profile"],
        "name": programme.issuer_name,
        "url": programme.issuer_url,
    }
    assert cred["validFrom"] == "2026-11-01T00:00:00Z"
    # valid_until is the last valid day: the credential expires as that day ends
    assert cred["validUntil"] == "2028-11-02T00:00:00Z"
    achievement = cred["credentialSubject"]["achievement"]
    assert achievement["name"] == role.title
    assert achievement["description"] == role.description
    assert achievement["achievementType"] == "License"
    assert "- completed Foundation A" in achievement["criteria"]["narrative"]
    assert "- holds Link Professional" in achievement["criteria"]["narrative"]
    assert achievement["alignment"][0]["targetCode"] == "trainee-lead"
    assert achievement["alignment"][0]["targetFramework"] == "I Matter programme"
    assert cred["credentialSubject"]["licenseNumber"] == made["award_id"]
    assert [e["name"] for e in cred["evidence"]] == [
        programme.courses["foundation-a"].title,
        programme.courses["foundation-b"].title,
    ]
    status = cred["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListCredential"] == (
        "https://imatter.example.org/credentials/status/revocation-1.json"
    )
    assert cred["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert cred["proof"]["created"] == "2026-11-01T09:30:00Z"  # the award's granted_at
    assert cred["proof"]["proofValue"].startswith("z")


def test_the_email_is_salted_and_hashed_never_in_clear(issuer):
    made = issuer.add_award(email="Zoe.Example@School.example")
    raw = issuer.credential_path(made["row"]).read_text(encoding="utf-8").lower()
    assert "zoe.example@school.example" not in raw
    assert "school.example" not in raw
    identity = document(issuer, made["row"])["credentialSubject"]["identifier"][0]
    assert identity["identityType"] == "emailAddress"
    assert identity["hashed"] is True
    assert identity["identityHash"].startswith("sha256$")
    assert len(identity["salt"]) == 32
    assert email_matches(identity, " zoe.example@school.example ")
    assert not email_matches(identity, "someone.else@school.example")


def test_each_credential_gets_its_own_salt(issuer):
    person = issuer.add_person()
    a = issuer.add_award(person_id=person)
    b = issuer.add_award(person_id=person, role_id="senior-delegated")
    ida = document(issuer, a["row"])["credentialSubject"]["identifier"][0]
    idb = document(issuer, b["row"])["credentialSubject"]["identifier"][0]
    assert ida["salt"] != idb["salt"] and ida["identityHash"] != idb["identityHash"]


def test_the_credential_row_records_file_hash_index_and_key(issuer):
    made = issuer.add_award()
    row = made["row"]
    path = issuer.credential_path(row)
    assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert str(row) == f"{row['id']} ({row['file']})"
    with issuer.ws.store.read() as conn:
        stored = conn.execute(sa.select(credentials)).mappings().one()
    assert stored["award_id"] == made["award_id"]
    assert stored["status_list_id"] == "revocation-1"
    assert 0 <= stored["status_index"] < 131_072
    assert stored["key_id"] == issuer.settings.key_store().keyring().active.id
    assert stored["issued_at"] == GRANTED


def test_issue_without_a_key_says_how_to_make_one(ws):
    from imatter.credentials.settings import settings_for

    from .conftest import Issuer

    bare = Issuer(ws, settings_for(ws))
    assert issuer_ready(ws) is False
    with pytest.raises(NotFound, match=r"no issuer key in .*; run `imatter keys init`"):
        bare.add_award()


def test_issue_needs_an_email(issuer):
    with pytest.raises(ImatterError, match="has no email address"):
        issuer.add_award(email=None)


def test_issue_refuses_withdrawn_and_revoked_awards(issuer):
    made = issuer.add_award(issue=False)
    with issuer.ws.store.write() as conn:
        conn.execute(awards.update().where(awards.c.id == made["award_id"]).values(withdrawn=True))
    with issuer.ws.store.write() as conn, pytest.raises(ImatterError, match="was withdrawn"):
        issue_award_credential(issuer.ws, conn, made["award_id"])
    other = issuer.add_award(issue=False)
    with issuer.ws.store.write() as conn:
        conn.execute(
            award_revocations.insert().values(
                award_id=other["award_id"],
                revoked_on=VALID_FROM,
                reason="error",
                revoked_by="tester",
                revoked_at=GRANTED,
            )
        )
    with issuer.ws.store.write() as conn, pytest.raises(ImatterError, match="was revoked on"):
        issue_award_credential(issuer.ws, conn, other["award_id"])


def test_unknown_award(issuer):
    with issuer.ws.store.write() as conn, pytest.raises(NotFound, match="no award 'nope'"):
        issue_award_credential(issuer.ws, conn, "nope")


def test_a_rolled_back_award_leaves_no_credential_file(issuer):
    made = issuer.add_award(issue=False)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with issuer.ws.store.write() as conn:
            row = issue_award_credential(issuer.ws, conn, made["award_id"])
            path = issuer.credential_path(row)
            assert path.exists()
            raise Boom
    assert not path.exists()
    assert not list(issuer.settings.credentials_folder.glob("*.json"))
    # the status list written in that transaction is gone too: nothing was committed
    assert not (issuer.settings.public_folder / "status" / "revocation-1.json").exists()


def test_status_indexes_are_random_and_distinct(issuer):
    person = issuer.add_person()
    indexes = [
        issuer.add_award(person_id=person, courses=())["row"]["status_index"] for _ in range(12)
    ]
    assert len(set(indexes)) == 12
    assert indexes != sorted(indexes)
    assert max(indexes) - min(indexes) > 1000


def test_issue_and_verify_times(issuer):
    """Measured figures for the report: issue and verify, per credential, warm."""
    import time

    person = issuer.add_person()
    issuer.add_award(person_id=person)
    start = time.perf_counter()
    made = [issuer.add_award(person_id=person) for _ in range(5)]
    issue = (time.perf_counter() - start) / 5
    start = time.perf_counter()
    for m in made:
        issuer.verify(issuer.credential_path(m["row"]))
    check = (time.perf_counter() - start) / 5
    print(f"\nissue {issue * 1000:.0f} ms, verify {check * 1000:.0f} ms per credential")
    assert issue < 5 and check < 5


# ------------------------------------------------------------------------------ verifying
def test_a_fresh_credential_is_valid(issuer):
    made = issuer.add_award(valid_until=dt.date(2028, 11, 1))
    result = issuer.verify(issuer.credential_path(made["row"]))
    assert result.id == made["row"]["id"]
    assert result.achievement == "Link Professional"
    assert result.sha256 == made["row"]["sha256"]
    assert result.status.startswith("not revoked (status list https://imatter.example.org/")
    assert result.lines()[3] == "valid: 2026-11-01 to 2028-11-01"


def test_expired(issuer):
    made = issuer.add_award(valid_until=dt.date(2027, 1, 1))
    path = issuer.credential_path(made["row"])
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(path, now=dt.datetime(2027, 1, 2, 0, 0, tzinfo=dt.UTC))
    assert err.value.message == (
        "expired: the credential was valid until 2027-01-01 (checked at 2027-01-02)"
    )
    # the last valid day is valid to its end, as for the award itself
    issuer.verify(path, now=dt.datetime(2027, 1, 1, 23, 59, tzinfo=dt.UTC))


def test_not_yet_valid(issuer):
    made = issuer.add_award(valid_from=dt.date(2027, 6, 1))
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(
            issuer.credential_path(made["row"]), now=dt.datetime(2027, 5, 31, 12, 0, tzinfo=dt.UTC)
        )
    assert err.value.message == (
        "not yet valid: the credential is valid from 2027-06-01 (checked at 2027-05-31 12:00:00Z)"
    )


def test_revoked(issuer):
    from imatter.credentials.registry import revoke

    made = issuer.add_award()
    row = made["row"]
    with issuer.ws.store.write() as conn:
        result = revoke(
            issuer.ws,
            conn,
            row["id"],
            reason="issued in error",
            revoked_by="tester",
            revoked_on=dt.date(2027, 1, 5),
            now=DURING,
        )
    assert result["award_id"] == made["award_id"]
    assert result["credentials"] == [row["id"]]
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(issuer.credential_path(row))
    assert err.value.message == (
        "revoked: the issuer has revoked this credential (status list "
        "https://imatter.example.org/credentials/status/revocation-1.json, "
        f"index {row['status_index']})"
    )
    with issuer.ws.store.read() as conn:
        rec = conn.execute(sa.select(award_revocations)).mappings().one()
    assert (rec["award_id"], rec["revoked_on"], rec["reason"], rec["revoked_by"]) == (
        made["award_id"],
        dt.date(2027, 1, 5),
        "issued in error",
        "tester",
    )


def test_revoking_one_award_leaves_the_others_valid(issuer):
    from imatter.credentials.registry import revoke

    person = issuer.add_person()
    keep = issuer.add_award(person_id=person)
    drop = issuer.add_award(person_id=person, role_id="senior-delegated")
    with issuer.ws.store.write() as conn:
        revoke(
            issuer.ws,
            conn,
            drop["award_id"],
            reason="left",
            revoked_by="t",
            revoked_on=dt.date(2027, 1, 5),
            now=DURING,
        )
    issuer.verify(issuer.credential_path(keep["row"]))
    with pytest.raises(InvalidCredential, match="^revoked: "):
        issuer.verify(issuer.credential_path(drop["row"]))


def test_revoking_twice_says_when_it_was_revoked(issuer):
    from imatter.credentials.registry import revoke
    from imatter.errors import Duplicate

    made = issuer.add_award()
    kwargs = dict(reason="error", revoked_by="tester", revoked_on=dt.date(2027, 1, 5), now=DURING)
    with issuer.ws.store.write() as conn:
        revoke(issuer.ws, conn, made["award_id"], **kwargs)
    with (
        issuer.ws.store.write() as conn,
        pytest.raises(Duplicate, match=r"already revoked on 2027-01-05 by tester: error"),
    ):
        revoke(issuer.ws, conn, made["award_id"], **kwargs)


def test_withdrawn_awards_are_marked_when_lists_are_published(issuer):
    from imatter.credentials.status_list import publish_all

    made = issuer.add_award()
    with issuer.ws.store.write() as conn:
        conn.execute(
            awards.update()
            .where(awards.c.id == made["award_id"])
            .values(withdrawn=True, reason="corrected")
        )
        publish_all(conn, issuer.settings, now=DURING)
    with pytest.raises(InvalidCredential, match="^revoked: "):
        issuer.verify(issuer.credential_path(made["row"]))


def test_unknown_key(issuer, tmp_path):
    """A credential signed by a key the issuer never published: its own message."""
    from imatter.credentials.keys import KeyStore
    from imatter.credentials.proof import sign

    made = issuer.add_award()
    path = issuer.credential_path(made["row"])
    cred = document(issuer, made["row"])
    del cred["proof"]
    rogue = KeyStore(tmp_path / "rogue", tmp_path / "rogue-public", issuer.settings.issuer_id)
    rogue.init(now=DURING)
    key, vm = rogue.signing_key()
    forged = sign(cred, key, verification_method=vm, created=DURING)
    path.write_text(json.dumps(forged, indent=2), encoding="utf-8")
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(path)
    assert err.value.message == (
        f"unknown key: the credential is signed by {vm}, which is not one of the keys "
        "published by https://imatter.example.org/credentials/issuer.json"
    )


def test_signed_by_another_key_but_claiming_ours_is_a_bad_signature(issuer, tmp_path):
    from imatter.credentials.keys import KeyStore
    from imatter.credentials.proof import sign

    made = issuer.add_award()
    path = issuer.credential_path(made["row"])
    cred = document(issuer, made["row"])
    ours = cred.pop("proof")["verificationMethod"]
    rogue = KeyStore(tmp_path / "rogue", tmp_path / "rogue-public", issuer.settings.issuer_id)
    rogue.init(now=DURING)
    key, _vm = rogue.signing_key()
    forged = sign(cred, key, verification_method=ours, created=GRANTED)
    path.write_text(json.dumps(forged, indent=2), encoding="utf-8")
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(path)
    assert err.value.message == (
        "bad signature: the content is as issued, but proof.proofValue was changed"
    )


def test_issuer_must_own_the_key(issuer):
    made = issuer.add_award()
    path = rewrite(
        issuer.credential_path(made["row"]),
        lambda d: d["issuer"].update(id="https://evil.example/issuer.json"),
    )
    with pytest.raises(
        InvalidCredential,
        match="^unknown key: the credential names the issuer "
        "https://evil.example/issuer.json, but its key belongs to",
    ):
        issuer.verify(path)


def test_altered_with_the_records_names_the_field(issuer):
    made = issuer.add_award()
    path = rewrite(
        issuer.credential_path(made["row"]),
        lambda d: d["credentialSubject"]["achievement"].update(name="I Matter Trainer"),
    )
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(path)
    assert err.value.message == (
        "altered: credentialSubject.achievement.name differ from the credential as issued"
    )


def test_altered_copy_elsewhere_without_the_records(issuer, tmp_path):
    from imatter.credentials.registry import verify_file

    made = issuer.add_award()
    copy = tmp_path / "copy.json"
    copy.write_bytes(issuer.credential_path(made["row"]).read_bytes())
    rewrite(copy, lambda d: d.update(validFrom="2020-01-01T00:00:00Z"))
    with pytest.raises(InvalidCredential) as err:
        verify_file(
            copy,
            now=DURING,
            keys_file=issuer.settings.public_folder / "issuer.json",
            status_files=[issuer.settings.public_folder / "status/revocation-1.json"],
        )
    assert err.value.message == (
        "bad signature: the signature does not match the content; the credential was altered "
        "after signing or its proof is corrupt"
    )


def test_malformed_proof_value(issuer):
    made = issuer.add_award()
    path = rewrite(
        issuer.credential_path(made["row"]), lambda d: d["proof"].update(proofValue="uAAAA")
    )
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(path)
    assert err.value.message == (
        "bad signature: proofValue is not multibase base58btc (it must start with 'z')"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.update({"@context": [VC_V2]}),
            f"not an Open Badges 3.0 credential: its @context does not include {OB_V3}",
        ),
        (
            lambda d: d.update(type=["VerifiableCredential"]),
            "not an Open Badges 3.0 credential: its type must include VerifiableCredential and "
            "OpenBadgeCredential",
        ),
        (
            lambda d: d.pop("proof"),
            "not an Open Badges 3.0 credential: it has no proof (it is not signed)",
        ),
        (
            lambda d: d["proof"].update(cryptosuite="eddsa-jcs-2022"),
            "not an Open Badges 3.0 credential: cryptosuite 'eddsa-jcs-2022' is not "
            "eddsa-rdfc-2022",
        ),
        (
            lambda d: d.update(credentialSubject=[]),
            "not an Open Badges 3.0 credential: its credentialSubject must be one "
            "AchievementSubject with an achievement",
        ),
    ],
)
def test_not_an_open_badge(issuer, change, message):
    made = issuer.add_award()
    path = rewrite(issuer.credential_path(made["row"]), change)
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(path)
    assert err.value.message == message


def test_not_json(issuer, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(
        InvalidCredential, match=r"notes\.txt: not valid JSON: Expecting value at line 1"
    ):
        issuer.verify(path)


def test_status_list_must_be_available(issuer, tmp_path):
    from imatter.credentials.registry import verify_file

    made = issuer.add_award()
    with pytest.raises(
        InvalidCredential,
        match=r"^cannot check revocation: the status list "
        r"https://imatter\.example\.org/credentials/status/revocation-1\.json is "
        r"not available here; pass it with --status-list FILE",
    ):
        verify_file(
            issuer.credential_path(made["row"]),
            now=DURING,
            keys_file=issuer.settings.public_folder / "issuer.json",
        )


def test_a_tampered_status_list_is_refused(issuer):
    made = issuer.add_award()
    status_file = issuer.settings.public_folder / "status" / "revocation-1.json"
    from imatter.credentials.status_list import encode

    rewrite(status_file, lambda d: d["credentialSubject"].update(encodedList=encode([5])))
    with pytest.raises(
        InvalidCredential,
        match=r"^cannot check revocation: .* has a bad "
        r"signature \(it was altered\)",
    ):
        issuer.verify(issuer.credential_path(made["row"]))


def test_the_public_folder_is_where_the_book_finds_it(issuer):
    issuer.add_award()
    public = Path(issuer.ws.path) / "public" / "credentials"
    assert (public / "issuer.json").exists()
    assert (public / "status" / "revocation-1.json").exists()
    assert (
        issuer.settings.local_path(
            "https://imatter.example.org/credentials/status/revocation-1.json"
        )
        == public / "status" / "revocation-1.json"
    )
    assert issuer.settings.local_path("https://imatter.example.org/credentials/../x") is None
    assert issuer.settings.local_path("https://other.example/credentials/issuer.json") is None


def test_credentials_url_can_be_set_in_workspace_yml(ws):
    import yaml
    from imatter.credentials.settings import settings_for

    config = Path(ws.path) / "workspace.yml"
    data = yaml.safe_load(config.read_text())
    data["credentials_url"] = "https://training.example.net/imatter/credentials/"
    config.write_text(yaml.safe_dump(data))
    settings = settings_for(ws)
    assert settings.issuer_id == "https://training.example.net/imatter/credentials/issuer.json"
    issuer = make_issuer(ws)
    made = issuer.add_award()
    issuer.verify(issuer.credential_path(made["row"]))
