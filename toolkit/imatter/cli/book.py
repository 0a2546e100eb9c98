"""`imatter book` (build and preview the course book) and `imatter module` (author courses)."""

from __future__ import annotations

from pathlib import Path

import click

root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    help="The book's folder, with _config.yml (default: found from the current folder).",
)


def _project(ctx: click.Context, root: str | None):  # type: ignore[no-untyped-def]
    from ..book.project import find_project

    obj = ctx.find_root().obj or {}
    return find_project(root, obj.get("programme"))


# ----------------------------------------------------------------------------- book
@click.group()
def book() -> None:
    """Build, preview and check the course book (Jupyter Book 1, works offline)."""


@book.command("build")
@root_option
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Notebooks run at once (default: CPUs)."
)
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
@click.option("--strict", is_flag=True, help="Treat Sphinx warnings as errors.")
@click.option("--verbose", "-v", is_flag=True, help="Show how long each step took.")
@click.option(
    "--public",
    type=click.Path(file_okay=False, exists=True),
    help="A folder copied into the site as public/ (default: the workspace's public/, if any).",
)
@click.pass_context
def book_build(
    ctx: click.Context,
    root: str | None,
    jobs: int | None,
    force: bool,
    strict: bool,
    verbose: bool,
    public: str | None,
) -> None:
    """Generate the contents from the catalogue, run changed notebooks, build the HTML."""
    from ..book.build import build_book
    from ..book.execute import skip_optional_iri_checker

    skip_optional_iri_checker()
    project = _project(ctx, root)
    public_dir = Path(public) if public else None
    workspace = (ctx.find_root().obj or {}).get("workspace")
    if public_dir is None and workspace and (Path(workspace) / "public").is_dir():
        public_dir = Path(workspace) / "public"
    result = build_book(
        project, jobs=jobs, force=force, public=public_dir, strict=strict, echo=click.echo
    )
    if verbose:
        click.echo(", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    if result.skipped:
        click.echo(f"Nothing changed: the book in {result.html_dir} is up to date.")
        return
    ran = f"; ran {len(result.executed)} notebook(s)" if result.executed else ""
    click.echo(f"Built {result.index} in {result.seconds:.1f} s{ran}.")


@book.command("toc")
@root_option
@click.pass_context
def book_toc(ctx: click.Context, root: str | None) -> None:
    """Write _toc.yml and book/catalogue/ from the catalogue (for a plain jupyter-book build)."""
    from ..book.build import generate_sources

    project = _project(ctx, root)
    _toc, written = generate_sources(project)
    click.echo(f"Wrote {project.toc_path} ({len(written)} file(s) changed).")


@book.command("serve")
@root_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--build/--no-build", default=True, show_default=True, help="Build first.")
@click.option(
    "--reload/--no-reload",
    default=True,
    show_default=True,
    help="Rebuild and reload open pages when a source changes.",
)
@click.pass_context
def book_serve(
    ctx: click.Context, root: str | None, host: str, port: int, build: bool, reload: bool
) -> None:
    """Preview the book in your browser; it rebuilds and reloads when you save a change
    (Ctrl+C stops it)."""
    from ..book.serve import check_port, make_server, serve_live, server_url

    project = _project(ctx, root)
    check_port(host, port)  # before a long build: say at once if the port is taken
    if build:
        ctx.invoke(
            book_build, root=root, jobs=None, force=False, strict=False, verbose=False, public=None
        )
    if reload:
        programme = (ctx.find_root().obj or {}).get("programme")
        try:
            serve_live(project, host, port, programme, echo=click.echo)
        except KeyboardInterrupt:
            click.echo("Stopped.")
        return
    server = make_server(project.html_dir, host, port)
    click.echo(f"Serving {project.html_dir} at {server_url(server)} (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()


@book.command("audit")
@root_option
@click.pass_context
def book_audit(ctx: click.Context, root: str | None) -> None:
    """Check that the built book requests nothing from any other host."""
    from ..book.build import BuildError
    from ..book.offline import audit_offline

    project = _project(ctx, root)
    if not (project.html_dir / "index.html").is_file():
        raise BuildError(f"{project.html_dir}: no built book; run `imatter book build` first")
    problems = audit_offline(project.html_dir)
    if problems:
        raise BuildError(
            f"the built book would fetch from {len(problems)} place(s) on other hosts",
            details=problems,
        )
    click.echo(f"{project.html_dir}: every page loads only files of its own site.")


# ----------------------------------------------------------------------------- module
@click.group()
def module() -> None:
    """Start, check and tidy course modules (modules/<course id>/)."""


@module.command("new")
@click.argument("course_id")
@root_option
@click.option(
    "--sessions",
    type=click.IntRange(1, 8),
    default=1,
    show_default=True,
    help="How many session notebooks to start with.",
)
@click.option(
    "--add-session",
    is_flag=True,
    help="Add the next session notebook to a course that already has a folder.",
)
@click.pass_context
def module_new(
    ctx: click.Context, course_id: str, root: str | None, sessions: int, add_session: bool
) -> None:
    """Scaffold COURSE_ID (already in programme.yml): course.yml, sessions, and for an
    assessed course a working assessment notebook and rubric; or, with --add-session, add the
    next session to an existing course."""
    from ..book.scaffold import add_session as add
    from ..book.scaffold import new_module

    project = _project(ctx, root)
    if add_session:
        created = add(project, course_id)
    else:
        created = new_module(project, course_id, sessions=sessions)
    for path in created.files:
        click.echo(f"created {path.relative_to(project.root)}")
    for note in created.notes:
        click.echo(note)


@module.command("lint")
@click.argument("course_ids", nargs=-1)
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_context
def module_lint(
    ctx: click.Context, course_ids: tuple[str, ...], root: str | None, as_json: bool, strict: bool
) -> None:
    """Check course metadata, notebooks, images, headings, readability and links."""
    from ..book.execute import skip_optional_iri_checker
    from ..book.lint import LintFailed, format_finding, lint_modules

    skip_optional_iri_checker()
    obj = ctx.find_root().obj or {}
    modules_dir, programme = _modules_and_programme(root, obj.get("programme"))
    findings = lint_modules(modules_dir, programme, only=course_ids or None)
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    if as_json:
        from .common import emit_json

        emit_json([f.as_dict() for f in findings])
    else:
        for finding in findings:
            click.echo(format_finding(finding, modules_dir.parent))
        click.echo(f"{len(errors)} error(s), {len(warnings)} warning(s).")
    if errors or (strict and warnings):
        raise LintFailed(
            f"module lint found {len(errors)} error(s)"
            + (f" and {len(warnings)} warning(s)" if strict else "")
        )


def _modules_and_programme(root: str | None, programme: str | None) -> tuple[Path, Path]:
    """modules/ and programme.yml: from --root, else --programme, else the project found."""
    if programme and not root:
        path = Path(programme)
        return path.parent, path
    from ..book.project import find_project

    project = find_project(root, programme)
    return project.modules_dir, project.programme_path


@module.command("strip")
@click.argument("targets", nargs=-1)
@root_option
@click.pass_context
def module_strip(ctx: click.Context, targets: tuple[str, ...], root: str | None) -> None:
    """Remove outputs from notebooks (course ids or paths; default: every module).

    Cells marked `# NBVAL_CHECK_OUTPUT` keep their outputs: the tests compare against them.
    """
    from ..book.lint import strip_notebooks

    obj = ctx.find_root().obj or {}
    modules_dir, _programme = _modules_and_programme(root, obj.get("programme"))
    changed = strip_notebooks(modules_dir, targets)
    for path in changed:
        click.echo(f"stripped {path}")
    click.echo(f"{len(changed)} notebook(s) changed.")
