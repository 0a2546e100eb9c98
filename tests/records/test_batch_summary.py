"""A batch import keeps the completion summary exactly as the per-row trigger would.

The bulk eligibility engine reads `person_course_summary` and `course_bits` (SQLite); a batch
import fills them in three statements instead of once per row. Two stores get the same people
and completions, one by import and one a row at a time; their summaries are equal, course bits
included, also when the import adds to completions recorded before it.
"""

from __future__ import annotations

import datetime as dt

from imatter import records as r

from .test_batch_audit import COMPLETIONS, TODAY, _by_batch, _row_at_a_time, _setting, _workspace


def _summary(ws) -> tuple[list[tuple], list[tuple]]:
    with ws.store.read() as conn:
        bits = conn.exec_driver_sql("SELECT course_id, bit FROM course_bits ORDER BY bit").all()
        rows = conn.exec_driver_sql(
            "SELECT person_id, mask, last_day FROM person_course_summary ORDER BY person_id"
        ).all()
    return [tuple(b) for b in bits], [tuple(x) for x in rows]


def test_a_batch_import_keeps_the_summary_the_trigger_keeps(tmp_path):
    batch_ws, single_ws = _workspace(tmp_path, "batch"), _workspace(tmp_path, "single")
    for ws in (batch_ws, single_ws):
        _setting(ws)
    _by_batch(batch_ws, tmp_path)
    _row_at_a_time(single_ws)
    bits, rows = _summary(batch_ws)
    assert len(bits) == len({c for _, c, _, _ in COMPLETIONS}) and rows
    assert (bits, rows) == _summary(single_ws)
    # A later import adds to the summary: a second course for a person, and a new course.
    more = tmp_path / "more.csv"
    more.write_text(
        "person,course,date\nzoe@oak.example,foundation-a,2026-11-02\n"
        "ann@oak.example,foundation-b,2026-10-20\n",
        encoding="utf-8",
    )
    assert (
        r.import_completions(
            batch_ws.store, batch_ws.programme, more, recorded_by="lead", today=TODAY
        )
        == 2
    )
    for person, course, day in (
        ("zoe@oak.example", "foundation-a", "2026-11-02"),
        ("ann@oak.example", "foundation-b", "2026-10-20"),
    ):
        r.record_completion(
            single_ws.store,
            single_ws.programme,
            person,
            course,
            dt.date.fromisoformat(day),
            recorded_by="lead",
            today=TODAY,
            evidence="imported from more.csv",
        )
    assert _summary(batch_ws) == _summary(single_ws)
    assert len(_summary(batch_ws)[0]) == len(bits) + 1
