"""The marking API (and the widget on top of it) over real autograded work."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from imatter.assess.course_dir import gradebook
from imatter.assess.marking import Marking
from imatter.errors import Conflict, InvalidValue, NotFound, RubricError
from imatter.store import schema as t

from . import helpers as h

pytestmark = pytest.mark.slow
A = h.ASSESSMENT
PRACTICE = {"practice": "secure", "understanding": "strong"}


def grade_and_comment(course, student, cell):
    with gradebook(course) as gb:
        grade = gb.find_grade(cell, A, A, student)
        comment = gb.find_comment(cell, A, A, student)
        return (
            grade.manual_score,
            grade.needs_manual_grade,
            comment.manual_comment,
            grade.auto_score,
        )


def test_a_mark_goes_into_the_gradebook_as_the_formgrader_writes_it(graded, caplog):
    caplog.set_level(logging.DEBUG)
    ws, course = graded
    marking = Marking(course, A, ws.store, marker="Ms Lead")
    assert grade_and_comment(course, "p1", "reflect-practice")[:2] == (None, True)

    item = marking.mark("p1", "reflect-practice", PRACTICE, "  A clear, specific example.  ")

    assert item.marked and item.levels == PRACTICE
    assert grade_and_comment(course, "p1", "reflect-practice") == (
        5.0,
        False,
        "A clear, specific example.",
        None,
    )
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.assessment_marks)).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.nbgrader_course, row.assessment_id, row.person_id, row.cell_id, row.role) == (
        course.course_id,
        A,
        1,
        "reflect-practice",
        "first",
    )
    assert json.loads(row.levels) == PRACTICE and row.points == 5 and row.marker == "Ms Lead"
    assert row.comment is None  # the first marker's comment lives in the gradebook
    assert h.SECRET not in json.dumps([str(v) for v in row]) and len(row.answer_sha256) == 64

    again = marking.mark("p1", "reflect-practice", {**PRACTICE, "practice": "strong"}, "")
    assert again.levels["practice"] == "strong"
    assert grade_and_comment(course, "p1", "reflect-practice")[:3] == (6.0, False, None)
    with ws.store.read() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(t.assessment_marks)).scalar() == 1
        )
    assert h.SECRET not in caplog.text


def test_the_queue_shows_one_reflection_at_a_time(graded):
    ws, course = graded
    marking = Marking(course, A, ws.store, marker="Ms Lead")
    queue = marking.queue()
    assert len(queue) == 12
    first = queue[0]
    assert (first.student, first.cell, first.name) == ("p1", "reflect-practice", "Ann Able")
    assert h.SECRET in first.answer  # shown to the marker
    assert [c.id for c in first.criteria] == ["practice", "understanding"]
    assert "strained" in first.prompt
    blank = next(i for i in queue if i.student == "p4" and i.cell == "reflect-self")
    assert blank.blank
    marking.mark("p1", "reflect-practice", PRACTICE)
    assert len(marking.queue()) == 11


def test_bad_marks_are_refused(graded):
    ws, course = graded
    marking = Marking(course, A, ws.store, marker="Ms Lead")
    with pytest.raises(RubricError, match="choose a level for: understanding"):
        marking.mark("p1", "reflect-practice", {"practice": "secure"})
    with pytest.raises(RubricError, match="criterion 'wellbeing' has no level 'brilliant'"):
        marking.mark("p1", "reflect-self", {"wellbeing": "brilliant"})
    with pytest.raises(RubricError, match="no reflection for cell 'q1-check'"):
        marking.mark("p1", "q1-check", {"practice": "secure"})
    with pytest.raises(NotFound, match="p9 has no autograded foundation-a"):
        marking.mark("p9", "reflect-self", {"wellbeing": "secure"})
    second = Marking(course, A, ws.store, marker="Mr Moderator", role="second")
    with pytest.raises(Conflict, match="p1 is not in the moderation sample"):
        second.mark("p1", "reflect-self", {"wellbeing": "secure"})
    with pytest.raises(InvalidValue, match="say who is marking"):
        Marking(course, A, ws.store, marker="  ")


def test_a_changed_answer_or_a_changed_gradebook_score_needs_marking_again(graded):
    ws, course = graded
    marking = Marking(course, A, ws.store, marker="Ms Lead")
    marking.mark("p1", "reflect-self", {"wellbeing": "secure"}, "Good.")
    marking.mark("p2", "reflect-self", {"wellbeing": "secure"}, "Good.")
    # p1 resubmitted: the autograded answer differs from the one marked
    path = course.autograded("p1", A) / f"{A}.ipynb"
    path.chmod(0o644)
    nb = h.load(path)
    h.cell(nb, "reflect-self")["source"] = "A longer, rewritten reflection."
    h.dump(nb, path)
    # p2's score was changed in the formgrader
    with gradebook(course) as gb:
        gb.find_grade("reflect-self", A, A, "p2").manual_score = 1
        gb.db.commit()
    items = {(i.student, i.cell): i for i in marking.items()}
    assert items["p1", "reflect-self"].stale == "the answer has changed since it was marked"
    assert items["p2", "reflect-self"].stale == (
        "the gradebook score (1) differs from the rubric's (2)"
    )
    assert not items["p1", "reflect-self"].marked
    queued = {(i.student, i.cell) for i in marking.queue()}
    assert {("p1", "reflect-self"), ("p2", "reflect-self")} <= queued


def test_the_widget_marks_through_the_api(graded):
    widgets = pytest.importorskip("ipywidgets")
    from imatter.assess.widget import MarkingWidget

    ws, course = graded
    ui = MarkingWidget(Marking(course, A, ws.store, marker="Ms Lead"))
    assert isinstance(ui.box, widgets.VBox)
    assert "Reflection 1 of 12" in ui.header.value and "Ann Able (p1)" in ui.header.value
    assert "Zebra" in ui.answer.value
    ui.choices["practice"].value = "secure"
    assert ui.save() is False
    assert "Choose a level for: Shows understanding of the ideas" in ui.message.value
    ui.choices["understanding"].value = "strong"
    ui.comment.value = "Thoughtful."
    ui.save_button.click()
    assert ui.index == 1 and "Saved." in ui.message.value
    assert grade_and_comment(course, "p1", "reflect-practice")[:3] == (5.0, False, "Thoughtful.")
    ui.previous_button.click()
    assert ui.choices["practice"].value == "secure" and ui.comment.value == "Thoughtful."
    ui.go(99)
    assert ui.index == 11 and ui.skip_button.disabled


def test_marking_notebook_from_the_cli(graded, run_cli, tmp_path):
    ws, course = graded
    code, out, err = run_cli("assess", "-C", str(course.root), "mark", A, "--marker", "Ms Lead")
    assert code == 0, err
    target = course.root / "marking" / f"{A}-first.ipynb"
    assert out == f"12 reflection(s) to mark. Open {target} in Jupyter and run it.\n"
    nb = h.load(target)
    assert "open_marking(" in nb["cells"][1]["source"]
    code, out, err = run_cli(
        "assess",
        "-C",
        str(course.root),
        "mark",
        A,
        "--learner",
        "p2",
        "--reflection",
        "reflect-next",
        "--level",
        "next-steps=strong",
        "--comment",
        "Specific and realistic.",
    )
    assert (code, out) == (0, "Marked p2 reflect-next: 3 point(s) (first marker)\n")
    code, out, err = run_cli("assess", "-C", str(course.root), "mark", A, "--list")
    assert code == 0
    assert "p2       Ben Best  reflect-next      marked   next-steps=strong" in out
    code, out, err = run_cli(
        "assess",
        "-C",
        str(course.root),
        "mark",
        A,
        "--learner",
        "p2",
        "--reflection",
        "reflect-next",
        "--level",
        "next-steps",
    )
    assert (code, err) == (
        2,
        "Error: --level 'next-steps': write CRITERION=LEVEL, e.g. practice=secure\n",
    )


def test_the_marking_notebook_runs_in_a_real_kernel(graded):
    import nbclient
    import nbformat
    from imatter.assess.widget import marking_notebook

    ws, course = graded
    data = marking_notebook(
        course.root, A, marker="Ms Lead", role="first", workspace=ws.path.resolve()
    )
    nb = nbformat.from_dict(data)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[1].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    bundle = next(o for o in outputs if o.output_type == "execute_result")
    assert "application/vnd.jupyter.widget-view+json" in bundle.data


def test_the_lead_marks_with_the_rubric_and_returns_feedback_from_the_dashboard(
    graded, monkeypatch
):
    """Issue 15: the Lead dashboard's Reflections tab opens the rubric marking widget on the
    waiting reflections and writes the feedback files to hand back."""
    pytest.importorskip("ipywidgets")
    import datetime as dt

    from imatter import records
    from imatter.dashboards import ENV_COURSE_DIRS
    from imatter.dashboards.lead import LeadDashboard

    from ..delivery.world import grant

    ws, course = graded
    monkeypatch.setenv(ENV_COURSE_DIRS, str(course.root))
    records.add_setting(ws.store, "oakfield", "Oakfield Primary", pupils_on_roll=240)
    lead = records.add_person(
        ws.store, ws.programme, "Lena Lead", email="lena@oak.example", setting="oakfield"
    )
    grant(ws.store, lead, "school-lead", dt.date(2025, 9, 1), setting="oakfield")
    board = LeadDashboard(ws, dt.date(2027, 3, 1), person="lena@oak.example")
    assert [label for label, _ in board.marking_course.options] == [
        "Foundation A: relationships, stress and the adult's own role, in course (11 answers "
        "waiting)"
    ]
    board.open_marking()
    ui = board.marking_widget
    assert board.marking.children == (ui.box,)
    assert "Reflection 1 of 12" in ui.header.value
    assert ui.marking.marker == "Lena Lead"
    # Mark Ann's three reflections, then hand back: Ann's feedback is written, the rest wait.
    for _ in range(3):
        assert "Ann Able (p1)" in ui.header.value
        for radio in ui.choices.values():  # the top level of every criterion
            top = radio.options[-1]
            radio.value = top[1] if isinstance(top, tuple) else top
        ui.comment.value = "Thoughtful."
        assert ui.save() is True
    board.hand_back()
    target = course.root / "handback" / A
    written = sorted(p.name for p in target.iterdir())
    assert len(written) == 1 and written[0].startswith("p1")
    assert f"Wrote 1 feedback file(s) in {target}" in board.returned.value
    assert "<td>p2</td><td>3 reflection(s) not marked yet</td>" in board.returned.value
    assert "(8 answers waiting)" in board.marking_course.options[0][0]
