"""No unguarded command: every CLI command and every public API function names its permission in
permissions.yml, and every guarded command refuses, through the real CLI on SQLite and
PostgreSQL, an unknown identity and anyone whose grants hold its action nowhere; a Lead's
command aimed at another setting finds nothing there."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import click
import pytest
from imatter.trust.access import default_policy
from imatter.trust.access.policy import OPEN, SELF

from .test_access import ACTORS, _world
from .test_seams_access import STRANGER, _refused

# The public API: what a notebook, a dashboard or a script imports to act on the records.
API_MODULES = (
    "imatter.api",
    "imatter.records",
    "imatter.delivery.groups",
    "imatter.credentials",
    "imatter.trust.privacy",
    "imatter.reports",
    "imatter.exports",
    "imatter.impact",
    "imatter.trust.audit",
    "imatter.delivery.takestock",
    "imatter.delivery.licences",
    "imatter.delivery.directory",
    "imatter.delivery.clusters",
    "imatter.assess.course_dir",
    "imatter.assess.release",
    "imatter.assess.collect",
    "imatter.assess.autograde",
    "imatter.assess.marking",
    "imatter.assess.results",
    "imatter.assess.feedback",
    "imatter.assess.moderate",
    "imatter.assess.sync",
    # every use-case module (imatter/services/*.py) is API by definition
    *sorted(
        f"imatter.services.{p.stem}"
        for p in (Path(__file__).resolve().parents[2] / "toolkit/imatter/services").glob("*.py")
        if not p.name.startswith("_")
    ),
)


def command_paths() -> dict[str, click.Command]:
    """Every command a user can run, by path ("keys rotate"); a group that runs on its own
    (`imatter licences`) counts as a command too, and so does every hidden alias."""
    from imatter.cli import HIDDEN_ALIASES, cli

    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            if path and command.invoke_without_command:
                found[" ".join(path)] = command
            ctx = click.Context(command)
            names = command.list_commands(ctx)
            if not path:
                names = [*names, *HIDDEN_ALIASES]  # old spellings still run: guard them too
            for name in names:
                walk(command.get_command(ctx, name), [*path, name])  # type: ignore[arg-type]
        else:
            found[" ".join(path)] = command

    walk(cli, [])
    return found


def public_api() -> set[str]:
    """Every public function of the API modules: their `__all__`, else what they define."""
    names = set()
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            exported = [
                n
                for n, v in vars(module).items()
                if not n.startswith("_")
                and (inspect.isfunction(v) or inspect.isclass(v))
                and v.__module__ == module_name
                and not _plain_data(v)
            ]
        for name in exported:
            value = getattr(module, name)
            if inspect.isfunction(value) or (inspect.isclass(value) and not _plain_data(value)):
                names.add(f"{module_name}.{name}")
    return names


def _plain_data(value: object) -> bool:
    """Frozen dataclasses, enums and exceptions carry results; they act on nothing."""
    import dataclasses
    import enum

    return inspect.isclass(value) and (
        dataclasses.is_dataclass(value)
        or issubclass(value, enum.Enum | BaseException | tuple | dict)
    )


def test_every_command_names_its_permission():
    policy = default_policy()
    paths = set(command_paths())
    missing = sorted(paths - set(policy.commands))
    assert not missing, f"commands with no entry under `commands:` in permissions.yml: {missing}"
    stale = sorted(set(policy.commands) - paths)
    assert not stale, f"permissions.yml names commands that do not exist: {stale}"


def test_every_public_api_function_names_its_permission():
    policy = default_policy()
    functions = public_api()
    missing = sorted(functions - set(policy.api))
    assert not missing, f"public API with no entry under `api:` in permissions.yml: {missing}"
    stale = sorted(set(policy.api) - functions)
    assert not stale, f"permissions.yml names API functions that do not exist: {stale}"


def test_a_command_with_no_matrix_entry_does_not_run(monkeypatch, run_cli):
    """The CLI itself refuses to run a command the matrix does not name."""
    import imatter.trust.access.gate as gate
    from imatter.trust.access import policy as policy_module

    assert run_cli("init")[0] == 0
    real = default_policy()
    commands = {k: v for k, v in real.commands.items() if k != "person list"}
    monkeypatch.setattr(
        policy_module,
        "default_policy",
        lambda: policy_module.Policy(real.actors, real.actions, real.allowed, commands, real.api),
    )
    monkeypatch.setattr(gate, "default_policy", policy_module.default_policy)
    code, out, err = run_cli("person", "list")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "Error: `imatter person list` names no permission in imatter/data/permissions.yml "
        "(commands:); it cannot run until it does"
    )


# ------------------------------------------------------------------ every guarded command
VALUES = {
    # argument or option name -> a value of the right shape (targets in brook, Lead's own)
    "setting_id": "brook",
    "setting": "brook",
    "person": "1",
    "person_ref": "1",
    "people": "1",
    "ident": "some-id",
    "award_id": "some-id",
    "assessment_id": "foundation-a",
    "reference": "FAM-0001",
    "role_id": "link-professional",
    "role": "link-professional",
    "course_id": "foundation-a",
    "cluster_id": "north",
    "term": "2026-27",
    "leader": "1",
    "trainer": "1",
    "reason": "a reason",
    "position": "teacher",
    "name": "Somebody",
    "day": "2026-10-01",
    "start": "2026-01-01",
    "end": "2026-12-31",
    "started": "2026-01-01",
    "status": "done",
    "by": "someone",
    "identity": "someone@example.org",
    "action": "people.read",
    "pupils": "100",
}


def _args(path: str, command: click.Command, files: dict[str, str]) -> list[str]:
    """The command's path and a value for each required argument and option."""
    args = path.split()
    for param in command.params:
        if not param.required:
            continue
        value = VALUES.get(param.name or "", "1" if param.type is click.INT else "x")
        if isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        elif isinstance(param.type, click.Path):
            value = files["dir"] if not param.type.dir_okay or param.type.file_okay else ""
            value = files["file"] if param.type.file_okay else files["dir"]
        elif param.type is click.INT:
            value = "1"
        if isinstance(param, click.Option):
            args += [param.opts[0], value]
        else:
            args += [value] * (1 if param.nargs in (1, -1) else param.nargs)
    if path.startswith("assess "):
        args[1:1] = ["-g", "brook"]
    return args + EXTRA.get(path, [])


