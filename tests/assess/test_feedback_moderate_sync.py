"""Feedback files, moderation and sync, over real autograded and marked work."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from imatter.assess.feedback import write_feedback
from imatter.assess.marking import Marking
from imatter.assess.moderate import compare, select_sample
from imatter.assess.sync import sync
from imatter.errors import Conflict
from imatter.records import record_completion
from imatter.store import schema as t

from ..conftest import TODAY
from . import helpers as h

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


@pytest.fixture
def marked(graded):
    """p1 passes, p2 fails the wellbeing criterion, p3 is half marked, p4 not at all."""
    ws, course = graded
    marking = Marking(course, A, ws.store, marker="Ms Lead")
    h.mark_all(marking, "p1", h.PASSING, "Warm and specific <b>well done</b>.")
    h.mark_all(marking, "p2", h.FAILS_WELLBEING)
    marking.mark("p3", "reflect-practice", {"practice": "developing", "understanding": "secure"})
    return ws, course, marking


def test_feedback_files_show_levels_and_comments_but_not_the_reflections(marked, tmp_path):
    ws, course, _ = marked
    report = write_feedback(course, A, ws.store, tmp_path / "handback")
    assert [p.name for p in report.written] == [
        f"p1_{A}-feedback.html",
        f"p2_{A}-feedback.html",
    ]
    assert report.skipped == (
        ("p3", "2 reflection(s) not marked yet"),
        ("p4", "3 reflection(s) not marked yet"),
    )
    passed = report.written[0].read_text()
    assert '<h2 id="outcome">You have passed</h2>' in passed
    assert "For Ann Able (p1)" in passed and "by Ms Lead" in passed
    assert "You scored 12 points out of 15 (the pass mark is 8" in passed
    assert passed.count("<td>Correct</td>") == 3
    assert passed.count('<span class="chosen-label">Your level: Secure</span>') == 3
    assert passed.count('<span class="chosen-label">Your level: Strong</span>') == 1
    assert "Links the ideas to own practice" in passed
    assert "Warm and specific &lt;b&gt;well done&lt;/b&gt;." in passed  # escaped
    assert h.SECRET not in passed and "Year 4" not in passed
    failed = report.written[1].read_text()
    assert "Not yet passed" in failed
    assert "Attends to the adult&#39;s own wellbeing: Not yet (needs Developing or above)" in failed


def test_moderation_lists_disagreements(marked):
    ws, course, marking = marked
    h.mark_all(marking, "p3", {**h.PASSING, "practice": "developing"})
    chosen = select_sample(
        course, A, ws.store, second_marker="Mr Moderator", selected_by="Ms Lead", size=2, seed=4
    )
    assert len(chosen) == 2 and set(chosen) <= {"p1", "p2", "p3"}
    second = Marking(course, A, ws.store, marker="Mr Moderator", role="second")
    assert {i.student for i in second.items()} == set(chosen)
    waiting = compare(course, A, ws.store)
    assert waiting.waiting == tuple(sorted(chosen)) and waiting.disagreements == ()

    first_levels = {
        "p1": h.PASSING,
        "p2": h.FAILS_WELLBEING,
        "p3": {**h.PASSING, "practice": "developing"},
    }
    a, b = sorted(chosen)
    h.mark_all(second, a, first_levels[a])  # agrees
    changed = {**first_levels[b], "wellbeing": "secure" if b == "p2" else "not-yet"}
    h.mark_all(second, b, changed)
    report = compare(course, A, ws.store)
    assert report.second_marked == (a, b) and report.waiting == ()
    assert report.agreed == 7
    assert len(report.disagreements) == 1
    d = report.disagreements[0]
    assert (d.student, d.criterion) == (b, "Attends to the adult's own wellbeing")
    assert report.outcome_changes == (
        (b, "not yet", "pass") if b == "p2" else (b, "pass", "not yet"),
    )
    # the second marker's marks leave the learner's result alone
    assert Marking(course, A, ws.store, marker="x").results()[1].outcome.passed is False

    rest = select_sample(course, A, ws.store, second_marker="Mr Moderator", selected_by="x")
    assert len(rest) == 1
    with pytest.raises(Conflict, match="no fully marked foundation-a work left to moderate"):
        select_sample(course, A, ws.store, second_marker="Mr Moderator", selected_by="x")


def completions(ws):
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.completions).order_by(t.completions.c.id)).all()


def test_sync_records_the_pass_and_a_completion_only_when_the_rule_is_met(marked):
    ws, course, _ = marked
    report = sync(course, A, ws.store, ws.programme, recorded_by="Ms Lead", today=TODAY)
    assert {line.student: line.status for line in report.lines} == {
        "p1": "passed",
        "p2": "not yet",
        "p3": "not marked",
        "p4": "not marked",
    }
    assert report.lines[0].detail == (
        "the foundation-a completion waits for the rule: "
        "not a learner in a study group of foundation-a"
    )
    assert completions(ws) == []  # a pass alone is not a completion
    with ws.store.read() as conn:
        (kept,) = conn.execute(sa.select(t.assessment_syncs)).all()
    assert (kept.person_id, kept.outcome, kept.completion_id) == (1, "passed", None)
    assert kept.passed_on <= TODAY

    # In a group, but 3 of 6 sessions: it can no longer meet the attendance rule.
    gid, _ = h.lead_group(ws, [1], {1: 3})
    report = sync(course, A, ws.store, ws.programme, recorded_by="Ms Lead", today=TODAY)
    assert report.lines[0].status == "passed"
    assert report.lines[0].detail == (
        f"the foundation-a completion waits for the rule: group {gid}: attended 3 of 6 "
        "sessions; needs 5 (80% of sessions): can no longer meet the attendance rule in this "
        "group"
    )
    assert completions(ws) == []


def test_sync_records_the_completion_when_attendance_is_met(marked):
    ws, course, _ = marked
    gid, _ = h.lead_group(ws, [1, 2], {1: 5, 2: 6})
    report = sync(course, A, ws.store, ws.programme, recorded_by="Ms Lead", today=TODAY)
    assert report.lines[0].status == "recorded"
    (row,) = completions(ws)
    assert (row.person_id, row.course_id, row.recorded_by) == (1, "foundation-a", "Ms Lead")
    assert row.evidence.startswith(f"group {gid}: attended 5 of 6 sessions (needs 5)")
    assert "; assessment foundation-a passed on " in row.evidence
    with ws.store.read() as conn:
        (kept,) = conn.execute(sa.select(t.assessment_syncs)).all()
        member = conn.execute(
            sa.select(t.group_members.c.completion_id).where(t.group_members.c.person_id == 1)
        ).scalar()
    assert (kept.outcome, kept.completion_id, member) == ("recorded", row.id, row.id)
    # the completion is dated when the whole rule was met: the later of the pass and the
    # fifth session attended
    assert row.completed_on == max(kept.passed_on, dt.date(2026, 9, 29))

    again = sync(course, A, ws.store, ws.programme, recorded_by="Ms Lead", today=TODAY)
    assert again.lines[0].status == "already synced"
    assert again.lines[0].completion_id == row.id
    assert len(completions(ws)) == 1


def test_sync_treats_an_existing_completion_as_already_held(marked):
    ws, course, _ = marked
    record_completion(
        ws.store,
        ws.programme,
        1,
        "foundation-a",
        dt.date(2026, 10, 1),
        recorded_by="registrar",
        today=TODAY,
    )
    report = sync(course, A, ws.store, ws.programme, recorded_by="Ms Lead", today=TODAY)
    assert report.lines[0].status == "already held"
    assert len(completions(ws)) == 1
    with ws.store.read() as conn:
        synced = conn.execute(sa.select(t.assessment_syncs)).all()
    assert [(s.person_id, s.outcome, s.completion_id) for s in synced] == [(1, "passed", None)]


def test_moderation_from_the_cli(marked, run_cli):
    ws, course, _ = marked
    base = ("assess", "-C", str(course.root))
    code, out, err = run_cli(
        *base,
        "moderate",
        A,
        "--second-marker",
        "Mr Mod",
        "--sample",
        "1",
        "--seed",
        "2",
        "--by",
        "Ms Lead",
    )
    assert code == 0, err
    first, second = out.splitlines()
    assert first.startswith("Sampled for Mr Mod: p")
    student = first.rsplit(" ", 1)[1]
    assert second == (
        f"They mark with: imatter assess -C {course.root} mark {A} --second --marker 'Mr Mod'"
    )
    levels = {"p1": h.PASSING, "p2": h.FAILS_WELLBEING}[student]
    for cell_id, criteria in h.CELLS.items():
        args = []
        for c in criteria:
            level = "developing" if c == "next-steps" else levels[c]
            args += ["--level", f"{c}={level}"]
        code, out, err = run_cli(
            *base,
            "mark",
            A,
            "--second",
            "--marker",
            "Mr Mod",
            "--learner",
            student,
            "--reflection",
            cell_id,
            *args,
        )
        assert code == 0, err
        assert out.endswith("(second marker)\n")
    code, out, err = run_cli(*base, "moderate", A)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Sample 1: 1 re-marked, 0 waiting; 3 criteria agreed, 1 disagreed"
    assert lines[3].split() == [
        student,
        "Names",
        "concrete",
        "next",
        "steps",
        "Strong",
        "Developing",
    ]
