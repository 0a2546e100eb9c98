"""The programme catalogue loads, and a malformed file names file:line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from imatter.errors import ProgrammeError
from imatter.programme import AllOf, Completed, Held, load_programme

PROGRAMME_FILE = Path(__file__).resolve().parents[2] / "modules" / "programme.yml"


def test_a_course_says_how_many_sessions_can_be_caught_up_and_how(programme):
    catch_up = programme.course("foundation-a").catch_up
    assert catch_up is not None and catch_up.sessions == 1
    assert catch_up.how == "work through the session notebook and talk it over with the Lead"
    assert programme.course("lead-y2").catch_up is None


def test_catalogue_holds_every_course_and_role(programme):
    expected_courses = {
        "awareness",
        "intensive",
        "action-planning",
        "foundation-a",
        "foundation-b",
        "intermediate-a",
        "intermediate-b",
        "link-professional",
        "lead-y1-t1",
        "lead-y1-t2",
        "lead-y1-t3",
        "lead-y2",
        "parents",
    }
    assert expected_courses <= set(programme.courses)
    assert set(programme.roles) == {
        "link-professional",
        "trainee-lead",
        "school-lead",
        "community-lead",
        "senior-headteacher",
        "senior-delegated",
        "trainer",
    }
    lead = programme.roles["school-lead"].requires
    assert isinstance(lead, AllOf)
    assert Held(("trainee-lead",), 2) in lead.parts
    assert Completed("lead-y2") in lead.parts
    assert programme.roles["trainee-lead"].valid_years == 2


def test_membership_fee_by_band_edges(programme):
    fee = programme.membership.fee_for
    assert fee(100) == 350 and fee(101) == 500
    assert fee(250) == 500 and fee(251) == 750
    assert fee(5000) == 1400
    assert fee(None) == programme.membership.service_fee


def _broken(tmp_path, old: str, new: str):
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "programme.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    return path, line


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        (
            "    prerequisites: [foundation-a]\n",
            "    prerequisites: [foundation-z]\n",
            "courses.foundation-b.prerequisites",
            "unknown course 'foundation-z'",
        ),
        (
            "    hours: 6\n    prerequisites: [foundation-a]",
            "    hours: six\n    prerequisites: [foundation-a]",
            "courses.foundation-b.hours",
            "expected a number, got 'six'",
        ),
        (
            "effective_from: 2026-09-01",
            "effective_from: 2026-13-01",
            "effective_from",
            "'2026-13-01' is not a date",
        ),
        (
            "        - completed: lead-y2\n        - setting: licensed",
            "        - completed: lead-y3\n        - setting: licensed",
            "roles.school-lead.requires.all[4].completed",
            "unknown course 'lead-y3'",
        ),
        (
            "- cases: {at_least: 3, over_months: 6}",
            "- cases: {at_least: three, over_months: 6}",
            "cases.at_least",
            "expected a whole number",
        ),
        (
            "    audience: both\n    delivery: rolling\n    hours: 2",
            "    audience: everyone\n    delivery: rolling\n    hours: 2",
            "courses.awareness.audience",
            "'everyone' is not one of",
        ),
        (
            '    catch_up: {sessions: 1, how: "read the session notes',
            '    catch_up: {sessions: 0, how: "read the session notes',
            "courses.awareness.catch_up.sessions",
            "must be a whole number, 1 or more",
        ),
        (
            '    catch_up: {sessions: 1, how: "read the session notes',
            '    catch_up: {sessions: 1, when: "read the session notes',
            "courses.awareness.catch_up.when",
            "unknown field; expected one of: how, sessions",
        ),
    ],
)
def test_malformed_programme_names_file_line_and_field(tmp_path, old, new, field, problem):
    path, line = _broken(tmp_path, old, new)
    with pytest.raises(ProgrammeError) as err:
        load_programme(path)
    message = str(err.value)
    assert message.startswith(f"{path}:")
    assert field in message
    assert problem in message
    reported = int(message.split(":")[1])
    assert abs(reported - line) <= 2  # the line of the field (or its parent mapping)


def test_prerequisite_cycle_is_reported(tmp_path):
    path, _ = _broken(
        tmp_path,
        "    prerequisites: []\n    assessment: foundation-a",
        "    prerequisites: [lead-y2]\n    assessment: foundation-a",
    )
    with pytest.raises(ProgrammeError, match="depends on itself: .*foundation-a"):
        load_programme(path)


def test_invalid_yaml_reports_line(tmp_path):
    path = tmp_path / "programme.yml"
    path.write_text("schema: 1\ncourses: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match=r"programme.yml:\d+: not valid YAML"):
        load_programme(path)


def test_a_second_programme_with_different_rules_needs_no_code_change(tmp_path, ws):
    """An organisation that requires Intermediate A for Link Professionals, and a 3-year licence."""
    import datetime as dt

    from imatter.eligibility import evaluate_role
    from imatter.records.facts import CompletionFact, PersonRecords, SettingFact

    path, _ = _broken(
        tmp_path,
        "        - completed: foundation-b\n        - setting: member",
        "        - completed: foundation-b\n        - completed: intermediate-a\n"
        "        - setting: member",
    )
    other = load_programme(path)
    on = dt.date(2026, 1, 1)
    person = PersonRecords(
        1,
        "Test Person",
        completions=(CompletionFact("foundation-a", on), CompletionFact("foundation-b", on)),
        settings=(SettingFact("s", "A School", "teacher"),),
    )
    standard = load_programme(PROGRAMME_FILE)
    assert evaluate_role(standard, person, "link-professional", on).met
    result = evaluate_role(other, person, "link-professional", on)
    assert not result.met
    assert result.missing == ("needs Intermediate A",)
