"""The assessment sources: one per catalogue assessment, of the agreed shape and content."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from imatter.assess.sources import check_assessment, check_notebook_shape, check_sources
from imatter.errors import AssessmentError

from .helpers import SOURCES, cell, load, student_version

ALL = sorted(p.name for p in SOURCES.iterdir() if p.is_dir())


def test_every_catalogue_assessment_has_a_checked_source(programme):
    wanted = sorted({c.assessment for c in programme.courses.values() if c.assessment})
    report = check_sources(SOURCES, programme)
    assert report.problems == ()
    assert sorted(report.checked) == wanted == ALL


def text_of(nb):
    return "\n".join(
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"]
    )


@pytest.mark.parametrize("assessment_id", ALL)
def test_content_is_plain_british_and_reminds_to_anonymise(assessment_id, programme):
    nb = load(SOURCES / assessment_id / f"{assessment_id}.ipynb")
    text = text_of(nb)
    title = programme.courses[assessment_id].title
    assert title in text
    for us in ("color", "behavior", "organize", "recognize", "program ", "center"):
        assert us not in text.lower(), us
    assert "anonymous" in text_of({"cells": nb["cells"][:1]}).lower()
    practice = "".join(cell(nb, "reflect-practice-prompt")["source"])
    assert "anonymous" in practice.lower()
    assert nb["metadata"]["imatter"] == {
        "schema": 1,
        "kind": "assessment",
        "assessment": assessment_id,
    }


def run_check(nb, n):
    """Run question n's answer cell then its (hidden) test; True if the test passes."""
    namespace: dict = {}
    exec(compile("".join(cell(nb, f"q{n}-answer")["source"]), "answer", "exec"), namespace)
    try:
        exec(compile("".join(cell(nb, f"q{n}-check")["source"]), "check", "exec"), namespace)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("assessment_id", ALL)
def test_hidden_tests_accept_the_answers_and_refuse_blanks(assessment_id):
    source = load(SOURCES / assessment_id / f"{assessment_id}.ipynb")
    blank = student_version(source)
    for n in (1, 2, 3):
        assert run_check(source, n), f"q{n} solution fails its own test"
        test = "".join(cell(source, f"q{n}-check")["source"])
        blank_test = cell(blank, f"q{n}-check")["source"]
        assert "assert" in test and "assert" not in blank_test  # hidden from the learner
        mixed = json.loads(json.dumps(blank))
        mixed["cells"] = [
            {**c, "source": "".join(cell(source, f"q{n}-check")["source"])}
            if c["metadata"]["nbgrader"]["grade_id"] == f"q{n}-check"
            else c
            for c in mixed["cells"]
        ]
        assert not run_check(mixed, n), f"q{n} accepts an empty answer"


def test_answers_are_forgiving_about_case_and_brackets():
    source = load(SOURCES / "foundation-a" / "foundation-a.ipynb")
    for typed in ("B", " (b) ", "b.", '"b"'):
        cell(source, "q1-answer")["source"] = f"answer_1 = {typed!r}"
        assert run_check(source, 1), typed
    cell(source, "q3-answer")["source"] = "answer_3 = 'Relationships'"
    assert run_check(source, 3)


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "foundation-a"
    shutil.copytree(SOURCES / "foundation-a", target)
    return target


def rewrite(folder, change):
    path = folder / "foundation-a.ipynb"
    nb = load(path)
    change(nb)
    path.write_text(json.dumps(nb))
    return path


def test_an_unlocked_instruction_cell_is_refused(copy):
    path = rewrite(copy, lambda nb: cell(nb, "q2")["metadata"]["nbgrader"].update(locked=False))
    with pytest.raises(AssessmentError) as err:
        check_notebook_shape(path, "foundation-a")
    assert re.fullmatch(
        rf"{re.escape(str(path))}: cell \d+ \('q2'\): an instruction cell must be locked",
        err.value.message,
    )


def test_visible_tests_are_refused(copy):
    def change(nb):
        cell(nb, "q1-check")["source"] = 'assert answer_1 == "b"'

    path = rewrite(copy, change)
    with pytest.raises(AssessmentError, match="keeps its tests in HIDDEN TESTS"):
        check_assessment(copy.parent, "foundation-a")
    assert path.exists()


def test_a_stray_source_folder_is_reported(tmp_path, programme):
    sources = tmp_path / "source"
    shutil.copytree(SOURCES, sources)
    (sources / "nonsense").mkdir()
    report = check_sources(sources, programme)
    assert len(report.problems) == 1
    assert "no course in" in report.problems[0] and "'nonsense'" in report.problems[0]
