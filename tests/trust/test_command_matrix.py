"""No unguarded command: every CLI command and every public API function names its permission in
permissions.yml, and every guarded command refuses, through the real CLI on SQLite and
PostgreSQL, an unknown identity and anyone whose grants hold its action nowhere; a Lead's
command aimed at another setting finds nothing there."""

from __future__ import annotations

import importlib
import inspect

import click
import pytest
from imatter.access import default_policy
from imatter.access.policy import OPEN, SELF

from .test_access import ACTORS, _world
from .test_seams_access import STRANGER, _refused

# The public API: what a notebook, a dashboard or a script imports to act on the records.
API_MODULES = (
    "imatter.api",
    "imatter.records",
    "imatter.groups",
    "imatter.credentials",
    "imatter.privacy",
    "imatter.reports",
    "imatter.exports",
    "imatter.impact",
    "imatter.audit",
    "imatter.takestock",
    "imatter.licences",
    "imatter.directory",
    "imatter.clusters",
    "imatter.assess.course_dir",
    "imatter.assess.release",
    "imatter.assess.collect",
    "imatter.assess.autograde",
    "imatter.assess.marking",
    "imatter.assess.results",
    "imatter.assess.feedback",
    "imatter.assess.moderate",
    "imatter.assess.sync",
)


def command_paths() -> dict[str, click.Command]:
    """Every command a user can run, by path ("keys rotate"); a group that runs on its own
    (`imatter licences`) counts as a command too."""
    from imatter.cli import cli

    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            if path and command.invoke_without_command:
                found[" ".join(path)] = command
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
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
    from imatter.access import policy as policy_module

    assert run_cli("init")[0] == 0
    real = default_policy()
    commands = {k: v for k, v in real.commands.items() if k != "person list"}
    monkeypatch.setattr(
        policy_module,
        "default_policy",
        lambda: policy_module.Policy(real.actors, real.actions, real.allowed, commands, real.api),
    )
    import imatter.access.gate as gate

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
    return args


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
    refusals = 0
    for path, command in sorted(command_paths().items()):
        action = policy.commands[path]
        if action == OPEN:
            continue
        args = _args(path, command, files)
        for who in ("stranger", "learner", "link-professional", "setting-lead"):
            if who != "stranger" and _may_attempt(who, action):
                continue
            code, out, err = cli(who, *args)
            assert (code, out, err.strip()) == (1, "", _refused(who, path)), (who, args)
            refusals += 1
    with ws.store.read() as conn:
        after = conn.execute(sa.select(sa.func.max(t.audit_log.c.seq))).scalar_one()
    assert after == before  # nothing was written by anyone refused
    assert refusals > 100
