"""`imatter deploy`: write the JupyterHub, nbgrader and Kubernetes files for a hosted course."""

from __future__ import annotations

from pathlib import Path

import click

from ..deploy import DEFAULT_COURSE_ID
from .common import emit_json, json_option, table

GUIDE = "'Hosting for many learners' in the course book"


@click.group()
def deploy() -> None:
    """Configuration files for hosting the course for many learners (JupyterHub on one
    server, or Zero to JupyterHub on Kubernetes)."""


@deploy.command("list")
@json_option
def deploy_list(as_json: bool) -> None:
    """List the shipped configuration files and what each one is for."""
    from ..deploy import deployment_files

    files = deployment_files()
    if as_json:
        emit_json([{"file": f.name, "purpose": f.purpose} for f in files])
        return
    click.echo(table([(f.name, f.purpose) for f in files], ["file", "purpose"]))


@deploy.command("files")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the files into (created if needed).",
)
@click.option(
    "--course",
    "course_id",
    default=DEFAULT_COURSE_ID,
    show_default=True,
    help="The nbgrader course id the hub serves (lower-case letters, digits and '-').",
)
@click.option("--force", is_flag=True, help="Replace files that already exist.")
def deploy_files(out: Path, course_id: str, force: bool) -> None:
    """Write the configuration files into a folder, with the course id filled in."""
    from ..deploy import write_deployment

    written = write_deployment(out, course_id=course_id, overwrite=force)
    click.echo(f"Wrote {len(written)} files to {out} for course '{course_id}':")
    for path in written:
        click.echo(f"  {path.relative_to(out).as_posix()}")
    click.echo(f"Next: follow {GUIDE}.")
