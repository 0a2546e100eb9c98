"""`imatter deploy list` and `imatter deploy files`: exact output and exit codes."""

from __future__ import annotations

import json

import pytest
from imatter.cli import COMMANDS
from imatter.deploy import deployment_files

from .conftest import SHIPPED


def test_registered_lazily():
    import importlib

    module, attr, help_text = COMMANDS["deploy"]
    assert (module, attr) == ("imatter.cli.deploy", "deploy")
    assert help_text
    group = getattr(importlib.import_module(module), attr)
    assert sorted(group.commands) == ["files", "list"]


@pytest.mark.parametrize("args", [["deploy"], ["deploy", "list"], ["deploy", "files"]])
def test_commands_have_help(run_cli, args):
    code, out, _err = run_cli(*args, "--help")
    assert code == 0
    assert out.startswith(f"Usage: imatter {' '.join(args)} ")
    assert len(out.splitlines()) > 3


def test_list_names_every_file_and_its_purpose(run_cli):
    code, out, err = run_cli("deploy", "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["file", "purpose"]
    for item in deployment_files():
        assert any(line.startswith(item.name) and line.endswith(item.purpose) for line in lines)


def test_list_as_json(run_cli):
    code, out, _err = run_cli("deploy", "list", "--json")
    assert code == 0
    assert json.loads(out) == [{"file": f.name, "purpose": f.purpose} for f in deployment_files()]


def test_files_writes_them_and_says_what_next(run_cli, tmp_path):
    out_dir = tmp_path / "hosting"
    code, out, err = run_cli("deploy", "files", "--out", str(out_dir), "--course", "lead-y2")
    assert code == 0 and err == ""
    names = [f.name for f in deployment_files()]
    assert out.splitlines() == [
        f"Wrote {len(names)} files to {out_dir} for course 'lead-y2':",
        *(f"  {name}" for name in names),
        "Next: follow 'Hosting for many learners' in the course book.",
    ]
    assert 'COURSE_ID = "lead-y2"' in (out_dir / "jupyterhub_config.py").read_text()


def test_files_refuses_to_overwrite_one_file(run_cli, tmp_path):
    out_dir = tmp_path / "hosting"
    out_dir.mkdir()
    (out_dir / "z2jh-values.yaml").write_text("mine: true\n")
    code, out, err = run_cli("deploy", "files", "--out", str(out_dir))
    assert code == 1
    assert out == ""
    assert err == (
        f"Error: {out_dir / 'z2jh-values.yaml'} already exists; pass --force to replace it\n"
    )
    assert [p.name for p in out_dir.iterdir()] == ["z2jh-values.yaml"]
    assert (out_dir / "z2jh-values.yaml").read_text() == "mine: true\n"


def test_files_refuses_a_second_time_then_force_replaces(run_cli, tmp_path):
    out_dir = tmp_path / "hosting"
    assert run_cli("deploy", "files", "--out", str(out_dir))[0] == 0
    (out_dir / "Dockerfile").write_text("changed\n")
    code, _out, err = run_cli("deploy", "files", "--out", str(out_dir))
    assert code == 1
    others = len(deployment_files()) - 1
    assert err == (
        f"Error: {out_dir / 'jupyterhub_config.py'} and {others} other file(s) already exist; "
        "pass --force to replace them\n"
    )
    assert (out_dir / "Dockerfile").read_text() == "changed\n"
    code, _out, _err = run_cli("deploy", "files", "--out", str(out_dir), "--force")
    assert code == 0
    assert (out_dir / "Dockerfile").read_text() == (SHIPPED / "Dockerfile").read_text()


def test_files_default_course_id(run_cli, tmp_path):
    code, out, _err = run_cli("deploy", "files", "--out", str(tmp_path / "h"))
    assert code == 0 and "for course 'i-matter':" in out
    assert 'course_id = "i-matter"' in (tmp_path / "h" / "nbgrader_config.py").read_text()


def test_bad_course_id_is_a_usage_error(run_cli, tmp_path):
    code, out, err = run_cli("deploy", "files", "--out", str(tmp_path / "h"), "--course", "Lead_Y2")
    assert code == 1 and out == ""
    assert err == (
        "Error: 'Lead_Y2' cannot be a hosted course id: use a lower-case letter, then up to 24 "
        "lower-case letters, digits or '-' (it names the marking account grader-ID)\n"
    )
    assert not (tmp_path / "h").exists()


def test_out_is_required(run_cli):
    code, _out, err = run_cli("deploy", "files")
    assert code == 2
    assert "Missing option '--out'" in err


def test_cli_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, imatter.cli.deploy;"
        "heavy = [m for m in ('sqlalchemy', 'yaml', 'traitlets', 'nbgrader', 'pandas')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
