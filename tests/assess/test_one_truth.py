"""One truth for "completed" (issue 12, point 3), over real nbgrader work and a real term.

A foundation-a study group of six sessions (the rule: 80% attendance, 5 of 6, plus a passed
assessment). Ann passes and attends 5; Ben passes but attends only 3, so he can no longer meet
the rule; Cal attends all six but does not pass; Dee attends all six and is not marked. Each
has Foundation B on record, so Link Professional turns on Foundation A alone.

`assess sync` and `group complete` run, and then every view must give the same answer for
every learner: `status`, `eligible`, `group show`, the Lead dashboard's data, the reports and
the xAPI export; and `complete check` finds nothing to fix.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from imatter.assess.marking import Marking
from imatter.assess.sync import sync
from imatter.store import schema as t

from ..conftest import TODAY
from . import helpers as h

pytestmark = pytest.mark.slow
A = h.ASSESSMENT
NAMES = {1: "Ann Able", 2: "Ben Best", 3: "Cal Cope", 4: "Dee Dunn"}


@pytest.fixture
def term(graded, run_cli):
    ws, course = graded
    marking = Marking(course, A, ws.store, marker="Ms Lead")
    h.mark_all(marking, "p1", h.PASSING)
    h.mark_all(marking, "p2", h.PASSING)
    h.mark_all(marking, "p3", h.FAILS_WELLBEING)  # a criterion not met: not a pass
    gid, lead = h.lead_group(ws, [1, 2, 3, 4], {1: 5, 2: 3, 3: 6, 4: 6})
    with ws.store.write() as conn:
        for pid in NAMES:
            conn.execute(
                t.completions.insert().values(
                    person_id=pid,
                    course_id="foundation-b",
                    completed_on=dt.date(2026, 6, 1),
                    evidence="certificate from a Foundation B course run by a partner",
                    recorded_by="registrar",
                    recorded_at=dt.datetime(2026, 6, 1),
                )
            )
    report = sync(course, A, ws.store, ws.programme, recorded_by="Ms Lead", today=TODAY)
    assert [(line.student, line.status) for line in report.lines] == [
        ("p1", "recorded"),
        ("p2", "passed"),
        ("p3", "not yet"),
        ("p4", "not marked"),
    ]
    code, out, err = run_cli("group", "complete", str(gid), "--by", str(lead))
    assert code == 0, err
    return ws, gid, lead


def test_every_view_gives_the_same_answer_for_every_learner(term, run_cli, tmp_path):
    from imatter.api import eligible_for_role, person_status
    from imatter.dashboards.data import eligible_next, lead_people
    from imatter.delivery.groups import group_completion_status
    from imatter.exports.xapi import pseudonymous_id, xapi_statements
    from imatter.reports import queries as q
    from imatter.reports.scope import Scope

    ws, gid, lead = term
    completed = {1}  # the rule: Ann only
    everyone = set(NAMES)

    # status (API and CLI)
    for pid in NAMES:
        status = person_status(ws, pid, TODAY)
        assert ("Foundation A" in status["completed"]) == (pid in completed), pid
        link = next(r for r in status["roles"] if r["role"] == "link-professional")
        assert (link["state"] == "eligible") == (pid in completed), pid
        code, out, _ = run_cli("status", str(pid), "--as-of", TODAY.isoformat(), "--json")
        assert ("Foundation A" in json.loads(out)["completed"]) == (pid in completed), pid

    # eligible
    found = eligible_for_role(ws, "link-professional", TODAY)
    assert {e["person_id"] for e in found["eligible"]} == completed
    one = {e["person_id"]: e["missing"] for e in found["one_step"]}
    assert one == dict.fromkeys(everyone - completed, "needs Foundation A")

    # group show (API and CLI)
    status = group_completion_status(ws.store, ws.programme, gid, TODAY)
    assert {p.person_id for p in status.progress if p.completed} == completed
    code, out, _ = run_cli("group", "show", str(gid), "--as-of", TODAY.isoformat())
    assert code == 0
    for pid, name in NAMES.items():
        (row,) = [line for line in out.splitlines()[-5:] if line.startswith(name)]
        assert ("completed on" in row) == (pid in completed), row

    # the Lead dashboard's data
    steps = eligible_next(ws.store, ws.programme, lead_people(ws.store, lead), TODAY)
    link = {s.person_id: s for s in steps if s.role == "link-professional"}
    assert {pid for pid, s in link.items() if s.state == "eligible now"} == completed
    assert {pid for pid, s in link.items() if s.state == "one step away"} == everyone - completed
    assert all(link[pid].missing == ("needs Foundation A",) for pid in everyone - completed)

    # the reports
    org = Scope()
    pipeline = q.pipeline(ws.store, ws.programme, org, on=TODAY)
    link_rows = pipeline[pipeline["target"] == "Link"]
    assert set(link_rows.index) == everyone - completed
    assert set(link_rows["missing"]) == {"needs Foundation A"}
    passed = q.assessments_passed(ws.store, ws.programme, org, end=TODAY)
    assert (passed.loc["foundation-a", "passed"], passed.loc["foundation-a", "completed"]) == (
        2,  # Ann and Ben passed the assessment
        len(completed),  # only Ann completed the course
    )
    by_term = q.completions_by_term(ws.store, ws.programme, org, end=TODAY)
    assert by_term.loc["foundation-a", "total"] == len(completed)

    # the xAPI export
    secret = b"x" * 32
    statements = xapi_statements(
        ws.store, ws.programme, home_page="https://example.org", secret=secret, end=TODAY
    )
    actors = {pseudonymous_id(secret, pid): pid for pid in NAMES}

    def who(verb: str, object_part: str) -> set[int]:
        return {
            actors[s["actor"]["account"]["name"]]
            for s in statements
            if s["verb"]["id"].endswith(f"/{verb}") and s["object"]["id"].endswith(object_part)
        }

    assert who("completed", "/courses/foundation-a") == completed
    assert who("passed", "/assessments/foundation-a") == {1, 2}

    # nothing to fix
    code, out, _ = run_cli("complete", "check", "--as-of", TODAY.isoformat())
    assert (code, out) == (
        0,
        "Every completion meets its course's rule or carries evidence recorded by hand.\n",
    )


def test_complete_check_finds_a_completion_the_rule_does_not_support(term, run_cli):
    """A completion recorded the old way (an assessment pass alone, for Ben, who attended 3 of
    6) is listed by `complete check`, named by `group complete`, and withdrawn with a reason;
    then every view agrees again."""
    from imatter.api import person_status

    ws, gid, lead = term
    with ws.store.write() as conn:
        bad = conn.execute(
            t.completions.insert().values(
                person_id=2,
                course_id="foundation-a",
                completed_on=dt.date(2026, 11, 1),
                evidence="assessment foundation-a: passed with 12 of 15 points",
                recorded_by="Ms Lead",
                recorded_at=dt.datetime(2026, 11, 1),
            )
        ).inserted_primary_key[0]
    assert "Foundation A" in person_status(ws, 2, TODAY)["completed"]  # the disagreement
    code, out, _ = run_cli("complete", "check", "--as-of", TODAY.isoformat())
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "1 completion(s) break their course's rule:"
    assert lines[1].split() == [
        "record",
        "person",
        "course",
        "date",
        *"what the rule still needs".split(),
    ]
    assert lines[3].split() == [
        str(bad),
        "Ben",
        "Best",
        "foundation-a",
        "2026-11-01",
        "group",
        f"{gid}:",
        *"attended 3 of 6 sessions; needs 5 (80% of sessions): can no longer meet the "
        "attendance rule in this group".split(),
    ]
    assert lines[4].startswith(
        "Fix each one: withdraw it (imatter complete correct RECORD --withdraw --reason ...), "
        "or supersede it with the evidence"
    )
    code, out, _ = run_cli("complete", "check", "--json")
    (listed,) = json.loads(out)
    assert (listed["completion_id"], listed["person_id"]) == (bad, 2)

    code, out, _ = run_cli("group", "complete", str(gid), "--by", str(lead))
    assert code == 0
    assert (
        f"completion {bad} on record does not meet the rule (see `imatter complete check`)" in out
    )

    code, out, err = run_cli("complete", "check", "--withdraw")
    assert (code, err.splitlines()[-1]) == (2, "Error: --withdraw needs a --reason")
    code, out, _ = run_cli("complete", "check", "--withdraw", "--reason", "attendance not met")
    assert code == 0
    assert out.splitlines()[-1] == "Withdrew 1 completion(s) that broke their course's rule"
    assert "Foundation A" not in person_status(ws, 2, TODAY)["completed"]
    code, out, _ = run_cli("complete", "check")
    assert out.startswith("Every completion meets its course's rule")
    with ws.store.read() as conn:
        withdrawn = conn.execute(
            sa.select(t.completions).where(t.completions.c.supersedes_id == bad)
        ).one()
    assert (withdrawn.withdrawn, withdrawn.reason) == (True, "attendance not met")


def test_a_completion_superseded_with_evidence_stands(term, run_cli):
    ws, gid, _ = term
    with ws.store.write() as conn:
        bad = conn.execute(
            t.completions.insert().values(
                person_id=2,
                course_id="foundation-a",
                completed_on=dt.date(2026, 11, 1),
                evidence="assessment foundation-a: passed",
                recorded_by="Ms Lead",
                recorded_at=dt.datetime(2026, 11, 1),
            )
        ).inserted_primary_key[0]
    code, out, _ = run_cli(
        "complete",
        "correct",
        str(bad),
        "--evidence",
        "attended the missed sessions with group 7 at Hillview (register signed 2026-10-30)",
        "--reason",
        "attendance made up elsewhere",
    )
    assert code == 0, out
    code, out, _ = run_cli("complete", "check")
    assert out.startswith("Every completion meets its course's rule")
