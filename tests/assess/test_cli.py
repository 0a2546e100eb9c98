"""`imatter assess`: help, messages and exit codes (the fast ones; the flow is in test_e2e)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from imatter.cli import COMMANDS

from .helpers import SOURCES

SUBCOMMANDS = [
    "autograde",
    "check",
    "collect",
    "feedback",
    "generate",
    "init",
    "learners",
    "mark",
    "moderate",
    "quarantine",
    "release",
    "status",
    "sync",
]


def test_assess_is_registered_lazily():
    assert COMMANDS["assess"][:2] == ("imatter.cli.assess", "assess")


def test_top_level_help_lists_assess(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0
    assert "assess" in out and "Reflective assessments:" in out


def test_every_subcommand_has_help(run_cli):
    code, out, _ = run_cli("assess", "--help")
    assert code == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in out, name
        code, text, err = run_cli("assess", name, "--help")
        assert code == 0, err
        assert text.startswith(f"Usage: imatter assess {name}")
        assert len(text.splitlines()) > 3


def test_check_all_sources(run_cli):
    code, out, err = run_cli("assess", "check")
    assert code == 0, err
    names = sorted(p.name for p in SOURCES.iterdir() if p.is_dir())
    assert out == "".join(f"{n}: notebook and rubric OK\n" for n in names)


def test_check_reports_a_broken_rubric(ws, run_cli, tmp_path):
    import shutil

    sources = tmp_path / "source"
    shutil.copytree(SOURCES, sources)
    path = sources / "foundation-b" / "rubric.yml"
    path.write_text(path.read_text().replace("pass_mark: 8", "pass_mark: eight"))
    code, out, err = run_cli("assess", "--sources", str(sources), "check")
    assert code == 1
    assert err.startswith("Error: 1 problem(s) in ")
    assert f"  {path}:" in err and ": pass_mark: expected number, got str" in err
    assert "foundation-b: notebook and rubric OK" not in out


def test_a_course_directory_is_required(ws, run_cli):
    code, out, err = run_cli("assess", "generate", "foundation-a")
    assert (code, out) == (2, "")
    assert err == "Error: say which course directory: --group NAME or --course-dir PATH\n"


def test_a_group_name_cannot_be_a_path(ws, run_cli):
    code, _, err = run_cli("assess", "-g", "../elsewhere", "learners")
    assert (code, err) == (
        2,
        "Error: --group '../elsewhere': use letters, digits, '.', '_' or '-'\n",
    )


def test_not_a_course_directory(ws, run_cli, tmp_path):
    code, _, err = run_cli("assess", "-C", str(tmp_path / "nowhere"), "learners")
    assert code == 1
    assert err == (
        f"Error: {tmp_path / 'nowhere'} is not an assessment course directory "
        "(no imatter-course.yml); run `imatter assess init` first\n"
    )


def test_init_refuses_unknown_people_before_creating_anything(ws, run_cli):
    code, _, err = run_cli("assess", "-g", "stmarys", "init", "--learner", "7")
    assert (code, err) == (1, "Error: no person 7 in the records; see `imatter person list`\n")
    assert not (ws.path / "assess" / "stmarys").exists()
    code, _, err = run_cli("assess", "-g", "stmarys", "init", "--learner", "seven")
    assert (code, err) == (2, "Error: 'seven' is not a person id (a number, or p<number>)\n")


@pytest.mark.slow
def test_init_and_learners(ws, run_cli):
    from imatter.records import add_person

    for name in ("Ann Able", "Ben Best"):
        add_person(ws.store, ws.programme, name)
    code, out, err = run_cli("assess", "-g", "stmarys", "init", "--learner", "1,p2")
    assert code == 0, err
    root = (ws.path / "assess" / "stmarys").resolve()
    assert out == (
        f"Course directory {root} ready (nbgrader course 'stmarys')\n"
        "  on the roster: p1 Ann Able\n"
        "  on the roster: p2 Ben Best\n"
    )
    code, out, _ = run_cli("assess", "-g", "stmarys", "learners")
    assert out.splitlines()[2:] == ["p1       1       Ann Able", "p2       2       Ben Best"]
    config = (root / "nbgrader_config.py").read_text()
    assert "c.OverwriteCells.add_missing_cells = True" in config
    assert "c.Execute.timeout = 30" in config
    code, _, err = run_cli("assess", "-g", "stmarys", "generate", "intensive")
    assert code == 1
    assert err.startswith("Error: no course in ") and "has the assessment 'intensive'" in err
    code, _, err = run_cli("assess", "-g", "stmarys", "collect", "foundation-a")
    assert (code, err) == (
        2,
        "Error: give a folder or zip of returned files, or --exchange (not both)\n",
    )


def test_migration_5_tables(ws):
    from imatter.records import add_person
    from imatter.store import schema as t

    add_person(ws.store, ws.programme, "Ann Able")
    row = dict(
        nbgrader_course="g",
        assessment_id="foundation-a",
        person_id=1,
        cell_id="reflect-self",
        role="first",
        levels="{}",
        points=1,
        answer_sha256="0" * 64,
        marker="m",
        marked_at=sa.func.current_timestamp(),
    )
    with ws.store.write() as conn:
        conn.execute(t.assessment_marks.insert().values(**row))
    with pytest.raises(sa.exc.IntegrityError):
        with ws.store.write() as conn:
            conn.execute(t.assessment_marks.insert().values(**row))
    assert ws.store.schema_version() >= 5


def test_the_assess_cli_imports_no_heavy_library():
    import subprocess
    import sys

    code = (
        "import sys, imatter.cli.assess, imatter.assess.autograde, imatter.assess.collect;"
        "heavy = [m for m in ('nbgrader', 'nbformat', 'sqlalchemy', 'ipywidgets', 'jsonschema')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
