"""`imatter module lint`: the broken fixtures each give their finding; clean modules give none."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from imatter.book.lint import format_finding, lint_modules, strip_notebooks
from imatter.cli import main

from .conftest import FIXTURES, LINT_CASES, ROOT


def lint_case(name: str):
    modules = LINT_CASES / name / "modules"
    return lint_modules(modules, modules / "programme.yml")


def codes(findings, severity="error"):
    return sorted({f.code for f in findings if f.severity == severity})


def test_the_good_fixture_is_clean():
    modules = FIXTURES / "book" / "modules"
    assert lint_modules(modules, modules / "programme.yml") == []


def test_the_real_modules_have_no_errors():
    findings = lint_modules(ROOT / "modules", ROOT / "modules" / "programme.yml")
    errors = [format_finding(f, ROOT) for f in findings if f.severity == "error"]
    assert errors == []


def test_missing_outcome():
    findings = lint_case("missing-outcome")
    assert codes(findings) == ["outcomes"]
    course = [f for f in findings if f.path.name == "course.yml"]
    notebook = [f for f in findings if f.path.name == "02-noticing.ipynb"]
    assert len(course) == 1 and course[0].line == 4
    assert course[0].message == "the course has no learning outcomes"
    assert len(notebook) == 1 and notebook[0].cell == 1
    assert notebook[0].message == "no '## Learning outcomes' section"


def test_image_without_alt_text():
    findings = lint_case("image-alt")
    assert codes(findings) == ["image-alt"]
    (finding,) = findings
    assert finding.path.name == "01-play.ipynb" and finding.cell == 2
    assert finding.message == "the image 'images/play.png' has no alt text"
    assert "![A short description of the picture](images/play.png)" in finding.fix


def test_unknown_prerequisite():
    findings = lint_case("unknown-prerequisite")
    assert codes(findings) == ["prerequisite"]
    (finding,) = findings
    assert finding.path.name == "programme.yml" and finding.line == 19
    assert finding.message == "courses.practice.prerequisites[0]: unknown course 'foundation-z'"
    assert (
        finding.fix
        == "correct the id, or add course 'foundation-z' under courses: in programme.yml"
    )


def test_hard_to_read_parent_page():
    findings = lint_case("hard-to-read")
    assert codes(findings) == ["readability"]
    (finding,) = [f for f in findings if f.severity == "error"]
    (long,) = [f for f in findings if f.code == "long-sentence"]  # 46 words
    assert long.severity == "warning" and long.cell == 2
    assert long.message.startswith('a sentence of 46 words ("Contemporary developmental neuro')
    assert long.fix == "split it: keep sentences under 40 words (aim for 20)"
    assert finding.path.name == "01-theory.ipynb" and finding.cell == 2
    assert "reads at Flesch" in finding.message and "(it needs 60 or more)" in finding.message
    assert "The longest sentence has" in finding.fix


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing-outcome", "outcomes"),
        ("image-alt", "image-alt"),
        ("unknown-prerequisite", "prerequisite"),
        ("hard-to-read", "readability"),
    ],
)
def test_cli_names_file_cell_and_fix_and_exits_1(case, code, capsys):
    programme = LINT_CASES / case / "modules" / "programme.yml"
    assert main(["--programme", str(programme), "module", "lint"]) == 1
    out, err = capsys.readouterr()
    assert f"error [{code}]" in out
    assert "\n    fix: " in out
    assert err.startswith("Error: module lint found ")


def test_cli_clean_exits_0(capsys):
    programme = FIXTURES / "book" / "modules" / "programme.yml"
    assert main(["--programme", str(programme), "module", "lint"]) == 0
    assert capsys.readouterr().out == "0 error(s), 0 warning(s).\n"


def test_cli_json(capsys):
    programme = LINT_CASES / "image-alt" / "modules" / "programme.yml"
    assert main(["--programme", str(programme), "module", "lint", "--json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)
    assert finding["code"] == "image-alt" and finding["cell"] == 2 and finding["fix"]


# ---------------------------------------------------------------- more rules, on a copy
@pytest.fixture
def modules(tmp_path: Path) -> Path:
    dest = tmp_path / "modules"
    shutil.copytree(FIXTURES / "book" / "modules", dest)
    return dest


def edit_nb(path: Path, change) -> None:
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb, indent=1))


def found(modules: Path, code: str):
    return [f for f in lint_modules(modules, modules / "programme.yml") if f.code == code]


def test_course_yml_must_not_repeat_the_catalogue(modules):
    path = modules / "foundation-a" / "course.yml"
    path.write_text(
        path.read_text()
        + 'title: "Foundation A: relationships and the adult\'s own role"\nhours: 2\n'
    )
    messages = [f.message for f in found(modules, "single-source")]
    assert "'title' is written in modules/programme.yml, the one place for it" in messages
    assert "'hours' is written in modules/programme.yml, the one place for it" in messages
    assert any("is repeated here" in m for m in messages)


def test_headings_must_go_down_one_level_at_a_time(modules):
    path = modules / "foundation-a" / "01-small-moments.ipynb"

    def skip(nb):
        nb["cells"][1]["source"] = "#### Too deep\n\nText.\n" + nb["cells"][1]["source"]

    edit_nb(path, skip)
    (finding,) = found(modules, "heading-order")
    assert finding.cell == 2 and finding.message == "'Too deep' jumps from level 2 to level 4"
    assert finding.fix == "make it ### Too deep"


def test_outputs_must_not_be_committed_but_check_cells_may_keep_theirs(modules):
    path = modules / "foundation-a" / "01-small-moments.ipynb"

    def add_output(nb):
        nb["cells"][4]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": "x"}]
        nb["cells"][4]["execution_count"] = 3
        nb["metadata"]["widgets"] = {"state": {}}

    edit_nb(path, add_output)
    findings = found(modules, "outputs")
    assert {(f.cell, f.message) for f in findings} == {
        (5, "outputs are committed"),
        (None, "saved widget state in the metadata"),
    }
    assert strip_notebooks(modules, ["foundation-a"]) == [path]
    assert found(modules, "outputs") == []
    nb = json.loads(path.read_text())
    assert nb["cells"][5]["outputs"], "the NBVAL_CHECK_OUTPUT cell keeps its reference output"
    assert strip_notebooks(modules, ["foundation-a"]) == []


def test_links_and_images_must_lead_somewhere(modules):
    path = modules / "foundation-b" / "02-home-and-school.ipynb"

    def links(nb):
        nb["cells"][1]["source"] += (
            "\nSee [session 1](01-warm-boundaries.ipynb), [the other course]"
            "(../foundation-a/01-small-moments.ipynb) and "
            "{doc}`/modules/parents/01-you-matter-too`."
            "\nBut not [this](03-missing.ipynb) or {doc}`nowhere`, and ![A cat](images/cat.png).\n"
            "External [links](https://example.org) are not checked.\n"
        )

    edit_nb(path, links)
    messages = sorted(f.message for f in found(modules, "link"))
    assert messages == [
        "the image 'images/cat.png' does not exist",
        "the link '03-missing.ipynb' leads nowhere",
        "the link 'nowhere' leads nowhere",
    ]


def test_session_numbers_must_match_files_and_metadata(modules):
    path = modules / "parents" / "02-calm-and-firm.ipynb"
    edit_nb(path, lambda nb: nb["metadata"]["imatter"].update(session=3))
    messages = [f.message for f in found(modules, "session-number")]
    assert "this is notebook 2 in file order, its name says 2 and its metadata says session 3" in (
        messages
    )
    assert "the title says session 2, the metadata says 3" in messages


def test_metadata_is_checked_against_the_schema(modules):
    path = modules / "parents" / "01-you-matter-too.ipynb"
    edit_nb(path, lambda nb: nb["metadata"]["imatter"].update(minutes="half an hour", colour=1))
    messages = sorted(f.message for f in found(modules, "metadata"))
    assert messages == [
        "minutes: 'half an hour' is not of type 'integer'",
        "unknown field(s) colour in metadata.imatter",
    ]


def test_unknown_course_folder(modules):
    (modules / "foundation-c").mkdir()
    (finding,) = found(modules, "unknown-course")
    assert finding.message == "folder modules/foundation-c/ is not a course in programme.yml"
    assert finding.fix.startswith("rename it to 'foundation-")


def test_missing_sections_are_warnings(modules):
    path = modules / "parents" / "01-you-matter-too.ipynb"
    edit_nb(path, lambda nb: nb["cells"].pop(6))  # the Reflection cell
    (finding,) = found(modules, "structure")
    assert finding.severity == "warning" and finding.message == "no '## Reflection' section"


def test_readability_skips_references_and_code():
    from imatter.book.readability import measure

    simple = "We play. We talk. We laugh a lot. " * 20
    hard = (
        "## References\n\n- Incomprehensibly multisyllabic bibliographic documentation "
        "notwithstanding methodological considerations.\n" * 10
    )
    code = "```python\n" + "characteristically_incomprehensible_identifier = 1\n" * 20 + "```\n"
    result = measure([(1, simple + "\n\n" + code), (2, hard)])
    assert result.score > 90


def test_front_matter_reads_plainly_and_its_headings_are_in_order():
    from imatter.book.markdown import headings
    from imatter.book.readability import PARENT_MINIMUM, measure

    pages = [p for p in (ROOT / "book").rglob("*.md") if "catalogue" not in p.parts]
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text()
        result = measure([(1, text)])
        if result is not None:
            assert result.score >= PARENT_MINIMUM, (page, result.score)
        levels = [h.level for h in headings(text)]
        assert levels[0] == 1 and levels.count(1) == 1, page
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), page


def test_todo_is_an_error(modules):
    path = modules / "parents" / "02-calm-and-firm.ipynb"
    edit_nb(path, lambda nb: nb["cells"][0].update(source="# Session 2: TODO a short title\n"))
    (finding,) = found(modules, "placeholder")
    assert finding.severity == "error" and finding.cell == 1
    assert finding.message == "placeholder text left in (the book would publish it)"


def test_code_that_would_show_in_the_book_is_an_error(modules, tmp_path):
    shutil.copy2(ROOT / "_config.yml", tmp_path / "_config.yml")  # the book removes code
    path = modules / "foundation-b" / "01-warm-boundaries.ipynb"
    assert found(modules, "code-shown") == []

    def show(nb):
        nb["cells"][4]["metadata"]["mystnb"] = {"remove_code_source": False}

    edit_nb(path, show)
    (finding,) = found(modules, "code-shown")
    assert finding.severity == "error" and finding.cell == 5
    assert finding.message == "this code cell would show its code in the book"
    # A book whose config shows code fails every session's code cells ...
    config = tmp_path / "_config.yml"
    config.write_text(config.read_text().replace("nb_remove_code_source: true", ""))
    edit_nb(path, lambda nb: nb["cells"][4]["metadata"].pop("mystnb"))
    every = len(found(modules, "code-shown"))
    assert every >= 12
    # ... unless a cell is tagged remove-input.
    edit_nb(path, lambda nb: nb["cells"][4]["metadata"].update(tags=["remove-input"]))
    assert len(found(modules, "code-shown")) == every - 1


def test_every_case_story_says_it_is_made_up(modules):
    path = modules / "foundation-a" / "01-small-moments.ipynb"
    assert found(modules, "made-up") == []

    def real(nb):
        nb["cells"][2]["source"] = "## A story from practice\n\nSam is six. He is cross.\n"

    edit_nb(path, real)
    (finding,) = found(modules, "made-up")
    assert finding.severity == "error" and finding.cell == 3
    assert finding.message == "the story 'A story from practice' does not say that it is made up"
    edit_nb(path, lambda nb: nb["cells"][2].update(source="## A story\n\nAn invented family.\n"))
    assert found(modules, "made-up") == []


def test_words_per_hour_and_facilitator_notes_are_errors(modules):
    programme = modules / "programme.yml"
    programme.write_text(programme.read_text().replace("hours: 0.5", "hours: 3", 1))
    (finding,) = found(modules, "words-per-hour")
    assert finding.severity == "error" and finding.path == modules / "foundation-a"
    assert finding.message.endswith(
        "words of teaching text for 3 hour(s) in programme.yml; a course needs at least 500 "
        "per hour (1500)"
    )
    path = modules / "parents" / "01-you-matter-too.ipynb"
    edit_nb(
        path,
        lambda nb: nb.update(
            cells=[c for c in nb["cells"] if not c["source"].startswith("## Facilitator")]
        ),
    )
    (finding,) = found(modules, "facilitator-notes")
    assert finding.severity == "error" and finding.path == modules / "parents"
    assert finding.message == "no session has a '## Facilitator notes' section"
