"""Parallel autograde with real nbgrader and real kernels."""

from __future__ import annotations

import logging

import pytest
from imatter.assess.autograde import autograde, pending
from imatter.assess.collect import collect_files
from imatter.assess.course_dir import add_learners, gradebook

from . import helpers as h
from .conftest import copy_course, released_copies

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


def scores(course, student):
    with gradebook(course) as gb:
        nb = gb.find_submission_notebook(A, A, student)
        return {g.name: g.score for g in nb.grades}


def returned(course, tmp_path, notebooks):
    inbox = tmp_path / "inbox"
    for student, nb in notebooks.items():
        h.dump(nb, inbox / f"{student}_{A}.ipynb")
    report = collect_files(course, A, inbox)
    assert report.problems == ()
    return report


def test_two_workers_grade_disjoint_learners(course, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    copies = released_copies(course, tmp_path)
    returned(
        course,
        tmp_path,
        {
            "p1": h.answered(copies["p1"], h.RIGHT),
            "p2": h.answered(copies["p2"], {1: "B", 2: "(a)", 3: "Relationship"}),
            "p3": h.answered(copies["p3"], h.WRONG),
            "p4": h.answered(copies["p4"], {1: "b", 2: "c", 3: ""}),
        },
    )
    report = autograde(course, A, workers=2)
    assert report.workers == 2
    assert [r.student for r in report.results] == ["p1", "p2", "p3", "p4"]
    assert all(r.ok and r.message is None for r in report.results), report.results
    checks = {
        s: sum(v for k, v in scores(course, s).items() if k.endswith("-check"))
        for s in ("p1", "p2", "p3", "p4")
    }
    assert checks == {"p1": 3, "p2": 3, "p3": 0, "p4": 1}
    assert pending(course, A) == []
    again = autograde(course, A, workers=2)
    assert again.results == () and again.up_to_date == ("p1", "p2", "p3", "p4")
    # nothing a learner wrote reaches a log or the terminal
    out, err = capfd.readouterr()
    assert h.SECRET not in caplog.text + out + err


def test_learner_code_runs_under_a_time_limit(generated_template, tmp_path, ws, people):
    from imatter.assess.course_dir import create_course_dir

    course = copy_course(generated_template, tmp_path / "course")
    course = create_course_dir(course.root, course.course_id, timeout=3)
    add_learners(course, ws.store, people)
    copies = released_copies(course, tmp_path)
    stuck = h.answered(copies["p1"], h.RIGHT)
    h.cell(stuck, "q1-answer")["source"] = 'while True:\n    pass\nanswer_1 = "b"\n'
    returned(course, tmp_path, {"p1": stuck, "p2": h.answered(copies["p2"], h.RIGHT)})
    report = autograde(course, A, workers=1)
    by = {r.student: r for r in report.results}
    assert by["p1"].ok and by["p1"].timed_out
    assert by["p1"].message == "a cell ran longer than 3 s and was stopped"
    assert by["p2"].ok and not by["p2"].timed_out
    assert scores(course, "p1")["q1-check"] == 0
    assert scores(course, "p1")["q2-check"] == 1  # the rest was still graded


def test_a_deleted_check_cell_is_restored_and_graded(course, tmp_path):
    copies = released_copies(course, tmp_path)
    returned(course, tmp_path, {"p3": h.delete_cell(h.answered(copies["p3"]), "q3-check")})
    report = autograde(course, A, workers=1)
    assert report.results[0].ok
    assert scores(course, "p3")["q3-check"] == 1
    restored = h.load(course.autograded("p3", A) / f"{A}.ipynb")
    assert any(h.grade_id(c) == "q3-check" for c in restored["cells"])


def test_one_broken_submission_does_not_stop_the_others(course, tmp_path):
    copies = released_copies(course, tmp_path)
    returned(
        course,
        tmp_path,
        {s: h.answered(copies[s]) for s in ("p1", "p2", "p3")},
    )
    # damage p2's collected file behind the toolkit's back
    (course.submitted("p2", A) / f"{A}.ipynb").write_text("{ not json")
    report = autograde(course, A, workers=2)
    by = {r.student: r for r in report.results}
    assert by["p1"].ok and by["p3"].ok
    assert not by["p2"].ok
    assert by["p2"].message == "the collected notebook is not valid JSON"
    assert [r.student for r in report.failed] == ["p2"]
