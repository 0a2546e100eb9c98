"""Collecting returned files with nbgrader's zip collect, and quarantining damaged ones."""

from __future__ import annotations

import json
import zipfile

import pytest
from imatter.assess.collect import collect_files, quarantined
from imatter.errors import InvalidValue, NotFound

from . import helpers as h
from .conftest import released_copies

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


def name(student):
    return f"{student}_{A}.ipynb"


def good(copies, student):
    return json.dumps(h.answered(copies[student])).encode()


# kind -> (file name, bytes) for learner p2's return, and the problem reported
DAMAGE = {
    "deleted cell": (
        lambda c: (name("p2"), json.dumps(h.delete_cell(h.answered(c["p2"]), "reflect-self"))),
        "answer cell 'reflect-self' is missing (deleted, or its metadata was lost)",
    ),
    "duplicated cell": (
        lambda c: (name("p2"), json.dumps(h.duplicate_cell(h.answered(c["p2"]), "reflect-next"))),
        "cell 'reflect-next' appears 2 times (copied or duplicated)",
    ),
    "retyped cell": (
        lambda c: (name("p2"), json.dumps(h.retype_cell(h.answered(c["p2"]), "reflect-practice"))),
        "cell 'reflect-practice' was changed from markdown to code",
    ),
    "invalid JSON": (
        lambda c: (name("p2"), json.dumps(h.answered(c["p2"]))[:-25]),
        "invalid JSON at line 1, column",
    ),
    "wrong file name": (
        lambda c: ("My reflection.ipynb", json.dumps(h.answered(c["p2"]))),
        f"wrong file name: expected p<person id>_{A}.ipynb",
    ),
    "unknown learner": (
        lambda c: (name("p99"), json.dumps(h.answered(c["p2"]))),
        "unknown learner p99: not on this course directory's roster",
    ),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_each_kind_of_damage_is_quarantined_and_the_others_collected(kind, course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / name("p1")).write_bytes(good(copies, "p1"))
    make, problem = DAMAGE[kind]
    filename, text = make(copies)
    damaged = inbox / filename
    damaged.write_text(text, encoding="utf-8")
    original = damaged.read_bytes()

    report = collect_files(course, A, inbox)

    assert report.collected == ("p1",)
    assert (course.submitted("p1", A) / f"{A}.ipynb").read_bytes() == good(copies, "p1")
    assert not course.submitted("p2", A).exists()
    assert len(report.problems) == 1
    item = report.problems[0]
    assert item.file == filename
    assert problem in "; ".join(item.problems)
    expected_learner = {"wrong file name": None, "unknown learner": "p99"}.get(kind, "p2")
    assert item.learner == expected_learner
    assert item.kept_at.read_bytes() == original  # kept unchanged
    why = item.kept_at.with_name(item.kept_at.name + ".problem.txt").read_text()
    assert problem in why and h.SECRET not in why
    listed = quarantined(course, A)
    assert [q["file"] for q in listed] == [filename]


def test_a_deleted_check_cell_is_collected_with_a_note(course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    h.dump(h.delete_cell(h.answered(copies["p3"]), "q3-check"), inbox / name("p3"))
    report = collect_files(course, A, inbox)
    assert report.collected == ("p3",) and report.problems == ()
    assert [str(n) for n in report.notes] == [
        "p3: check cell 'q3-check' was deleted; nbgrader restores it"
    ]


def test_a_zip_of_returns(course, tmp_path):
    copies = released_copies(course, tmp_path)
    archive = tmp_path / "returns.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"returns/{name('p1')}", good(copies, "p1"))
        zf.writestr(f"returns/{name('p2')}", good(copies, "p2"))
        zf.writestr(f"returns/{name('p3')}", good(copies, "p3")[:100])
        zf.writestr("__MACOSX/._junk", b"\x00")
        zf.writestr("returns/notes.docx", b"PK\x03\x04")
    report = collect_files(course, A, archive)
    assert report.collected == ("p1", "p2")
    assert {(p.file, p.learner) for p in report.problems} == {
        (name("p3"), "p3"),
        ("notes.docx", None),
    }
    docx = next(p for p in report.problems if p.file == "notes.docx")
    assert docx.problems[0].startswith("wrong file name")


def test_two_files_from_one_learner_are_both_quarantined(course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / name("p1")).write_bytes(good(copies, "p1"))
    (inbox / f"p1-{A}.ipynb").write_bytes(good(copies, "p1"))
    report = collect_files(course, A, inbox)
    assert report.collected == ()
    assert [p.problems for p in report.problems] == [
        ("2 files returned by p1 in one batch; keep one",)
    ] * 2


def test_recollecting_the_same_file_changes_nothing_and_a_new_one_replaces_it(course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / name("p1")).write_bytes(good(copies, "p1"))
    assert collect_files(course, A, inbox).collected == ("p1",)
    stamp = (course.submitted("p1", A) / "timestamp.txt").read_text()
    again = collect_files(course, A, inbox)
    assert again.collected == () and again.unchanged == ("p1",)
    assert (course.submitted("p1", A) / "timestamp.txt").read_text() == stamp
    h.dump(h.answered(copies["p1"], h.WRONG), inbox / name("p1"))
    assert collect_files(course, A, inbox).collected == ("p1",)
    collected = h.load(course.submitted("p1", A) / f"{A}.ipynb")
    assert h.cell(collected, "q1-answer")["source"].startswith('answer_1 = "c"')


def test_collect_needs_a_generated_assessment_and_an_inbox(course, tmp_path):
    with pytest.raises(NotFound, match="run `imatter assess generate foundation-b` first"):
        collect_files(course, "foundation-b", tmp_path)
    with pytest.raises(NotFound, match="no such folder or zip file"):
        collect_files(course, A, tmp_path / "missing")
    text = tmp_path / "returns.txt"
    text.write_text("hello")
    with pytest.raises(InvalidValue, match="give a folder of returned files or a .zip"):
        collect_files(course, A, text)


def test_release_as_one_zip(course, tmp_path):
    from imatter.assess.release import release_files

    report = release_files(course, A, tmp_path / "send-out", as_zip=True, people=[1, 3])
    assert report.archive == tmp_path / "send-out.zip"
    assert report.learners == ("p1", "p3")
    with zipfile.ZipFile(report.archive) as zf:
        assert sorted(zf.namelist()) == ["HOW-TO-RETURN.txt", name("p1"), name("p3")]
        note = zf.read("HOW-TO-RETURN.txt").decode()
        nb = json.loads(zf.read(name("p3")))
    assert "without renaming it" in note and "Foundation A: reflective assessment" in note
    assert nb["metadata"]["imatter"]["learner"] == "p3"
