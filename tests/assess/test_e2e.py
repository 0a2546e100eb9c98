"""End to end with real nbgrader and real kernels, through the CLI (marking through the API).

generate; release as files; three learners return their notebooks (one passes, one fails a
criterion, one is damaged); collect; autograde; mark; feedback files; sync records the one pass
(and no completion: the learner is in no study group); the damaged one is in quarantine with
a clear message.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from imatter.assess.course_dir import open_course_dir
from imatter.assess.marking import Marking
from imatter.store import schema as t

from . import helpers as h

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


def test_the_whole_flow(ws, run_cli, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    printed: list[str] = []

    def cli(*args):
        code, out, err = run_cli(*args)
        printed.extend([out, err])
        return code, out, err

    from imatter.records import add_person

    for name in ("Ann Able", "Ben Best", "Cal Cope"):
        add_person(ws.store, ws.programme, name)
    group = ("assess", "--group", "stmarys")

    code, out, err = cli(*group, "init", "--learner", "1,2,3", "--timeout", "20")
    assert code == 0, err
    course = open_course_dir(ws.path / "assess" / "stmarys")

    code, out, err = cli(*group, "generate", A)
    assert code == 0, err
    assert out == (f"Generated {A}: {course.released_notebook(A)} (4 criteria, pass mark 8)\n")

    outbox = tmp_path / "outbox"
    code, out, err = cli(*group, "release", A, "--to", str(outbox))
    assert (code, out) == (
        0,
        f"Released {A} for 3 learner(s): {outbox}\n"
        "Send each learner their own file; ask them to return it without renaming it.\n",
    )
    sent = {p.name for p in outbox.iterdir()}
    assert sent == {f"p{i}_{A}.ipynb" for i in (1, 2, 3)} | {"HOW-TO-RETURN.txt"}
    released = h.load(outbox / f"p1_{A}.ipynb")
    assert released["metadata"]["imatter"]["learner"] == "p1"
    assert "BEGIN HIDDEN TESTS" not in str(released) and "BEGIN SOLUTION" not in str(released)

    inbox = tmp_path / "inbox"
    for student in ("p1", "p2"):
        nb = h.answered(h.load(outbox / f"{student}_{A}.ipynb"))
        h.dump(nb, inbox / f"{student}_{A}.ipynb")
    damaged = h.retype_cell(h.answered(h.load(outbox / f"p3_{A}.ipynb")), "reflect-self", "raw")
    h.dump(damaged, inbox / f"p3_{A}.ipynb")
    damaged_bytes = (inbox / f"p3_{A}.ipynb").read_bytes()

    code, out, err = cli(*group, "collect", A, str(inbox))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Collected 2 submission(s) of {A}: p1, p2"
    assert lines[1].startswith("Quarantined 1 file(s) in ")
    assert lines[2] == f"  p3_{A}.ipynb (p3): cell 'reflect-self' was changed from markdown to raw"

    code, out, err = cli(*group, "autograde", A, "--workers", "2")
    assert code == 0, err
    assert out.startswith(f"Autograded 2 submission(s) of {A} with 2 worker(s) in ")

    marking = Marking(course, A, ws.store, marker="Ms Lead")
    assert len(marking.queue()) == 6
    h.mark_all(marking, "p1", h.PASSING, "Clear links to your practice.")
    h.mark_all(marking, "p2", h.FAILS_WELLBEING, "Please say more about looking after yourself.")
    assert marking.queue() == []

    handback = tmp_path / "handback"
    code, out, err = cli(*group, "feedback", A, "--to", str(handback))
    assert (code, out) == (0, f"Wrote 2 feedback file(s) in {handback}\n")
    p1 = (handback / f"p1_{A}-feedback.html").read_text()
    p2 = (handback / f"p2_{A}-feedback.html").read_text()
    assert "You have passed" in p1 and "Clear links to your practice." in p1
    assert "Not yet passed" in p2 and "Your level: Not yet" in p2

    # The pass is recorded; the course's completion waits for its rule (attendance in a
    # study group of the course), which Ann has not met: no completion yet (issue 12).
    code, out, err = cli(*group, "sync", A, "--by", "Ms Lead")
    assert (code, out) == (
        0,
        "0 completion(s) of foundation-a recorded; 1 passed, completion waiting for the "
        "course's rule; 0 already recorded; 1 not yet passed; 0 not fully marked\n"
        "  p1: passed: the foundation-a completion waits for the rule: not a learner in a "
        "study group of foundation-a\n",
    )
    with ws.store.read() as conn:
        assert conn.execute(sa.select(t.completions)).all() == []
        passes = conn.execute(sa.select(t.assessment_syncs)).all()
    assert [(p.person_id, p.course_id, p.outcome) for p in passes] == [
        (1, "foundation-a", "passed")
    ]

    code, out, err = cli(*group, "sync", A)
    assert out.startswith("0 completion(s) of foundation-a recorded; 1 passed, completion")

    code, out, err = cli(*group, "status", A)
    assert code == 0, err
    rows = [" ".join(line.split()) for line in out.splitlines()]
    text = "\n".join(rows)
    assert "p1 Ann Able 12/15 pass" in text
    assert "p2 Ben Best 12/15 not yet Attends to the adult's own wellbeing: Not yet" in text
    assert "p3 Cal Cope in quarantine cell 'reflect-self' was changed from markdown to raw" in text
    assert f"p3_{A}.ipynb (p3): cell 'reflect-self' was changed from markdown to raw" in out

    kept = list(course.quarantine(A).rglob(f"p3_{A}.ipynb"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes
    assert not course.submitted("p3", A).exists()

    for text in [caplog.text, *printed]:
        assert h.SECRET not in text
