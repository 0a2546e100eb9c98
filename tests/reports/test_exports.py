"""Exports: xAPI statements validated against the xAPI 1.0.3 Statement schema (test data),
and a setting's credentials as one zip."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile

import pytest
import sqlalchemy as sa
from imatter.exports import pseudonymous_id, write_xapi, xapi_statements, zip_setting_credentials
from imatter.exports.xapi import workspace_secret
from imatter.reports import Scope
from imatter.store import schema as t

from .conftest import DATA
from .world import TODAY, build_world

SECRET = b"k" * 32
HOME = "https://imatter.example.org"


@pytest.fixture(scope="module")
def validator():
    import jsonschema

    schema = json.loads((DATA / "xapi-statement-1.0.3.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def statements(world_ws):
    return xapi_statements(
        world_ws.store, world_ws.programme, home_page=HOME, secret=SECRET, end=TODAY
    )


def test_every_statement_validates(statements, validator):
    for statement in statements:
        errors = sorted(validator.iter_errors(statement), key=str)
        assert not errors, f"{statement['verb']['id']}: {errors[0].message}"


def test_statement_counts_by_verb(statements):
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements]
    # attended: 9 present marks at held sessions; completed: 14 current completions (Ben's
    # corrected record once); passed: Ann and Ben (B), Cat (A); awarded: 5 awards.
    assert {v: verbs.count(v) for v in set(verbs)} == {
        "attended": 9,
        "completed": 14,
        "passed": 3,
        "awarded": 5,
    }
    assert [s["timestamp"] for s in statements] == sorted(s["timestamp"] for s in statements)


def test_actors_are_pseudonymous_accounts(statements, world_ws):
    text = "\n".join(json.dumps(s) for s in statements)
    assert "mbox" not in text and "@" not in text
    for name in ("Ann", "Ben", "Cat", "Gus"):
        assert f'"{name}"' not in text and f"{name} " not in text
    ann = pseudonymous_id(SECRET, world_ws.ids["ann"])
    assert ann.startswith("p-") and len(ann) == 34
    mine = [s for s in statements if s["actor"]["account"]["name"] == ann]
    assert {s["verb"]["display"]["en-GB"] for s in mine} == {
        "attended",
        "completed",
        "passed",
        "was awarded",
    }
    assert all(
        s["actor"] == {"objectType": "Agent", "account": {"homePage": HOME, "name": ann}}
        for s in mine
    )


def test_statements_are_stable_and_carry_results(statements, world_ws):
    again = xapi_statements(
        world_ws.store, world_ws.programme, home_page=HOME, secret=SECRET, end=TODAY
    )
    assert [s["id"] for s in again] == [s["id"] for s in statements]
    assert len({s["id"] for s in statements}) == len(statements)
    ann = pseudonymous_id(SECRET, world_ws.ids["ann"])
    passed = next(
        s
        for s in statements
        if s["verb"]["id"].endswith("/passed") and s["actor"]["account"]["name"] == ann
    )
    assert passed["result"] == {
        "success": True,
        "completion": True,
        "score": {"scaled": 0.8, "raw": 8.0, "min": 0, "max": 10.0},
    }
    assert passed["object"]["id"] == "https://imatter.example.org/xapi/assessments/foundation-b"
    assert passed["context"]["contextActivities"]["parent"][0]["id"].endswith(
        "/courses/foundation-b"
    )
    assert passed["timestamp"] == "2026-11-10T00:00:00Z" and passed["version"] == "1.0.3"
    trainee = next(
        s
        for s in statements
        if s["object"]["id"].endswith("/roles/trainee-lead") and s["timestamp"].startswith("2026")
    )
    assert list(trainee["context"]["extensions"].values()) == ["2028-09-15"]


def test_scope_and_period(world_ws):
    oak = xapi_statements(
        world_ws.store,
        world_ws.programme,
        home_page=HOME,
        secret=SECRET,
        end=TODAY,
        start=dt.date(2026, 10, 5),
        scope=Scope("setting", "oak"),
    )
    verbs = sorted(s["verb"]["id"].rsplit("/", 1)[-1] for s in oak)
    # Group 1 sessions on 8 and 22 October: Ann twice, Cat once. Ann's FA and FB; Ann's pass;
    # Ann's Link award.
    assert verbs == ["attended"] * 3 + ["awarded"] + ["completed"] * 2 + ["passed"]


def test_the_schema_rejects_what_xapi_rejects(statements, validator):
    good = statements[0]
    broken = [
        {k: v for k, v in good.items() if k != "actor"},
        {**good, "id": "not-a-uuid"},
        {**good, "actor": {"mbox": "mailto:a@b.org", "account": good["actor"]["account"]}},
        {**good, "verb": {"id": "attended"}},
        {**good, "timestamp": "28/11/2026"},
        {**good, "version": "2.0.0"},
        {**good, "extra": 1},
        {**good, "result": {"score": {"scaled": 1.5}}},
        {
            **good,
            "object": {"objectType": "Agent", "account": good["actor"]["account"]},
            "context": {"platform": "x"},
        },
    ]
    for statement in broken:
        assert list(validator.iter_errors(statement)), statement


def test_write_xapi_json_lines(statements, tmp_path, validator):
    path = write_xapi(statements, tmp_path / "out.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(statements)
    assert all(not list(validator.iter_errors(json.loads(line))) for line in lines)


def test_workspace_secret_is_kept(tmp_path):
    first = workspace_secret(tmp_path)
    assert workspace_secret(tmp_path) == first and len(first) == 32
    assert (tmp_path / "keys" / "xapi-pseudonym.key").stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------------------- credentials zip
def add_credentials(ws, ids):
    """Three credential rows for oak's awards, as issuing would: the first file written, the
    second file lost (its document kept in the database), the third lost with no copy."""
    now = dt.datetime(2026, 11, 20)
    folder = ws.path / "credentials"
    folder.mkdir(exist_ok=True)
    with ws.store.write() as conn:
        conn.execute(
            t.credential_status_lists.insert().values(
                id="list-1",
                purpose="revocation",
                size=1024,
                url="https://x.example/s/1.json",
                created_at=now,
            )
        )
        awards = conn.execute(
            sa.select(t.awards.c.id, t.awards.c.person_id, t.awards.c.role_id)
            .where(t.awards.c.setting_id == "oak")
            .order_by(t.awards.c.valid_from)
        ).all()
        written = []
        for i, award in enumerate(awards[:3]):
            body = json.dumps({"id": f"urn:uuid:c{i}", "award": award.id}).encode()
            path = folder / f"c{i}.json"
            if i == 0:
                path.write_bytes(body)
                written.append(path)
            document = {"document": body.decode()} if i < 2 else {}
            if i == 2 and "document" in t.credentials.c:
                # A row with no usable copy: the file is gone and the document column blank.
                document = {"document": ""}
            conn.execute(
                t.credentials.insert().values(
                    **document,
                    id=f"urn:uuid:c{i}",
                    award_id=award.id,
                    file=f"credentials/c{i}.json",
                    sha256=hashlib.sha256(body).hexdigest(),
                    status_list_id="list-1",
                    status_index=i,
                    key_id="did:web:x#k",
                    valid_from=dt.date(2026, 1, 1),
                    issued_at=now,
                )
            )
    return written


def test_zip_of_a_settings_credentials(fresh_ws, tmp_path, cli):
    ids = build_world(fresh_ws)
    add_credentials(fresh_ws, ids)
    target = tmp_path / "oak.zip"
    result = zip_setting_credentials(fresh_ws, "oak", target)
    assert result.files == ("credentials/c0.json", "credentials/c1.json")
    assert result.missing == ("credentials/c2.json",)
    assert result.notes == (
        "1 credential file(s) missing from the workspace were taken from the copy kept in the "
        "database: credentials/c1.json",
        "1 listed credential file(s) are missing: credentials/c2.json",
    )
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == [
            "credentials/c0.json",
            "credentials/c1.json",
            "manifest.json",
        ]
        manifest = json.loads(archive.read("manifest.json"))
        restored = json.loads(archive.read("credentials/c1.json"))
    assert restored["id"] == "urn:uuid:c1"
    assert manifest["schema_version"] == 1 and manifest["setting"]["id"] == "oak"
    assert [c["credential_id"] for c in manifest["credentials"]] == ["urn:uuid:c0", "urn:uuid:c1"]
    assert manifest["missing"] == ["credentials/c2.json"]
    # The same credentials give the same zip, byte for byte.
    again = zip_setting_credentials(fresh_ws, "oak", tmp_path / "again.zip")
    assert again.path.read_bytes() == target.read_bytes()
    elm = zip_setting_credentials(fresh_ws, "elm", tmp_path / "elm.zip")
    assert elm.files == () and elm.notes == (
        "no credentials have been issued for awards made in elm",
    )
    code, out, err = cli(fresh_ws, "export", "credentials", "oak", "-o", str(tmp_path / "c.zip"))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"Wrote 2 credential(s) to {tmp_path / 'c.zip'}"
    assert (
        out.splitlines()[2] == "Note: 1 listed credential file(s) are missing: credentials/c2.json"
    )


def test_zip_without_a_credentials_table_zips_what_exists(fresh_ws, tmp_path):
    build_world(fresh_ws)
    folder = fresh_ws.path / "credentials"
    folder.mkdir(exist_ok=True)
    (folder / "a.json").write_text("{}", encoding="utf-8")
    with fresh_ws.store.write() as conn:
        conn.exec_driver_sql("DROP TABLE credentials")
    result = zip_setting_credentials(fresh_ws, "oak", tmp_path / "oak.zip")
    assert result.files == ("credentials/a.json",)
    assert "no credentials table" in result.notes[0] and "(1)" in result.notes[0]
