"""Where a hub exists: release to nbgrader's exchange and collect from it (same checks)."""

from __future__ import annotations

import pytest
from imatter.assess.collect import collect_exchange
from imatter.assess.course_dir import add_learners, create_course_dir
from imatter.assess.release import release_exchange
from imatter.errors import Conflict

from . import helpers as h
from .conftest import copy_course

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


def submit(exchange, course, student, nb, stamp):
    """What `nbgrader submit` leaves in the exchange's inbound folder."""
    folder = exchange / course.course_id / "inbound" / f"{student}+{A}+{stamp}+abc123"
    h.dump(nb, folder / f"{A}.ipynb")
    (folder / "timestamp.txt").write_text(stamp)


def test_release_and_collect_through_the_exchange(generated_template, tmp_path, ws, people):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    course = copy_course(generated_template, tmp_path / "course")
    course = create_course_dir(course.root, course.course_id, exchange_root=str(exchange))
    add_learners(course, ws.store, people)

    report = release_exchange(course, A)
    assert report.exchange and report.learners == ("p1", "p2", "p3", "p4")
    outbound = exchange / course.course_id / "outbound" / A / f"{A}.ipynb"
    released = h.load(outbound)

    submit(exchange, course, "p1", h.answered(released), "2026-11-20 10:00:00.000000 UTC")
    submit(
        exchange,
        course,
        "p2",
        h.duplicate_cell(h.answered(released), "reflect-self"),
        "2026-11-20 11:00:00.000000 UTC",
    )
    submit(exchange, course, "jsmith", h.answered(released), "2026-11-20 12:00:00.000000 UTC")

    collected = collect_exchange(course, A)
    assert collected.collected == ("p1",)
    problems = {p.learner: p.problems for p in collected.problems}
    assert problems == {
        "jsmith": ("unknown learner jsmith: not on this course directory's roster",),
        "p2": ("cell 'reflect-self' appears 2 times (copied or duplicated)",),
    }
    assert (course.submitted("p1", A) / f"{A}.ipynb").is_file()
    assert not course.submitted("p2", A).exists()
    assert all(p.kept_at.is_dir() for p in collected.problems)


def test_no_exchange_configured(course):
    with pytest.raises(Conflict, match="no exchange is set up"):
        release_exchange(course, A)
    with pytest.raises(Conflict, match="no exchange is set up"):
        collect_exchange(course, A)


def test_feedback_through_the_exchange_needs_one(course, run_cli):
    from imatter.assess.exchange_feedback import release_feedback_exchange

    with pytest.raises(Conflict, match="no exchange is set up"):
        release_feedback_exchange(course, A, None)
    code, out, err = run_cli("assess", "-C", str(course.root), "feedback", A, "--exchange")
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {course.root}: no exchange is set up; set one with `imatter assess init "
        "--exchange PATH`, or write the files with --to\n"
    )
    code, out, err = run_cli(
        "assess", "-C", str(course.root), "feedback", A, "--exchange", "--to", "x"
    )
    assert (code, err) == (2, "Error: give --to or --exchange, not both\n")
