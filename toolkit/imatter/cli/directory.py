"""`imatter directory`: consent, search, and the static searchable page for the book."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from .common import as_of_option, emit_json, json_option, table, today_or, who, workspace

out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for directory.md and directory.html (default: the book's book/generated/).",
)


@click.group()
def directory() -> None:
    """The directory of Lead Professionals and Trainers who opted in."""


@directory.command("consent")
@click.argument("person")
@click.option("--show-email", is_flag=True, help="They also agreed to show their email.")
@click.option("--on", help="Date consent was given (default today).")
@click.option("--by", help="Who records it (default: you).")
@click.pass_context
def directory_consent(
    ctx: click.Context, person: str, show_email: bool, on: str | None, by: str | None
) -> None:
    """Record that PERSON opted in to the directory."""
    from ..delivery import directory as d

    d.give_consent(
        workspace(ctx).store, person, today_or(on), recorded_by=who(by), show_email=show_email
    )
    click.echo(f"Recorded directory consent for {person}")


@directory.command("withdraw")
@click.argument("person")
@click.option("--on", help="Date consent was withdrawn (default today).")
@out_option
@click.pass_context
def directory_withdraw(ctx: click.Context, person: str, on: str | None, out: Path | None) -> None:
    """Record that PERSON withdrew consent, and regenerate the page if there is one."""
    from ..delivery import directory as d

    ws = workspace(ctx)
    day = today_or(on)
    d.withdraw_consent(ws.store, person, day)
    click.echo(f"Withdrew directory consent for {person}")
    folder = out or d.default_page_folder(ws.programme)
    if (folder / f"{d.PAGE_NAME}.md").exists() or out is not None:
        md, _html = d.publish_directory(ws.store, ws.programme, day, folder)
        click.echo(f"Regenerated {md} without them")


@directory.command("search")
@click.argument("query", required=False)
@click.option("--role", help="Role id or title (school-lead, community-lead, trainer).")
@click.option("--setting", "setting", help="Setting id or name.")
@click.option("--cluster", help="Cluster id or name.")
@click.option("--area", help="Area.")
@as_of_option
@json_option
@click.pass_context
def directory_search(
    ctx: click.Context,
    query: str | None,
    role: str | None,
    setting: str | None,
    cluster: str | None,
    area: str | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Search the directory by name (QUERY), role, setting, cluster or area."""
    from dataclasses import asdict

    from ..delivery import directory as d

    ws = workspace(ctx)
    entries = d.search_directory(
        d.directory_entries(ws.store, ws.programme, today_or(as_of)),
        query,
        role=role,
        setting=setting,
        cluster=cluster,
        area=area,
    )
    if as_json:
        emit_json([asdict(e) for e in entries])
        return
    click.echo(
        table(
            [
                (
                    e.name,
                    ", ".join(e.roles),
                    ", ".join(e.settings),
                    ", ".join(e.clusters),
                    ", ".join(e.areas),
                    e.email or "",
                )
                for e in entries
            ],
            ["name", "roles", "settings", "clusters", "areas", "email"],
        )
    )
    click.echo(f"{len(entries)} found")


@directory.command("page")
@out_option
@as_of_option
@click.pass_context
def directory_page(ctx: click.Context, out: Path | None, as_of: str | None) -> None:
    """Generate the searchable page (self-contained HTML, no CDN) for the book."""
    from ..delivery import directory as d

    ws = workspace(ctx)
    md, page = d.publish_directory(ws.store, ws.programme, today_or(as_of), out)
    click.echo(f"Wrote {md} and {page}")


@directory.command("consents")
@json_option
@click.pass_context
def directory_consents(ctx: click.Context, as_json: bool) -> None:
    """Every consent given and withdrawn (the audit trail)."""
    from ..delivery import directory as d

    rows = d.consents(workspace(ctx).store)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [
                (
                    r.person_id,
                    r.name,
                    r.given_on,
                    r.withdrawn_on or "",
                    "yes" if r.show_email else "no",
                )
                for r in rows
            ],
            ["person", "name", "given", "withdrawn", "email shown"],
        )
    )
