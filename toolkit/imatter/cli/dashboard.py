"""`imatter dashboard`: serve the dashboards with Voila on this computer."""

from __future__ import annotations

from pathlib import Path

import click

from .common import parse_date


@click.command()
@click.argument("name", required=False, type=click.Choice(["lead", "progress", "organisation"]))
@click.option("--port", type=int, default=8866, show_default=True, help="Local port.")
@click.option(
    "--person", help="Open on this person (id or email); a learner's page shows only them."
)
@click.option("--as-of", help="Show the dashboards as on this date (YYYY-MM-DD).")
@click.option(
    "--course-dir",
    "course_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="An nbgrader course folder to count reflections waiting in (repeatable).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.pass_context
def dashboard(
    ctx: click.Context,
    name: str | None,
    port: int,
    person: str | None,
    as_of: str | None,
    course_dirs: tuple[Path, ...],
    no_browser: bool,
) -> None:
    """Serve a dashboard (lead, progress, organisation; default all three) until Ctrl-C.

    Only this computer can open it (it listens on 127.0.0.1).
    """
    from .. import dashboards
    from .common import workspace

    ws = workspace(ctx)  # fails early, with the usual message, if there is no workspace
    parse_date(as_of, "--as-of")
    obj = ctx.find_root().obj or {}
    env = dashboards.dashboard_env(
        workspace=ws.path,
        db=obj.get("db"),
        programme=obj.get("programme") or str(ws.programme_path),
        person=person,
        today=as_of,
        course_dirs=course_dirs,
    )
    click.echo(f"Serving {name or 'the dashboards'} on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    code = dashboards.serve(name, port=port, open_browser=not no_browser, env=env)
    if code not in (0, None):
        raise click.exceptions.Exit(code)
