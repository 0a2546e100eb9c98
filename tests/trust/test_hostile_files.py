"""Hostile files get a one-line error, never a traceback: deeply nested JSON and absurd
numbers (refused before they are parsed), and an audit log whose table was dropped."""

from __future__ import annotations

import json
import sqlite3

import pytest
from imatter.errors import ImatterError, InvalidCredential
from imatter.safejson import MAX_DEPTH, hostile, loads

DEEP = "[" * 100_000 + "]" * 100_000
BIG = '{"a": ' + "9" * 100_000 + "}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP, "refused: the JSON has more than 64 levels of nesting"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "refused: the JSON has more than 64 levels"),
        (BIG, "refused: the JSON has a number with more than 100 digits"),
        ('{"a": 1e999}', "not valid JSON: the number 1e999 is too large"),
        ('{"a": -1e999}', "not valid JSON: the number -1e999 is too large"),
        ('{"a": NaN}', "not valid JSON: NaN is not a JSON number"),
        ('{"a": Infinity}', "not valid JSON: Infinity is not a JSON number"),
        ('{"a": [1, 2}', "not valid JSON: Expecting ',' delimiter at line 1 column 12"),
        (b'{"a": "\xff"}', "not valid JSON: not UTF-8 text (invalid start byte)"),
    ],
)
def test_the_safe_loader_refuses_hostile_json_in_one_line(text, message):
    with pytest.raises(ImatterError) as err:
        loads(text, source="x.json")
    assert str(err.value).startswith(f"x.json: {message}")
    assert "\n" not in str(err.value)


def test_the_limits_leave_ordinary_json_alone():
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert hostile(nested) is None
    assert hostile("[" + nested + "]") == "more than 64 levels of nesting"
    # Brackets and digits inside strings are text, not structure.
    text = json.dumps({"s": "[" * 1000 + "9" * 1000, "n": 12345678901234567890})
    assert hostile(text) is None
    assert loads(text)["n"] == 12345678901234567890
    assert loads('{"e": "\\"[[[", "x": 1.5}') == {"e": '"[[[', "x": 1.5}


def test_a_credential_loader_error_stays_an_invalid_credential():
    from imatter.credentials.jsonld import loads_strict

    with pytest.raises(InvalidCredential, match="more than 64 levels"):
        loads_strict(DEEP.encode())
    with pytest.raises(InvalidCredential, match="the key 'a' appears twice"):
        loads_strict('{"a": 1, "a": 2}')


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (DEEP, "refused: the JSON has more than 64 levels of nesting"),
        (BIG, "refused: the JSON has a number with more than 100 digits"),
    ],
)
def test_imatter_verify_refuses_hostile_json_in_one_line(ws, run_cli, tmp_path, content, message):
    path = tmp_path / "hostile.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = run_cli("verify", str(path))
    assert (code, out) == (1, "")
    assert err == f"Error: {path}: {message}\n"


def test_an_impact_answers_file_nested_too_deeply_is_refused(tmp_path):
    from imatter.impact.answers import AnswersFileError, read_answers_file

    path = tmp_path / "foundation-a-before.json"
    path.write_text(DEEP, encoding="utf-8")
    with pytest.raises(AnswersFileError) as err:
        read_answers_file(path)
    assert str(err.value) == f"{path}: refused: the JSON has more than 64 levels of nesting"


def test_an_audit_head_file_nested_too_deeply_is_refused(ws, run_cli, tmp_path):
    path = tmp_path / "head.json"
    path.write_text(DEEP, encoding="utf-8")
    code, out, err = run_cli("audit", "verify", "--head", str(path))
    assert (code, out) == (1, "")
    assert err == f"Error: {path}: refused: the JSON has more than 64 levels of nesting\n"


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        (["audit_log"], "the audit table audit_log is missing from the database (dropped)"),
        (
            ["audit_log", "audit_seals"],
            "the audit tables audit_log and audit_seals are missing from the database (dropped)",
        ),
    ],
)
def test_audit_verify_names_a_dropped_audit_table(ws, run_cli, tables, message):
    code, _, _ = run_cli("setting", "add", "oak", "--name", "Oak", "--pupils", "10")
    assert code == 0
    db = sqlite3.connect(ws.path / "imatter.db")
    for table in tables:
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()
    code, out, err = run_cli("audit", "verify")
    assert (code, out) == (1, "")
    assert err == (
        f"Error: audit log NOT intact: {message}: the log cannot be checked; restore the "
        "database from a backup\n"
    )


def test_a_write_after_the_audit_table_is_dropped_is_refused_in_one_line(ws, run_cli):
    code, _, _ = run_cli("setting", "add", "oak", "--name", "Oak", "--pupils", "10")
    assert code == 0
    db = sqlite3.connect(ws.path / "imatter.db")
    db.execute("DROP TABLE audit_log")
    db.commit()
    code, out, err = run_cli("setting", "add", "elm", "--name", "Elm", "--pupils", "10")
    assert (code, out) == (1, "")
    assert err == (
        "Error: the records database cannot be used (no such table: main.audit_log); it may be "
        "damaged or changed outside imatter: check it with `imatter audit verify` and restore a "
        "backup with `imatter restore FILE`\n"
    )
    assert db.execute("SELECT id FROM settings").fetchall() == [("oak",)]  # nothing unaudited
    db.close()


def test_audit_verify_names_a_dropped_audit_table_on_postgresql(pg_ws, run_cli, monkeypatch):
    import sqlalchemy as sa

    monkeypatch.setenv("IMATTER_WORKSPACE", str(pg_ws.path))
    engine = sa.create_engine(pg_ws.db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_log CASCADE")
    engine.dispose()
    code, out, err = run_cli("audit", "verify")
    assert (code, out) == (1, "")
    assert err == (
        "Error: audit log NOT intact: the audit table audit_log is missing from the database "
        "(dropped): the log cannot be checked; restore the database from a backup\n"
    )
