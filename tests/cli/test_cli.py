"""The CLI: exact messages and exit codes, success and failure; --json; fast --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def cli(run_cli):
    code, out, _ = run_cli("init")
    assert code == 0 and out.startswith("Workspace ready at")
    assert (
        run_cli("setting", "add", "brook-primary", "--name", "Brook Primary", "--pupils", "240")[0]
        == 0
    )
    return run_cli


def test_person_completion_status_and_award(cli):
    assert cli(
        "person",
        "add",
        "Alex Test",
        "--email",
        "alex@example.org",
        "--setting",
        "brook-primary",
        "--position",
        "teacher",
    ) == (0, "Added person 1: Alex Test\n", "")
    code, out, err = cli("complete", "alex@example.org", "foundation-a", "--on", "2026-10-01")
    assert (code, out) == (
        0,
        "Recorded completion 1: person alex@example.org completed foundation-a\n",
    )
    code, out, err = cli("award", "1", "link-professional", "--on", "2026-11-01")
    assert code == 1
    assert err == ("Error: Alex Test does not yet meet Link Professional: needs Foundation B\n")
    cli("complete", "1", "foundation-b", "--on", "2026-10-08")
    code, out, err = cli("status", "1", "--as-of", "2026-11-01", "--json")
    report = json.loads(out)
    link = next(r for r in report["roles"] if r["role"] == "link-professional")
    assert code == 0 and link["state"] == "eligible"
    assert report["next"][0] == "Link Professional: ready to be awarded"
    code, out, err = cli("award", "1", "link-professional", "--on", "2026-11-01")
    assert code == 0 and out.startswith("Awarded Link Professional to Alex Test from 2026-11-01")
    code, out, _ = cli("status", "1", "--as-of", "2026-11-01")
    assert "Holds: Link Professional" in out


def test_duplicate_completion_exit_code_and_message(cli):
    cli("person", "add", "Alex Test", "--setting", "brook-primary")
    cli("complete", "1", "foundation-a", "--on", "2026-10-01")
    code, out, err = cli("complete", "1", "foundation-a", "--on", "2026-10-01")
    assert code == 1 and out == ""
    assert err == (
        "Error: person 1 already completed foundation-a on 2026-10-01 (record 1); "
        "to change it use `imatter complete correct 1`\n"
    )


def test_usage_errors_exit_2(cli):
    code, _, err = cli("complete", "1", "foundation-a", "--on", "yesterday")
    assert code == 2 and err == (
        "Error: --on 'yesterday' is not a date; write it as 31/12/2026 or 2026-12-31\n"
    )
    code, _, err = cli("setting", "add", "Bad Id", "--name", "x", "--pupils", "3")  # a bad value: 1
    assert code == 1 and "must be 2-80 lower-case letters" in err
    code, _, err = cli("frobnicate")
    assert code == 2 and "No such command 'frobnicate'" in err


def test_unknown_person_and_role(cli):
    code, _, err = cli("status", "99")
    assert (code, err) == (
        1,
        "Error: no person '99' (give an id or an email); see `imatter person list`\n",
    )
    code, _, err = cli("eligible", "--role", "wizard")
    assert code == 1 and err.startswith(
        "Error: unknown role 'wizard'; known roles: link-professional"
    )


def test_csv_import_failure_lists_rows(cli, tmp_path):
    bad = tmp_path / "people.csv"
    bad.write_text(
        "name,email,setting,position\nA,a@x.org,nowhere,teacher\nB,b@x.org,brook-primary,wizard\n",
        encoding="utf-8",
    )
    code, out, err = cli("person", "import", str(bad))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"Error: {bad}: 2 bad row(s); nothing was imported. Fix them and import again:",
        "  line 2: no setting 'nowhere'; see `imatter setting list`",
        "  line 3: unknown position 'wizard' (see below)",
        # The list of positions is said once, under the rows, however many rows name one.
        "Positions not known: 'wizard' (1 row). Use one of "
        + ", ".join(
            [
                "headteacher",
                "delegated-senior",
                "staff",
                "teaching-assistant",
                "teacher",
                "governor",
                "parent",
                "gp-safeguarding-lead",
                "gp",
                "school-nurse",
                "health-visitor",
                "paediatrician",
                "social-worker",
                "community-practitioner",
                "police-officer",
            ]
        )
        + ", or a common name (TA, HLTA, Head, SENCo ...), or save a mapping for the setting "
        'with --map "LABEL=POSITION" (e.g. --map "Site Manager=staff").',
    ]
    assert "Traceback" not in err


def test_no_workspace_is_a_clear_error(run_cli, tmp_path):
    code, _, err = run_cli("person", "list")
    assert code == 1 and "no workspace at" in err and "run `imatter init" in err


def test_json_on_read_commands(cli):
    cli("person", "add", "Alex Test", "--setting", "brook-primary")
    for args in (
        ["setting", "list"],
        ["person", "list"],
        ["cluster", "list"],
        ["eligible", "--role", "link-professional"],
        ["status", "1"],
        ["complete", "history", "1"],
        ["licences", "check", "brook-primary"],
    ):
        code, out, err = cli(*args, "--json")
        assert code == 0, (args, err)
        json.loads(out)


def test_eligible_lists_one_step_away_with_reason(cli):
    cli("person", "add", "Alex Test", "--setting", "brook-primary")
    cli("person", "add", "Bo Test", "--setting", "brook-primary")
    cli("complete", "1", "foundation-a", "--on", "2026-10-01")
    cli("complete", "1", "foundation-b", "--on", "2026-10-02")
    cli("complete", "2", "foundation-a", "--on", "2026-10-01")
    code, out, _ = cli("eligible", "--role", "link-professional", "--as-of", "2026-11-01", "--json")
    result = json.loads(out)
    assert [p["name"] for p in result["eligible"]] == ["Alex Test"]
    assert result["one_step"] == [
        {
            "person_id": 2,
            "name": "Bo Test",
            "missing": "needs Foundation B",
            "reasons": [
                {
                    "kind": "course",
                    "course": "foundation-b",
                    "title": "Foundation B",
                    "text": "needs Foundation B",
                }
            ],
        }
    ]


def test_every_command_has_help(run_cli):
    from imatter.cli import COMMANDS, HIDDEN_ALIASES

    code, out, _ = run_cli("--help")
    assert code == 0
    for name in COMMANDS:
        assert (f"  {name} " in out) == (name not in HIDDEN_ALIASES)
        code, sub, _ = run_cli(name, "--help")
        assert code == 0 and "Usage:" in sub and len(sub.splitlines()) > 3


def test_help_imports_no_heavy_library():
    code = (
        "import sys; from imatter.cli import main; "
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "heavy = [m for m in ('pandas', 'sqlalchemy', 'nbgrader', 'nbformat', 'jupyter_book', "
        "'ipywidgets', 'numpy', 'pyld', 'cryptography') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_demo_builds_and_prints_the_table(run_cli):
    code, out, err = run_cli("demo", "--as-of", "2026-11-28")
    assert code == 0, err
    assert "Priya Natarajan" in out and "Tom Ashby" in out
    table, hint = out.split("\n\n", 1)
    lines = {line.split()[1] + " " + line.split()[2]: line for line in table.splitlines()[3:]}
    assert "yes" in lines["Tom Ashby"]
    assert "--as p.natarajan@brook.example person list" in hint
    # The hint is true: Brook's Lead sees Brook's people only.
    code, out, _ = run_cli("--as", "p.natarajan@brook.example", "person", "list", "--json")
    names = {p["name"] for p in json.loads(out)}
    assert code == 0 and "Tom Ashby" in names and "Aisha Rahman" not in names
    # A whole term (issue 15): a key, awards with credentials, a group mid-term with marked
    # work, and how to open each dashboard.
    ws = hint.split("imatter -w ", 1)[1].split()[0]
    tail = hint.split("\nA whole term:\n", 1)[1].splitlines()
    assert tail[0] == (
        "  Issuer key made first; 9 award(s) issued as signed credentials: "
        f"imatter -w {ws} credential list"
    )
    assert (
        tail[1] == "  Study group 1, Foundation A at Brook (demo term): 3 of 6 sessions registered"
    )
    assert tail[2] == (
        "  Its assessment: 2 marked and fed back, p34 not returned: "
        f"imatter -w {ws} assess -g 1 status foundation-a"
    )
    assert tail[3:] == [
        "Open the dashboards (each serves on http://127.0.0.1:8866/, Ctrl-C to stop):",
        f"  the Lead's:         imatter -w {ws} --as p.natarajan@brook.example dashboard lead",
        f"  a learner's:        imatter -w {ws} dashboard progress --person z.hughes@brook.example",
        f"  the organisation's: imatter -w {ws} dashboard organisation",
    ]
    code, out, err = run_cli("credential", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 9
    code, out, err = run_cli("assess", "-g", "1", "status", "foundation-a")
    assert code == 0, err
    rows = [" ".join(line.split()[:6]) for line in out.splitlines()[2:]]
    assert rows == [
        "p31 Zara Hughes 15/15 pass",
        "p32 Owen Clarke 9/15 not yet",
        "p33 Mina Patel 3/15 not marked",
        "p34 Luca Romano not returned no",
    ]
    handback = Path(ws) / "assess" / "1" / "handback" / "foundation-a"
    assert sorted(f.name for f in handback.iterdir()) == [
        "p31_foundation-a-feedback.html",
        "p32_foundation-a-feedback.html",
    ]
    code, _, err = run_cli("demo", "--as-of", "2026-11-28")
    assert code == 1 and "already holds a workspace; use --force" in err


def test_every_command_appears_in_the_readme():
    from pathlib import Path

    from imatter.cli import COMMANDS, HIDDEN_ALIASES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = [name for name in COMMANDS if name not in HIDDEN_ALIASES]
    missing = [name for name in shown if f"`imatter {name}`" not in readme]
    assert missing == []
    # The old spellings are hidden aliases: not in the README, still working.
    assert [name for name in HIDDEN_ALIASES if f"`imatter {name}`" in readme] == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("verify", ["credential", "verify"]),
        ("revoke", ["credential", "revoke"]),
        ("cluster-view", ["cluster", "view"]),
        ("cluster-contact", ["cluster", "contact"]),
    ],
)
def test_grouped_commands_keep_their_old_spelling_as_a_hidden_alias(old, new, capsys):
    from imatter.cli import main

    assert main([*new, "--help"]) == 0
    new_help = capsys.readouterr().out
    assert main([old, "--help"]) == 0
    old_help = capsys.readouterr().out
    assert new_help.split("\n", 2)[2] == old_help.split("\n", 2)[2]  # the same command
    assert main(["--help"]) == 0
    assert f"  {old} " not in capsys.readouterr().out