# Options that are required together (click cannot say so): without them, a usage error.
EXTRA = {
    "group schedule": ["--date", "2026-10-01"],
    "assess quarantine clear": ["--all"],
    "credential certificate": ["x"],
    "credential issue": ["x"],
}


def _may_attempt(role: str, action: str) -> bool:
    policy = default_policy()
    if action.startswith(SELF):
        return True  # everyone in the world has a record
    return bool(policy.scopes(role, action))


@pytest.fixture(params=["sqlite", "postgresql"])
def world_cli(request, tmp_path, monkeypatch, run_cli):
    ws = request.getfixturevalue("ws" if request.param == "sqlite" else "pg_ws")
    monkeypatch.setenv("IMATTER_USER", "setup-admin")
    ids = _world(ws)
    db = [] if request.param == "sqlite" else ["--db", ws.store.url]
    (tmp_path / "in.csv").write_text("x\n", encoding="utf-8")
    files = {"file": str(tmp_path / "in.csv"), "dir": str(tmp_path / "out")}

    def cli(who: str, *args: str) -> tuple[int, str, str]:
        identity = STRANGER if who == "stranger" else ACTORS[who]
        return run_cli("-w", str(ws.path), *db, "--as", identity, *args)

    return ws, ids, cli, files


def test_every_guarded_command_refuses_who_may_not_attempt_it(world_cli):
    """An unknown identity, and each actor whose grants hold the action in no scope, get the
    exact refusal line and nothing is printed; the store is unchanged."""
    ws, _ids, cli, files = world_cli
    policy = default_policy()
    with ws.store.read() as conn:
        import sqlalchemy as sa
        from imatter.store import schema as t

        before = conn.execute(sa.select(sa.func.max(t.audit_log.c.seq))).scalar_one()
    refusals, wrong = 0, []
    for path, command in sorted(command_paths().items()):
        action = policy.commands[path]
        if action == OPEN:
            continue
        args = _args(path, command, files)
        for who in ("stranger", "learner", "link-professional", "setting-lead"):
            if who != "stranger" and _may_attempt(who, action):
                continue
            code, out, err = cli(who, *args)
            if (code, out, err.strip()) != (1, "", _refused(who, path)):
                wrong.append(
                    f"{who}: imatter {' '.join(args)} -> {code} {out[:80]!r} {err[:200]!r}"
                )
            refusals += 1
    assert not wrong, "\n".join(wrong)
    with ws.store.read() as conn:
        after = conn.execute(sa.select(sa.func.max(t.audit_log.c.seq))).scalar_one()
    assert after == before  # nothing was written by anyone refused
    assert refusals > 100


