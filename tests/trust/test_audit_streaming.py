"""`audit verify` streams: rows and their latest records are merged in key order, so keys that
sort differently as text and as numbers (2, 10, 11) are matched right, and a bar shows progress
on a terminal only."""

from __future__ import annotations

import pytest
from imatter.store import schema as t
from imatter.trust.audit import verify


def _people(ws, n: int) -> None:
    from imatter.records import add_person

    for i in range(n):
        add_person(ws.store, ws.programme, f"Person {i}")


def _off(ws, *sql: str) -> None:
    """Run SQL with the people triggers off, then put them back."""
    from imatter.store.audit import install_triggers

    with ws.store.write() as conn:
        for action in ("insert", "update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER audit_people_{action}")
        for statement in sql:
            conn.exec_driver_sql(statement)
        install_triggers(conn, t.metadata)


@pytest.fixture
def twelve(ws):
    _people(ws, 12)  # ids 1..12: as text, '10' < '11' < '12' < '2'
    return ws


def test_many_rows_verify_when_keys_sort_differently_as_text(twelve):
    report = verify(twelve)
    assert report.ok, report.problem


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE people SET name = 'Someone Else' WHERE id = 10", "people row 10 was changed"),
        ("UPDATE people SET name = 'Someone Else' WHERE id = 2", "people row 2 was changed"),
        ("DELETE FROM people WHERE id = 11", "people row 11 was deleted without"),
        (
            "INSERT INTO people (id, name, created_at) VALUES (13, 'Ghost', '2026-01-01')",
            "people row 13 is not in the audit log",
        ),
    ],
)
def test_one_unlogged_change_among_many_rows_is_named(twelve, sql, problem):
    _off(twelve, sql)
    report = verify(twelve)
    assert report.problem is not None and report.problem.startswith(problem), report.problem


def test_of_two_unlogged_deletions_the_earlier_record_is_named(twelve):
    _off(twelve, "DELETE FROM people WHERE id = 9", "DELETE FROM people WHERE id = 3")
    report = verify(twelve)
    assert report.problem is not None
    assert report.problem.startswith("people row 3 was deleted without an audit record")


def test_a_progress_bar_goes_to_stderr_only_when_asked_or_on_a_terminal(twelve, capsys):
    assert verify(twelve, progress=True).ok
    err = capsys.readouterr().err
    assert "chain" in err and "people" in err
    assert verify(twelve).ok  # stderr is not a terminal under pytest: quiet
    assert capsys.readouterr().err == ""
