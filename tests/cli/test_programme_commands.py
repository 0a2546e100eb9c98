"""`imatter courses` and `imatter roles`: the ids every other command takes, for anyone, with
or without a workspace; a completions file may name a course as people write it; and every
command a message or hint tells the user to run exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from imatter.programme import load_programme

from ..conftest import PROGRAMME_FILE

ROOT = Path(__file__).resolve().parents[2]


def test_courses_lists_every_course_id_and_what_completes_it_without_a_workspace(run_cli):
    programme = load_programme(PROGRAMME_FILE)
    code, out, err = run_cli("courses")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["id", "title", "level", "hours", "after", "completed", "by"]
    assert [line.split()[0] for line in lines[2:]] == list(programme.courses)
    foundation_b = next(line for line in lines if line.startswith("foundation-b "))
    assert "foundation-a" in foundation_b  # what comes before it
    assert "at least 80% of sessions and a passed assessment" in foundation_b
    code, out, _ = run_cli("courses", "--json")
    found = {c["id"]: c for c in json.loads(out)}
    assert list(found) == list(programme.courses)
    assert found["foundation-b"]["after"] == ["foundation-a"]
    assert found["awareness"]["completed_by"] == "at least 100% of sessions"
    runs = next(c for c in programme.courses.values() if c.runs_group)  # leading a group, too
    assert found[runs.id]["completed_by"].endswith(f"leading a {runs.runs_group} group that runs")


def test_roles_lists_every_role_for_a_learner_too(run_cli):
    programme = load_programme(PROGRAMME_FILE)
    assert run_cli("init")[0] == 0
    code, out, err = run_cli("--as", "someone@example.org", "roles", "--json")
    assert (code, err) == (0, "")
    found = json.loads(out)
    assert [r["id"] for r in found] == list(programme.roles)
    licence = next(r for r in found if r["kind"] == "licence")
    assert licence["valid_years"] == programme.roles[licence["id"]].valid_years
    code, out, _ = run_cli("roles")
    assert f"{licence['valid_years']} years" in out


@pytest.mark.parametrize(
    "written", ["Foundation A", "FOUNDATION_A", " foundation a ", '"Foundation A"']
)  # (the last in quotes: a file read row by row)
def test_a_completions_file_may_name_a_course_as_people_write_it(run_cli, tmp_path, written):
    assert run_cli("init")[0] == 0
    assert run_cli("setting", "add", "brook", "--name", "Brook", "--pupils", "200")[0] == 0
    assert (
        run_cli("person", "add", "Ann Able", "--email", "ann@x.org", "--setting", "brook")[0] == 0
    )
    path = tmp_path / "done.csv"
    path.write_text(f"email,course,date\nann@x.org,{written},01/10/2026\n", encoding="utf-8")
    code, out, err = run_cli("complete", "import", str(path))
    assert (code, err) == (0, "")
    code, out, _ = run_cli("complete", "history", "ann@x.org", "--json")
    assert [c["course_id"] for c in json.loads(out)] == ["foundation-a"]
    code, out, _ = run_cli("status", "ann@x.org", "--json")
    assert json.loads(out)["completed"] == ["Foundation A"]


def test_a_course_no_one_can_recognise_is_refused_pointing_at_imatter_courses(run_cli, tmp_path):
    assert run_cli("init")[0] == 0
    assert run_cli("setting", "add", "brook", "--name", "Brook", "--pupils", "200")[0] == 0
    assert (
        run_cli("person", "add", "Ann Able", "--email", "ann@x.org", "--setting", "brook")[0] == 0
    )
    path = tmp_path / "done.csv"
    path.write_text("email,course,date\nann@x.org,Foundation Z,01/10/2026\n", encoding="utf-8")
    code, _, err = run_cli("complete", "import", str(path))
    assert code == 1
    assert "line 2: unknown course 'Foundation Z'; see `imatter courses`" in err
    assert run_cli("courses")[0] == 0


def _commands_named_in_messages() -> set[tuple[str, str]]:
    """(file, text) of every `imatter ...` a message, hint or docstring in the package names."""
    found = set()
    for path in (ROOT / "toolkit" / "imatter").rglob("*.py"):
        for match in re.finditer(r"`imatter ([^`]*)`", path.read_text(encoding="utf-8")):
            found.add((path.name, match.group(1)))
    return found


def test_every_command_a_message_names_exists():
    """A hint that names a command the user cannot run is a dead end."""
    from imatter.cli import cli

    missing = []
    for where, text in sorted(_commands_named_in_messages()):
        command: click.Command = cli
        for word in text.split():
            if not isinstance(command, click.Group) or not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            sub = command.get_command(click.Context(command), word)
            if sub is None:
                missing.append(f"{where}: `imatter {text}`")
                break
            command = sub
    assert not missing, missing
