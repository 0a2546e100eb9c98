"""The one programme parser (`imatter.programme_parse`): the loader, `imatter` commands and
`imatter module lint` report a malformed programme with the same words on the same line, and
the shipped schema agrees with the loader on every programme the project ships."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imatter import jsonschemas
from imatter.book.lint import lint_modules
from imatter.errors import ProgrammeError
from imatter.programme import AUDIENCES, DELIVERIES, LEVELS, ROLE_KINDS, load_programme
from imatter.programme_parse import parse

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME_FILE = ROOT / "modules" / "programme.yml"
SHIPPED = sorted(
    p for p in ROOT.glob("**/programme.yml") if ".git" not in p.parts and ".venv" not in p.parts
)


def _write(tmp_path: Path, *changes: tuple[str, str]) -> tuple[Path, list[int]]:
    """programme.yml with each (old, new) applied once, and the line of each change."""
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    lines = []
    for old, new in changes:
        assert old in text, old
        lines.append(text[: text.index(old)].count("\n") + 1)
        text = text.replace(old, new, 1)
    folder = tmp_path / "modules"
    folder.mkdir()
    path = folder / "programme.yml"
    path.write_text(text, encoding="utf-8")
    return path, lines


HOURS = (
    "    hours: 6\n    prerequisites: [foundation-a]",
    "    hours: six\n    prerequisites: [foundation-a]",
)


def test_a_malformed_programme_reads_the_same_from_imatter_and_from_lint(tmp_path, run_cli):
    path, (line,) = _write(tmp_path, HOURS)
    expected = f"{path}:{line}: courses.foundation-b.hours: expected a number, got 'six'"

    with pytest.raises(ProgrammeError) as err:
        load_programme(path)
    assert err.value.message == expected

    code, out, stderr = run_cli("--programme", str(path), "init", str(tmp_path / "ws2"))
    assert code == 1
    assert expected in stderr and "Traceback" not in stderr

    (finding,) = [f for f in lint_modules(path.parent, path) if f.path == path]
    assert (finding.code, finding.line) == ("programme", line)
    assert f"{path}:{finding.line}: {finding.message}" == expected

    code, out, stderr = run_cli("--programme", str(path), "module", "lint")
    assert code == 1
    # lint names the file from the project root; the rest of the line is the same
    shown = expected.removeprefix(f"{path}:{line}: ")
    assert f"modules/programme.yml:{line}: error [programme] {shown}\n" in out


def test_lint_lists_every_problem_and_the_loader_raises_the_first(tmp_path):
    path, lines = _write(
        tmp_path,
        ("  name: I Matter Training\n", "  name: I Matter Training\n  colour: blue\n"),
        HOURS,
        (
            "    audience: both\n    delivery: rolling\n    hours: 2",
            "    audience: everyone\n    delivery: rolling\n    hours: 2",
        ),
    )
    problems = parse(path).problems
    assert [(p.line, p.where) for p in problems] == sorted(
        [
            (lines[0] + 1, "issuer.colour"),
            (lines[1], "courses.foundation-b.hours"),
            (lines[2], "courses.awareness.audience"),
        ]
    )
    assert problems[1].message == "'everyone' is not one of: professionals, parents, both"
    assert problems[0].message == "unknown field; expected one of: name, url"
    with pytest.raises(ProgrammeError) as err:
        load_programme(path)
    assert err.value.message == problems[0].text(path)
    found = [f for f in lint_modules(path.parent, path) if f.path == path]
    assert [f.line for f in found] == [p.line for p in problems]


def test_a_misspelt_field_is_said_before_the_field_it_leaves_missing(tmp_path):
    path, (line,) = _write(tmp_path, ("membership:\n", "membershp:\n"))
    first, second = parse(path).problems
    assert (first.line, first.where) == (line, "membershp")
    assert first.message.startswith("unknown field; expected one of: courses, earliest_date")
    assert (second.line, second.where, second.message) == (
        4,  # the first line of the mapping that lacks it
        "membership",
        "this field is missing; add it",
    )
    with pytest.raises(ProgrammeError, match=rf":{line}: membershp: unknown field"):
        load_programme(path)


def test_reference_problems_are_gathered_with_their_lines(tmp_path):
    path, lines = _write(
        tmp_path,
        ("    prerequisites: [foundation-a]\n", "    prerequisites: [foundation-z]\n"),
        ("        - completed: lead-y2\n", "        - completed: lead-y3\n"),
    )
    problems = parse(path).problems
    assert [(p.line, p.where, p.message) for p in problems] == [
        (lines[0], "courses.foundation-b.prerequisites[0]", "unknown course 'foundation-z'"),
        (lines[1], "roles.school-lead.requires.all[4].completed", "unknown course 'lead-y3'"),
    ]
    assert problems[0].code == "prerequisite"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_schema_and_the_loader_agree_on_every_shipped_programme(path):
    parsed = parse(path)
    assert parsed.data is not None
    # The shape of every shipped programme is right by the schema alone ...
    assert list(jsonschemas.errors("programme", parsed.data)) == []
    # ... and the loader takes it, or refuses it only for what a schema cannot say.
    try:
        programme = load_programme(path)
    except ProgrammeError:
        assert parsed.problems and all(p.code == "prerequisite" for p in parsed.problems)
    else:
        assert not parsed.problems
        assert set(programme.courses) == {str(c) for c in parsed.data["courses"]}
        assert set(programme.roles) == {str(r) for r in parsed.data["roles"]}


def test_the_loader_lists_match_the_schema_enums():
    schema = json.loads(
        (ROOT / "toolkit" / "imatter" / "schemas" / "programme.schema.json").read_text()
    )
    course = schema["$defs"]["course"]["properties"]
    assert tuple(course["level"]["enum"]) == LEVELS
    assert tuple(course["audience"]["enum"]) == AUDIENCES
    assert tuple(course["delivery"]["enum"]) == DELIVERIES
    assert tuple(schema["$defs"]["role"]["properties"]["kind"]["enum"]) == ROLE_KINDS


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("schema: 2\n", 1, "schema: unsupported schema 2; use 1"),
        ("- a\n- b\n", 1, "programme: expected a mapping, got a list"),
        ("schema: 1\nname: [unclosed\n", 3, "not valid YAML"),
    ],
)
def test_the_first_problem_of_a_small_file(tmp_path, text, line, message):
    path = tmp_path / "programme.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProgrammeError) as err:
        load_programme(path)
    assert err.value.message.startswith(f"{path}:{line}: {message}")


def test_a_date_not_in_the_calendar_and_a_number_not_finite(tmp_path):
    path, lines = _write(
        tmp_path,
        ("effective_from: 2026-09-01", "effective_from: 2026-02-30"),
        (
            "    hours: 6\n    prerequisites: [foundation-a]",
            "    hours: .inf\n    prerequisites: [foundation-a]",
        ),
    )
    problems = parse(path).problems
    assert [(p.line, p.where, p.message) for p in problems] == [
        (lines[1], "courses.foundation-b.hours", "expected a finite number, got inf"),
    ]  # the shape first; the calendar once the shape is right
    path.write_text(path.read_text().replace("hours: .inf", "hours: 6"), encoding="utf-8")
    (problem,) = parse(path).problems
    assert (problem.line, problem.where) == (lines[0], "effective_from")
    assert problem.message == "'2026-02-30' is not a date; write YYYY-MM-DD"
