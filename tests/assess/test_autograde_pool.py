"""The worker pool, and grading in this process, grade exactly as serial `nbgrader autograde`
does, one fresh kernel per learner: kernels are started ahead (some before nbgrader is even
imported), but nothing one learner's code does reaches another's."""

from __future__ import annotations

import subprocess
import sys

import pytest
from imatter.assess.autograde import autograde, start_kernels
from imatter.assess.collect import collect_files
from imatter.assess.course_dir import gradebook

from . import helpers as h
from .conftest import released_copies

pytestmark = pytest.mark.slow
A = h.ASSESSMENT

# Each learner's code leaves something behind in its kernel, then checks that nothing was left
# by anyone graded before, that it runs in its own folder and that nbgrader's variable is set.
LEAVES_AND_CHECKS = """import builtins, os, sys
_before = hasattr(builtins, "LEFT_BEHIND") or "left_behind" in sys.modules
builtins.LEFT_BEHIND = 1
sys.modules["left_behind"] = sys
answer_1 = "c" if _before else "b"
"""
OWN_FOLDER = """import os
_here = os.getcwd()
_mine = os.path.basename(_here) == "{a}" and os.path.basename(os.path.dirname(_here)) == "{s}"
answer_2 = "a" if _mine and os.path.isfile("{a}.ipynb") else "b"
"""
NBGRADER_VARIABLE = """import os
answer_3 = "relationships" if os.environ.get("NBGRADER_EXECUTION") == "autograde" else "ropes"
"""


def all_scores(course) -> dict[str, dict[str, float]]:
    with gradebook(course) as gb:
        return {
            s.student.id: {g.name: g.score for g in s.notebooks[0].grades}
            for s in gb.find_assignment(A).submissions
        }


def test_pooled_grading_gives_the_same_scores_as_serial_nbgrader(course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    for student, nb in copies.items():
        nb = h.answered(nb, h.RIGHT)
        h.cell(nb, "q1-answer")["source"] = LEAVES_AND_CHECKS
        h.cell(nb, "q2-answer")["source"] = OWN_FOLDER.format(a=A, s=student)
        h.cell(nb, "q3-answer")["source"] = NBGRADER_VARIABLE
        if student == "p4":
            nb = h.answered(nb, h.WRONG)  # one learner gets it wrong all the same
        h.dump(nb, inbox / f"{student}_{A}.ipynb")
    assert collect_files(course, A, inbox).problems == ()

    serial = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", A, "--force"],
        cwd=course.root,
        capture_output=True,
        text=True,
    )
    assert serial.returncode == 0, serial.stderr[-2000:]
    expected = all_scores(course)
    checks = {s: sum(v for k, v in g.items() if k.endswith("-check")) for s, g in expected.items()}
    assert checks == {"p1": 3, "p2": 3, "p3": 3, "p4": 0}

    report = autograde(course, A, workers=2, force=True)
    assert report.workers == 2 and all(r.ok for r in report.results), report.results
    assert all_scores(course) == expected

    # In this process (as the demo grades): two kernels started ahead now, the others
    # started during the learner before; the same scores again.
    start_kernels(2)
    report = autograde(course, A, workers=1, force=True)
    assert report.workers == 1 and all(r.ok for r in report.results), report.results
    assert all_scores(course) == expected


def test_the_gradebook_schema_version_is_nbgraders_alembic_head():
    """Read from nbgrader's version files without importing it: the same as alembic says."""
    from pathlib import Path

    import nbgrader
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from imatter.assess.course_dir import _alembic_head

    config = Config()
    config.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
    assert _alembic_head() == ScriptDirectory.from_config(config).get_current_head()
