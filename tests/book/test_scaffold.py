"""`imatter module new`: a course folder from the templates, lint-clean but for TODOs; an
assessed course gets an assessment that passes `imatter assess check`; `--add-session`."""

from __future__ import annotations

import json

import pytest
from imatter.book.lint import lint_modules
from imatter.book.scaffold import new_module
from imatter.cli import main
from imatter.errors import Duplicate, NotFound

NEW_COURSE = """\
  link-course:
    title: "Link practice: working alongside the Lead"
    level: link
    audience: professionals
    delivery: in-house
    hours: 3
    prerequisites: [foundation-b]
    assessment: link-course
"""


@pytest.fixture
def with_new_course(project):
    path = project.programme_path
    path.write_text(path.read_text().replace("roles:\n", NEW_COURSE + "roles:\n", 1))
    return project


def test_new_module_writes_course_sessions_and_a_working_assessment(with_new_course, capsys):
    project = with_new_course
    made = new_module(project, "link-course", sessions=2)
    names = [p.relative_to(project.root).as_posix() for p in made.files]
    assert names == [
        "modules/link-course/course.yml",
        "modules/link-course/01-session-1.ipynb",
        "modules/link-course/02-session-2.ipynb",
        "assessments/source/link-course/link-course.ipynb",
        "assessments/source/link-course/rubric.yml",
    ]
    nb = json.loads((project.modules_dir / "link-course" / "02-session-2.ipynb").read_text())
    assert nb["metadata"]["imatter"] == {"minutes": 45, "schema": 1, "session": 2}
    assert nb["cells"][0]["source"].startswith("# Session 2: ")
    assert any(c["source"].startswith("## Facilitator notes") for c in nb["cells"])
    assert all("imatter_template" not in c["metadata"] for c in nb["cells"])
    notebook = json.loads(
        (project.root / "assessments/source/link-course/link-course.ipynb").read_text()
    )
    assert notebook["metadata"]["imatter"]["assessment"] == "link-course"
    assert notebook["cells"][0]["source"].startswith("# Link practice")

    # The scaffolded assessment passes `assess check` (itself, not just the shape).
    sources = str(project.root / "assessments" / "source")
    programme = str(project.programme_path)
    code = main(["--programme", programme, "assess", "--sources", sources, "check", "link-course"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err

    findings = lint_modules(project.modules_dir, project.programme_path, only=["link-course"])
    # TODO placeholders are errors: the sessions are not ready for the book until written.
    # ... and so is a course with too little teaching text for its hours.
    assert {f.code for f in findings if f.severity == "error"} == {"placeholder", "words-per-hour"}


def test_foundation_sessions_have_no_facilitator_notes(project):
    import shutil

    shutil.rmtree(project.modules_dir / "parents")
    new_module(project, "parents")
    nb = json.loads((project.modules_dir / "parents" / "01-session-1.ipynb").read_text())
    assert not any(c["source"].startswith("## Facilitator notes") for c in nb["cells"])


def test_existing_assessments_are_left_alone(with_new_course):
    project = with_new_course
    folder = project.root / "assessments" / "source" / "link-course"
    folder.mkdir(parents=True)
    (folder / "link-course.ipynb").write_text("theirs")
    made = new_module(project, "link-course")
    assert (folder / "link-course.ipynb").read_text() == "theirs"
    assert all(p.relative_to(project.root).parts[0] == "modules" for p in made.files)
    assert any("already exists: left as it is" in n for n in made.notes)


def test_unknown_course_and_existing_folder(project):
    with pytest.raises(NotFound, match="add it under courses: there first"):
        new_module(project, "no-such-course")
    with pytest.raises(Duplicate, match="already exists"):
        new_module(project, "foundation-a")


def test_cli(with_new_course, capsys, monkeypatch):
    monkeypatch.chdir(with_new_course.root)
    assert main(["module", "new", "link-course"]) == 0
    out = capsys.readouterr().out
    assert "created modules/link-course/course.yml\n" in out
    assert main(["module", "new", "link-course"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_add_session_to_an_existing_course(project, capsys, monkeypatch):
    monkeypatch.chdir(project.root)
    assert main(["module", "new", "foundation-a", "--add-session"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("created modules/foundation-a/03-session-3.ipynb\n")
    nb = json.loads((project.modules_dir / "foundation-a" / "03-session-3.ipynb").read_text())
    assert nb["metadata"]["imatter"]["session"] == 3
    assert nb["cells"][0]["source"].startswith("# Session 3: ")
    findings = lint_modules(project.modules_dir, project.programme_path, only=["foundation-a"])
    assert not [f for f in findings if f.code == "session-number"]
    assert main(["module", "new", "no-such", "--add-session"]) == 1
    assert "'no-such' is not a course in" in capsys.readouterr().err
