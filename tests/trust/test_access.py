"""Access per setting: the whole permission matrix, checked inside the API, on SQLite and
PostgreSQL; guessed ids look exactly like missing ones; the CLI's --as and `access` commands."""

from __future__ import annotations

import re

import pytest
from imatter.errors import ImatterError, NotFound, PermissionDenied
from imatter.trust.access import (
    SCOPES,
    acting_as,
    actor_for,
    allowed,
    default_policy,
    grant_access,
    parse_policy,
    policy_path,
)

from ..conftest import TODAY

ACTORS = {
    "admin": "org.admin@example.org",
    "setting-lead": "lead.brook@example.org",
    "link-professional": "link.brook@example.org",
    "learner": "learner.brook@example.org",
}


def _world(ws) -> dict:
    """Two settings, people in each and one in none, and a grant for each kind of actor."""
    from imatter.records import add_person, add_setting

    store, programme = ws.store, ws.programme
    add_setting(store, "brook", "Brook Primary", pupils_on_roll=200)
    add_setting(store, "oak", "Oak Academy", pupils_on_roll=300)
    ids = {
        "lead": add_person(
            store,
            programme,
            "Lena Lead",
            email=ACTORS["setting-lead"],
            setting="brook",
            position="teacher",
        ),
        "link": add_person(
            store,
            programme,
            "Lio Link",
            email=ACTORS["link-professional"],
            setting="brook",
            position="teacher",
        ),
        "learner": add_person(
            store,
            programme,
            "Lark Learner",
            email=ACTORS["learner"],
            setting="brook",
            position="parent",
        ),
        "brook": add_person(
            store,
            programme,
            "Bea Brook",
            email="bea@example.org",
            setting="brook",
            position="staff",
        ),
        "oak": add_person(
            store, programme, "Otto Oak", email="otto@example.org", setting="oak", position="staff"
        ),
        "nowhere": add_person(store, programme, "Nia Nowhere", email="nia@example.org"),
    }
    with store.write() as conn:
        grant_access(conn, ACTORS["admin"], "admin")
        grant_access(conn, ACTORS["setting-lead"], "setting-lead", setting="brook")
        grant_access(conn, ACTORS["link-professional"], "link-professional", setting="brook")
    return ids


