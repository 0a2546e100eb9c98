"""`imatter keys / verify / revoke / credential`: exact messages and exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from .conftest import PROGRAMME_FILE, Issuer, rewrite


@pytest.fixture
def cli_issuer(run_cli, tmp_path):  # type: ignore[no-untyped-def]
    """A workspace made through the CLI, with a key, and a helper to add awards."""
    from imatter.credentials.settings import settings_for
    from imatter.workspace import open_workspace

    assert run_cli("init", str(tmp_path / "ws"))[0] == 0
    assert run_cli("keys", "init")[0] == 0
    ws = open_workspace(tmp_path / "ws", programme=PROGRAMME_FILE)
    return Issuer(ws, settings_for(ws))


def test_commands_have_help(run_cli):
    for command in (
        ("keys",),
        ("keys", "init"),
        ("keys", "rotate"),
        ("keys", "show"),
        ("verify",),
        ("revoke",),
        ("credential",),
        ("credential", "show"),
        ("credential", "list"),
        ("credential", "issue"),
        ("credential", "certificate"),
        ("credential", "pending"),
        ("credential", "publish"),
    ):
        code, out, _ = run_cli(*command, "--help")
        assert code == 0
        assert "Usage: imatter " + " ".join(command) in out


def test_help_lists_the_credential_commands_without_importing_them():
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from imatter.cli import main\n"
        "code = main(['--help'])\n"
        "heavy = sorted(m for m in sys.modules if m.startswith('imatter.credentials')\n"
        "               or m.split('.')[0] in ('pyld', 'cryptography', 'reportlab'))\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    for line in ("keys ", "credential "):
        assert "\n  " + line in done.stdout
    assert "HEAVY []" in done.stdout


def test_verify_valid(run_cli, cli_issuer):
    made = cli_issuer.add_award(valid_until=dt.date(2030, 11, 1))
    path = cli_issuer.credential_path(made["row"])
    code, out, err = run_cli("verify", str(path), "--at", "2027-03-01")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "VALID"
    assert lines[1] == f"  id: {made['row']['id']}"
    assert lines[2] == "  achievement: Link Professional"
    assert lines[4] == "  valid: 2026-11-01 to 2030-11-01"
    assert lines[-1] == f"  sha256: {made['row']['sha256']}"


def test_verify_expired(run_cli, cli_issuer):
    made = cli_issuer.add_award(valid_until=dt.date(2027, 1, 1))
    code, out, err = run_cli(
        "verify", str(cli_issuer.credential_path(made["row"])), "--at", "2027-02-01"
    )
    assert (code, out) == (1, "")
    assert err == (
        "Error: expired: the credential was valid until 2027-01-01 (checked at 2027-02-01)\n"
    )


def test_revoke_then_verify(run_cli, cli_issuer, tmp_path):
    made = cli_issuer.add_award()
    row = made["row"]
    code, out, err = run_cli(
        "revoke", row["id"], "--reason", "issued in error", "--on", "2027-01-05"
    )
    assert (code, err) == (0, "")
    status_file = tmp_path / "ws" / "public" / "credentials" / "status" / "revocation-1.json"
    assert out == (
        f"Revoked award {made['award_id']} on 2027-01-05 (1 credential)\n"
        f"Published status list: {status_file}\n"
    )
    code, out, err = run_cli("verify", str(cli_issuer.credential_path(row)), "--at", "2027-03-01")
    assert code == 1
    assert err == (
        "Error: revoked: the issuer has revoked this credential (status list "
        "https://imatter.example.org/credentials/status/revocation-1.json, index "
        f"{row['status_index']})\n"
    )
    code, out, err = run_cli("credential", "show", row["id"])
    assert code == 0
    assert "Status:      revoked on 2027-01-05: issued in error\n" in out
    code, _out, err = run_cli("revoke", made["award_id"], "--reason", "again")
    assert code == 1
    assert err.startswith(f"Error: award {made['award_id']} was already revoked on 2027-01-05 by")


def test_revoke_needs_a_reason(run_cli, cli_issuer):
    code, _out, err = run_cli("revoke", "x")
    assert code == 2
    assert "Missing option '--reason'" in err


def test_revoke_unknown(run_cli, cli_issuer):
    code, _out, err = run_cli("revoke", "nothing-here", "--reason", "x")
    assert code == 1
    assert err == ("Error: no credential or award 'nothing-here'; see `imatter credential list`\n")


def test_verify_wrong_key(run_cli, cli_issuer, tmp_path):
    from imatter.credentials.keys import KeyStore
    from imatter.credentials.proof import sign

    made = cli_issuer.add_award()
    path = cli_issuer.credential_path(made["row"])
    cred = json.loads(path.read_text())
    del cred["proof"]
    rogue = KeyStore(tmp_path / "rogue", tmp_path / "rogue-pub", cli_issuer.settings.issuer_id)
    rogue.init(now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    key, vm = rogue.signing_key()
    path.write_text(
        json.dumps(
            sign(cred, key, verification_method=vm, created=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
        )
    )
    code, out, err = run_cli("verify", str(path), "--at", "2027-01-01")
    assert (code, out) == (1, "")
    assert err == (
        f"Error: unknown key: the credential is signed by {vm}, which is not one of the keys "
        "published by https://imatter.example.org/credentials/issuer.json\n"
    )


def test_verify_altered(run_cli, cli_issuer):
    made = cli_issuer.add_award()
    path = rewrite(
        cli_issuer.credential_path(made["row"]),
        lambda d: d.update(validFrom="2020-01-01T00:00:00Z"),
    )
    code, _out, err = run_cli("verify", str(path), "--at", "2027-01-01")
    assert code == 1
    assert err == "Error: altered: validFrom differ from the credential as issued\n"


def test_verify_not_an_open_badge(run_cli, cli_issuer, tmp_path):
    other = tmp_path / "vc.json"
    other.write_text(
        json.dumps(
            {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
        )
    )
    code, _out, err = run_cli("verify", str(other))
    assert code == 1
    assert err == (
        "Error: not an Open Badges 3.0 credential: its @context does not include "
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json\n"
    )


def test_verify_missing_file(run_cli, cli_issuer, tmp_path):
    code, _out, err = run_cli("verify", str(tmp_path / "nope.json"))
    assert code == 1
    assert err == f"Error: {tmp_path / 'nope.json'} not found\n"


def test_verify_outside_a_workspace_with_published_files(
    run_cli, cli_issuer, tmp_path, monkeypatch
):
    made = cli_issuer.add_award()
    public = tmp_path / "ws" / "public" / "credentials"
    monkeypatch.setenv("IMATTER_WORKSPACE", str(tmp_path / "elsewhere"))
    code, _out, err = run_cli("verify", str(cli_issuer.credential_path(made["row"])))
    assert code == 2
    assert err.startswith("Error: no workspace here; pass --keys FILE")
    code, out, err = run_cli(
        "verify",
        str(cli_issuer.credential_path(made["row"])),
        "--keys",
        str(public / "issuer.json"),
        "--status-list",
        str(public / "status" / "revocation-1.json"),
        "--at",
        "2027-01-01T10:00:00Z",
    )
    assert (code, err) == (0, "")
    assert out.startswith("VALID\n")


def test_verify_bad_date(run_cli, cli_issuer):
    code, _out, err = run_cli("verify", "x.json", "--at", "soon")
    assert code == 2
    assert err == (
        "Error: --at 'soon' is not a date or time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\n"
    )


def test_credential_show_list_certificate(run_cli, cli_issuer, tmp_path):
    made = cli_issuer.add_award(
        role_id="trainee-lead", kind="licence", valid_until=dt.date(2028, 11, 1)
    )
    row = made["row"]
    code, out, err = run_cli("credential", "show", made["award_id"])
    assert (code, err) == (0, "")
    assert out.splitlines()[:4] == [
        f"Credential:  {row['id']}",
        f"Person:      Zoë Example (person {made['person_id']})",
        "Role:        Trainee Lead Professional (licence) (trainee-lead, licence)",
        "Valid:       2026-11-01 to 2028-11-01",
    ]
    assert f"SHA-256:     {row['sha256']}" in out
    code, out, _ = run_cli("credential", "show", row["id"], "--json")
    assert code == 0 and json.loads(out)["status"] == "issued"
    code, out, _ = run_cli("credential", "list")
    assert code == 0 and row["id"] in out and "trainee-lead" in out
    target = tmp_path / "cert.pdf"
    code, out, err = run_cli("credential", "certificate", row["id"], "-o", str(target))
    assert (code, err, out) == (0, "", f"Certificate: {target}\n")
    assert target.read_bytes().startswith(b"%PDF")
    code, _out, err = run_cli("credential", "show", "urn:uuid:nope")
    assert code == 1
    assert err == "Error: no credential or award 'urn:uuid:nope'; see `imatter credential list`\n"


def test_credential_issue_for_an_award_made_before_the_key(run_cli, cli_issuer):
    made = cli_issuer.add_award(issue=False)
    code, out, err = run_cli("credential", "issue", made["award_id"])
    assert (code, err) == (0, "")
    first = out.splitlines()[0]
    assert first.startswith("Issued urn:uuid:")
    assert Path(out.splitlines()[1].removeprefix("File: ")).exists()


def test_credential_publish(run_cli, cli_issuer, tmp_path):
    cli_issuer.add_award()
    code, out, err = run_cli("credential", "publish")
    assert (code, err) == (0, "")
    public = tmp_path / "ws" / "public" / "credentials"
    assert out == (
        f"Published key document: {public / 'issuer.json'}\n"
        f"Published status list: {public / 'status' / 'revocation-1.json'}\n"
        f"Published 1 credential page(s) in {public / 'c'}\n"
        f"Copy {tmp_path / 'ws' / 'public'} into the book's site root.\n"
    )


def test_an_award_made_before_the_key_is_pending_then_issued(run_cli, tmp_path):
    """Issue 15: awards made without a key are listed as pending, never skipped in silence."""
    assert run_cli("init")[0] == 0
    run_cli("setting", "add", "brook-primary", "--name", "Brook Primary", "--pupils", "240")
    run_cli("person", "add", "Alex Test", "--email", "alex@example.org",
            "--setting", "brook-primary", "--position", "teacher")  # fmt: skip
    run_cli("person", "add", "Bea Nomail", "--setting", "brook-primary", "--position", "teacher")
    for person in ("1", "2"):
        for course, on in (("foundation-a", "2026-10-01"), ("foundation-b", "2026-10-08")):
            assert run_cli("complete", person, course, "--on", on)[0] == 0
    code, out, err = run_cli("award", "1", "link-professional", "--on", "2026-11-01")
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == (
        "Credential: pending (no issuer key yet: run `imatter keys init`, then "
        "`imatter credential issue --pending`)"
    )
    assert run_cli("award", "2", "link-professional", "--on", "2026-11-01")[0] == 0
    code, out, err = run_cli("credential", "pending")
    assert code == 0, err
    rows = out.splitlines()
    assert len(rows) == 4 and "Alex Test" in rows[2] and "Bea Nomail" in rows[3]
    assert rows[2].endswith(
        "no issuer key yet: run `imatter keys init`, then `imatter credential issue --pending`"
    )

    assert run_cli("keys", "init")[0] == 0
    code, out, err = run_cli("credential", "issue", "--pending")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Issued 1 pending credential(s)"
    assert lines[1].startswith("  urn:uuid:") and "https://" in lines[1]
    assert lines[2].startswith("  still pending: award ") and lines[2].endswith(
        "(Bea Nomail): Bea Nomail (person 2) has no email address; add one, then run "
        "`imatter credential issue --pending`"
    )
    code, out, _ = run_cli("credential", "pending")
    assert code == 0 and "Alex Test" not in out and "Bea Nomail" in out
    code, _, err = run_cli("credential", "issue")
    assert (code, err) == (2, "Error: give an AWARD_ID or --pending (not both)\n")


def test_a_completion_certificate_from_the_cli(run_cli, tmp_path):
    assert run_cli("init")[0] == 0
    run_cli("setting", "add", "brook-primary", "--name", "Brook Primary", "--pupils", "240")
    run_cli("person", "add", "Alex Test", "--setting", "brook-primary", "--position", "teacher")
    assert run_cli("complete", "1", "foundation-a", "--on", "2026-10-01")[0] == 0
    code, out, err = run_cli("credential", "certificate", "--course", "1")
    target = tmp_path / "ws" / "certificates" / "completion-1.pdf"
    assert (code, out, err) == (0, f"Certificate: {target}\n", "")
    assert target.read_bytes().startswith(b"%PDF")
    code, out, err = run_cli("credential", "certificate", "--course", "9")
    assert (code, err) == (1, "Error: no completion 9; see `imatter complete history PERSON`\n")
