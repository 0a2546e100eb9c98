"""The assessment cycle as a Lead runs it (issue 15, point 4): feedback kept in step with the
marks, a second marker who is someone else, sync waiting for moderation, status showing every
learner, quarantine that clears, resubmissions kept, browser-renamed files matched, and
feedback in nbgrader's own layout. Real nbgrader, real SQLite."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from imatter.assess.collect import collect_files, quarantined
from imatter.assess.feedback import stale_feedback, write_feedback
from imatter.assess.marking import Marking
from imatter.assess.moderate import require_resolved, resolve, select_sample, unresolved
from imatter.errors import Conflict

from . import helpers as h
from .conftest import released_copies

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


@pytest.fixture
def moderated(graded):
    """p1 passes and p2 does not (wellbeing), both first-marked by Ms Lead; p2 is sampled and
    Mr Mod, the second marker, puts wellbeing at Secure (a pass)."""
    ws, course = graded
    first = Marking(course, A, ws.store, marker="Ms Lead")
    h.mark_all(first, "p1", h.PASSING)
    h.mark_all(first, "p2", h.FAILS_WELLBEING)
    select_sample(course, A, ws.store, second_marker="Mr Mod", selected_by="Ms Lead", size=2)
    second = Marking(course, A, ws.store, marker="Mr Mod", role="second")
    h.mark_all(second, "p1", h.PASSING)
    h.mark_all(second, "p2", {**h.FAILS_WELLBEING, "wellbeing": "secure"})
    return ws, course


def test_the_first_marker_cannot_second_mark(graded, run_cli):
    ws, course = graded
    first = Marking(course, A, ws.store, marker="Ms Lead")
    h.mark_all(first, "p1", h.PASSING)
    with pytest.raises(Conflict, match="Ms Lead first-marked all the foundation-a work"):
        select_sample(course, A, ws.store, second_marker="ms  lead", selected_by="x", size=1)
    select_sample(course, A, ws.store, second_marker="Mr Mod", selected_by="Ms Lead", size=1)
    code, out, err = run_cli(
        "assess", "-C", str(course.root), "mark", A, "--second", "--marker", "Ms Lead",
        "--learner", "p1", "--reflection", "reflect-self", "--level", "wellbeing=secure",
    )  # fmt: skip
    assert code == 1
    assert err == (
        "Error: Ms Lead first-marked p1's foundation-a: the second marker must be someone else\n"
    )


def test_sync_waits_for_disagreements_and_feedback_follows_the_resolution(moderated, run_cli):
    ws, course = moderated
    base = ("assess", "-C", str(course.root))
    handback = course.root / "handback" / A
    report = write_feedback(course, A, ws.store, handback)
    assert [p.name for p in report.written] == [f"p1_{A}-feedback.html", f"p2_{A}-feedback.html"]
    before = report.written[1].read_text()
    assert "Not yet passed" in before and "How to resubmit" in before
    assert f"<code>p2_{A}.ipynb</code>" in before

    assert [d.student for d in unresolved(course, A, ws.store)] == ["p2"]
    code, out, err = run_cli(*base, "sync", A, "--by", "Ms Lead")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"Error: 1 moderation disagreement(s) on {A} not resolved (p2): nothing synced; "
        f"resolve each with `imatter assess -C {course.root} moderate {A} --resolve LEARNER "
        "--keep first|second`",
        "  p2: Attends to the adult's own wellbeing: first marker Not yet, second marker Secure",
    ]

    code, out, err = run_cli(*base, "moderate", A, "--resolve", "p2", "--keep", "second")
    assert code == 0, err
    assert out.splitlines() == [
        "Resolved 1 disagreement(s) for p2: the second marker's levels stand",
        f"Feedback out of date for 1 learner(s); re-issue with: imatter assess -C {course.root} "
        f"feedback {A}",
        "  p2: feedback says not yet, 12 of 15, the marks now say pass, 14 of 15",
    ]
    require_resolved(course, A, ws.store)  # nothing left open

    code, out, err = run_cli(*base, "status", A)
    assert code == 0, err
    assert out.splitlines()[-2:] == [
        f"Warning: feedback out of date for 1 learner(s); re-issue with: imatter assess -C "
        f"{course.root} feedback {A}",
        "  p2: feedback says not yet, 12 of 15, the marks now say pass, 14 of 15",
    ]

    code, out, err = run_cli(*base, "feedback", A)
    assert code == 0, err
    assert out.splitlines()[:2] == [
        f"Wrote 2 feedback file(s) in {handback}",
        "  re-issued p2: was not yet, 12 of 15, now pass, 14 of 15",
    ]
    assert "You have passed" in (handback / f"p2_{A}-feedback.html").read_text()
    assert stale_feedback(course, A, ws.store) == []

    code, out, err = run_cli(*base, "sync", A, "--by", "Ms Lead")
    assert code == 0, err
    # Sync ran: both passes are kept; the completions wait for the course's attendance rule.
    assert out.startswith(
        "0 completion(s) of foundation-a recorded; 2 passed, completion waiting for the "
        "course's rule;"
    )


def test_keeping_the_first_mark_is_recorded_and_lets_sync_run(moderated):
    ws, course = moderated
    resolve(course, A, ws.store, "p2", keep="first", by="Ms Head")
    assert unresolved(course, A, ws.store) == []
    with pytest.raises(Conflict, match="no unresolved moderation disagreement for p2"):
        resolve(course, A, ws.store, "p2", keep="first", by="Ms Head")
    # a later change to either mark reopens it
    Marking(course, A, ws.store, marker="Mr Mod", role="second").mark(
        "p2", "reflect-self", {"wellbeing": "strong"}
    )
    assert [d.student for d in unresolved(course, A, ws.store)] == ["p2"]


def test_not_yet_feedback_says_how_many_more_points(graded, tmp_path):
    ws, course = graded
    marking = Marking(course, A, ws.store, marker="Ms Lead")
    levels = dict.fromkeys(h.PASSING, "developing")  # every criterion passes; 4 + 3 points
    h.mark_all(marking, "p3", levels)  # p3 got the knowledge check wrong
    result = marking.results()[2]
    assert result.outcome.reasons[-1].endswith("more points needed to reach the pass mark of 8")
    page = write_feedback(course, A, ws.store, tmp_path / "fb").written[0].read_text()
    assert result.outcome.reasons[-1] in page
    assert "How to resubmit" in page and "points of" not in page


def test_feedback_in_nbgrader_layout_is_released_by_nbgrader(graded, tmp_path):
    ws, course = graded
    h.mark_all(Marking(course, A, ws.store, marker="Ms Lead"), "p1", h.PASSING)
    report = write_feedback(course, A, ws.store, tmp_path / "fb", nbgrader=True)
    laid_out = course.root / "feedback" / "p1" / A / f"{A}.html"
    assert laid_out.read_text() == report.written[0].read_text()
    assert (laid_out.parent / "timestamp.txt").read_text() == (
        course.autograded("p1", A) / "timestamp.txt"
    ).read_text()
    issued = json.loads((course.root / "feedback-issued" / f"{A}.json").read_text())
    assert issued["learners"]["p1"]["summary"] == "pass, 12 of 15"


def test_status_lists_every_learner_and_quarantine_clears(graded, tmp_path, run_cli):
    ws, course = graded
    from imatter.assess.course_dir import add_learners
    from imatter.records import add_person

    p5 = add_person(ws.store, ws.programme, "Eve Evans")
    p6 = add_person(ws.store, ws.programme, "Fay Ford")
    add_learners(course, ws.store, [p5, p6])
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"p5_{A}.ipynb").write_text(json.dumps(h.answered(copies["p5"]))[:-30])
    report = collect_files(course, A, inbox)
    assert [p.learner for p in report.problems] == ["p5"]

    base = ("assess", "-C", str(course.root))
    code, out, err = run_cli(*base, "status", A)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[6].split()[:5] == ["p5", "Eve", "Evans", "in", "quarantine"]
    assert " ".join(lines[7].split()) == "p6 Fay Ford not returned no work collected yet"
    assert lines[8] == f"In quarantine ({course.quarantine(A)}):"
    assert lines[10] == (
        f"Clear an entry once dealt with: imatter assess -C {course.root} quarantine clear {A} "
        "--learner LEARNER (or --all)"
    )

    # p5 sends the file again, whole: collected, and the quarantine entry clears
    h.dump(h.answered(copies["p5"]), inbox / f"p5_{A}.ipynb")
    again = collect_files(course, A, inbox)
    assert again.collected == ("p5",) and again.cleared == (f"p5_{A}.ipynb",)
    assert quarantined(course, A) == []
    assert len(quarantined(course, A, include_resolved=True)) == 1

    # a file that will never be fixed is cleared by hand
    (inbox / f"p5_{A}.ipynb").unlink()
    (inbox / "notes.docx").write_bytes(b"PK\x03\x04")
    collect_files(course, A, inbox)
    code, out, err = run_cli(*base, "quarantine", "clear", A, "--file", "notes.docx")
    assert (code, out) == (0, "Cleared 1 quarantine entry: notes.docx\n"), err
    code, out, err = run_cli(*base, "quarantine", "clear", A, "--all")
    assert (code, err) == (1, f"Error: nothing in quarantine for {A} matches\n")
    code, out, err = run_cli(*base, "quarantine", "clear", A)
    assert (code, err.splitlines()[-1]) == (
        2,
        "Error: say what to clear: --learner, --file, or --all",
    )


def test_browser_renamed_files_are_matched(course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    h.dump(h.answered(copies["p1"]), inbox / f"p1_{A} (1).ipynb")
    h.dump(h.answered(copies["p2"]), inbox / f"{A} (2).ipynb")
    report = collect_files(course, A, inbox)
    assert report.collected == ("p1", "p2") and report.problems == ()
    assert sorted(str(n) for n in report.notes) == [
        f"p1: renamed by the browser as 'p1_{A} (1).ipynb'; matched by its name",
        f"p2: returned as '{A} (2).ipynb'; matched by the learner the notebook names",
    ]
    assert (course.submitted("p2", A) / f"{A}.ipynb").is_file()


def test_a_resubmission_keeps_the_earlier_version_and_says_what_changed(graded, tmp_path, run_cli):
    ws, course = graded
    h.mark_all(Marking(course, A, ws.store, marker="Ms Lead"), "p1", h.PASSING)
    earlier = (course.submitted("p1", A) / f"{A}.ipynb").read_bytes()
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    rewritten = {"reflect-self": "I now keep a short diary after hard days."}
    h.dump(h.answered(copies["p1"], reflections=rewritten), inbox / f"p1_{A}.ipynb")
    code, out, err = run_cli("assess", "-C", str(course.root), "collect", A, str(inbox))
    assert code == 0, err
    kept = next((course.root / "versions" / "p1" / A).iterdir())
    assert (kept / f"{A}.ipynb").read_bytes() == earlier
    assert out.splitlines() == [
        f"Collected 1 submission(s) of {A}: p1",
        f"  p1 sent their work again: changed reflect-next, reflect-practice, reflect-self; "
        f"earlier version kept in {kept}",
    ]
    assert dt.datetime.strptime(kept.name, "%Y%m%d-%H%M%S")


def test_init_enrols_a_study_groups_learners(ws, run_cli):
    from imatter.delivery import groups

    from ..delivery.world import build_world

    world = build_world(ws)
    gid = groups.create_group(
        world.store,
        world.programme,
        course_id="foundation-a",
        term="2026-27-t1",
        leader=world.lead,
        setting="oakfield",
        on=dt.date(2026, 9, 20),
    )
    groups.enrol(world.store, world.programme, gid, [world.ann], dt.date(2026, 9, 20))
    code, out, err = run_cli("assess", "-g", str(gid), "init")
    assert code == 0, err
    lines = out.splitlines()
    assert (
        lines[1]
        == f"Enrolled 1 learner(s) of study group {gid} (Foundation A staff group 2026-27-t1)"
    )
    assert lines[2].split()[:3] == ["on", "the", "roster:"]
    assert lines[2].split()[3] == f"p{world.ann}"


def test_feedback_goes_back_through_the_exchange_with_nbgrader(
    generated_template, tmp_path, ws, people
):
    """Feedback laid out as nbgrader's feedback/ folder is released by nbgrader itself."""
    from imatter.assess.autograde import autograde
    from imatter.assess.collect import collect_exchange
    from imatter.assess.course_dir import add_learners, create_course_dir
    from imatter.assess.feedback import release_feedback_exchange
    from imatter.assess.release import release_exchange
    from nbgrader.utils import notebook_hash

    from .conftest import copy_course

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    course = copy_course(generated_template, tmp_path / "course")
    course = create_course_dir(course.root, course.course_id, exchange_root=str(exchange))
    add_learners(course, ws.store, people)
    release_exchange(course, A)
    released = h.load(exchange / course.course_id / "outbound" / A / f"{A}.ipynb")
    stamp = "2026-11-20 10:00:00.000000 UTC"
    inbound = exchange / course.course_id / "inbound" / f"p1+{A}+{stamp}+abc123"
    h.dump(h.answered(released), inbound / f"{A}.ipynb")
    (inbound / "timestamp.txt").write_text(stamp)
    (inbound / "submission_secret.txt").write_text("s3cret")  # as `nbgrader submit` writes
    assert collect_exchange(course, A).collected == ("p1",)
    assert not autograde(course, A, workers=1).failed
    h.mark_all(Marking(course, A, ws.store, marker="Ms Lead"), "p1", h.PASSING)
    write_feedback(course, A, ws.store, tmp_path / "fb", nbgrader=True)

    release_feedback_exchange(course, A)
    released_feedback = (
        exchange
        / course.course_id
        / "feedback"
        / f"{notebook_hash(secret='s3cret', notebook_id=A)}.html"
    )
    assert "You have passed" in released_feedback.read_text()
