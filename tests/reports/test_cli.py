"""The report, impact and export commands: exact messages and exit codes, and progress bars."""

from __future__ import annotations

import json
import sys

import pytest
from imatter.cli import COMMANDS
from imatter.progress import progress_bar, wants_progress


def test_commands_are_registered_with_help(cli, world_ws):
    for name in ("report", "impact", "export"):
        assert COMMANDS[name][0] == "imatter.cli.reports"
        code, out, err = cli(world_ws, name, "--help")
        assert code == 0 and err == "" and out.startswith(f"Usage: imatter {name}")
    code, out, _ = cli(world_ws, "impact", "--help")
    assert "collect" in out and "report" in out
    code, out, _ = cli(world_ws, "export", "--help")
    assert "xapi" in out and "credentials" in out and "report" in out


def test_report_table(cli, world_ws):
    code, out, err = cli(world_ws, "report", "roles", "--setting", "oak", "--as-of", "2026-11-28")
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        "I Matter report: Oak Primary",
        "Scope: setting oak. Period: all records to 2026-11-28.",
    ]
    assert "link-professional   Link Professional" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["report", "--setting", "nowhere"],
            1,
            "Error: no setting 'nowhere'; see `imatter setting list`\n",
        ),
        (
            ["report", "--setting", "oak", "--cluster", "north"],
            2,
            "Error: choose one of --setting, --cluster and --group\n",
        ),
        (
            ["report", "completions", "--format", "html"],
            2,
            "Error: --format html writes a file: add --output FILE.html\n",
        ),
        (
            ["report", "--as-of", "31/11/2026"],
            2,
            "Error: date '31/11/2026' is not a date; write it as 31/12/2026 or 2026-12-31\n",
        ),
        (
            ["report", "--from", "2026-12-01", "--to", "2026-11-01", "completions"],
            1,
            "Error: the period starts (2026-12-01) after it ends (2026-11-01)\n",
        ),
        (["report", "--within", "-1"], 2, "Error: --within cannot be negative\n"),
        (["impact", "report", "--course", "nope"], 1, None),
        (
            ["export", "xapi", "-o", "x.jsonl", "--home-page", "ftp://x"],
            1,
            "Error: --home-page 'ftp://x' must be an http(s) URL\n",
        ),
        (
            ["export", "credentials", "nowhere", "-o", "x.zip"],
            1,
            "Error: no setting 'nowhere'; see `imatter setting list`\n",
        ),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    cli, world_ws, tmp_path, monkeypatch, args, code, message
):
    monkeypatch.chdir(tmp_path)
    got, out, err = cli(world_ws, *args)
    assert got == code and out == ""
    if message is None:
        assert err.startswith("Error: unknown course 'nope'; known courses: awareness")
    else:
        assert err == message
    assert "Traceback" not in err


def test_report_files(cli, world_ws, tmp_path):
    page = tmp_path / "oak.html"
    code, out, err = cli(
        world_ws,
        "report",
        "--setting",
        "oak",
        "--as-of",
        "2026-11-28",
        "--format",
        "html",
        "-o",
        str(page),
    )
    assert (code, out, err) == (0, f"Wrote {page}\n", "")
    assert "data:image/svg+xml;base64," in page.read_text(encoding="utf-8")
    book = tmp_path / "north.xlsx"
    code, out, _ = cli(
        world_ws,
        "export",
        "report",
        "completions",
        "--cluster",
        "north",
        "--as-of",
        "2026-11-28",
        "--format",
        "xlsx",
        "-o",
        str(book),
    )
    assert (code, out) == (0, f"Wrote {book}\n")
    code, out, err = cli(
        world_ws,
        "export",
        "report",
        "completions",
        "--group",
        "1",
        "--from",
        "2026-10-05",
        "--as-of",
        "2026-11-28",
    )
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "course_id,course,2026/27 autumn,total",
        "foundation-a,Foundation A,1,1",
        "foundation-b,Foundation B,1,1",
    ]


def test_export_xapi_command(cli, world_ws, tmp_path):
    target = tmp_path / "statements.jsonl"
    code, out, err = cli(world_ws, "export", "xapi", "--as-of", "2026-11-28", "-o", str(target))
    assert (code, err) == (0, "")
    assert out == f"Wrote 31 xAPI statement(s) to {target}\n"
    first = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert first["actor"]["account"]["homePage"] == "https://imatter.example.org"


def test_progress_only_when_asked_or_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    assert wants_progress(True) is True and wants_progress(False) is False
    assert wants_progress(None) is False  # pytest's captured stderr is not a terminal
    assert list(progress_bar(range(3), desc="quiet")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    assert list(progress_bar(range(3), desc="loud", enabled=True)) == [0, 1, 2]
    assert "loud" in capsys.readouterr().err


def test_cli_progress_flag_draws_on_stderr(cli, world_ws, tmp_path):
    target = tmp_path / "s.jsonl"
    code, out, err = cli(
        world_ws, "export", "xapi", "--as-of", "2026-11-28", "-o", str(target), "--progress"
    )
    assert code == 0 and "xAPI" in err and out.startswith("Wrote 31")
    code, out, err = cli(world_ws, "report", "roles", "--as-of", "2026-11-28", "--progress")
    assert code == 0 and "reports" in err and "Roles awarded" in out
