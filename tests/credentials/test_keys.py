"""The issuer's keys: private file mode 0600, never printed; rotation keeps old credentials
verifiable; the public keys are published as a key document with the book."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest
from imatter.credentials.keys import KeyDocument
from imatter.errors import Duplicate, ImatterError, InvalidCredential, NotFound

from .conftest import DURING, KEY_MADE


def mode(path) -> int:  # type: ignore[no-untyped-def]
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_makes_a_private_key_only_the_owner_can_read(issuer):
    store = issuer.settings.key_store()
    assert mode(store.key_path) == 0o600
    assert mode(store.folder) == 0o700
    assert store.key_path.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_init_publishes_the_public_key_document(issuer):
    store = issuer.settings.key_store()
    published = json.loads(store.document_path.read_text())
    assert published["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert published["id"] == "https://imatter.example.org/credentials/issuer.json"
    (method,) = published["verificationMethod"]
    assert method["type"] == "Multikey"
    assert method["controller"] == published["id"]
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert method["id"] == f"{published['id']}#{method['publicKeyMultibase']}"
    assert published["assertionMethod"] == [method["id"]]
    assert "PRIVATE" not in store.document_path.read_text()
    document = KeyDocument.from_json(published)
    assert document.active.id == method["id"]


def test_init_twice_is_refused(issuer):
    with pytest.raises(Duplicate, match="already exists .* use `imatter keys rotate`"):
        issuer.settings.key_store().init(now=DURING)


def test_rotate_keeps_earlier_credentials_verifiable(issuer):
    store = issuer.settings.key_store()
    before = issuer.add_award()
    old_key = store.keyring().active
    old_pem = store.key_path.read_bytes()
    new = store.rotate(now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert new.id != old_key.id
    assert store.key_path.read_bytes() != old_pem  # the old private key is gone
    assert not list(store.folder.glob("*.new"))
    assert mode(store.key_path) == 0o600
    keyring = store.keyring()
    assert [k.id for k in keyring.keys] == [old_key.id, new.id]
    assert keyring.keys[0].retired == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    published = json.loads(store.document_path.read_text())
    assert published["assertionMethod"] == [old_key.id, new.id]

    # the credential signed with the old key still verifies, after the rotation
    issuer.verify(issuer.credential_path(before["row"]), now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    # new credentials are signed with the new key and verify too
    from imatter.credentials.issue import issue_award_credential

    after = issuer.add_award(issue=False)
    with issuer.ws.store.write() as conn:
        row = issue_award_credential(
            issuer.ws, conn, after["award_id"], now=dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
        )
    assert row["key_id"] == new.id
    issuer.verify(issuer.credential_path(row), now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))


def test_revoking_after_rotation_resigns_the_list_with_the_new_key(issuer):
    from imatter.credentials.registry import revoke

    before = issuer.add_award()
    keep = issuer.add_award()
    store = issuer.settings.key_store()
    new = store.rotate(now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    with issuer.ws.store.write() as conn:
        revoke(
            issuer.ws,
            conn,
            before["award_id"],
            reason="error",
            revoked_by="t",
            revoked_on=dt.date(2027, 1, 2),
            now=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
        )
    status = json.loads((issuer.settings.public_folder / "status/revocation-1.json").read_text())
    assert status["proof"]["verificationMethod"] == new.id
    with pytest.raises(InvalidCredential, match="^revoked: "):
        issuer.verify(issuer.credential_path(before["row"]))
    issuer.verify(issuer.credential_path(keep["row"]))


def test_a_key_used_after_its_retirement_is_unknown(issuer):
    """A leaked retired key cannot sign new credentials that verify."""
    from cryptography.hazmat.primitives import serialization
    from imatter.credentials.proof import sign

    store = issuer.settings.key_store()
    made = issuer.add_award()
    old_private = serialization.load_pem_private_key(store.key_path.read_bytes(), None)
    old_id = store.keyring().active.id
    store.rotate(now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    path = issuer.credential_path(made["row"])
    cred = json.loads(path.read_text())
    del cred["proof"]
    late = sign(
        cred,
        old_private,
        verification_method=old_id,
        created=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
    )
    path.write_text(json.dumps(late, indent=2))
    with pytest.raises(InvalidCredential) as err:
        issuer.verify(path)
    assert err.value.message == (
        f"unknown key: the credential was signed on 2027-02-01 with {old_id}, which was retired "
        "on 2027-01-01"
    )


def test_rotate_without_a_key(ws):
    from imatter.credentials.settings import settings_for

    with pytest.raises(NotFound, match="run `imatter keys init` first"):
        settings_for(ws).key_store().rotate(now=DURING)


def test_a_key_others_can_read_is_refused(issuer):
    store = issuer.settings.key_store()
    os.chmod(store.key_path, 0o644)
    message = r"can be read by other users \(mode 644\); run `chmod 600"
    with pytest.raises(ImatterError, match=message):
        store.signing_key()


def test_a_key_that_does_not_match_the_keyring_is_refused(issuer, tmp_path):
    from imatter.credentials.keys import KeyStore

    other = KeyStore(tmp_path / "k", tmp_path / "p", issuer.settings.issuer_id)
    other.init(now=KEY_MADE)
    store = issuer.settings.key_store()
    store.key_path.write_bytes(other.key_path.read_bytes())
    with pytest.raises(ImatterError, match="does not match the active key"):
        store.signing_key()


def test_keys_cli_never_prints_the_private_key(run_cli, tmp_path):
    assert run_cli("init", str(tmp_path / "ws"))[0] == 0
    code, out, err = run_cli("keys", "init")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(
        "Issuer key created: https://imatter.example.org/credentials/issuer.json#z6Mk"
    )
    assert lines[1] == (
        f"Private key: {tmp_path / 'ws' / 'keys' / 'issuer.key'} (mode 600; back it up, "
        "never share it)"
    )
    assert lines[2] == (
        f"Public key document: {tmp_path / 'ws' / 'public' / 'credentials' / 'issuer.json'} "
        "(publish it with the book)"
    )
    pem = (tmp_path / "ws" / "keys" / "issuer.key").read_text()
    secret_line = pem.splitlines()[1]
    for command in (("keys", "show"), ("keys", "show", "--json"), ("keys", "rotate")):
        code, out, err = run_cli(*command)
        assert code == 0, err
        assert secret_line not in out + err and "PRIVATE KEY" not in out + err
    code, out, err = run_cli("keys", "init")
    assert code == 1
    assert err == (
        f"Error: an issuer key already exists in {tmp_path / 'ws' / 'keys'}; use `imatter keys "
        "rotate` to replace it\n"
    )