# ------------------------------------------------------------------ a Lead aimed at another setting
def _oak_records(ws, ids, cli) -> dict[str, str]:
    """Records in oak (the other setting) for a brook Lead to aim at."""
    from imatter.delivery.takestock import record_self_review
    from imatter.records import record_completion
    from imatter.records.clock import utcnow
    from imatter.services.awards import award_role
    from imatter.store import schema as t

    from ..conftest import TODAY
    from .test_seams_access import _as

    otto = ids["oak"]
    with _as(ws, "admin"):
        completion = None
        for course in ("foundation-a", "foundation-b"):
            completion = record_completion(
                ws.store, ws.programme, otto, course, TODAY, recorded_by="t", today=TODAY
            )
        award = award_role(ws, otto, "link-professional", TODAY, granted_by="t").award_id
        review = record_self_review(
            ws.store, "oak", TODAY, {n: (1, "synthetic") for n in range(1, 8)}, reviewed_by="t"
        )
        with ws.store.write() as conn:
            group = conn.execute(
                t.study_groups.insert().values(
                    name="oak group",
                    course_id="foundation-a",
                    audience="staff",
                    setting_id="oak",
                    term="2026-27",
                    leader_id=otto,
                    created_by="t",
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
            conn.execute(
                t.group_members.insert().values(group_id=group, person_id=otto, enrolled_on=TODAY)
            )
            session = conn.execute(
                t.group_sessions.insert().values(group_id=group, held_on=TODAY)
            ).inserted_primary_key[0]
            plan = conn.execute(
                t.action_plans.insert().values(
                    setting_id="oak",
                    title="Oak plan",
                    created_on=TODAY,
                    created_by="t",
                    status="active",
                )
            ).inserted_primary_key[0]
            item = conn.execute(
                t.action_items.insert().values(
                    plan_id=plan,
                    characteristic=1,
                    action="a",
                    owner="o",
                    due_on=TODAY,
                    status="open",
                )
            ).inserted_primary_key[0]
    assert cli("admin", "assess", "-g", "oak", "init", "--learner", str(otto))[0] == 0
    return {
        "otto": str(otto),
        "completion": str(completion),
        "award": str(award),
        "review": str(review),
        "group": str(group),
        "session": str(session),
        "item": str(item),
    }


def _aimed_at_oak(o: dict[str, str], csv: str) -> dict[str, list[str]]:
    """For each command a Lead may attempt: the same command aimed at oak's records."""
    g, p = o["group"], o["otto"]
    return {
        "apply add": ["apply", "add", p, "link-professional"],
        "nomination add": ["nomination", "add", p, "link-professional"],
        "assess autograde": ["assess", "-g", "oak", "autograde", "foundation-a"],
        "assess collect": ["assess", "-g", "oak", "collect", "foundation-a", csv],
        "assess feedback": ["assess", "-g", "oak", "feedback", "foundation-a"],
        "assess generate": ["assess", "-g", "oak", "generate", "foundation-a"],
        "assess init": ["assess", "-g", "oak", "init", "--learner", p],
        "assess learners": ["assess", "-g", "oak", "learners"],
        "assess mark": ["assess", "-g", "oak", "mark", "foundation-a", "--list"],
        "assess moderate": ["assess", "-g", "oak", "moderate", "foundation-a"],
        "assess release": ["assess", "-g", "oak", "release", "foundation-a"],
        "assess status": ["assess", "-g", "oak", "status", "foundation-a"],
        "assess sync": ["assess", "-g", "oak", "sync", "foundation-a"],
        "attendance mark": ["attendance", "mark", g, "--date", "2026-11-28", "--present", p],
        "attendance show": ["attendance", "show", g],
        "attendance template": ["attendance", "template", g],
        "case add": ["case", "add", p, "FAM-0001", "--started", "2026-01-01"],
        "complete correct": ["complete", "correct", o["completion"], "--reason", "r", "--withdraw"],
        "complete history": ["complete", "history", p],
        "complete record": ["complete", "record", p, "awareness"],
        "credential certificate": ["credential", "certificate", o["award"]],
        "credential show": ["credential", "show", o["award"]],
        "directory consent": ["directory", "consent", p],
        "directory withdraw": ["directory", "withdraw", p],
        "export credentials": ["export", "credentials", "oak"],
        "export report": ["export", "report", "--setting", "oak"],
        "export xapi": ["export", "xapi", "--setting", "oak", "-o", csv + ".jsonl"],
        "eligible": ["eligible", "--role", "link-professional", "--setting", "oak"],
        "group cancel": ["group", "cancel", o["session"], "--reason", "snow"],
        "group complete": ["group", "complete", g],
        "group create": [
            "group",
            "create",
            "--course",
            "foundation-a",
            "--term",
            "2026-27",
            "--leader",
            p,
            "--setting",
            "oak",
        ],
        "group enrol": ["group", "enrol", g, p],
        "group event": [
            "group",
            "event",
            "intensive",
            "--trainer",
            p,
            "--person",
            p,
            "--setting",
            "oak",
        ],
        "group leave": ["group", "leave", g, p],
        "group schedule": ["group", "schedule", g, "--date", "2026-12-01"],
        "group show": ["group", "show", g],
        "licences apply": ["licences", "apply", p, "--setting", "oak"],
        "licences check": ["licences", "check", "oak"],
        "person join": ["person", "join", p, "brook", "--position", "teacher"],
        "person update": ["person", "update", p, "--name", "Renamed"],
        "person leave": ["person", "leave", p, "--setting", "oak", "--on", "2026-12-01"],
        "person merge": ["person", "merge", p, p],
        "assess quarantine list": ["assess", "-g", "oak", "quarantine", "list", "foundation-a"],
        "assess quarantine clear": [
            "assess",
            "-g",
            "oak",
            "quarantine",
            "clear",
            "foundation-a",
            "--all",
        ],
        "report": ["report", "--setting", "oak"],
        "status": ["status", p],
        "takestock action": ["takestock", "action", o["item"], "done"],
        "takestock history": ["takestock", "history", "oak"],
        "takestock plan": ["takestock", "plan", o["review"], csv],
        "takestock record": ["takestock", "record", "oak", csv],
        "takestock show": ["takestock", "show", "oak"],
    }


# Filters: another setting's, like a missing one, selects nobody.
SAME_AS_MISSING = {"eligible"}
# Commands that list: aimed at nothing in particular, they show only the Lead's own setting.
LISTS = {
    "credential list": ["credential", "list"],
    "directory consents": ["directory", "consents"],
    "group list": ["group", "list"],
    "licences": ["licences"],
    "licences applications": ["licences", "applications"],
    "licences renewals": ["licences", "renewals"],
    "licences report": ["licences", "report"],
    "person list": ["person", "list"],
    "assess learners": ["assess", "-g", "brook", "learners"],
    "eligible": ["eligible", "--role", "link-professional"],
    "nomination list": ["nomination", "list"],
    "complete check": ["complete", "check"],
}
# Commands a Lead may attempt whose target is not a setting's record (read from files, or the
# whole directory / a cluster the Lead may not see), covered elsewhere.
NOT_AIMED = {
    "attendance import",  # each row's group is checked as `attendance mark` is
    "complete import",  # each row's person is checked as `complete record` is
    "person import",  # imports into the Lead's own setting (helper "imports")
    "person add",  # adds to the Lead's own setting
    "impact collect",  # pseudonymous answers: no setting
    "impact report",  # pseudonymous, suppressed small groups
    "directory page",  # only people who consented to be listed
    "cluster list",
    "cluster-view",
    "cluster view",
    "dashboard",  # serves kernels that act as the Lead (test_access)
    "setting list",  # settings' names are public
}


def test_a_lead_aimed_at_another_setting_finds_nothing_there(world_cli):
    """Every command a setting Lead may attempt, aimed at oak's records, is refused (exit 1)
    and prints nothing of oak's people; lists show only brook's."""
    ws, ids, cli, files = world_cli
    oak = _oak_records(ws, ids, cli)
    policy = default_policy()
    aimed = _aimed_at_oak(oak, files["file"])
    attemptable = {
        path
        for path, action in policy.commands.items()
        if action != OPEN and _may_attempt("setting-lead", action)
    }
    assert attemptable <= set(aimed) | set(LISTS) | NOT_AIMED, attemptable - (
        set(aimed) | set(LISTS) | NOT_AIMED
    )
    wrong = []
    for path, args in sorted(aimed.items()):
        code, out, err = cli("setting-lead", *args)
        if path in SAME_AS_MISSING:
            # A filter that finds nothing: exactly what a setting that does not exist gives.
            if (code, out, err) != cli("setting-lead", *[a.replace("oak", "elm") for a in args]):
                wrong.append(f"imatter {' '.join(args)} differs from a missing setting")
            continue
        if code == 0 or "Otto" in out + err:
            wrong.append(f"imatter {' '.join(args)} -> {code} {out[:100]!r} {err[:160]!r}")
    for args in LISTS.values():
        code, out, err = cli("setting-lead", *args)
        if "Otto" in out + err or "oak" in out:
            wrong.append(f"imatter {' '.join(args)} -> {code} {out[:100]!r} {err[:160]!r}")
    assert not wrong, "\n".join(wrong)


def test_a_learner_aimed_at_another_learner_finds_nothing(world_cli):
    """Every command a learner may attempt, aimed at another learner of their own setting, is
    refused and prints nothing of them; lists show only the learner themselves."""
    from imatter.records import record_completion
    from imatter.services.awards import award_role

    from ..conftest import TODAY
    from .test_seams_access import _as

    ws, ids, cli, files = world_cli
    bea = str(ids["brook"])
    with _as(ws, "admin"):
        for course in ("foundation-a", "foundation-b"):
            record_completion(
                ws.store, ws.programme, ids["brook"], course, TODAY, recorded_by="t", today=TODAY
            )
        award = award_role(ws, ids["brook"], "link-professional", TODAY, granted_by="t").award_id
    assert cli("admin", "directory", "consent", bea)[0] == 0
    code, _, err = cli(
        "admin", "assess", "-g", "brook", "init", "--learner", f"{bea},{ids['learner']}"
    )
    assert code == 0, err
    aimed = {
        "apply add": ["apply", "add", bea, "link-professional"],
        "complete history": ["complete", "history", bea],
        "credential certificate": ["credential", "certificate", award],
        "credential show": ["credential", "show", award],
        "directory consent": ["directory", "consent", bea],
        "directory withdraw": ["directory", "withdraw", bea],
        "licences apply": ["licences", "apply", bea, "--setting", "brook"],
        "privacy export": ["privacy", "export", bea, "--out", files["dir"] + ".zip"],
        "status": ["status", bea],
    }
    lists = {
        "assess learners": ["assess", "-g", "brook", "learners"],
        "credential list": ["credential", "list"],
        "directory consents": ["directory", "consents"],
        "group list": ["group", "list"],
        "licences applications": ["licences", "applications"],
        "person list": ["person", "list"],
    }
    not_aimed = {"assess status", "dashboard", "setting list"}  # results: test_seams_access
    policy = default_policy()
    attemptable = {
        path
        for path, action in policy.commands.items()
        if action != OPEN and _may_attempt("learner", action)
    }
    assert attemptable == set(aimed) | set(lists) | not_aimed
    wrong = []
    for args in aimed.values():
        code, out, err = cli("learner", *args)
        if code == 0 or "Bea" in out + err:
            wrong.append(f"imatter {' '.join(args)} -> {code} {out[:100]!r} {err[:160]!r}")
    for args in lists.values():
        code, out, err = cli("learner", *args)
        if "Bea" in out + err:
            wrong.append(f"imatter {' '.join(args)} -> {code} {out[:100]!r} {err[:160]!r}")
    assert not wrong, "\n".join(wrong)
