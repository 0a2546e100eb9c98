"""Report figures against world.py's records, worked out by hand (see each test's comments)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from imatter.errors import InvalidValue, NotFound
from imatter.reports import Scope, build_report
from imatter.reports import queries as q
from imatter.reports.scope import term_label

from .world import TODAY

ORG = Scope()
OAK = Scope("setting", "oak")
NORTH = Scope("cluster", "north")
GROUP1 = Scope("group", "1")


def as_dict(frame, columns):
    return {idx: tuple(row[c] for c in columns) for idx, row in frame.iterrows()}


# ---------------------------------------------------------------------------- terms
@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2026, 9, 1), "2026/27 autumn"),
        (dt.date(2026, 12, 31), "2026/27 autumn"),
        (dt.date(2027, 1, 1), "2026/27 spring"),
        (dt.date(2027, 3, 31), "2026/27 spring"),
        (dt.date(2027, 4, 1), "2026/27 summer"),
        (dt.date(2027, 8, 31), "2026/27 summer"),
        (dt.date(2099, 10, 1), "2099/00 autumn"),
    ],
)
def test_term_labels(day, label):
    assert term_label(day) == label


# ---------------------------------------------------------------------------- completions
def test_completions_by_term_for_the_organisation(world_ws):
    frame = q.completions_by_term(world_ws.store, world_ws.programme, ORG, end=TODAY)
    # Terms in school-year order; Ben's corrected foundation-a counts once, on its new date.
    assert list(frame.columns) == [
        "course",
        "2021/22 spring",
        "2024/25 autumn",
        "2024/25 spring",
        "2024/25 summer",
        "2025/26 spring",
        "2025/26 summer",
        "2026/27 autumn",
        "total",
    ]
    assert list(frame.index) == [
        "awareness",
        "foundation-a",
        "foundation-b",
        "lead-y1-t1",
        "lead-y1-t2",
        "lead-y1-t3",
    ]
    # foundation-a: Gus (Jan 2022), Ben and Dan (spring 2026), Eve (June), Ann and Cat (autumn)
    assert frame.loc["foundation-a"].drop("course").tolist() == [1, 0, 0, 0, 2, 1, 2, 6]
    # foundation-b: Gus (Feb 2022), Ben (May 2026), Ann and Eve (autumn 2026)
    assert frame.loc["foundation-b"].drop("course").tolist() == [1, 0, 0, 0, 0, 1, 2, 4]
    assert frame.loc["awareness", "total"] == 1
    assert frame.loc["lead-y1-t2", "2024/25 spring"] == 1
    assert frame.loc["foundation-a", "course"] == "Foundation A"
    assert frame["total"].sum() == 14


def test_completions_for_a_setting_count_members_on_the_day(world_ws):
    frame = q.completions_by_term(world_ws.store, world_ws.programme, OAK, end=TODAY)
    # Eve's foundation-a (June 2026, at oak) counts; her foundation-b (October, at elm) does not.
    assert frame.loc["foundation-a", "total"] == 4
    assert frame.loc["foundation-a", "2025/26 summer"] == 1
    assert frame.loc["foundation-b", "total"] == 3
    assert frame.loc["foundation-b", "2026/27 autumn"] == 1
    assert "awareness" not in frame.index


def test_completions_for_a_cluster_and_a_period(world_ws):
    frame = q.completions_by_term(world_ws.store, world_ws.programme, NORTH, end=TODAY)
    assert frame.loc["foundation-a", "total"] == 5  # oak's 4 and Cat at elm
    assert frame.loc["foundation-b", "total"] == 4  # oak's 3 and Eve at elm
    autumn = q.completions_by_term(
        world_ws.store, world_ws.programme, ORG, start=dt.date(2026, 9, 1), end=TODAY
    )
    assert list(autumn.columns) == ["course", "2026/27 autumn", "total"]
    assert autumn["total"].to_dict() == {"awareness": 1, "foundation-a": 2, "foundation-b": 2}


def test_completions_for_a_study_group(world_ws):
    frame = q.completions_by_term(
        world_ws.store, world_ws.programme, GROUP1, start=dt.date(2026, 10, 5), end=TODAY
    )
    # Members Ann, Ben, Cat: Ann's two autumn completions; Cat's (1 October) is before the period.
    assert frame["total"].to_dict() == {"foundation-a": 1, "foundation-b": 1}


def test_no_completions_gives_an_empty_table(world_ws):
    frame = q.completions_by_term(
        world_ws.store, world_ws.programme, ORG, start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)
    )
    assert frame.empty and list(frame.columns) == ["course", "total"]


# ---------------------------------------------------------------------------- attendance
def test_attendance_rates_by_group(world_ws):
    frame = q.attendance_rates(world_ws.store, world_ws.programme, ORG, end=TODAY)
    cols = ["learners", "sessions", "present", "marked", "below"]
    # Group 1: 3 sessions held (one cancelled, not counted), 9 marks, 6 present; Ann 3/3,
    # Ben 1/3, Cat 2/3: two below 80%. Group 2: 2 sessions, 4 marks, 3 present; Eve 1/2 below.
    assert as_dict(frame, cols) == {1: (3, 3, 6, 9, 2), 2: (2, 2, 3, 4, 1)}
    assert frame.loc[1, "rate"] == pytest.approx(6 / 9)
    assert frame.loc[2, "rate"] == pytest.approx(0.75)
    assert frame.loc[1, "required"] == 0.8
    assert frame.loc[1, "course"] == "Foundation B"


def test_attendance_for_a_setting_and_period(world_ws):
    frame = q.attendance_rates(
        world_ws.store, world_ws.programme, OAK, start=dt.date(2026, 10, 5), end=TODAY
    )
    # Only group 1; sessions of 8 and 22 October: Ann 2/2, Ben 0/2, Cat 1/2.
    assert list(frame.index) == [1]
    assert as_dict(frame, ["sessions", "present", "marked", "below"]) == {1: (2, 3, 6, 2)}
    assert frame.loc[1, "rate"] == pytest.approx(0.5)
    elm = q.attendance_rates(
        world_ws.store,
        world_ws.programme,
        Scope("setting", "elm"),
        start=dt.date(2026, 10, 5),
        end=TODAY,
    )
    assert elm.loc[2, "marked"] == 0 and math.isnan(elm.loc[2, "rate"])


# ---------------------------------------------------------------------------- assessments
def test_assessments_passed(world_ws):
    frame = q.assessments_passed(world_ws.store, world_ws.programme, ORG, end=TODAY)
    cols = ["marked", "passed", "completed"]
    # Passes are completions resting on an assessment: Cat (A), Ann and Ben (B). Marked: the
    # first marks of Ann and Ben on foundation-b (Ben's second mark is moderation).
    assert as_dict(frame.loc[["foundation-a", "foundation-b"]], cols) == {
        "foundation-a": (0, 1, 6),
        "foundation-b": (2, 2, 4),
    }
    assert frame.loc["foundation-b", "mean_score_pct"] == pytest.approx(70.0)  # 8/10, 6/10
    assert math.isnan(frame.loc["foundation-a", "mean_score_pct"])
    assert "awareness" not in frame.index  # not assessed
    oak = q.assessments_passed(world_ws.store, world_ws.programme, OAK, end=TODAY)
    assert oak.loc["foundation-a", "passed"] == 0  # Cat is at elm


# ---------------------------------------------------------------------------- roles
def test_roles_awarded_and_held(world_ws):
    frame = q.roles_awarded(world_ws.store, world_ws.programme, ORG, on=TODAY)
    cols = ["awarded", "revoked", "holders"]
    # Link: Gus 2022, Ben and Ann 2026, all current. Trainee: Gus 2022, Ben. Gus's licence
    # stopped while Oak's membership lapsed (2023 to 2025-11-30), and runs again since Oak
    # renewed: its clock, end date included, stops during the lapse (issue 12).
    assert as_dict(frame.loc[["link-professional", "trainee-lead", "school-lead"]], cols) == {
        "link-professional": (3, 0, 3),
        "trainee-lead": (2, 0, 2),
        "school-lead": (0, 0, 0),
    }
    recent = q.roles_awarded(
        world_ws.store, world_ws.programme, ORG, start=dt.date(2026, 9, 1), on=TODAY
    )
    assert recent.loc["link-professional", "awarded"] == 1  # Ann
    assert recent.loc["trainee-lead", "awarded"] == 1  # Ben
    elm = q.roles_awarded(world_ws.store, world_ws.programme, Scope("setting", "elm"), on=TODAY)
    assert elm["awarded"].sum() == 0 and elm["holders"].sum() == 0


# ---------------------------------------------------------------------------- pipeline
def test_pipeline_for_the_organisation(world_ws):
    frame = q.pipeline(world_ws.store, world_ws.programme, ORG, on=TODAY)
    ids = world_ws.ids
    rows = [(pid, row["target"], row["missing"]) for pid, row in frame.iterrows()]
    # Cat and Dan need only Foundation B for Link; Eve already meets Link (not one step);
    # Ann holds Link and needs only an approved application. Gus is two steps from Lead: Lead
    # year 2, and two years of his licence (its clock stopped while Oak's membership lapsed).
    assert rows == [
        (ids["cat"], "Link", "needs Foundation B"),
        (ids["dan"], "Link", "needs Foundation B"),
        (
            ids["ann"],
            "Trainee",
            "needs an approved application for Trainee Lead Professional (licence)",
        ),
    ]
    assert frame.loc[ids["dan"], "settings"] == "gp-1"


def test_pipeline_by_setting_and_cluster(world_ws):
    ids = world_ws.ids
    oak = q.pipeline(world_ws.store, world_ws.programme, OAK, on=TODAY)
    assert list(oak.index) == [ids["ann"]]
    north = q.pipeline(world_ws.store, world_ws.programme, NORTH, on=TODAY)
    assert list(north.index) == [ids["cat"], ids["ann"]]


# ---------------------------------------------------------------------------- licences
def test_licences_and_renewals_due(world_ws):
    frame = q.licences_due(world_ws.store, world_ws.programme, ORG, on=TODAY, within_days=90)
    rows = [
        tuple(r) for r in frame[["kind", "setting", "holder", "status"]].itertuples(index=False)
    ]
    assert rows == [
        ("Trainee Lead Professional (licence)", "oak", "Gus", "lapsed"),  # ended 2024-03-10
        ("membership", "elm", "Elm Infants", "lapsed"),  # ended 2025-12-31
        ("membership", "oak", "Oak Primary", "due"),  # ends 2026-11-30
        ("school licence", "oak", "Oak Primary", "current"),  # to 2027-08-31
        ("Trainee Lead Professional (licence)", "oak", "Ben", "current"),  # to 2028-09-15
    ]
    # never a negative number of days: how long ago a lapsed one ended, or how long is left
    assert frame["days_left"].tolist() == [pd.NA, pd.NA, 2, 276, 657]
    assert frame["lapsed_days"].tolist() == [993, 332, pd.NA, pd.NA, pd.NA]
    fees = {(r.kind, r.setting): r.renewal_fee for r in frame.itertuples(index=False)}
    assert fees[("membership", "oak")] == 500  # 200 pupils: the band up to 250
    assert fees[("membership", "elm")] == 350  # 80 pupils: the band up to 100
    wide = q.licences_due(world_ws.store, world_ws.programme, ORG, on=TODAY, within_days=300)
    assert wide.loc[wide["kind"] == "school licence", "status"].item() == "due"
    elm = q.licences_due(world_ws.store, world_ws.programme, Scope("setting", "elm"), on=TODAY)
    assert elm["kind"].tolist() == ["membership"]


# ---------------------------------------------------------------------------- scope and errors
def test_unknown_scopes_are_named(world_ws):
    with pytest.raises(NotFound, match=r"^no setting 'nowhere'; see `imatter setting list`$"):
        q.completions_by_term(
            world_ws.store, world_ws.programme, Scope("setting", "nowhere"), end=TODAY
        )
    with pytest.raises(NotFound, match=r"^no study group 9; see `imatter group list`$"):
        q.attendance_rates(world_ws.store, world_ws.programme, Scope("group", "9"), end=TODAY)
    with pytest.raises(InvalidValue, match="must be a group number"):
        q.attendance_rates(world_ws.store, world_ws.programme, Scope("group", "x"), end=TODAY)
    with pytest.raises(InvalidValue, match="scope 'school' must be one of"):
        Scope("school", "oak")
    with pytest.raises(InvalidValue, match=r"the period starts \(2026-12-01\) after it ends"):
        q.completions_by_term(
            world_ws.store, world_ws.programme, ORG, start=dt.date(2026, 12, 1), end=TODAY
        )


def test_build_report_runs_every_report(world_ws):
    report = build_report(world_ws.store, world_ws.programme, OAK, on=TODAY)
    assert [s.name for s in report.sections] == [
        "staff",
        "completions",
        "attendance",
        "assessments",
        "roles",
        "pipeline",
        "licences",
    ]
    assert report.title == "I Matter report: Oak Primary"
    assert report.period == "all records to 2026-11-28"
    with pytest.raises(InvalidValue, match="unknown report 'money'"):
        build_report(world_ws.store, world_ws.programme, OAK, on=TODAY, names=["money"])
