"""Erasure reaches gradebooks: `privacy erase` also cleans the nbgrader gradebook.db of every
assessment course directory in the workspace, and lists any it could not clean."""

from __future__ import annotations

import sqlite3

import pytest
from imatter import records

NAME, EMAIL = "Zara Zephyr-Quill", "zara.quill@oak.example"
OTHER, OTHER_EMAIL = "Olwen Other", "olwen@oak.example"


@pytest.fixture
def learners(ws):
    """Two learners on the roster of a real nbgrader gradebook in the workspace."""
    from imatter.assess.course_dir import add_learners, create_course_dir

    records.add_setting(ws.store, "oak", "Oak Primary", pupils_on_roll=100)
    me = records.add_person(
        ws.store, ws.programme, NAME, email=EMAIL, setting="oak", position="teacher"
    )
    other = records.add_person(
        ws.store, ws.programme, OTHER, email=OTHER_EMAIL, setting="oak", position="teacher"
    )
    course = create_course_dir(ws.path / "assess" / "g1", "oak-2026", timeout=10)
    add_learners(course, ws.store, [me, other])
    ws.store.dispose()
    return me, other, course


def _students(path):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{path}") as gb:
        return {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}


def test_erase_cleans_the_gradebook_of_name_and_email(ws, learners, run_cli):
    me, other, course = learners
    gradebook = course.root / "gradebook.db"
    assert NAME.encode() in gradebook.read_bytes()  # the file really held them
    code, out, err = run_cli("privacy", "erase", EMAIL, "--reason", "asked", "--yes")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "Cleaned 1 nbgrader gradebook(s): assess/g1/gradebook.db"
    students = _students(gradebook)
    assert students[f"p{me}"] == (f"erased-person-{me}", "", None)
    assert students[f"p{other}"] == (OTHER, "", OTHER_EMAIL)
    data = gradebook.read_bytes()  # rewritten: no freed page keeps the old row
    for text in (NAME, EMAIL, "Zephyr"):
        assert text.encode() not in data


def test_a_gradebook_that_cannot_be_cleaned_is_listed(ws, learners, run_cli, monkeypatch):
    from imatter.trust.privacy import gradebooks

    me, other, course = learners
    monkeypatch.setattr(gradebooks, "LOCK_WAIT_S", 0.1)
    gradebook = course.root / "gradebook.db"
    busy = sqlite3.connect(gradebook, isolation_level=None)
    busy.execute("BEGIN IMMEDIATE")  # a marker's nbgrader holds the write lock
    try:
        code, out, err = run_cli("privacy", "erase", EMAIL, "--reason", "asked", "--yes")
    finally:
        busy.execute("ROLLBACK")
        busy.close()
    assert code == 0
    assert "Cleaned" not in out
    assert err.splitlines()[0] == (
        f"Warning: the nbgrader gradebook {gradebook} could not be cleaned (database is "
        f"locked); erase p{me}'s name and email there by hand"
    )
    assert f"  {gradebook}" in err.splitlines()  # and among the files that still name them
    assert _students(gradebook)[f"p{me}"][0] == NAME


def test_a_file_named_like_a_gradebook_that_is_not_one_is_listed(ws, learners, run_cli):
    me, _, _ = learners
    fake = ws.path / "assess" / "old" / "gradebook.db"
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"not a database at all, but it names " + NAME.encode())
    code, out, err = run_cli("privacy", "erase", str(me), "--reason", "asked", "--yes")
    assert code == 0
    assert out.splitlines()[-1] == "Cleaned 1 nbgrader gradebook(s): assess/g1/gradebook.db"
    assert err.splitlines()[0] == (
        f"Warning: the nbgrader gradebook {fake} could not be cleaned (file is not a "
        f"database); erase p{me}'s name and email there by hand"
    )
