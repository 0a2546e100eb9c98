"""Report, impact and export commands: thin wrappers over imatter.reports, impact and exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..errors import UsageError
from .common import parse_date, today_or, who, workspace

FORMAT_CHOICE = click.Choice(["table", "csv", "xlsx", "html"])
REPORT_NAMES = ("completions", "attendance", "assessments", "roles", "pipeline", "licences")


def _scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--setting", "setting_id", help="Only this setting (school or service)."),
            click.option("--cluster", "cluster_id", help="Only this cluster's settings."),
            click.option("--group", "group_id", help="Only this study group (its number)."),
        ]
    ):
        func = option(func)
    return func


def _period_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--from", "start", help="First day of the period (default: all records)."),
            click.option("--to", "end", help="Last day of the period (default: --as-of)."),
            click.option("--as-of", "as_of", help="Report date (YYYY-MM-DD; default today)."),
        ]
    ):
        func = option(func)
    return func


progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr (default: only when stderr is a terminal).",
)


def _scope(setting_id: str | None, cluster_id: str | None, group_id: str | None):  # type: ignore[no-untyped-def]
    from ..reports import Scope

    given = [
        (k, v)
        for k, v in (("setting", setting_id), ("cluster", cluster_id), ("group", group_id))
        if v
    ]
    if len(given) > 1:
        raise UsageError("choose one of --setting, --cluster and --group")
    if not given:
        return Scope()
    return Scope(*given[0])


def _emit(report, fmt: str, output: str | None, progress: bool | None) -> None:  # type: ignore[no-untyped-def]
    from ..reports.render import render

    if fmt in ("xlsx", "html") and output is None:
        raise UsageError(f"--format {fmt} writes a file: add --output FILE.{fmt}")
    text, files = render(report, fmt, output, progress=progress)
    if text is not None:
        click.echo(text, nl=False)
    for path in files:
        click.echo(f"Wrote {path}", err=text is not None)


def _run_report(ctx: click.Context, names: tuple[str, ...], options: dict[str, Any]) -> None:
    from ..reports import build_report

    ws = workspace(ctx)
    on = today_or(options["as_of"])
    if options["within"] < 0:
        raise UsageError("--within cannot be negative")
    report = build_report(
        ws.store,
        ws.programme,
        _scope(options["setting_id"], options["cluster_id"], options["group_id"]),
        on=on,
        start=parse_date(options["start"], "--from"),
        end=parse_date(options["end"], "--to") or on,
        names=names or None,
        within_days=options["within"],
        progress=options["progress"],
    )
    _emit(report, options["fmt"], options["output"], options["progress"])


def _report_command(name: str, help_text: str, default_format: str = "table") -> click.Command:
    @click.command(name=name, help=help_text)
    @click.argument("names", nargs=-1, type=click.Choice(REPORT_NAMES))
    @_scope_options
    @_period_options
    @click.option(
        "--within",
        default=90,
        show_default=True,
        help="Days ahead that count as 'due' for licences and renewals.",
    )
    @click.option("--format", "fmt", type=FORMAT_CHOICE, default=default_format, show_default=True)
    @click.option("--output", "-o", type=click.Path(), help="File (or folder, for CSV) to write.")
    @progress_option
    @click.pass_context
    def command(ctx: click.Context, names: tuple[str, ...], **options: Any) -> None:
        _run_report(ctx, names, options)

    return command


report = _report_command(
    "report",
    "Reports for the organisation, a --cluster, a --setting or a study --group: NAMES are any "
    f"of {', '.join(REPORT_NAMES)} (default all). Print a table, or write CSV, XLSX or a "
    "self-contained HTML page with charts.",
)


# ----------------------------------------------------------------------------- impact
@click.group()
def impact() -> None:
    """Impact evidence: collect questionnaire answers files and analyse them."""


@impact.command("collect")
@click.argument("folder", type=click.Path(exists=True))
@click.option("--cohort", help="File the answers under this cohort (default: each file's own).")
@click.option(
    "--replace",
    is_flag=True,
    help="Let changed answers replace those collected before for the same code.",
)
@click.option("--by", "collected_by", help="Who is collecting (default: you).")
@progress_option
@click.pass_context
def impact_collect(
    ctx: click.Context,
    folder: str,
    cohort: str | None,
    replace: bool,
    collected_by: str | None,
    progress: bool | None,
) -> None:
    """Read every imatter-answers/<course>-<stage>.json under FOLDER into the records."""
    from ..impact import collect_answers
    from ..records.clock import utcnow

    ws = workspace(ctx)
    result = collect_answers(
        ws.store,
        ws.programme,
        folder,
        cohort=cohort,
        replace=replace,
        collected_by=collected_by or who(),
        collected_at=utcnow(),
        progress=progress,
    )
    click.echo(
        f"Collected {result.files} answers file(s): {result.imported} new, "
        f"{result.replaced} replaced, {result.unchanged} already collected"
    )


@impact.command("report")
@click.option("--course", help="Only this course.")
@click.option("--cohort", help="Only this cohort.")
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 0.999),
    default=0.95,
    show_default=True,
    help="Confidence level of the interval for the mean change.",
)
@click.option("--as-of", "as_of", help="Report date (YYYY-MM-DD; default today).")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="File to write.")
@progress_option
@click.pass_context
def impact_report_cmd(
    ctx: click.Context,
    course: str | None,
    cohort: str | None,
    confidence: float,
    as_of: str | None,
    fmt: str,
    output: str | None,
    progress: bool | None,
) -> None:
    """Paired before/after analysis per course and cohort; groups under 5 are suppressed."""
    from ..impact import impact_report

    ws = workspace(ctx)
    if course is not None:
        ws.programme.course(course)
    report = impact_report(
        ws.store, on=today_or(as_of), course=course, cohort=cohort, confidence=confidence
    )
    _emit(report, fmt, output, progress)


# ----------------------------------------------------------------------------- export
@click.group()
def export() -> None:
    """Exports: xAPI statements for a learning record store, credentials, report tables."""


@export.command("xapi")
@_scope_options
@_period_options
@click.option(
    "--home-page", help="The account homePage of every actor (default: the programme's issuer URL)."
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    required=True,
    help="The JSON lines file to write (e.g. statements.jsonl).",
)
@progress_option
@click.pass_context
def export_xapi(
    ctx: click.Context,
    setting_id: str | None,
    cluster_id: str | None,
    group_id: str | None,
    start: str | None,
    end: str | None,
    as_of: str | None,
    home_page: str | None,
    output: str,
    progress: bool | None,
) -> None:
    """xAPI 1.0.3 statements (attended, completed, passed, awarded) as JSON lines.

    Actors are pseudonymous accounts, never names or emails; the secret behind the ids is kept
    in the workspace's keys/ folder: keep it, or the ids change.
    """
    from ..exports.xapi import workspace_secret, write_xapi, xapi_statements

    ws = workspace(ctx)
    on = today_or(as_of)
    statements = xapi_statements(
        ws.store,
        ws.programme,
        home_page=home_page or ws.programme.issuer_url,
        secret=workspace_secret(ws.path),
        start=parse_date(start, "--from"),
        end=parse_date(end, "--to") or on,
        scope=_scope(setting_id, cluster_id, group_id),
    )
    path = write_xapi(statements, output, progress=progress)
    click.echo(f"Wrote {len(statements)} xAPI statement(s) to {path}")


@export.command("credentials")
@click.argument("setting_id")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="The zip to write (default: <setting>-credentials.zip here).",
)
@progress_option
@click.pass_context
def export_credentials(
    ctx: click.Context, setting_id: str, output: str | None, progress: bool | None
) -> None:
    """All credentials of SETTING's awards as one zip, with a manifest."""
    from ..exports.zips import zip_setting_credentials

    ws = workspace(ctx)
    result = zip_setting_credentials(
        ws, setting_id, output or f"{setting_id}-credentials.zip", progress=progress
    )
    click.echo(f"Wrote {len(result.files)} credential(s) to {result.path}")
    for note in result.notes:
        click.echo(f"Note: {note}")


export.add_command(
    _report_command(
        "report",
        "Report tables as CSV or XLSX (or HTML): the same as `imatter report`, for NAMES "
        f"among {', '.join(REPORT_NAMES)}.",
        default_format="csv",
    )
)
