"""Nominations, as people use them: a Lead nominates from their own setting, the organisation
approves (the role is awarded through the rules) or declines with a reason the Lead reads."""

from __future__ import annotations

import datetime as dt

import pytest
from imatter import records
from imatter.cli import main

from ..delivery.world import build_world

ON = dt.date(2027, 3, 1)


@pytest.fixture
def world(ws):
    w = build_world(ws)
    for person in (w.ann, w.cat):
        for course, day in (("foundation-a", 10), ("foundation-b", 20)):
            records.record_completion(
                w.store,
                w.programme,
                person,
                course,
                dt.date(2027, 1, day),
                recorded_by="fixture",
                today=ON,
            )
    return w


@pytest.fixture
def run(world, capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["-w", str(world.ws.path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    grants = [
        ("lena@oak.example", "setting-lead", "oakfield"),
        ("ed@elm.example", "setting-lead", "elm"),
    ]
    for identity, role, setting in grants:
        code, _, err = run(
            "--as", "org-admin", "access", "grant", identity, "--role", role, "--setting", setting
        )
        assert code == 0, err
    return run


def test_a_lead_nominates_and_the_organisation_approves(run, world):
    lena = ("--as", "lena@oak.example")
    code, out, err = run(
        *lena,
        "nomination",
        "add",
        "ann@oak.example",
        "link-professional",
        "--note",
        "Ann co-runs our Friday group",
        "--on",
        "2027-03-01",
    )
    assert (code, err) == (0, "")
    assert out == (
        "Nominated Ann Able for Link Professional (nomination 1); the organisation will "
        "approve or decline it\n"
    )
    # A Lead cannot approve their own nomination: deciding is the organisation's.
    code, _, err = run(*lena, "nomination", "approve", "1")
    assert code == 1 and err.startswith("Error: lena@oak.example")
    # The organisation sees it pending, approves, and the role is awarded.
    code, out, _ = run("--as", "org-admin", "nomination", "list", "--status", "pending")
    assert code == 0 and "Ann Able" in out and "lena@oak.example" in out
    code, out, err = run("--as", "org-admin", "nomination", "approve", "1", "--on", "2027-03-02")
    assert (code, err) == (0, "")
    assert out.startswith("Approved nomination 1: Ann Able is now Link Professional (award ")
    code, out, _ = run(
        "--as", "org-admin", "status", "ann@oak.example", "--as-of", "2027-03-02", "--json"
    )
    assert code == 0 and '"link-professional"' in out
    code, out, _ = run(*lena, "nomination", "list", "--json")
    assert '"status": "approved"' in out
    # Approving twice is refused, and says what happened.
    code, _, err = run("--as", "org-admin", "nomination", "approve", "1")
    assert (code, err) == (1, "Error: nomination 1 was already approved\n")


def test_a_declined_nomination_keeps_the_reason_for_the_lead(run):
    lena = ("--as", "lena@oak.example")
    assert (
        run(
            *lena, "nomination", "add", "cat@oak.example", "link-professional", "--on", "2027-03-01"
        )[0]
        == 0
    )
    code, _, err = run("--as", "org-admin", "nomination", "decline", "1")
    assert code == 2 and "Missing option '--reason'" in err
    code, _, err = run("--as", "org-admin", "nomination", "decline", "1", "--reason", "  ")
    assert (code, err) == (1, "Error: declining a nomination needs a reason the Lead can read\n")
    code, out, _ = run(
        "--as",
        "org-admin",
        "nomination",
        "decline",
        "1",
        "--reason",
        "Cat has not yet worked alongside the Lead for a term",
        "--on",
        "2027-03-02",
    )
    assert code == 0
    code, out, _ = run(*lena, "nomination", "list")
    assert "declined" in out and "Cat has not yet worked alongside the Lead" in out


def test_nominations_say_what_is_missing_and_stay_inside_the_leads_setting(run):
    on = ("--on", "2027-03-01")
    lena, ed, cat = (
        ("--as", who) for who in ("lena@oak.example", "ed@elm.example", "cat@oak.example")
    )
    code, _, err = run(*lena, "nomination", "add", "ben@oak.example", "link-professional", *on)
    assert code == 1
    assert err.startswith(
        "Error: Ben Brook does not yet meet Link Professional, so cannot be nominated: "
    )
    # Elm's Lead cannot see Oakfield's staff: the answer is the one a missing person gets.
    code, _, missing = run(*ed, "nomination", "add", "nobody@x.example", "link-professional")
    code2, _, hidden = run(*ed, "nomination", "add", "ann@oak.example", "link-professional")
    assert code == code2 == 1
    assert hidden == missing.replace("nobody@x.example", "ann@oak.example")
    # A learner cannot nominate anyone, themselves included: refused before any lookup, so
    # the answer is the same whoever is named.
    refusal = (
        "Error: cat@oak.example (learner) may not nominate a person for a role, for the "
        "organisation to approve (`imatter nomination add`); ask an organisation admin if you "
        "need to\n"
    )
    for target in ("ann@oak.example", "cat@oak.example", "nobody@x.example"):
        code, _, err = run(*cat, "nomination", "add", target, "link-professional", *on)
        assert (code, err) == (1, refusal)
    # And nobody is nominated twice while one is pending.
    assert run(*lena, "nomination", "add", "ann@oak.example", "link-professional", *on)[0] == 0
    code, _, err = run(*lena, "nomination", "add", "ann@oak.example", "link-professional", *on)
    assert (code, err) == (
        1,
        "Error: Ann Able is already nominated for Link Professional (nomination 1)\n",
    )
