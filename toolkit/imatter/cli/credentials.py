"""`imatter keys`, `verify`, `revoke` and `credential`: verifiable qualifications.

Thin: parse, call `imatter.credentials`, format. Only this layer reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path

import click

from ..errors import UsageError
from .common import emit_json, json_option, table, today_or, who, workspace


def _now() -> dt.datetime:
    from ..clock import now

    return now().replace(microsecond=0)


def _settings(ctx: click.Context):
    from ..credentials.settings import settings_for

    ws = workspace(ctx)
    return ws, settings_for(ws)


# ----------------------------------------------------------------------------- keys
@click.group()
def keys() -> None:
    """The issuer's signing keys (Ed25519): make, rotate, show the public part."""


@keys.command(name="init")
@click.pass_context
def keys_init(ctx: click.Context) -> None:
    """Make the issuer's signing key and publish its public key."""
    from ..credentials.keys import init_issuer_key

    ws, settings = _settings(ctx)
    store = settings.key_store()
    entry = init_issuer_key(ws, now=_now())
    click.echo(f"Issuer key created: {entry.id}")
    click.echo(f"Private key: {store.key_path} (mode 600; back it up, never share it)")
    click.echo(f"Public key document: {store.document_path} (publish it with the book)")


@keys.command(name="rotate")
@click.pass_context
def keys_rotate(ctx: click.Context) -> None:
    """Replace the signing key; credentials signed with earlier keys stay verifiable."""
    from ..credentials.keys import rotate_issuer_key

    ws, settings = _settings(ctx)
    store = settings.key_store()
    entry = rotate_issuer_key(ws, now=_now())
    retired = [k for k in store.keyring().keys if k.retired is not None]
    click.echo(f"New issuer key: {entry.id}")
    click.echo(
        f"Retired keys still published for earlier credentials: {len(retired)} "
        f"(in {store.document_path})"
    )


@keys.command(name="show")
@json_option
@click.pass_context
def keys_show(ctx: click.Context, as_json: bool) -> None:
    """List the issuer's public keys (never the private key)."""
    _ws, settings = _settings(ctx)
    keyring = settings.key_store().keyring()
    if as_json:
        emit_json(keyring.to_json())
        return
    if not keyring.keys:
        click.echo("No issuer key yet; run `imatter keys init`.")
        return
    rows = [
        (k.id, k.created.date(), k.retired.date() if k.retired else "active") for k in keyring.keys
    ]
    click.echo(f"Issuer: {keyring.issuer_id}")
    click.echo(table(rows, ["key", "created", "retired"]))


# ----------------------------------------------------------------------------- verify
@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The issuer's published key document (issuer.json); default: the workspace's.",
)
@click.option(
    "--status-list",
    "status_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A published status list file (repeatable); default: the workspace's.",
)
@click.option("--at", "at", help="Check validity at this date or UTC time (default now).")
@click.pass_context
def verify(
    ctx: click.Context,
    file: Path,
    keys_file: Path | None,
    status_files: tuple[Path, ...],
    at: str | None,
) -> None:
    """Verify a credential offline: print VALID, or exactly why it is not (exit 1)."""
    from ..credentials.registry import verify_file
    from ..errors import NotFound

    moment = _parse_moment(at) if at else _now()
    ws = None
    if keys_file is None:
        try:
            ws = workspace(ctx)
        except NotFound:
            raise UsageError(
                "no workspace here; pass --keys FILE (the issuer.json published with the "
                "book) and --status-list FILE, or --workspace"
            ) from None
    else:
        try:
            ws = workspace(ctx)
        except NotFound:
            ws = None
    result = verify_file(file, now=moment, ws=ws, keys_file=keys_file, status_files=status_files)
    click.echo("VALID")
    for line in result.lines():
        click.echo(f"  {line}")


def _parse_moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--at '{value}' is not a date or time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# ----------------------------------------------------------------------------- revoke
@click.command()
@click.argument("ident")
@click.option("--reason", required=True, help="Why (kept in the records; required).")
@click.option("--on", "on", help="Date the revocation takes effect (default today).")
@click.option("--by", "revoked_by", help="Who is revoking (default: you).")
@click.pass_context
def revoke(
    ctx: click.Context, ident: str, reason: str, on: str | None, revoked_by: str | None
) -> None:
    """Revoke an award (by award id or credential id) and republish its status list."""
    from ..credentials.registry import revoke as revoke_award

    ws = workspace(ctx)
    with ws.store.write() as conn:
        result = revoke_award(
            ws,
            conn,
            ident,
            reason=reason,
            revoked_by=who(revoked_by),
            revoked_on=today_or(on),
            now=_now(),
        )
    count = len(result["credentials"])
    noun = "credential" if count == 1 else "credentials"
    click.echo(f"Revoked award {result['award_id']} on {result['revoked_on']} ({count} {noun})")
    for status in result["status_lists"]:
        click.echo(f"Published status list: {status['file']}")


# ----------------------------------------------------------------------------- credential
@click.group()
def credential() -> None:
    """Issued credentials: issue, show, list, certificate, publish, verify, revoke."""


@credential.command(name="show")
@click.argument("ident")
@json_option
@click.pass_context
def credential_show(ctx: click.Context, ident: str, as_json: bool) -> None:
    """Show one credential (by credential id or award id)."""
    from ..credentials.registry import credential_details

    ws = workspace(ctx)
    with ws.reading() as conn:
        details = credential_details(ws, conn, ident)
    if as_json:
        emit_json(details)
        return
    until = details["valid_until"] or "no expiry"
    lines = [
        ("Credential", details["id"]),
        ("Person", f"{details['person']} (person {details['person_id']})"),
        ("Role", f"{details['role']} ({details['role_id']}, {details['kind']})"),
        ("Valid", f"{details['valid_from']} to {until}"),
        ("Issued", f"{details['issued_at']} by {details['issuer']}"),
        ("Award", details["award_id"]),
        ("Status", details["status"]),
        ("Status list", f"{details['status_list_url']} index {details['status_index']}"),
        ("Signed by", details["key_id"]),
        ("File", details["path"]),
        ("SHA-256", details["sha256"]),
    ]
    for label, value in lines:
        click.echo(f"{label + ':':<13}{value}")


