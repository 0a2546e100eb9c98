"""Every role in the programme and its boundaries, on the pure engine (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from imatter.eligibility import evaluate_role, evaluate_setting_licence
from imatter.records.facts import (
    ApplicationFact,
    AwardFact,
    CaseFact,
    CompletionFact,
    MemberFacts,
    Period,
    PersonRecords,
    SettingFact,
    SettingRecords,
)

ON = dt.date(2026, 11, 28)
LONG_AGO = dt.date(2020, 1, 1)
LICENSED = SettingFact(
    "brook",
    "Brook Primary",
    "teacher",
    licences=(Period(dt.date(2022, 1, 1), None),),
    memberships=(
        Period(dt.date(2025, 12, 1), dt.date(2026, 11, 30)),
        Period(dt.date(2026, 12, 1), dt.date(2027, 11, 30)),
    ),
)


def done(*courses: str, on: dt.date = LONG_AGO) -> tuple[CompletionFact, ...]:
    return tuple(CompletionFact(c, on) for c in courses)


def person(**kw) -> PersonRecords:
    return PersonRecords(person_id=1, name="Test Person", **kw)


def check(programme, who, role, on=ON):
    return evaluate_role(programme, who, role, on)


# ------------------------------------------------------------------ Link Professional
def test_link_professional_needs_both_foundations_and_a_setting(programme):
    r = check(
        programme,
        person(completions=done("foundation-a"), settings=(LICENSED,)),
        "link-professional",
    )
    assert not r.met and r.missing == ("needs Foundation B",) and r.steps == 1
    r = check(
        programme, person(completions=done("foundation-a", "foundation-b")), "link-professional"
    )
    assert not r.met and "is not a member of any setting" in r.missing
    r = check(
        programme,
        person(completions=done("foundation-a", "foundation-b"), settings=(LICENSED,)),
        "link-professional",
    )
    assert r.met and r.missing == ()


def test_a_parent_is_not_a_link_professional(programme):
    parent = SettingFact("brook", "Brook Primary", "parent")
    r = check(
        programme,
        person(completions=done("foundation-a", "foundation-b"), settings=(parent,)),
        "link-professional",
    )
    assert not r.met and r.missing[0].startswith("needs the position:")


def test_completion_after_the_date_does_not_count(programme):
    later = done("foundation-a", "foundation-b", on=ON + dt.timedelta(days=1))
    assert not check(
        programme, person(completions=later, settings=(LICENSED,)), "link-professional"
    ).met


# ------------------------------------------------------------------ Trainee licence
def trainee_ready(**overrides) -> PersonRecords:
    facts = dict(
        completions=done("foundation-a", "foundation-b", "link-professional"),
        awards=(AwardFact("link-professional", LONG_AGO),),
        applications=(
            ApplicationFact("trainee-lead", "approved", dt.date(2026, 9, 1), dt.date(2026, 9, 10)),
        ),
        settings=(LICENSED,),
    )
    facts.update(overrides)
    return person(**facts)


def test_trainee_licence_met_without_intermediate(programme):
    r = check(programme, trainee_ready(), "trainee-lead")
    assert r.met
    assert r.advice == ("recommended: Intermediate A", "recommended: Intermediate B")


def test_trainee_licence_needs_an_approved_application(programme):
    pending = (ApplicationFact("trainee-lead", "submitted", dt.date(2026, 11, 1)),)
    r = check(programme, trainee_ready(applications=pending), "trainee-lead")
    assert not r.met
    assert r.missing == (
        "application for Trainee Lead Professional (licence) submitted on 2026-11-01, "
        "awaiting decision",
    )
    refused = (
        ApplicationFact(
            "trainee-lead",
            "refused",
            dt.date(2026, 11, 1),
            dt.date(2026, 11, 5),
            "the setting has no action plan",
        ),
    )
    r = check(programme, trainee_ready(applications=refused), "trainee-lead")
    assert "refused on 2026-11-05: the setting has no action plan" in r.missing[0]


def test_trainee_licence_needs_link_role(programme):
    r = check(programme, trainee_ready(awards=()), "trainee-lead")
    assert r.missing == ("needs to hold Link Professional",)


def test_membership_that_ended_yesterday(programme):
    lapsed = SettingFact(
        "brook",
        "Brook Primary",
        "teacher",
        licences=(Period(dt.date(2022, 1, 1), None),),
        memberships=(Period(dt.date(2025, 11, 28), ON - dt.timedelta(days=1)),),
    )
    r = check(programme, trainee_ready(settings=(lapsed,)), "trainee-lead")
    assert not r.met
    assert r.missing == ("Brook Primary's membership ended on 2026-11-27",)
    # ...and on its last day it was still current
    assert check(
        programme, trainee_ready(settings=(lapsed,)), "trainee-lead", ON - dt.timedelta(days=1)
    ).met


def test_unlicensed_setting(programme):
    unlicensed = SettingFact(
        "hill",
        "Hillview Academy",
        "teacher",
        memberships=(Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),),
    )
    r = check(programme, trainee_ready(settings=(unlicensed,)), "trainee-lead")
    assert r.missing == ("Hillview Academy is not a licensed setting",)


# ------------------------------------------------------------------ Lead Professionals
def lead_ready(licence_from: dt.date, position: str = "teacher", **overrides) -> PersonRecords:
    setting = SettingFact(
        "brook",
        "Brook Primary",
        position,
        licences=LICENSED.licences,
        memberships=LICENSED.memberships,
    )
    facts = dict(
        completions=done(
            "foundation-a",
            "foundation-b",
            "link-professional",
            "lead-y1-t1",
            "lead-y1-t2",
            "lead-y1-t3",
            "lead-y2",
        ),
        awards=(
            AwardFact(
                "trainee-lead",
                licence_from,
                dt.date(licence_from.year + 2, licence_from.month, licence_from.day),
            ),
        ),
        settings=(setting,),
    )
    facts.update(overrides)
    return person(**facts)


def test_trainee_licence_exactly_two_years_day_before_and_day_of(programme):
    start = dt.date(2024, 12, 1)
    day_before = dt.date(2026, 11, 30)
    r = check(programme, lead_ready(start), "school-lead", day_before)
    assert not r.met
    assert r.missing == ("licence held 1 year 11 months of 2 years: eligible from 2026-12-01",)
    assert r.eligible_from == dt.date(2026, 12, 1)
    assert check(programme, lead_ready(start), "school-lead", dt.date(2026, 12, 1)).met


def test_licence_held_1_year_9_months_message(programme):
    r = check(programme, lead_ready(dt.date(2025, 3, 1)), "school-lead", dt.date(2026, 12, 5))
    assert r.missing == ("licence held 1 year 9 months of 2 years: eligible from 2027-03-01",)


def test_a_revoked_licence_does_not_count_towards_two_years(programme):
    revoked = (
        AwardFact(
            "trainee-lead", dt.date(2024, 1, 1), dt.date(2026, 1, 1), revoked_on=dt.date(2025, 6, 1)
        ),
    )
    r = check(programme, lead_ready(dt.date(2024, 1, 1), awards=revoked), "school-lead")
    assert not r.met
    assert r.missing == ("needs Trainee Lead Professional (licence) held for 2 years",)


def test_lead_needs_every_lead_course(programme):
    partial = done("foundation-a", "foundation-b", "lead-y1-t1", "lead-y1-t2")
    r = check(programme, lead_ready(dt.date(2023, 1, 1), completions=partial), "school-lead")
    assert r.missing == ("needs Lead training year 1, term 3", "needs Lead training year 2")
    assert r.steps == 2


def test_community_lead_needs_a_community_position(programme):
    assert not check(programme, lead_ready(dt.date(2023, 1, 1)), "community-lead").met
    nurse = lead_ready(dt.date(2023, 1, 1), position="school-nurse")
    assert check(programme, nurse, "community-lead").met


# ------------------------------------------------------------------ Senior leaders
def test_headteacher_minimum(programme):
    head = SettingFact("brook", "Brook Primary", "headteacher")
    r = check(
        programme, person(completions=done("awareness"), settings=(head,)), "senior-headteacher"
    )
    assert r.missing == ("needs One-day I Matter intensive",)
    assert check(
        programme,
        person(completions=done("awareness", "intensive"), settings=(head,)),
        "senior-headteacher",
    ).met
    teacher = SettingFact("brook", "Brook Primary", "teacher")
    r = check(
        programme,
        person(completions=done("awareness", "intensive"), settings=(teacher,)),
        "senior-headteacher",
    )
    assert r.missing == ("needs the position: Headteacher",)


def test_delegated_senior_minimum(programme):
    senior = SettingFact("brook", "Brook Primary", "delegated-senior")
    r = check(
        programme, person(completions=done("foundation-a"), settings=(senior,)), "senior-delegated"
    )
    assert r.missing == ("needs Foundation B",)
    assert check(
        programme,
        person(completions=done("foundation-a", "foundation-b"), settings=(senior,)),
        "senior-delegated",
    ).met


# ------------------------------------------------------------------ Trainer
def trainer_ready(cases: tuple[CaseFact, ...]) -> PersonRecords:
    return person(
        awards=(AwardFact("school-lead", dt.date(2024, 9, 1)),),
        applications=(
            ApplicationFact("trainer", "approved", dt.date(2026, 10, 1), dt.date(2026, 10, 2)),
        ),
        cases=cases,
    )


def test_trainer_needs_three_documented_families(programme):
    two = tuple(CaseFact(f"FAM-000{i}", dt.date(2025, 1, 1)) for i in range(2))
    r = check(programme, trainer_ready(two), "trainer")
    assert r.missing == ("2 of 3 documented cases followed for 6 months",)
    three = (*two, CaseFact("FAM-0009", dt.date(2025, 1, 1)))
    assert check(programme, trainer_ready(three), "trainer").met


def test_trainer_case_still_young_says_when(programme):
    cases = (
        CaseFact("FAM-0001", dt.date(2025, 1, 1)),
        CaseFact("FAM-0002", dt.date(2025, 1, 1)),
        CaseFact("FAM-0003", dt.date(2026, 8, 15)),
    )
    r = check(programme, trainer_ready(cases), "trainer")
    assert r.missing == (
        "2 of 3 documented cases followed for 6 months: eligible from 2027-02-15 if the open "
        "cases continue",
    )


def test_trainer_needs_lead_held_for_a_year(programme):
    recent = person(
        awards=(AwardFact("community-lead", dt.date(2026, 6, 1)),),
        applications=(
            ApplicationFact("trainer", "approved", dt.date(2026, 10, 1), dt.date(2026, 10, 2)),
        ),
        cases=tuple(CaseFact(f"FAM-000{i}", dt.date(2025, 1, 1)) for i in range(3)),
    )
    r = check(programme, recent, "trainer")
    assert r.missing == ("role held 5 months of 1 year: eligible from 2027-06-01",)


# ------------------------------------------------------------------ School licence
def member(pid: int, position: str, *courses: str) -> MemberFacts:
    setting = SettingFact("brook", "Brook Primary", position)
    records = PersonRecords(pid, f"Person {pid}", completions=done(*courses), settings=(setting,))
    return MemberFacts(pid, f"Person {pid}", position, records)


FULLY_TRAINED = ("foundation-a", "foundation-b", "intermediate-a", "intermediate-b")


def school(members: tuple[MemberFacts, ...], plans: int = 1) -> SettingRecords:
    return SettingRecords("brook", "Brook Primary", "school", 240, members, plans)


def test_school_licence_met(programme):
    s = school(
        (
            member(1, "headteacher", "awareness", "intensive"),
            member(2, "teacher", *FULLY_TRAINED),
            member(3, "teacher", *FULLY_TRAINED),
        )
    )
    result = evaluate_setting_licence(programme, s, ON)
    assert result.met and result.missing == ()


def test_school_licence_with_one_trained_member_of_staff(programme):
    s = school(
        (
            member(1, "headteacher", "awareness", "intensive"),
            member(2, "teacher", *FULLY_TRAINED),
            member(3, "teacher", "foundation-a", "foundation-b", "intermediate-a"),
        )
    )
    result = evaluate_setting_licence(programme, s, ON)
    assert not result.met
    assert result.missing == (
        "1 of 2 staff have completed Foundation A, Foundation B, Intermediate A, Intermediate B",
    )


def test_school_licence_without_an_action_plan(programme):
    s = school(
        (
            member(1, "headteacher", "awareness", "intensive"),
            member(2, "teacher", *FULLY_TRAINED),
            member(3, "teacher", *FULLY_TRAINED),
        ),
        plans=0,
    )
    result = evaluate_setting_licence(programme, s, ON)
    assert result.missing == ("needs an active action plan (take stock, then plan)",)


def test_school_licence_without_senior_support(programme):
    s = school(
        (
            member(1, "headteacher", "awareness"),
            member(2, "teacher", *FULLY_TRAINED),
            member(3, "teacher", *FULLY_TRAINED),
        )
    )
    result = evaluate_setting_licence(programme, s, ON)
    assert len(result.missing) == 1 and result.missing[0].startswith("needs senior leadership")


@pytest.mark.parametrize("parents", [2])
def test_trained_parents_do_not_count_as_staff(programme, parents):
    s = school(
        (
            member(1, "headteacher", "awareness", "intensive"),
            *(member(10 + i, "parent", *FULLY_TRAINED) for i in range(parents)),
        )
    )
    assert "0 of 2 staff" in evaluate_setting_licence(programme, s, ON).missing[0]


def test_the_engine_imports_no_database_module():
    """A core with no I/O (issue 13): the engine and its facts load neither SQLAlchemy nor
    sqlite3; the store-reading half of the bulk engine lives in records.columns."""
    import subprocess
    import sys

    code = (
        "import sys, imatter.eligibility, imatter.eligibility.facts, imatter.eligibility.bulk; "
        "print(sorted(m for m in ('sqlalchemy', 'sqlite3', '_sqlite3', 'psycopg') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out == "[]\n"