def _targets(role: str, ids: dict) -> dict[str, dict]:
    """The person or setting that is in each scope for this actor."""
    if role == "learner":
        return {
            "own": {"person": ids["learner"]},
            "other": {"person": ids["brook"]},
            "none": {},
        }
    return {
        "own": {"person": ids["brook"], "setting": "brook"},
        "other": {"person": ids["oak"], "setting": "oak"},
        "none": {"person": ids["nowhere"]} if role != "admin" else {},
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        ws = request.getfixturevalue("ws")
    else:
        ws = request.getfixturevalue("pg_ws")
    monkeypatch.setenv("IMATTER_USER", "setup-admin")
    return ws, _world(ws)


def _as(ws, role):
    with ws.store.read() as conn:
        return acting_as(actor_for(conn, ACTORS[role]))


def test_the_matrix_file_is_complete_and_every_cell_is_enforced(world):
    """Every (actor, action, scope) cell of permissions.yml, asked of the running guard."""
    ws, ids = world
    policy = default_policy()
    assert set(policy.actors) == set(ACTORS)
    checked = 0
    for role in ACTORS:
        targets = _targets(role, ids)
        with _as(ws, role), ws.store.read() as conn:
            for action in policy.actions:
                for scope in SCOPES:
                    target = targets[scope]
                    person = target.get("person")
                    setting = None if person is not None else target.get("setting")
                    got = allowed(conn, action, person=person, setting=setting)
                    assert got == policy.allows(role, action, scope), (role, action, scope)
                    if "setting" in target and person is not None:
                        by_setting = allowed(conn, action, setting=target["setting"])
                        if role != "learner":
                            assert by_setting == policy.allows(role, action, scope)
                    checked += 1
    assert checked == len(ACTORS) * len(policy.actions) * len(SCOPES)


def _api_calls(ws, ids):
    """For each action, a real API call on a target in each scope (None: no such target)."""
    from imatter.api import person_status
    from imatter.records import add_action_plan, add_membership, add_person, record_completion
    from imatter.reports.scope import Scope, resolve_scope
    from imatter.services.awards import award_role

    store, programme = ws.store, ws.programme

    def report(scope):
        with store.read() as conn:
            resolve_scope(conn, scope)

    def grant(setting):
        with store.write() as conn:
            grant_access(conn, f"new.{setting}@example.org", "link-professional", setting=setting)

    n = iter(range(10_000))
    return {
        "people.read": lambda p, s: person_status(ws, p, TODAY),
        "people.write": lambda p, s: add_person(
            store, programme, f"New Person {next(n)}", setting=s, position="staff"
        ),
        "completions.record": lambda p, s: record_completion(
            store, programme, p, "awareness", TODAY, recorded_by="t", today=TODAY
        ),
        "delivery.manage": lambda p, s: (
            s and add_action_plan(store, s, "Plan", TODAY, created_by="t")
        ),
        "awards.grant": lambda p, s: award_role(ws, p, "link-professional", TODAY, granted_by="t"),
        "settings.manage": lambda p, s: (
            add_membership(store, programme, s, TODAY, recorded_by="t") if s else None
        ),
        "reports.read": lambda p, s: report(Scope("setting", s) if s else Scope()),
        "access.manage": lambda p, s: grant(s) if s else None,
    }


def test_the_api_itself_refuses_what_the_matrix_forbids(world):
    """Real API calls (not the CLI) for each actor and scope: allowed ones pass the guard."""
    ws, ids = world
    policy = default_policy()
    calls = _api_calls(ws, ids)
    exercised = 0
    for role in ACTORS:
        targets = _targets(role, ids)
        for action, call in calls.items():
            for scope in ("own", "other"):
                target = targets[scope]
                person, setting = target.get("person"), target.get("setting")
                if role == "learner" and action != "people.read":
                    setting = "brook" if scope == "own" else "oak"
                expected = policy.allows(role, action, scope)
                with _as(ws, role):
                    try:
                        call(person, setting)
                        outcome = True
                    except (PermissionDenied, NotFound) as err:
                        if expected:
                            raise AssertionError((role, action, scope, err.message)) from None
                        outcome = False
                    except ImatterError:
                        outcome = True  # refused by a rule after the access check passed
                if role == "learner" and action != "people.read":
                    expected = policy.allows(role, action, scope)
                assert outcome == expected, (role, action, scope)
                exercised += 1
    assert exercised == len(ACTORS) * len(calls) * 2


def test_a_guessed_id_looks_exactly_like_a_missing_one(world):
    from imatter.api import person_status
    from imatter.records import completion_history

    ws, ids = world
    with _as(ws, "setting-lead"):
        for look in (
            lambda p: person_status(ws, p, TODAY),
            lambda p: completion_history(ws.store, p),
        ):
            with pytest.raises(NotFound) as hidden:
                look(ids["oak"])
            with pytest.raises(NotFound) as missing:
                look(999_999)
            assert re.sub(r"\d+", "N", hidden.value.message) == re.sub(
                r"\d+", "N", missing.value.message
            )
            with pytest.raises(NotFound):
                look("otto@example.org")  # by email too
        # Their own setting's people are there.
        assert person_status(ws, ids["brook"], TODAY)["name"] == "Bea Brook"


def test_lists_show_only_what_the_actor_may_see(world):
    from imatter.api import eligibility_table
    from imatter.records import list_people

    ws, ids = world
    with _as(ws, "setting-lead"):
        names = {p.name for p in list_people(ws.store)}
        assert "Bea Brook" in names and "Otto Oak" not in names and "Nia Nowhere" not in names
        assert set(eligibility_table(ws, TODAY).index) <= {
            ids["lead"],
            ids["link"],
            ids["learner"],
            ids["brook"],
        }
    with _as(ws, "learner"):
        assert [p.name for p in list_people(ws.store)] == ["Lark Learner"]
    with _as(ws, "admin"):
        assert len(list_people(ws.store)) == 6


def test_an_identity_without_a_grant_or_record_is_refused(world):
    ws, _ = world
    with ws.store.read() as conn, pytest.raises(PermissionDenied, match="has no access"):
        actor_for(conn, "stranger@example.org")


def test_the_last_admin_cannot_lock_everyone_out(world):
    from imatter.trust.access import list_grants, revoke_access

    ws, _ = world
    with _as(ws, "admin"), ws.store.write() as conn:
        admins = [g for g in list_grants(conn) if g.role == "admin"]
        revoke_access(conn, admins[0].id)  # the first admin: another one remains
        with pytest.raises(PermissionDenied, match="last organisation admin"):
            revoke_access(conn, admins[1].id)


def test_a_malformed_permissions_file_names_the_line(tmp_path):
    from imatter.trust.access import PolicyError

    text = policy_path().read_text(encoding="utf-8").replace("[own]", "[own, everywhere]", 1)
    with pytest.raises(PolicyError, match=r"permissions.yml:\d+: 'people.read' for setting-lead"):
        parse_policy(text, "permissions.yml")


def test_cli_acts_as_the_identity_given(run_cli, tmp_path):
    assert run_cli("init")[0] == 0
    assert run_cli("setting", "add", "brook", "--name", "Brook Primary", "--pupils", "200")[0] == 0
    assert run_cli("setting", "add", "oak", "--name", "Oak Academy", "--pupils", "300")[0] == 0
    assert (
        run_cli("person", "add", "Otto Oak", "--email", "otto@example.org", "--setting", "oak")[0]
        == 0
    )
    code, out, _ = run_cli(
        "access", "grant", "lead@example.org", "--role", "setting-lead", "--setting", "brook"
    )
    assert code == 0 and out.strip().startswith("Granted setting-lead in brook to lead@example.org")
    # The person who set up access (IMATTER_USER=tester) became its first admin.
    code, out, _ = run_cli("access", "list")
    assert "tester" in out and "admin" in out
    code, _, err = run_cli("--as", "lead@example.org", "status", "otto@example.org")
    assert code == 1
    assert err.strip() == (
        "Error: no person 'otto@example.org' (give an id or an email); see `imatter person list`"
    )
    code, _, err = run_cli(
        "--as", "lead@example.org", "setting", "add", "elm", "--name", "Elm", "--pupils", "10"
    )
    assert code == 1 and "may not add settings" in err
    code, _, err = run_cli("--as", "nobody@example.org", "person", "list")
    assert code == 1 and "'nobody@example.org' has no access to these records" in err
    code, out, _ = run_cli(
        "access", "check", "lead@example.org", "people.read", "--setting", "brook"
    )
    assert code == 0 and "may people.read setting brook" in out
    code, out, _ = run_cli("access", "matrix")
    assert code == 0 and "people.read" in out and "setting-lead" in out


def test_groups_and_sessions_of_another_setting_look_missing(world):
    import datetime as dt

    from imatter.delivery.groups.core import cancel_session, enrol, list_groups
    from imatter.records.clock import utcnow
    from imatter.store import schema as t

    ws, ids = world
    with _as(ws, "admin"), ws.store.write() as conn:
        group = {}
        for setting, leader in (("brook", ids["lead"]), ("oak", ids["oak"])):
            group[setting] = conn.execute(
                t.study_groups.insert().values(
                    name=f"{setting} group",
                    course_id="foundation-a",
                    audience="staff",
                    setting_id=setting,
                    term="2026-autumn",
                    leader_id=leader,
                    created_by="t",
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
        session = conn.execute(
            t.group_sessions.insert().values(group_id=group["oak"], held_on=dt.date(2026, 10, 1))
        ).inserted_primary_key[0]
    with _as(ws, "setting-lead"):
        assert [g.id for g in list_groups(ws.store)] == [group["brook"]]
        with pytest.raises(NotFound, match=f"^no study group {group['oak']};"):
            enrol(ws.store, ws.programme, group["oak"], ids["brook"], TODAY)
        with pytest.raises(NotFound, match=f"^no session {session};"):
            cancel_session(ws.store, session, "snow")
    with _as(ws, "link-professional"), pytest.raises(PermissionDenied, match="may not run"):
        enrol(ws.store, ws.programme, group["brook"], ids["brook"], TODAY)


def test_dashboard_kernels_act_as_whoever_started_them(tmp_path):
    import contextvars

    from imatter.dashboards import dashboard_env
    from imatter.trust.access import use_identity

    def started_with_as() -> dict[str, str]:
        use_identity("lead.brook@example.org")  # what `imatter --as ... dashboard` does
        return dashboard_env(workspace=tmp_path)

    env = contextvars.copy_context().run(started_with_as)
    assert env["IMATTER_USER"] == "lead.brook@example.org"