@credential.command(name="list")
@click.option("--person", "person_id", type=int, help="Only this person's credentials.")
@json_option
@click.pass_context
def credential_list(ctx: click.Context, person_id: int | None, as_json: bool) -> None:
    """List issued credentials, newest first."""
    from ..credentials.registry import list_credentials

    ws = workspace(ctx)
    with ws.store.read() as conn:
        rows = list_credentials(conn, person_id=person_id)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No credentials issued yet.")
        return
    click.echo(
        table(
            [
                (
                    r["id"],
                    r["person"],
                    r["role_id"],
                    r["issued_at"].date(),
                    r["valid_until"] or "",
                    f"revoked {r['revoked_on']}" if r["revoked_on"] else "",
                )
                for r in rows
            ],
            ["credential", "person", "role", "issued", "valid until", "status"],
        )
    )


@credential.command(name="issue")
@click.argument("award_id", required=False)
@click.option("--pending", is_flag=True, help="Issue every award still waiting for a credential.")
@click.pass_context
def credential_issue(ctx: click.Context, award_id: str | None, pending: bool) -> None:
    """Issue a credential for an existing award, or for every pending one (--pending: awards
    made before the issuer key existed, or while the person had no email)."""
    from ..credentials.issue import issue_award_credential, issue_pending

    if pending == bool(award_id):
        raise UsageError("give an AWARD_ID or --pending (not both)")
    ws = workspace(ctx)
    if pending:
        with ws.store.write() as conn:
            issued, waiting = issue_pending(ws, conn, now=_now())
        click.echo(f"Issued {len(issued)} pending credential(s)")
        for row in issued:
            click.echo(f"  {row['id']} for award {row['award_id']}: {row['page']}")
        for item in waiting:
            click.echo(f"  still pending: award {item.award_id} ({item.person}): {item.why}")
        return
    with ws.store.write() as conn:
        row = issue_award_credential(ws, conn, award_id or "", now=_now())
    click.echo(f"Issued {row['id']}")
    click.echo(f"File: {Path(ws.path) / row['file']}")
    click.echo(f"Public page: {row['page']}")


@credential.command(name="pending")
@json_option
@click.pass_context
def credential_pending(ctx: click.Context, as_json: bool) -> None:
    """List awards still waiting for their credential, and why."""
    from ..credentials.issue import pending_awards

    ws = workspace(ctx)
    with ws.store.read() as conn:
        rows = pending_awards(ws, conn)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    if not rows:
        click.echo("No awards are waiting for a credential.")
        return
    click.echo(
        table(
            [(r.award_id, r.person, r.role_id, r.granted_at.date(), r.why) for r in rows],
            ["award", "person", "role", "awarded", "why pending"],
        )
    )


@credential.command(name="certificate")
@click.argument("ident", required=False)
@click.option(
    "--course",
    "completion_id",
    type=int,
    help="A course-completion certificate for this completion (its number).",
)
@click.option(
    "--group",
    "group_id",
    type=int,
    help="Course-completion certificates for every learner of this study group who completed.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Where to write the PDF, or the folder for --group (default <workspace>/certificates/).",
)
@click.pass_context
def credential_certificate(
    ctx: click.Context,
    ident: str | None,
    completion_id: int | None,
    group_id: int | None,
    out: Path | None,
) -> None:
    """Write a printable PDF certificate: of a credential (IDENT: credential or award id), of
    a completed course (--course COMPLETION_ID), or of a whole study group (--group G)."""
    from ..credentials.certificate import (
        certificate_for,
        completion_certificate_for,
        group_certificates,
    )

    if sum(x is not None for x in (ident, completion_id, group_id)) != 1:
        raise UsageError("give one of: a credential or award id, --course COMPLETION_ID, --group G")
    ws = workspace(ctx)
    with ws.store.read() as conn:
        if group_id is not None:
            paths = group_certificates(ws, conn, group_id, folder=out)
            click.echo(f"{len(paths)} course-completion certificate(s) for group {group_id}")
            for path in paths:
                click.echo(f"  {path}")
            return
        if completion_id is not None:
            path = completion_certificate_for(ws, conn, completion_id, out=out)
        else:
            path = certificate_for(ws, conn, ident or "", out=out)
    click.echo(f"Certificate: {path}")


@credential.command(name="publish")
@click.pass_context
def credential_publish(ctx: click.Context) -> None:
    """Re-sign and write the key document and every status list to the public folder."""
    from ..credentials.keys import publish_issuer

    ws, settings = _settings(ctx)
    document, published = publish_issuer(ws, now=_now())
    from ..credentials.pages import publish_pages

    with ws.store.write() as conn:
        pages = publish_pages(ws, conn, today=_now().date())
    click.echo(f"Published key document: {document}")
    for item in published:
        click.echo(f"Published status list: {item['file']}")
    click.echo(f"Published {len(pages)} credential page(s) in {settings.public_folder / 'c'}")
    click.echo(f"Copy {settings.public_folder.parent} into the book's site root.")


# `credential verify` and `credential revoke`; the top-level `verify` and `revoke` stay as
# hidden aliases for one release.
credential.add_command(verify, "verify")
credential.add_command(revoke, "revoke")
