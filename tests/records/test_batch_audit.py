"""Batch imports write the audit chain the triggers would have written row by row.

Two stores get the same people and completions: one through the batch import, one a row at a
time through the API (the triggers write the log). Their chains hold the same records in the
same order (actions, tables, keys, row digests); with the same timestamps, the same hashes; and
both verify with `imatter audit verify`. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest
import sqlalchemy as sa
from imatter import records as r
from imatter.store import schema as t
from imatter.store.audit import chain_hash
from imatter.trust.audit import verify

TODAY = dt.date(2026, 11, 28)
FIXED = dt.datetime(2026, 11, 28, 9, 30, 0)
PEOPLE = [
    ("Zoë Ng", "zoe@oak.example", "teacher", "2024-09-01"),
    ("Ann O'Hara", "ann@oak.example", "teaching-assistant", ""),
    ('Sam "Sammy" Roe', "", "staff", "2019-01-07"),
    ("Ben Bell", "ben@oak.example", "headteacher", ""),
]
COMPLETIONS = [
    ("zoe@oak.example", "awareness", "2026-10-01", "register"),
    ("ann@oak.example", "awareness", "2026-10-02", ""),
    ("ben@oak.example", "foundation-a", "2026-09-30", "assessment, 'passed'\tmoderated \\ ok"),
]
RECORDED_BY = "lead"


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch):
    """The rows' own timestamps are equal in both stores (the log's `at` is compared apart)."""
    import imatter.records.completions as completions
    import imatter.records.csv_import as csv_import
    import imatter.records.people as people
    import imatter.records.staff_import as staff_import

    for module in (completions, csv_import, people, staff_import):
        monkeypatch.setattr(module, "utcnow", lambda: FIXED)


def _setting(ws):
    r.add_setting(ws.store, "oakfield", "Oakfield Primary", pupils_on_roll=300)


def _by_batch(ws, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(
        "name,email,setting,position,since\n"
        + "".join(
            f'"{n.replace(chr(34), chr(34) * 2)}",{e},oakfield,{p},{s}\n' for n, e, p, s in PEOPLE
        ),
        encoding="utf-8",
    )
    assert r.import_people(ws.store, ws.programme, people).added == len(PEOPLE)
    done = tmp_path / "completions.csv"
    done.write_text(
        "person,course,date,evidence\n"
        + "".join(f"{p},{c},{d},{_cell(e)}\n" for p, c, d, e in COMPLETIONS),
        encoding="utf-8",
    )
    count = r.import_completions(ws.store, ws.programme, done, recorded_by=RECORDED_BY, today=TODAY)
    assert count == len(COMPLETIONS)


def _cell(text: str) -> str:
    """A CSV cell: quoted only when it must be (a file without quotes is read by column)."""
    if '"' in text or "," in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _row_at_a_time(ws):
    for name, email, position, since in PEOPLE:
        r.add_person(
            ws.store,
            ws.programme,
            name,
            email=email or None,
            setting="oakfield",
            position=position,
            since=dt.date.fromisoformat(since) if since else None,
        )
    for person, course, day, evidence in COMPLETIONS:
        r.record_completion(
            ws.store,
            ws.programme,
            person,
            course,
            dt.date.fromisoformat(day),
            recorded_by=RECORDED_BY,
            today=TODAY,
            evidence=evidence or "imported from completions.csv",
        )


def _chain(ws) -> list[sa.Row]:
    with ws.store.read() as conn:
        return list(conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq)))


def _compare(batch_ws, single_ws, start: int) -> None:
    """The chains after record `start` (the set-up before it has its own timestamps)."""
    whole = _chain(batch_ws)
    batch, single = whole[start:], _chain(single_ws)[start:]
    assert batch and start == len(_chain(single_ws)) - len(single)
    fields = ("seq", "actor", "action", "tbl", "row_key", "data_sha256")
    # The same records, in the same order, with the same row digests.
    assert [tuple(getattr(x, f) for f in fields) for x in batch] == [
        tuple(getattr(x, f) for f in fields) for x in single
    ]
    added = [x for x in batch if x.tbl in ("people", "affiliations", "completions")]
    assert [(x.tbl, x.action) for x in added] == [
        *[(tbl, "insert") for _ in PEOPLE for tbl in ("people", "affiliations")],
        *[("completions", "insert")] * len(COMPLETIONS),
    ]
    # Given the row-at-a-time timestamps, the batch's records hash to the very same chain.
    prev = _chain(single_ws)[start - 1].hash
    for ours, theirs in zip(batch, single, strict=True):
        digest = chain_hash(
            prev,
            ours.seq,
            theirs.at,
            ours.actor,
            ours.action,
            ours.tbl,
            ours.row_key,
            ours.data_sha256,
        )
        assert digest == theirs.hash, ours.seq
        prev = digest
    for ws in (batch_ws, single_ws):
        report = verify(ws)
        assert report.problem is None, report.problem
        assert report.records == len(whole)


def _workspace(tmp_path, name, db=None):
    from imatter.workspace import init_workspace

    from ..conftest import PROGRAMME_FILE

    return init_workspace(tmp_path / name, db=db, programme=PROGRAMME_FILE)


def test_a_batch_import_writes_the_row_at_a_time_chain_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("IMATTER_USER", "tester")
    batch_ws, single_ws = _workspace(tmp_path, "batch"), _workspace(tmp_path, "single")
    for ws in (batch_ws, single_ws):
        _setting(ws)
    start = len(_chain(batch_ws))
    _by_batch(batch_ws, tmp_path)
    _row_at_a_time(single_ws)
    _compare(batch_ws, single_ws, start)
    # The triggers are back: a later change is logged by them, and the chain still verifies.
    r.add_person(batch_ws.store, batch_ws.programme, "Late Comer", email="late@oak.example")
    assert _chain(batch_ws)[-1].tbl == "people"
    assert verify(batch_ws).problem is None


@pytest.mark.parametrize(
    "evidence", ["the same {0} for all", "the same {} for all\tof them", "", '"quoted" {']
)
def test_columns_that_never_change_hash_as_the_triggers_do(tmp_path, monkeypatch, evidence):
    """Every completion with the same evidence (braces; a tab, which the database digests;
    none, so the file's default; a quote, so the file is read row by row), recorded by and
    acting as names with braces: the batch chain still equals the row-at-a-time chain."""
    monkeypatch.setenv("IMATTER_USER", "tester{1}")
    monkeypatch.setattr(
        sys.modules[__name__], "COMPLETIONS", [(*row[:3], evidence) for row in COMPLETIONS]
    )
    monkeypatch.setattr(sys.modules[__name__], "RECORDED_BY", "lead {x}")
    batch_ws, single_ws = _workspace(tmp_path, "batch"), _workspace(tmp_path, "single")
    for ws in (batch_ws, single_ws):
        _setting(ws)
    start = len(_chain(batch_ws))
    _by_batch(batch_ws, tmp_path)
    _row_at_a_time(single_ws)
    _compare(batch_ws, single_ws, start)
    assert any("{1}" in x.actor for x in _chain(batch_ws)[start:])


def _pg_workspace(pg_url, tmp_path, name):
    db = f"{name}_{tmp_path.name.replace('-', '_').lower()[-30:]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
    admin.dispose()
    return _workspace(tmp_path, name, pg_url.replace("/postgres?", f"/{db}?"))


def test_a_batch_import_writes_the_row_at_a_time_chain_on_postgres(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("IMATTER_USER", "tester")
    batch_ws = _pg_workspace(pg_url, tmp_path, "batch")
    single_ws = _pg_workspace(pg_url, tmp_path, "single")
    try:
        for ws in (batch_ws, single_ws):
            _setting(ws)
        start = len(_chain(batch_ws))
        _by_batch(batch_ws, tmp_path)
        _row_at_a_time(single_ws)
        _compare(batch_ws, single_ws, start)
        r.add_person(batch_ws.store, batch_ws.programme, "Late Comer", email="late@oak.example")
        assert _chain(batch_ws)[-1].tbl == "people"
        assert verify(batch_ws).problem is None
    finally:
        batch_ws.store.dispose()
        single_ws.store.dispose()
