"""Independent check: Digital Bazaar's @digitalbazaar/vc (with the eddsa-rdfc-2022 cryptosuite,
data-integrity and bitstring status list libraries) verifies our credentials, offline.

Needs `npm ci --prefix tests/credentials/js` first. Skipped when Node or those packages are
missing, except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from .conftest import rewrite

JS = Path(__file__).resolve().parent / "js"


def _node_ready() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js is not installed"
    elif not (JS / "node_modules" / "@digitalbazaar" / "vc").exists():
        problem = "run `npm ci --prefix tests/credentials/js` first"
    if problem:  # scripts/setup --test installs both; a missing verifier is a failure
        pytest.fail(f"the independent JS verifier cannot run: {problem}")
    return node  # type: ignore[return-value]


def run_js(issuer, files: list[Path], now: str) -> list[dict]:  # type: ignore[no-untyped-def]
    node = _node_ready()
    contexts = resources.files("imatter") / "data" / "contexts"
    done = subprocess.run(
        [
            node,
            str(JS / "verify.mjs"),
            "--contexts",
            str(contexts),
            "--public",
            str(issuer.settings.public_folder),
            "--base-url",
            issuer.settings.base_url,
            "--now",
            now,
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=JS,
    )
    assert done.returncode in (0, 1), done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(files), done.stdout + done.stderr
    return lines


def test_digital_bazaar_verifies_our_credentials(issuer, tmp_path):
    role = issuer.add_award()
    licence = issuer.add_award(
        role_id="trainee-lead", kind="licence", valid_until=dt.date(2028, 11, 1)
    )
    results = run_js(
        issuer,
        [issuer.credential_path(role["row"]), issuer.credential_path(licence["row"])],
        "2027-03-01T00:00:00Z",
    )
    for result in results:
        assert result["verified"] is True, result
        assert result["revoked"] is False, result


def test_digital_bazaar_rejects_what_we_reject(issuer, tmp_path):
    from imatter.credentials.registry import revoke

    keep = issuer.add_award()
    revoked = issuer.add_award()
    altered = issuer.add_award()
    expiring = issuer.add_award(valid_until=dt.date(2027, 1, 1))
    with issuer.ws.store.write() as conn:
        revoke(
            issuer.ws,
            conn,
            revoked["award_id"],
            reason="error",
            revoked_by="t",
            revoked_on=dt.date(2027, 1, 2),
            now=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
        )
    altered_path = rewrite(
        issuer.credential_path(altered["row"]),
        lambda d: d["credentialSubject"]["achievement"].update(name="I Matter Trainer"),
    )
    results = run_js(
        issuer,
        [
            issuer.credential_path(keep["row"]),
            issuer.credential_path(revoked["row"]),
            altered_path,
            issuer.credential_path(expiring["row"]),
        ],
        "2027-03-01T00:00:00Z",
    )
    ok, was_revoked, was_altered, expired = results
    assert ok["verified"] is True and ok["revoked"] is False, ok
    assert was_revoked["revoked"] is True  # the status list (re-signed) still verifies
    assert was_altered["verified"] is False and "signature" in was_altered["error"].lower()
    assert expired["verified"] is False and "validUntil" in expired["error"]


def test_digital_bazaar_verifies_credentials_signed_before_a_key_rotation(issuer):
    before = issuer.add_award()
    issuer.settings.key_store().rotate(now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    from imatter.credentials.issue import issue_award_credential

    after = issuer.add_award(issue=False)
    with issuer.ws.store.write() as conn:
        row = issue_award_credential(
            issuer.ws, conn, after["award_id"], now=dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
        )
    results = run_js(
        issuer,
        [issuer.credential_path(before["row"]), issuer.credential_path(row)],
        "2027-03-01T00:00:00Z",
    )
    assert [r["verified"] for r in results] == [True, True], results
