"""Shared pieces of the dashboards: the workspace and date from the environment, HTML tables.

Imported only by the dashboard notebooks (and tests), so ipywidgets is imported at the top.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence

import ipywidgets as widgets

from ..templates import fragment, render, trusted
from . import ENV_PERSON, ENV_TODAY


def open_context(workspace=None):
    """The workspace given, else the one named by the environment (as `imatter dashboard`
    sets it)."""
    if workspace is not None:
        return workspace
    from ..workspace import open_workspace

    return open_workspace()


def env_today() -> dt.date:
    """IMATTER_TODAY (YYYY-MM-DD) if set, else today: the dashboards' edge reads the clock."""
    value = os.environ.get(ENV_TODAY)
    from ..clock import today

    return dt.date.fromisoformat(value) if value else today()


def env_person() -> str | None:
    """The person to show first (id or email), from IMATTER_DASHBOARD_PERSON."""
    return os.environ.get(ENV_PERSON) or None


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    css_class: str = "",
    raw: bool = False,
    empty: str = "Nothing to show.",
) -> str:
    """An HTML table (templates/fragments.html.j2); cells are escaped unless `raw` (then they
    are HTML a template made)."""
    cells = [[trusted(c) if raw else c for c in row] for row in rows]
    return fragment("table", list(headers), cells, css_class=css_class, empty=empty)


def note(text: str, kind: str = "ok") -> str:
    return fragment("note", text, kind)


def heading(text: str, level: int = 3) -> widgets.HTML:
    return widgets.HTML(fragment("heading", text, level))


def frame(children: Sequence[widgets.Widget]) -> widgets.VBox:
    box = widgets.VBox([widgets.HTML(render("dashboards/style.html.j2")), *children])
    box.add_class("imatter-dash")
    return box


def person_options(store, ids: Iterable[int] | None = None) -> list[tuple[str, int]]:
    """(label, id) pairs for a dropdown of people (all, or those given), by name."""
    import sqlalchemy as sa

    from ..store import schema as t

    p = t.people
    query = sa.select(p.c.id, p.c.name, p.c.email).order_by(p.c.name, p.c.id)
    if ids is not None:
        query = query.where(p.c.id.in_(list(ids)))
    with store.read() as conn:
        rows = conn.execute(query).all()
    return [(f"{r.name} ({r.email})" if r.email else r.name, r.id) for r in rows]


def pick(options: list[tuple[str, int]], wanted: str | None) -> int | None:
    """The option matching an id or an email in its label (None if there is no such option);
    with nothing wanted, the first option (None if there are none)."""
    if wanted:
        text = wanted.strip().lower()
        for label, value in options:
            if text == str(value) or f"({text})" in label.lower():
                return value
        return None
    return options[0][1] if options else None
