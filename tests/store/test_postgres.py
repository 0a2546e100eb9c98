"""The same store on PostgreSQL (for organisations that share one database server)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from imatter import records as r
from imatter.errors import Duplicate, ImportRowError
from imatter.store import schema as t

from ..eligibility.test_bulk import ON, _compare, _eligible_both_ways, _populate


def test_records_flow_on_postgres(pg_ws, tmp_path):
    ws = pg_ws
    assert ws.store.engine.dialect.name == "postgresql"
    r.add_setting(ws.store, "brook-primary", "Brook Primary", pupils_on_roll=240)
    pid = r.add_person(
        ws.store,
        ws.programme,
        "Alex Test",
        email="a@x.org",
        setting="brook-primary",
        position="teacher",
    )
    first = r.record_completion(
        ws.store,
        ws.programme,
        pid,
        "foundation-a",
        dt.date(2026, 10, 1),
        recorded_by="lead",
        today=ON,
    )
    with pytest.raises(Duplicate):
        r.record_completion(
            ws.store,
            ws.programme,
            pid,
            "foundation-a",
            dt.date(2026, 10, 1),
            recorded_by="lead",
            today=ON,
        )
    r.correct_completion(
        ws.store,
        ws.programme,
        first,
        reason="date",
        recorded_by="admin",
        today=ON,
        on=dt.date(2026, 10, 2),
    )
    bad = tmp_path / "c.csv"
    bad.write_text(
        "person,course,date\na@x.org,foundation-b,2026-10-01\na@x.org,nope,2026-10-01\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRowError):
        r.import_completions(ws.store, ws.programme, bad, recorded_by="lead", today=ON)
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.completions)).scalar() == 2
    r.record_completion(
        ws.store,
        ws.programme,
        pid,
        "foundation-b",
        dt.date(2026, 10, 9),
        recorded_by="lead",
        today=ON,
    )
    award = r.award_role(ws, pid, "link-professional", ON, granted_by="org")
    assert award.role_title == "Link Professional"


def test_bulk_matches_explain_on_postgres(pg_ws):
    _populate(pg_ws, 11)
    table, mismatches = _compare(pg_ws, ON)
    assert len(table) == 25 and mismatches == []


def test_eligible_through_the_bulk_engine_on_postgres(pg_ws, monkeypatch):
    _populate(pg_ws, 6)
    assert _eligible_both_ways(pg_ws, monkeypatch) == []
