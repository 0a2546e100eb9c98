"""The delivery commands: exact messages and exit codes, success and failure."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from imatter.cli import COMMANDS, main
from imatter.delivery import groups

D = dt.date
MINE = [
    "group",
    "attendance",
    "licences",
    "takestock",
    "cluster-view",
    "cluster-contact",
    "directory",
    "dashboard",
]


@pytest.fixture
def run(world, capsys):
    def run(*args):
        code = main(["-w", str(world.ws.path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.mark.parametrize("name", MINE)
def test_every_delivery_command_has_help(name, capsys):
    assert COMMANDS[name][2]
    assert main([name, "--help"]) == 0
    assert "Usage: imatter" in capsys.readouterr().out


def test_group_lifecycle(run, world, tmp_path):
    code, out, err = run(
        "group",
        "create",
        "--course",
        "foundation-a",
        "--term",
        "2026-27-t1",
        "--leader",
        "lena@oak.example",
        "--setting",
        "oakfield",
        "--on",
        "2026-09-20",
    )
    assert (code, out, err) == (
        0,
        "Created group 1: Foundation A staff group 2026-27-t1 (led by Lena Lead)\n",
        "",
    )
    code, out, _ = run(
        "group", "enrol", "1", "ann@oak.example", "ben@oak.example", "--on", "2026-09-20"
    )
    assert code == 0 and out == ("Enrolled 2 in group 1\n")
    code, out, _ = run("group", "schedule", "1", "--from", "2026-10-01", "--count", "5")
    assert (code, out) == (0, "Scheduled 5 session(s) for group 1\n")
    code, out, _ = run(
        "attendance",
        "mark",
        "1",
        "--date",
        "2026-10-01",
        "--present",
        "ann@oak.example",
        "--absent",
        "ben@oak.example",
        "--by",
        "lena@oak.example",
    )
    assert (code, out) == (0, "Marked 2 learner(s) for group 1 on 2026-10-01\n")
    code, out, err = run(
        "attendance",
        "mark",
        "1",
        "--date",
        "2026-10-01",
        "--present",
        "ann@oak.example",
        "--by",
        "ben@oak.example",
    )
    assert (code, out) == (1, "")
    assert err == (
        "Error: Ben Brook <ben@oak.example> cannot record for group 1: only its leader "
        "(Lena Lead) or a person holding a current I Matter Trainer award may\n"
    )
    code, _out, err = run(
        "attendance",
        "mark",
        "1",
        "--date",
        "2026-10-02",
        "--present",
        "ann@oak.example",
        "--by",
        "lena@oak.example",
    )
    assert code == 1 and err.startswith("Error: group 1 has no session on 2026-10-02 (its ")

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "group,date,person,present\n1,2026-10-08,ann@oak.example,perhaps\n", encoding="utf-8"
    )
    code, out, err = run("attendance", "import", str(bad), "--by", "lena@oak.example")
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {bad}: 1 bad row(s); nothing was imported. Fix them and import again:\n"
        "  line 2: present 'perhaps' is not yes or no; write yes or no\n"
    )

    code, out, _ = run("group", "show", "1", "--as-of", "2026-10-02")
    assert code == 0
    assert "Rule: at least 80% of sessions and a passed assessment" in out
    assert "Ann Able   P" in out and "Ben Brook  A" in out
    code, out, _ = run("group", "show", "1", "--as-of", "2026-10-02", "--json")
    data = json.loads(out)
    assert data["attendance"][0] == {"session": 1, "person": world.ann, "present": True}
    assert data["progress"][0]["missing"][-1] == "needs a passed assessment"

    code, out, _ = run("group", "list", "--leader", "lena@oak.example")
    assert code == 0 and "Foundation A staff group 2026-27-t1" in out
    code, out, _ = run(
        "group", "complete", "1", "--by", "lena@oak.example", "--as-of", "2026-10-02"
    )
    assert code == 0 and out.endswith("0 completion(s) recorded for group 1\n")


def test_a_register_is_recorded_by_whoever_is_acting_unless_by_says_otherwise(
    run, world, tmp_path, monkeypatch
):
    """The template's hint works as printed: the Lead acting as herself needs no --by; someone
    who is not in the records is told to give it, and nothing is written."""
    run("group", "create", "--course", "foundation-a", "--term", "2026-27-t1",
        "--leader", "lena@oak.example", "--setting", "oakfield")  # fmt: skip
    run("group", "enrol", "1", "ann@oak.example", "--on", "2026-09-20")
    run("group", "schedule", "1", "--from", "2026-10-01", "--count", "2")
    register = tmp_path / "register.csv"
    code, out, _ = run("attendance", "template", "1", "-o", str(register))
    assert code == 0
    assert out.endswith(f"then run `imatter attendance import {register}`\n")
    register.write_text(
        "group,date,person,present\n1,2026-10-01,ann@oak.example,yes\n", encoding="utf-8"
    )
    monkeypatch.setenv("IMATTER_USER", "nobody-in-the-records")
    code, out, err = run("attendance", "import", str(register))
    assert (code, out) == (2, "")
    assert err == (
        "Error: who is recording? you (nobody-in-the-records) are not in the records: give "
        "--by with the person's id or email (the group's leader or a Trainer)\n"
    )
    with world.ws.store.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM attendance").scalar_one() == 0
    code, out, err = run("--as", "lena@oak.example", "attendance", "import", str(register))
    assert (code, err) == (0, "")
    assert out.endswith("1 added, 0 corrected, 0 unchanged\n")
    with world.ws.store.read() as conn:
        recorder = conn.exec_driver_sql("SELECT recorded_by_id FROM attendance").scalar_one()
    assert recorder == world.lead


def test_event_needs_a_trainer(run):
    code, out, err = run(
        "group",
        "event",
        "intensive",
        "--trainer",
        "lena@oak.example",
        "--person",
        "ann@oak.example",
        "--on",
        "2026-11-05",
    )
    assert (code, out) == (1, "")
    assert err == (
        "Error: Lena Lead <lena@oak.example> cannot lead intensive: trainer-led courses are "
        "led by a person holding a current I Matter Trainer award\n"
    )
    code, out, err = run(
        "group",
        "event",
        "intensive",
        "--trainer",
        "theo@imatter.example",
        "--person",
        "ann@oak.example",
        "--on",
        "2026-11-05",
    )
    assert (code, out, err) == (0, "Recorded intensive as group 1: 1 completion(s)\n", "")


def test_a_rule_conflict_exits_1_and_a_bad_value_exits_1(run):
    """Exit 2 is for a command called wrongly; the records or rules saying no is exit 1."""
    create = ("group", "create", "--course", "foundation-a", "--term", "2026-27-t1")
    code, _out, err = run(*create, "--leader", "lena@oak.example", "--setting", "oakfield")
    assert code == 0, err
    code, _out, err = run("group", "enrol", "1", "lena@oak.example")
    assert (code, err) == (1, "Error: Lena Lead leads group 1 and cannot also be a learner\n")
    code, _out, err = run(
        *create[:4], "--term", "2026", "--leader", "lena@oak.example", "--setting", "oakfield"
    )
    assert code == 1 and err.startswith("Error: term '2026' must be an academic year")


def test_usage_errors_exit_2(run):
    code, _out, err = run(
        "group",
        "create",
        "--course",
        "awareness",
        "--term",
        "2026",
        "--leader",
        "lena@oak.example",
        "--setting",
        "oakfield",
    )
    assert code == 1 and err.startswith("Error: term '2026' must be an academic year")
    code, _out, err = run("group", "schedule", "1", "--from", "2026-10-01")
    assert (code, err) == (
        2,
        "Error: use --from and --count together (e.g. --from 2026-10-01 --count 6)\n",
    )


def test_licences_commands(run, world, tmp_path):
    code, out, _ = run("licences", "--as-of", "2027-01-10")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "setting",
        "kind",
        "licensed",
        "licence",
        "to",
        "member",
        "to",
        "rule",
        "trainees",
        "waiting",
    ]
    assert lines[3].startswith("oakfield      school   yes       open-ended  2027-08-31")
    code, out, _ = run(
        "licences", "apply", "ann@oak.example", "--setting", "oakfield", "--on", "2027-01-10"
    )
    assert (code, out) == (0, "Recorded trainee licence application 1\n")
    code, out, err = run(
        "licences", "apply", "ann@oak.example", "--setting", "elm", "--on", "2027-01-10"
    )
    assert (code, err) == (
        1,
        "Error: a trainee licence is only for a licensed setting with a current membership: "
        "Elm Academy is not a licensed setting\n",
    )
    code, out, _ = run(
        "licences", "refuse", "1", "--reason", "not yet", "--on", "2027-01-11", "--by", "org"
    )
    assert (code, out) == (0, "Application 1 refused\n")
    code, out, _ = run("licences", "applications", "--state", "refused", "--as-of", "2027-01-11")
    assert code == 0 and "Ann Able" in out and "not yet" in out
    code, out, _ = run("licences", "renewals", "--days", "240", "--as-of", "2027-01-10")
    assert (
        code == 0
        and "oakfield  2027-08-31  2027-09-01  in 234 days  due    500.00  101 to 250" in out
    )
    csv_file, pdf_file = tmp_path / "i.csv", tmp_path / "i.pdf"
    code, out, _ = run(
        "licences",
        "invoices",
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-30",
        "--csv",
        str(csv_file),
        "--pdf",
        str(pdf_file),
    )
    assert code == 0 and "Total: GBP 500.00" in out
    assert csv_file.exists() and pdf_file.read_bytes().startswith(b"%PDF")


def test_takestock_commands(run, tmp_path):
    review = tmp_path / "review.csv"
    code, out, _ = run("takestock", "template", str(review))
    assert (code, out) == (0, f"Wrote {review}\n")
    rows = ["characteristic,title,rating,evidence"] + [
        f"{n},,{2 if n == 6 else 3},evidence {n}" for n in range(1, 8)
    ]
    review.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = run(
        "takestock", "record", "oakfield", str(review), "--on", "2026-10-01", "--by", "Lena"
    )
    assert (code, out) == (
        0,
        "Recorded self-review 1 for oakfield\nThe plan needs an action for characteristic(s) 6\n",
    )
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "characteristic,action,owner,due\n4,Train TAs,Lena,2027-01-31\n", encoding="utf-8"
    )
    code, out, err = run("takestock", "plan", "1", str(plan), "--on", "2026-10-02")
    assert code == 1 and err == (
        "Error: the action plan has 1 problem(s); nothing was recorded:\n"
        "  characteristic 6 (Parents and carers on a learning journey) is rated 'beginning' "
        "but has no action; add one\n"
    )
    plan.write_text(
        "characteristic,action,owner,due\n6,Parents' group,Tara,2027-01-31\n", encoding="utf-8"
    )
    code, out, _ = run("takestock", "plan", "1", str(plan), "--on", "2026-10-02")
    assert (code, out) == (0, "Recorded action plan 1 with 1 action(s)\n")
    code, out, _ = run("takestock", "show", "oakfield", "--as-of", "2027-02-01")
    assert code == 0 and "open OVERDUE" in out and out.endswith("1 open; 1 overdue\n")
    code, out, _ = run("takestock", "action", "1", "done", "--on", "2027-02-01")
    assert (code, out) == (0, "Action 1 is now done\n")
    code, out, _ = run("takestock", "history", "oakfield")
    assert code == 0 and "6. Parents and carers on a learning journey     2 beginning\n" in out


def test_directory_commands(run, world, tmp_path):
    code, out, _ = run(
        "directory",
        "consent",
        "lena@oak.example",
        "--show-email",
        "--on",
        "2026-09-01",
        "--by",
        "org",
    )
    assert (code, out) == (0, "Recorded directory consent for lena@oak.example\n")
    code, out, _ = run("directory", "search", "--cluster", "north", "--as-of", "2027-01-10")
    assert code == 0 and "Lena Lead" in out and out.endswith("1 found\n")
    code, out, _ = run("directory", "page", "--out", str(tmp_path), "--as-of", "2027-01-10")
    assert (code, out) == (
        0,
        f"Wrote {tmp_path / 'directory.md'} and {tmp_path / 'directory.html'}\n",
    )
    assert "Lena Lead" in (tmp_path / "directory.md").read_text(encoding="utf-8")
    code, out, _ = run(
        "directory", "withdraw", "lena@oak.example", "--on", "2027-01-11", "--out", str(tmp_path)
    )
    assert (code, out) == (
        0,
        "Withdrew directory consent for lena@oak.example\n"
        f"Regenerated {tmp_path / 'directory.md'} without them\n",
    )
    assert "Lena Lead" not in (tmp_path / "directory.md").read_text(encoding="utf-8")
    assert "Lena Lead" not in (tmp_path / "directory.html").read_text(encoding="utf-8")
    code, out, err = run("directory", "withdraw", "lena@oak.example")
    assert (code, err) == (1, f"Error: person {world.lead} has not opted in to the directory\n")


def test_cluster_commands(run, world):
    code, out, _ = run(
        "cluster-contact", "add", "north", "ann@oak.example", "--position", "school-nurse"
    )
    assert (code, out) == (0, "Added ann@oak.example to north as school-nurse\n")
    code, out, _ = run("cluster-view", "north", "--as-of", "2027-01-10")
    assert code == 0
    assert out.startswith("North Integrated Care Community (icc, Northtown)\n")
    assert (
        "Gita GP   gp-safeguarding-lead  Riverside GP Practice\n"
        "Ann Able  school-nurse          the cluster\n" in out
    )
    code, out, err = run("cluster-view", "south")
    assert (code, err) == (1, "Error: no cluster 'south'; see `imatter cluster list`\n")


def test_dashboard_without_a_workspace_fails_cleanly(tmp_path, capsys):
    code = main(["-w", str(tmp_path / "none"), "dashboard", "lead", "--no-browser"])
    assert code == 1
    assert capsys.readouterr().err.startswith(f"Error: no workspace at {tmp_path / 'none'}")


def test_groups_api_is_what_the_cli_uses(world):
    # The CLI is thin: a group made through the API lists the same way.
    gid = groups.create_group(
        world.store,
        world.programme,
        course_id="awareness",
        term="2026-27",
        leader=world.lead,
        setting="oakfield",
        on=D(2026, 9, 1),
    )
    assert [r.id for r in groups.list_groups(world.store, setting="oakfield")] == [gid]
