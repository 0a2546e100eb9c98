"""Commands for access (who may do what) and the audit log (verify, seal, show)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from .common import emit_json, json_option, table, workspace


# ----------------------------------------------------------------------------- access
@click.group()
def access() -> None:
    """Who may see and change which records."""


@access.command("grant")
@click.argument("identity")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "setting-lead", "link-professional"]),
    help="What they may do (see `imatter access matrix`).",
)
@click.option("--setting", "setting_id", help="The setting a Lead or Link Professional works in.")
@click.pass_context
def access_grant(ctx: click.Context, identity: str, role: str, setting_id: str | None) -> None:
    """Give IDENTITY (an email or login name) a role, in a setting where the role needs one."""
    from ..trust.access import grant_access

    ws = workspace(ctx)
    with ws.store.write() as conn:
        grant_id = grant_access(conn, identity, role, setting=setting_id)
    where = f" in {setting_id}" if setting_id else ""
    click.echo(f"Granted {role}{where} to {identity} (grant {grant_id})")


@access.command("revoke")
@click.argument("grant_id", type=int)
@click.pass_context
def access_revoke(ctx: click.Context, grant_id: int) -> None:
    """Revoke a grant (it stays in the history)."""
    from ..trust.access import revoke_access

    ws = workspace(ctx)
    with ws.store.write() as conn:
        revoke_access(conn, grant_id)
    click.echo(f"Revoked grant {grant_id}")


@access.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked grants.")
@json_option
@click.pass_context
def access_list(ctx: click.Context, include_revoked: bool, as_json: bool) -> None:
    """List grants."""
    from ..trust.access import list_grants

    ws = workspace(ctx)
    with ws.store.read() as conn:
        grants = list_grants(conn, include_revoked=include_revoked)
    if as_json:
        emit_json([asdict(g) for g in grants])
        return
    if not grants:
        click.echo("No grants: this is a single-user database, and whoever opens it is its admin.")
        return
    rows = [
        (
            g.id,
            g.identity,
            g.role,
            g.setting_id or "",
            g.granted_by,
            "revoked" if g.revoked_at else "",
        )
        for g in grants
    ]
    click.echo(table(rows, ["grant", "identity", "role", "setting", "granted by", "state"]))


@access.command("check")
@click.argument("identity")
@click.argument("action")
@click.option("--person", help="A person's id or email.")
@click.option("--setting", "setting_id", help="A setting id.")
@click.pass_context
def access_check(
    ctx: click.Context, identity: str, action: str, person: str | None, setting_id: str | None
) -> None:
    """Say whether IDENTITY may do ACTION to a person or in a setting (exit 1 if not)."""
    from ..errors import PermissionDenied, UsageError
    from ..records.people import resolve_person
    from ..trust.access import actor_for, allowed, default_policy, require

    if action not in default_policy().actions:
        raise UsageError(
            f"unknown action '{action}'; use one of: {', '.join(default_policy().actions)}"
        )
    ws = workspace(ctx)
    with ws.store.read() as conn:
        require(conn, "access.manage")
        person_id = resolve_person(conn, person) if person else None
        actor = actor_for(conn, identity)
        ok = allowed(conn, action, person=person_id, setting=setting_id, actor=actor)
    target = f"person {person_id}" if person_id else f"setting {setting_id}" if setting_id else ""
    if not ok:
        raise PermissionDenied(f"{actor.describe()} may not {action} {target}".rstrip())
    click.echo(f"{actor.describe()} may {action} {target}".rstrip())


@access.command("matrix")
@json_option
def access_matrix(as_json: bool) -> None:
    """Print the permission matrix (actor x action x scope)."""
    from ..trust.access import default_policy

    policy = default_policy()
    if as_json:
        emit_json(
            [
                dict(zip(("actor", "action", "scope", "allowed"), c, strict=True))
                for c in policy.cells()
            ]
        )
        return
    actors = list(policy.actors)
    rows = [
        [action]
        + [
            ",".join(sorted(policy.scopes(a, action), key="own other none".split().index)) or "-"
            for a in actors
        ]
        for action in policy.actions
    ]
    click.echo(table(rows, ["action", *actors]))
    click.echo(
        "\nScopes: own = the actor's own setting (a learner: their own record); other = "
        "another setting or person; none = no setting, or the whole organisation."
    )


# ----------------------------------------------------------------------------- audit
@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@click.option(
    "--head",
    "heads",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A head file written by `imatter audit seal --out` and kept elsewhere (repeatable).",
)
@click.option(
    "--chain-only",
    is_flag=True,
    help="Check the chain and seals only, not every record against it (faster on big stores).",
)
@json_option
@click.pass_context
def audit_verify(
    ctx: click.Context, heads: tuple[Path, ...], chain_only: bool, as_json: bool
) -> None:
    """Check the whole chain and every record against it; name the first bad one. Exit 1 if
    anything is wrong."""
    from ..trust.audit import AuditError, verify

    report = verify(workspace(ctx), list(heads), records=not chain_only)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "records": report.records,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "seals_checked": report.seals_checked,
                "first_bad": report.first_bad,
                "problem": report.problem,
            }
        )
    if not report.ok:
        raise AuditError(f"audit log NOT intact: {report.problem}")
    if not as_json:
        click.echo(
            f"Audit log intact: {report.records} records, head {report.head_seq} "
            f"{report.head_hash[:16]}…, {report.seals_checked} signed head(s) checked"
        )
        for note in report.notes:
            click.echo(f"Note: {note}")


@audit.command("seal")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the signed head to this file; keep it somewhere else.",
)
@click.pass_context
def audit_seal(ctx: click.Context, out: Path | None) -> None:
    """Sign the log's current head with the issuer key."""
    from ..trust.audit import seal

    head = seal(workspace(ctx), out)
    click.echo(f"Sealed record {head.seq} ({head.hash[:16]}…) with {head.key_id}")
    if out:
        click.echo(f"Wrote {out}: keep it away from this computer")


@audit.command("show")
@click.option("--last", "limit", type=int, default=20, show_default=True)
@json_option
@click.pass_context
def audit_show(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The latest records: who, when, what table and row (never the content)."""
    from ..trust.audit import recent

    rows = recent(workspace(ctx), limit)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [(r.seq, r.at, r.actor, r.action, r.tbl, r.row_key) for r in rows],
            ["seq", "at", "actor", "action", "table", "row"],
        )
    )
