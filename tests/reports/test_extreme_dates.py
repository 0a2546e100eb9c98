"""Reports never crash on any date that is stored: 0001-01-01 and 9999-12-31 written straight
into the database (as an old import or a hand edit would leave them) in every dated table the
reports read."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from imatter.store import schema as t

from .world import build_world

FIRST, LAST = dt.date(1, 1, 1), dt.date(9999, 12, 31)
FIRST_AT, LAST_AT = dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59)


@pytest.fixture
def extreme_ws(fresh_ws):
    return _extreme(fresh_ws)


@pytest.fixture
def pg_extreme_ws(pg_ws):
    return _extreme(pg_ws)


def _extreme(fresh_ws):
    ids = build_world(fresh_ws)
    ann, ben, cat = ids["ann"], ids["ben"], ids["cat"]
    with fresh_ws.store.write() as conn:
        for person, course, day in ((ann, "awareness", FIRST), (ben, "awareness", LAST)):
            conn.execute(
                t.completions.insert().values(
                    person_id=person, course_id=course, completed_on=day, evidence="",
                    recorded_by="hand", recorded_at=FIRST_AT,
                )
            )  # fmt: skip
        for person, start, until in ((cat, FIRST, LAST), (ann, LAST, None)):
            award = str(uuid.uuid4())
            conn.execute(
                t.awards.insert().values(
                    id=award, person_id=person, role_id="trainee-lead", kind="licence",
                    setting_id="oak", valid_from=start, valid_until=until, granted_by="hand",
                    granted_at=LAST_AT, evidence="[]",
                )
            )  # fmt: skip
        conn.execute(
            t.award_revocations.insert().values(
                award_id=award, revoked_on=LAST, reason="hand", revoked_by="hand",
                revoked_at=LAST_AT,
            )
        )  # fmt: skip
        conn.execute(
            t.memberships.insert().values(
                setting_id="elm", starts_on=FIRST, ends_on=LAST, fee=1.0, currency="GBP",
                recorded_by="hand", recorded_at=FIRST_AT,
            )
        )  # fmt: skip
        conn.execute(
            t.setting_licences.insert().values(
                setting_id="elm", valid_from=FIRST, valid_until=LAST, granted_by="hand",
                granted_at=FIRST_AT,
            )
        )  # fmt: skip
        conn.execute(
            t.affiliations.insert().values(
                person_id=ids["fay"], setting_id="elm", position="staff", since=FIRST, until=LAST
            )
        )
        for day in (FIRST, LAST):
            session = conn.execute(
                t.group_sessions.insert().values(group_id=1, held_on=day)
            ).inserted_primary_key[0]
            conn.execute(
                t.attendance.insert().values(
                    session_id=session, person_id=ann, present=True, recorded_by_id=ann,
                    recorded_at=LAST_AT,
                )
            )  # fmt: skip
        for person, at in ((ann, FIRST_AT), (ben, LAST_AT)):
            conn.execute(
                t.assessment_marks.insert().values(
                    nbgrader_course="c", assessment_id="foundation-b", person_id=person,
                    cell_id="x", role="first", levels="{}", points=1.0, answer_sha256="0" * 64,
                    marker="hand", marked_at=at,
                )
            )  # fmt: skip
            conn.execute(
                t.assessment_syncs.insert().values(
                    nbgrader_course="c", assessment_id="foundation-b", person_id=person,
                    course_id="foundation-b", outcome="passed", score=1.0, max_score=2.0,
                    synced_by="hand", synced_at=at,
                )
            )  # fmt: skip
    return fresh_ws


SCOPES = [[], ["--setting", "oak"], ["--setting", "elm"], ["--cluster", "north"], ["--group", "1"]]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: " ".join(s) or "organisation")
def test_reports_run_over_extreme_dates_in_every_format(cli, extreme_ws, tmp_path, scope):
    as_of = ["--as-of", "2026-11-28"]
    code, out, err = cli(extreme_ws, "report", *scope, *as_of)
    assert (code, err) == (0, ""), err
    assert out.startswith("I Matter report: ")
    for fmt in ("csv", "xlsx", "html"):
        name = "-".join(scope) or "org"
        target = tmp_path / (f"{name}-csv" if fmt == "csv" else f"{name}.{fmt}")
        code, out, err = cli(extreme_ws, "report", *scope, *as_of, "--format", fmt, "-o",
                             str(target))  # fmt: skip
        assert (code, err) == (0, ""), (fmt, err)
        code, out, err = cli(extreme_ws, "export", "report", *scope, *as_of, "--format", fmt,
                             "-o", str(tmp_path / f"export-{target.name}"))  # fmt: skip
        assert (code, err) == (0, ""), (fmt, err)


def test_reports_run_over_extreme_dates_on_postgresql(cli, pg_extreme_ws, tmp_path):
    for scope in ([], ["--setting", "oak"], ["--group", "1"]):
        code, out, err = cli(pg_extreme_ws, "report", *scope, "--as-of", "2026-11-28")
        assert (code, err) == (0, ""), err
        code, out, err = cli(pg_extreme_ws, "export", "report", *scope, "--format", "xlsx",
                             "-o", str(tmp_path / "r.xlsx"), "--as-of", "2026-11-28")  # fmt: skip
        assert (code, err) == (0, ""), err
    code, out, err = cli(pg_extreme_ws, "export", "report", "completions", "--as-of", "9999-12-31")
    assert (code, err) == (0, "")
    rows = {row["course_id"]: row for row in csv.DictReader(io.StringIO(out))}
    assert rows["awareness"]["0/01 spring"] == rows["awareness"]["9999/00 autumn"] == "1"


def test_extreme_dates_are_reported_not_dropped(cli, extreme_ws):
    code, out, err = cli(extreme_ws, "export", "report", "completions", "--as-of", "9999-12-31")
    assert (code, err) == (0, "")
    rows = {row["course_id"]: row for row in csv.DictReader(io.StringIO(out))}
    # Fay's 2026-10-02, and the two written by hand: year 1 and year 9999.
    assert rows["awareness"]["0/01 spring"] == "1"
    assert rows["awareness"]["2026/27 autumn"] == "1"
    assert rows["awareness"]["9999/00 autumn"] == "1"
    assert rows["awareness"]["total"] == "3"
    code, out, err = cli(extreme_ws, "export", "report", "completions", "--from", "0001-01-01",
                         "--to", "0001-01-01", "--as-of", "2026-11-28")  # fmt: skip
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == ["awareness,I Matter Introduction,1,1"]
    code, out, err = cli(extreme_ws, "export", "report", "licences", "--as-of", "2026-11-28")
    assert (code, err) == (0, "")
    assert "9999-12-31" in out


def test_the_xapi_export_runs_over_extreme_dates(cli, extreme_ws, tmp_path):
    code, out, err = cli(extreme_ws, "export", "xapi", "-o", str(tmp_path / "s.jsonl"),
                         "--as-of", "2026-11-28")  # fmt: skip
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize(
    "args",
    [
        ["status", "ann@example.org"],
        ["status", "cat@example.org"],
        ["eligible", "--role", "school-lead"],
        ["licences", "report"],
        ["licences", "renewals", "--days", "36500"],
        ["group", "show", "1"],
    ],
    ids=" ".join,
)
def test_other_read_commands_run_over_extreme_dates(cli, extreme_ws, args):
    code, out, err = cli(extreme_ws, *args)
    assert (code, err) == (0, ""), err
