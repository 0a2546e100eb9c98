"""Privacy rights: export everything held about a person, or erase it."""

from __future__ import annotations

from pathlib import Path

import click

from .common import table, who, workspace

by_option = click.option("--by", help="Who is doing this (default: you).")


@click.group()
def privacy() -> None:
    """A person's rights: export everything held about them, or erase it."""


@privacy.command("export", short_help="Export everything held about a person as a zip.")
@click.argument("person")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The zip file to write (a new file: an existing one is never overwritten).",
)
@by_option
@click.pass_context
def export(ctx: click.Context, person: str, out: str, by: str | None) -> None:
    """Write everything held about PERSON (an id or an email) to a zip of JSON and CSV files."""
    from ..trust.privacy import export_person

    path = export_person(workspace(ctx), person, Path(out), by=who(by))
    click.echo(f"Exported everything held about person {person} to {path}")


@privacy.command("erase", short_help="Erase a person, keeping a pseudonymous record.")
@click.argument("person")
@click.option("--reason", required=True, help="Why (for example: the person asked, by email).")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
@by_option
@click.pass_context
def erase(ctx: click.Context, person: str, reason: str, yes: bool, by: str | None) -> None:
    """Erase PERSON (an id or an email): name, email and area go, every mention is replaced.

    The records stay, under the person's id, so reports and the audit log still add up.
    """
    from ..trust.privacy import describe_person, erase_person

    ws = workspace(ctx)
    if not yes:
        found = describe_person(ws, person, action="privacy.erase")
        if not found["erased"]:
            email = f", {found['email']}" if found["email"] else ""
            click.confirm(
                f"Erase {found['name']} (person {found['id']}{email})? Their name, email and "
                f"area are removed and every mention of them becomes erased-person-{found['id']}."
                " This cannot be undone",
                abort=True,
            )
    result = erase_person(ws, person, reason=reason, erased_by=who(by))
    tables = len(result.changed)
    click.echo(
        f"Erased person {result.person_id}: {result.rows} row(s) changed in {tables} "
        f"table(s); text that named them now says {result.label}"
    )
    click.echo(table(sorted(result.changed.items()), ["table", "rows"]))
    if result.removed_files:
        names = ", ".join(_shown(p, ws.path) for p in result.removed_files)
        click.echo(f"Removed {len(result.removed_files)} file(s): {names}")
    if result.gradebooks:
        names = ", ".join(_shown(p, ws.path) for p in result.gradebooks)
        click.echo(f"Cleaned {len(result.gradebooks)} nbgrader gradebook(s): {names}")
    for note in result.notes:
        click.echo(f"Warning: {note}", err=True)
    if result.backups:
        click.echo(
            f"Warning: {len(result.backups)} backup(s) still hold older copies of these records;"
            " delete them, or keep them only as long as your retention policy allows:",
            err=True,
        )
        for path in result.backups:
            click.echo(f"  {path}", err=True)
    if result.mentions:
        click.echo(
            f"Warning: {len(result.mentions)} other file(s) in the workspace still mention the "
            "person; review them:",
            err=True,
        )
        for path in result.mentions:
            click.echo(f"  {path}", err=True)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
