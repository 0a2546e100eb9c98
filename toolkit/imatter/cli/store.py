"""Store commands: back up the live database safely, restore a checked backup."""

from __future__ import annotations

from pathlib import Path

import click

from .common import workspace


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it already exists.")
@click.pass_context
def backup(ctx: click.Context, file: Path, force: bool) -> None:
    """Copy the live database to FILE (online backup, checked; safe while others write)."""
    from ..trust.backup import backup_database

    result = backup_database(workspace(ctx).store, file, overwrite=force)
    counts = ", ".join(f"{table} {n}" for table, n in result.counts.items())
    click.echo(
        f"Backed up {result.database} to {result.path} "
        f"({result.size:,} bytes, schema {result.schema_version}; {counts})"
    )


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@click.pass_context
def restore(ctx: click.Context, file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE (checked first; the current one is kept)."""
    from ..store import Store
    from ..trust.backup import inspect_backup, inspect_database, restore_database

    # Not opened (nor upgraded) first: the live database may be damaged, or too new.
    store = Store(workspace(ctx).db_url, migrate=False)
    if not yes:
        current = inspect_database(store, file)
        incoming = inspect_backup(file, live=current.path)
        if current.path.exists():
            click.echo(f"This replaces {current.path} ({current.describe()})")
            click.echo(f"with {incoming.path} ({incoming.describe()}).")
            click.echo("The current database is saved beside it first.")
        else:
            click.echo(f"This creates {current.path} from {incoming.path} ({incoming.describe()}).")
        click.confirm("Restore?", abort=True)
    result = restore_database(store, file)
    upgraded = (
        f", upgraded to {result.upgraded_to}" if result.upgraded_to != result.schema_version else ""
    )
    counts = ", ".join(f"{table} {n}" for table, n in result.counts.items())
    click.echo(
        f"Restored {result.source} into {result.database} "
        f"(schema {result.schema_version}{upgraded}; {counts})"
    )
    if result.saved:
        click.echo(f"The previous database is saved as {result.saved}")
