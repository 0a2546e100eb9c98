"""A learner's "my progress" page: courses completed, groups and attendance, roles held, and
what comes next with what is still needed."""

from __future__ import annotations

import datetime as dt

import ipywidgets as widgets

from ..delivery import groups
from ..errors import ImatterError
from ..templates import fragment
from .common import (
    env_person,
    env_today,
    frame,
    heading,
    note,
    open_context,
    person_options,
    pick,
    table,
)


class ProgressPage:
    def __init__(self, ws, today: dt.date, person: str | None = None) -> None:
        self.ws = ws
        self.today = today
        self.person = widgets.Dropdown(description="Me", layout=widgets.Layout(width="420px"))
        self.body = widgets.HTML()
        options = person_options(ws.store)
        self.person.options = options
        chosen = pick(options, person)
        if person:
            # A learner's own page shows only them.
            self.person.options = [o for o in options if o[1] == chosen]
            self.person.disabled = True
        self.person.value = chosen
        self.person.observe(lambda _change: self.refresh(), names="value")
        self.widget = frame(
            [heading(f"My progress ({today.isoformat()})", 2), self.person, self.body]
        )
        self.refresh()

    def refresh(self) -> None:
        pid = self.person.value
        if pid is None:
            self.body.value = note(
                "No such person is recorded; check the link you were given.", "warn"
            )
            return
        self.body.value = progress_html(self.ws, pid, self.today)


def progress_html(ws, person_id: int, today: dt.date) -> str:
    """The page's content for one person."""
    from ..eligibility import evaluate_person, short_title
    from ..records.load import person_records

    programme = ws.programme
    with ws.store.read() as conn:
        facts = person_records(conn, person_id)
    parts = []
    held = [
        programme.roles[a.role].title
        for a in facts.awards
        if a.current_on(today) and a.role in programme.roles
    ]
    parts.append(fragment("heading", "Roles I hold", 3))
    parts.append(fragment("bullets", held) if held else note("None yet.", "muted"))
    done = sorted(
        (c for c in facts.completions if c.on <= today and c.course in programme.courses),
        key=lambda c: c.on,
    )
    parts.append(fragment("heading", "Courses I have completed", 3))
    parts.append(
        table(
            ["Course", "Completed on"],
            [(short_title(programme.courses[c.course].title), c.on.isoformat()) for c in done],
            empty="None yet.",
        )
    )
    parts.append(fragment("heading", "My study groups", 3))
    rows = []
    for status in groups.my_groups(ws.store, programme, person_id, today):
        for p in status.progress:
            rows.append(
                (
                    status.group.name,
                    f"{p.attended} of {p.sessions} sessions (needs {p.required})",
                    p.summary,
                )
            )
    parts.append(table(["Group", "Attendance", "Where I am"], rows, empty="None."))
    parts.append(fragment("heading", "What comes next", 3))
    results = evaluate_person(programme, facts, today)
    upcoming = sorted(
        (r for r in results.values() if not r.held and r.steps <= 2),
        key=lambda r: (not r.met, r.steps),
    )
    parts.append(
        table(
            ["Role", "Where I am", "Still needed"],
            [
                (
                    r.title,
                    "eligible now" if r.met else f"{r.steps} step(s) away",
                    "; ".join(r.missing + r.advice),
                )
                for r in upcoming
            ],
            empty="Nothing within two steps; ask your Lead Professional what to do next.",
        )
    )
    return "".join(parts)


def progress_page(ws=None, today: dt.date | None = None, person: str | None = None):
    """The "my progress" widget for the notebook."""
    try:
        page = ProgressPage(open_context(ws), today or env_today(), person or env_person())
    except ImatterError as err:
        return widgets.HTML(note(f"The page cannot open: {err.message}", "error"))
    return page.widget
