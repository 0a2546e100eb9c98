"""The checks on a returned notebook, one kind of damage at a time (no nbgrader needed)."""

from __future__ import annotations

import json

import pytest
from imatter.assess.collect import (
    Verdict,
    check_name,
    check_notebook,
    expected_from,
    learner_from_name,
)

from . import helpers as h


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A learner's copy as release makes it (student version, learner in the metadata)."""
    nb = h.student_version(h.load(h.SOURCES / h.ASSESSMENT / f"{h.ASSESSMENT}.ipynb"))
    nb["metadata"]["imatter"]["learner"] = "p1"
    path = h.dump(nb, tmp_path_factory.mktemp("rel") / f"{h.ASSESSMENT}.ipynb")
    return nb, expected_from(path, h.ASSESSMENT)


def verdict(nb, expected, learner="p1", raw: bytes | None = None) -> Verdict:
    v = Verdict(learner=learner)
    check_notebook(raw if raw is not None else json.dumps(nb).encode(), expected, v)
    return v


def test_a_good_submission_passes(released):
    nb, expected = released
    v = verdict(h.answered(nb), expected)
    assert v.problems == [] and v.notes == []


def test_deleted_answer_cell(released):
    nb, expected = released
    v = verdict(h.delete_cell(h.answered(nb), "reflect-self"), expected)
    assert v.problems == [
        "answer cell 'reflect-self' is missing (deleted, or its metadata was lost)"
    ]


def test_deleted_check_cell_is_only_a_note(released):
    nb, expected = released
    v = verdict(h.delete_cell(h.answered(nb), "q2-check"), expected)
    assert v.problems == []
    assert v.notes == ["check cell 'q2-check' was deleted; nbgrader restores it"]


def test_deleted_instruction_cell_is_only_a_note(released):
    nb, expected = released
    v = verdict(h.delete_cell(h.answered(nb), "closing"), expected)
    assert v.problems == [] and v.notes == [
        "instruction cell 'closing' was deleted (no effect on marks)"
    ]


def test_duplicated_cell(released):
    nb, expected = released
    v = verdict(h.duplicate_cell(h.answered(nb), "reflect-practice"), expected)
    assert v.problems == ["cell 'reflect-practice' appears 2 times (copied or duplicated)"]


def test_retyped_reflection(released):
    nb, expected = released
    v = verdict(h.retype_cell(h.answered(nb), "reflect-next", "code"), expected)
    assert v.problems == ["cell 'reflect-next' was changed from markdown to code"]


def test_retyped_answer_code_cell(released):
    nb, expected = released
    v = verdict(h.retype_cell(h.answered(nb), "q1-answer", "markdown"), expected)
    assert v.problems == ["cell 'q1-answer' was changed from code to markdown"]


def test_answer_retyped_into_a_new_cell(released):
    nb, expected = released
    v = verdict(h.strip_metadata(h.answered(nb), "reflect-practice"), expected)
    assert v.problems == [
        "answer cell 'reflect-practice' is missing (deleted, or its metadata was lost)"
    ]


def test_writing_in_a_new_cell_beside_an_empty_answer(released):
    nb, expected = released
    v = verdict(h.writing_in_new_cell(h.answered(nb), "reflect-self"), expected)
    assert v.problems == [
        "reflection 'reflect-self' is empty but the notebook has 1 new cell(s) with writing: "
        "copy the writing into the answer cell"
    ]


def test_invalid_json(released):
    nb, expected = released
    raw = json.dumps(h.answered(nb)).encode()[:-40]
    v = verdict(None, expected, raw=raw)
    assert len(v.problems) == 1
    assert v.problems[0].startswith("invalid JSON at line 1, column ")
    assert v.problems[0].endswith("the file is damaged (cut short, or edited outside Jupyter)")


def test_not_text(released):
    _, expected = released
    v = verdict(None, expected, raw=b"%PDF-1.7\xff\xfe\x00")
    assert v.problems == ["not a notebook: the file is not text (was it saved as PDF?)"]


def test_json_but_not_a_notebook(released):
    _, expected = released
    v = verdict(None, expected, raw=b'{"hello": 1}')
    assert v.problems == ["not a Jupyter notebook: valid JSON but no list of cells"]


def test_invalid_notebook_structure(released):
    nb, expected = released
    broken = h.answered(nb)
    broken["cells"][3]["cell_type"] = "picture"
    v = verdict(broken, expected)
    assert len(v.problems) == 1
    assert v.problems[0].startswith("not a valid Jupyter notebook")


def test_another_assessments_notebook(released):
    nb, expected = released
    other = h.answered(nb)
    other["metadata"]["imatter"]["assessment"] = "foundation-b"
    v = verdict(other, expected)
    assert v.problems == ["this is the 'foundation-b' notebook, not 'foundation-a'"]


def test_someone_elses_notebook(released):
    nb, expected = released
    v = verdict(h.answered(nb), expected, learner="p2")
    assert v.problems == ["the file name says p2 but the notebook was sent to p1"]


@pytest.mark.parametrize(
    ("name", "learner"),
    [
        ("p12_foundation-a.ipynb", "p12"),
        ("p12-foundation-a.ipynb", "p12"),
        ("foundation-a.ipynb", None),
        ("p12_foundation-a (1).ipynb", "p12"),
        ("p12_foundation-a(2).ipynb", "p12"),
        ("p12_foundation-a - Copy.ipynb", "p12"),
        ("foundation-a (2).ipynb", None),
        ("p12_foundation-b.ipynb", None),
        ("P12_foundation-a.ipynb", None),
        ("p0_foundation-a.ipynb", None),
        ("p12_foundation-a.docx", None),
    ],
)
def test_file_names(name, learner):
    assert learner_from_name(name, "foundation-a") == learner


def test_wrong_name_is_a_problem():
    v = Verdict()
    check_name("My reflection.ipynb", "foundation-a", v)
    assert v.learner is None
    assert v.problems == [
        "wrong file name: expected p<person id>_foundation-a.ipynb, as it was sent out "
        "(rename it and collect again)"
    ]


def test_problems_never_quote_the_learner(released):
    nb, expected = released
    damaged = h.duplicate_cell(h.retype_cell(h.answered(nb), "reflect-next"), "reflect-practice")
    damaged = h.writing_in_new_cell(damaged, "reflect-self")
    v = verdict(damaged, expected)
    assert v.problems
    assert not any(h.SECRET in p or "Year 4" in p for p in v.problems + v.notes)
