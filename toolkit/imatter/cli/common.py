"""Helpers shared by CLI commands: opening the workspace, dates, tables and JSON output."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import click

from ..errors import UsageError


def who(given: str | None = None) -> str:
    """Who is recording: --by, else `imatter --as`, else $IMATTER_USER, else the login name."""
    from ..trust.access import identity

    return given or identity()


def workspace(ctx: click.Context):
    """The workspace named by the global options, acting as `--as` (or $IMATTER_USER)."""
    from ..trust.access import use_identity
    from ..workspace import open_workspace

    obj = ctx.find_root().obj or {}
    if obj.get("as"):
        use_identity(obj["as"])
    ws = open_workspace(obj.get("workspace"), db=obj.get("db"), programme=obj.get("programme"))
    gate(ctx, ws)
    return ws


def command_path(ctx: click.Context) -> str:
    """The command's path below `imatter` ("keys rotate"), as permissions.yml names it."""
    return " ".join(ctx.command_path.split()[1:])


def gate(ctx: click.Context, ws) -> None:
    """Refuse, before the command runs, an identity that may not attempt it at all."""
    from ..trust.access.gate import command_action, require_command

    path = command_path(ctx)
    if command_action(path) == "open":
        return
    with ws.reading() as conn:  # on a SQLite file: no SQLAlchemy (see store.reader)
        require_command(conn, path)


def parse_date(value: str | None, what: str = "date") -> dt.date | None:
    """A date option given as 31/12/2026 (UK) or 2026-12-31 (ISO), or a usage error saying so."""
    if value is None:
        return None
    from ..records.csvfile import parse_date as parse_day

    try:
        return parse_day(value, what)
    except ValueError as err:
        raise UsageError(str(err)) from None


def today_or(value: str | None) -> dt.date:
    """--on/--as-of, defaulting to today (only the CLI looks at the clock)."""
    from ..clock import today

    return parse_date(value) or today()


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
as_of_option = click.option("--as-of", help="Evaluate on this date (YYYY-MM-DD; default today).")
by_option = click.option("--by", "recorded_by", help="Who is recording this (default: you).")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def emit_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, default=_plain, indent=2, ensure_ascii=False))


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain text table sized to its contents."""
    text_rows = [["" if v is None else str(_plain(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in text_rows:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)).rstrip())
    return "\n".join(lines)
