"""Programme commands: the courses and roles the rules know, and the ids commands take."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from .common import emit_json, json_option, table, workspace

if TYPE_CHECKING:
    from ..programme import Programme


def _programme(ctx: click.Context) -> Programme:
    """The workspace's programme, or (with no workspace) the one --programme names."""
    from ..errors import NotFound
    from ..programme import load_programme

    try:
        return workspace(ctx).programme
    except NotFound:
        return load_programme((ctx.find_root().obj or {}).get("programme"))


@click.command()
@json_option
@click.pass_context
def courses(ctx: click.Context, as_json: bool) -> None:
    """The programme's courses: the ids imports and commands take, and what completes each."""
    from ..api import course_catalogue

    found = course_catalogue(_programme(ctx))
    if as_json:
        emit_json([asdict(c) for c in found])
        return
    rows = [
        (c.id, c.title, c.level, f"{c.hours:g}", ", ".join(c.after) or "-", c.completed_by)
        for c in found
    ]
    click.echo(table(rows, ["id", "title", "level", "hours", "after", "completed by"]))


@click.command()
@json_option
@click.pass_context
def roles(ctx: click.Context, as_json: bool) -> None:
    """The programme's roles and licences: the ids `eligible` and `award` take."""
    from ..api import role_catalogue

    found = role_catalogue(_programme(ctx))
    if as_json:
        emit_json([asdict(r) for r in found])
        return
    rows = [
        (r.id, r.title, r.kind, f"{r.valid_years} years" if r.valid_years else "-") for r in found
    ]
    click.echo(table(rows, ["id", "title", "kind", "valid for"]))
