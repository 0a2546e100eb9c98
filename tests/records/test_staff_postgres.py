"""The MIS import, re-import, leaver and merge on PostgreSQL, with the audit chain verified."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from imatter import records as r
from imatter.store import schema as t
from imatter.trust.audit import verify

from . import mis


def test_mis_import_and_upkeep_on_postgres(pg_ws, tmp_path, monkeypatch):
    monkeypatch.setenv("IMATTER_USER", "tester")
    ws = pg_ws
    r.add_setting(ws.store, "brook", "Brook Primary", pupils_on_roll=210)
    first = r.import_people(
        ws.store, ws.programme, mis.write(tmp_path / "a.csv", mis.AUTUMN), setting="brook"
    )
    assert (first.added, first.updated, first.unchanged, len(first.flagged)) == (8, 0, 0, 0)
    again = r.import_people(
        ws.store,
        ws.programme,
        mis.write(tmp_path / "b.csv", mis.SPRING),
        setting="brook",
        mapping=["Post=position"],
    )
    assert (again.added, again.updated, again.unchanged, len(again.flagged)) == (1, 1, 6, 1)
    r.leave_setting(ws.store, "c.li@brook.sch.uk", "brook", dt.date(2026, 8, 31))
    r.add_person(ws.store, ws.programme, "G Bakr", email="g.bakr@brook.sch.uk", setting="brook")
    assert r.merge_people(ws.store, 8, 10) == {}
    members = {s.id: s.members for s in r.list_settings(ws.store)}
    assert members["brook"] == 8  # 9 people, one left
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.people)).scalar() == 9
        saved = conn.execute(sa.select(t.import_mappings.c.source, t.import_mappings.c.target))
        assert [tuple(x) for x in saved] == [("post", "position")]
    report = verify(ws)
    assert report.problem is None, report.problem
