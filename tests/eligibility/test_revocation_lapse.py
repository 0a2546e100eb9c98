"""Rules respect revocation and lapse (issue 12, point 4).

A revoked award counts for nothing: not `holds`, not `held` years, not a later role, and the
revoked role is not open again until an application for it is approved after the revocation.
A trainee licence does not count while its setting's membership has lapsed; every view says so
in the same words, and its held-years clock stops during the lapse. Each rule is checked in the
single-person engine and the bulk engine, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from imatter import records as r
from imatter.eligibility import evaluate_person, evaluate_role
from imatter.records.columns import bulk_eligibility
from imatter.store import schema as t

D = dt.date
T0 = dt.datetime(2026, 1, 1)
LEAD_COURSES = ["lead-y1-t1", "lead-y1-t2", "lead-y1-t3", "lead-y2"]


def _award(conn, award_id, pid, role, start, *, kind="role", setting=None, until=None):
    conn.execute(
        t.awards.insert().values(
            id=award_id,
            person_id=pid,
            role_id=role,
            kind=kind,
            setting_id=setting,
            valid_from=start,
            valid_until=until,
            granted_by="t",
            granted_at=T0,
        )
    )


def _completions(conn, pid, courses, on):
    for course in courses:
        conn.execute(
            t.completions.insert().values(
                person_id=pid,
                course_id=course,
                completed_on=on,
                evidence="certificate",
                recorded_by="t",
                recorded_at=T0,
            )
        )


def _membership(conn, setting, start, end):
    conn.execute(
        t.memberships.insert().values(
            setting_id=setting,
            starts_on=start,
            ends_on=end,
            fee=1,
            currency="GBP",
            recorded_by="t",
            recorded_at=T0,
        )
    )


def _build(store) -> None:
    """Person 1: a School Lead (with a trainer application and cases) whose award is revoked on
    2026-06-01. Person 2: a trainee whose setting's membership lapsed from 2025-09-01 to
    2025-12-31 (four months). Person 3: like person 1, but re-approved after the revocation."""
    r.add_setting(store, "hill", "Hillview Academy", pupils_on_roll=300)
    with store.write() as conn:
        conn.execute(
            t.setting_licences.insert().values(
                setting_id="hill", valid_from=D(2020, 1, 1), granted_by="t", granted_at=T0
            )
        )
        _membership(conn, "hill", D(2022, 9, 1), D(2025, 8, 31))
        _membership(conn, "hill", D(2026, 1, 1), D(2027, 12, 31))
        for pid, name in ((1, "Rae Revoked"), (2, "Lou Lapsed"), (3, "Reg Reapproved")):
            conn.execute(t.people.insert().values(id=pid, name=name, created_at=T0))
            conn.execute(
                t.affiliations.insert().values(person_id=pid, setting_id="hill", position="teacher")
            )
        for pid in (1, 3):
            _completions(conn, pid, ["foundation-a", "foundation-b", *LEAD_COURSES], D(2023, 6, 1))
            _award(conn, f"trainee{pid}", pid, "trainee-lead", D(2021, 1, 1), until=D(2023, 1, 1))
            _award(conn, f"lead{pid}", pid, "school-lead", D(2023, 7, 1))
            conn.execute(
                t.award_revocations.insert().values(
                    award_id=f"lead{pid}",
                    revoked_on=D(2026, 6, 1),
                    reason="left the programme",
                    revoked_by="t",
                    revoked_at=T0,
                )
            )
            conn.execute(
                t.applications.insert().values(
                    person_id=pid,
                    role_id="trainer",
                    submitted_on=D(2025, 1, 1),
                    status="approved",
                    decided_on=D(2025, 2, 1),
                )
            )
            for k in range(3):
                conn.execute(
                    t.documented_cases.insert().values(
                        person_id=pid,
                        reference=f"FAM-{pid}{k}",
                        started_on=D(2024, 1, 1),
                        last_reviewed_on=D(2025, 1, 1),
                        recorded_by="t",
                        recorded_at=T0,
                    )
                )
        conn.execute(
            t.applications.insert().values(
                person_id=3,
                role_id="school-lead",
                submitted_on=D(2026, 7, 1),
                status="approved",
                decided_on=D(2026, 7, 15),
            )
        )
        _completions(conn, 2, ["foundation-a", "foundation-b", *LEAD_COURSES], D(2024, 6, 1))
        _award(
            conn,
            "trainee2",
            2,
            "trainee-lead",
            D(2024, 1, 1),
            kind="licence",
            setting="hill",
            until=D(2026, 1, 1),
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def store_ws(request):
    name = "ws" if request.param == "sqlite" else "pg_ws"
    ws = request.getfixturevalue(name)
    _build(ws.store)
    return ws


def _facts(ws, pid):
    with ws.store.read() as conn:
        return r.person_records(conn, pid)


def _bulk(ws, on):
    return bulk_eligibility(ws.store, ws.programme, on)


def test_revoked_award_counts_for_nothing(store_ws):
    ws, on = store_ws, D(2026, 6, 2)
    rae = _facts(ws, 1)
    before = evaluate_person(ws.programme, rae, D(2026, 5, 31))
    assert before["school-lead"].held and before["trainer"].met  # the award counted until then
    after = evaluate_person(ws.programme, rae, on)
    assert not after["school-lead"].held
    # not a later role: the years held before the revocation do not count either
    assert not after["trainer"].met
    assert (
        "needs School / Pastoral Lead Professional or Community Lead Professional held for "
        in (after["trainer"].missing[0])
    )
    # and the revoked role is not open again as if nothing happened
    lead = after["school-lead"]
    assert (lead.met, lead.state, lead.eligible_from) == (False, "not yet", None)
    assert lead.missing[0] == (
        "School / Pastoral Lead Professional was revoked on 2026-06-01: needs an application "
        "for it approved after that date"
    )
    table = _bulk(ws, on)
    assert not table.loc[1, "school-lead_held"]
    assert not table.loc[1, "school-lead"] and table.loc[1, "school-lead_steps"] == lead.steps
    assert not table.loc[1, "trainer"]
    old = _bulk(ws, D(2026, 5, 31))
    assert old.loc[1, "school-lead_held"] and old.loc[1, "trainer"]


def test_a_new_approval_after_revocation_opens_the_role_again(store_ws):
    ws = store_ws
    reg = _facts(ws, 3)
    assert not evaluate_role(ws.programme, reg, "school-lead", D(2026, 7, 14)).met
    result = evaluate_role(ws.programme, reg, "school-lead", D(2026, 7, 15))
    assert (result.met, result.held) == (True, False)
    # the revoked award still gives no held years towards Trainer
    assert not evaluate_role(ws.programme, reg, "trainer", D(2026, 7, 15)).met
    table = _bulk(ws, D(2026, 7, 15))
    assert table.loc[3, "school-lead"] and not table.loc[3, "trainer"]
    assert not _bulk(ws, D(2026, 7, 14)).loc[3, "school-lead"]


def test_lapsed_licence_does_not_count_and_its_clock_stops(store_ws):
    ws = store_ws
    lou = _facts(ws, 2)
    # during the lapse: not held, state "lapsed", in the same words as every other view
    during = evaluate_role(ws.programme, lou, "trainee-lead", D(2025, 10, 1))
    assert (during.held, during.state) == (False, "lapsed")
    assert during.lapsed == "licence lapsed: Hillview Academy's membership ended on 2025-08-31"
    assert not _bulk(ws, D(2025, 10, 1)).loc[2, "trainee-lead_held"]
    # after renewal the licence counts again, and runs four months past its written end
    renewed = evaluate_role(ws.programme, lou, "trainee-lead", D(2026, 3, 1))
    assert renewed.held and renewed.state == "held"
    assert _bulk(ws, D(2026, 3, 1)).loc[2, "trainee-lead_held"]
    # two years held: from 2024-01-01 plus the 122 days lapsed, not 2026-01-01
    lead = evaluate_role(ws.programme, lou, "school-lead", D(2026, 3, 1))
    assert not lead.met
    assert lead.missing == ("licence held 1 year 9 months of 2 years: eligible from 2026-05-02",)
    assert lead.eligible_from == D(2026, 5, 2)
    assert not _bulk(ws, D(2026, 5, 1)).loc[2, "school-lead"]
    assert evaluate_role(ws.programme, lou, "school-lead", D(2026, 5, 2)).met
    assert _bulk(ws, D(2026, 5, 2)).loc[2, "school-lead"]
    # during the lapse the clock is stopped: no date can be promised
    stopped = evaluate_role(ws.programme, lou, "school-lead", D(2025, 10, 1))
    assert stopped.eligible_from is None
    assert stopped.missing[0] == (
        "licence held 1 year 8 months of 2 years; licence lapsed: Hillview Academy's "
        "membership ended on 2025-08-31: the clock stops until it is renewed"
    )


@pytest.fixture
def lapse_cli(run_cli, tmp_path):
    code, _, _ = run_cli("init")
    assert code == 0
    from imatter.workspace import open_workspace

    ws = open_workspace(tmp_path / "ws")
    _build(ws.store)
    with ws.store.write() as conn:
        conn.execute(
            t.applications.insert().values(
                person_id=2,
                role_id="trainee-lead",
                setting_id="hill",
                submitted_on=D(2023, 12, 1),
                status="approved",
                decided_on=D(2023, 12, 15),
            )
        )
    ws.store.dispose()
    return run_cli


def test_views_agree_on_a_revoked_award(lapse_cli):
    code, out, _ = lapse_cli("status", "1", "--as-of", "2026-06-02")
    assert code == 0
    assert "Holds: no roles yet" in out
    assert "School / Pastoral Lead Professional was revoked on 2026-06-01" in out
    assert "School / Pastoral Lead Professional: ready to be awarded" not in out
    assert "School / Pastoral Lead Professional  eligible" not in out
    code, out, err = lapse_cli("award", "1", "trainer", "--on", "2026-06-02")
    assert code == 1
    assert err.startswith("Error: Rae Revoked does not yet meet I Matter Trainer: needs ")
    code, out, err = lapse_cli("award", "1", "school-lead", "--on", "2026-06-02")
    assert code == 1
    assert "was revoked on 2026-06-01: needs an application for it approved after" in err
    code, out, _ = lapse_cli("eligible", "--role", "school-lead", "--as-of", "2026-06-02")
    assert code == 0 and "Rae Revoked" not in out.split("One step away")[0]


def test_views_say_a_lapsed_licence_in_the_same_words(lapse_cli):
    words = "licence lapsed: Hillview Academy's membership ended on 2025-08-31"
    code, out, _ = lapse_cli("status", "2", "--as-of", "2025-10-01", "--json")
    import json

    roles = {x["role"]: x for x in json.loads(out)["roles"]}
    assert code == 0 and roles["trainee-lead"]["state"] == "lapsed"
    assert roles["trainee-lead"]["missing"][0] == words
    assert "Trainee Lead Professional (licence)" not in json.loads(out)["holds"]
    code, out, _ = lapse_cli("licences", "applications", "--as-of", "2025-10-01", "--json")
    (app,) = json.loads(out)
    assert (app["state"], app["problem"]) == ("lapsed", words)
    code, out, _ = lapse_cli("licences", "report", "--as-of", "2025-10-01", "--json")
    (row,) = json.loads(out)
    assert row["trainees"] == 0 and row["lapsed"] == [f"Lou Lapsed: {words}"]
    code, out, _ = lapse_cli("licences", "report", "--as-of", "2025-10-01")
    assert f"hill: Lou Lapsed: {words}\n" in out
    # renewed: every view counts it again
    code, out, _ = lapse_cli("licences", "report", "--as-of", "2026-03-01", "--json")
    (row,) = json.loads(out)
    assert row["trainees"] == 1 and row["lapsed"] == []


def test_reasons_are_data_and_next_steps_are_computed_once(lapse_cli, tmp_path):
    """Issue 13: `status --json` gives each reason as an object with a `kind`, and the Lead
    dashboard's next steps are the engine's, the same as `status` shows."""
    import json

    from imatter.dashboards.data import eligible_next
    from imatter.workspace import open_workspace

    code, out, _ = lapse_cli("status", "1", "--as-of", "2026-06-02", "--json")
    report = json.loads(out)
    roles = {r["role"]: r for r in report["roles"]}
    assert roles["school-lead"]["reasons"] == [
        {
            "kind": "revoked",
            "role": "school-lead",
            "title": "School / Pastoral Lead Professional",
            "revoked_on": "2026-06-01",
            "text": "School / Pastoral Lead Professional was revoked on 2026-06-01: needs an "
            "application for it approved after that date",
        }
    ]
    assert roles["trainer"]["reasons"][0]["kind"] == "held"
    assert roles["senior-headteacher"]["reasons"][0]["kind"] == "position"
    code, out, _ = lapse_cli("status", "2", "--as-of", "2026-03-01", "--json")
    held = json.loads(out)
    (reason,) = {r["role"]: r for r in held["roles"]}["school-lead"]["reasons"]
    assert reason == {
        "kind": "held",
        "roles": ["trainee-lead"],
        "titles": ["Trainee Lead Professional (licence)"],
        "years": 2,
        "months": 21,
        "licence": True,
        "eligible_from": "2026-05-02",
        "lapsed": None,
        "text": "licence held 1 year 9 months of 2 years: eligible from 2026-05-02",
    }
    # Link Professional is not offered: holding the trainee licence, built on it, outgrows it.
    assert [s["role"] for s in held["next_steps"]] == ["school-lead"]
    assert held["next"] == [s["text"] for s in held["next_steps"]]

    ws = open_workspace(tmp_path / "ws")
    for on in (D(2025, 10, 1), D(2026, 3, 1), D(2026, 6, 2), D(2026, 7, 15)):
        board = eligible_next(ws.store, ws.programme, [1, 2, 3], on)
        for pid in (1, 2, 3):
            code, out, _ = lapse_cli("status", str(pid), "--as-of", on.isoformat(), "--json")
            status = json.loads(out)
            assert sorted((s.role, s.state) for s in board if s.person_id == pid) == sorted(
                (s["role"], s["state"]) for s in status["next_steps"]
            ), (pid, on)
