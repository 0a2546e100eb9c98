"""Reports: DataFrames from the store (queries), charts, and renderers (table, CSV, XLSX, HTML).

`build_report` runs the chosen reports for one scope and period and returns a `Report`, which
`render` turns into a terminal table, CSV, an XLSX workbook or a self-contained HTML page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidValue
from .scope import DEFAULT_TERMS, SCOPE_KINDS, Scope, ScopeInfo, resolve_scope, term_label

if TYPE_CHECKING:
    import pandas as pd

    from ..programme import Programme
    from ..store import Store

__all__ = [
    "REPORTS",
    "Report",
    "Scope",
    "ScopeInfo",
    "SCOPE_KINDS",
    "Section",
    "build_report",
    "resolve_scope",
    "term_label",
]


@dataclass(frozen=True)
class Section:
    """One table of a report, with its title, a sentence saying what it shows, and notes."""

    name: str
    title: str
    description: str
    frame: pd.DataFrame
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """A set of sections for one scope and period."""

    title: str
    scope: str
    period: str
    generated_for: dt.date
    sections: tuple[Section, ...] = field(default=())

    @property
    def headline(self) -> str | None:
        """ "N of M staff trained", when the report has its staff section."""
        for section in self.sections:
            if section.name == "staff" and not section.frame.empty:
                return section.frame.attrs.get("headline")
        return None

    def section(self, name: str) -> Section:
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)


@dataclass(frozen=True)
class ReportSpec:
    """A report that can be run: its title, what it shows, and the function that makes it."""

    title: str
    description: str
    run: Callable[..., pd.DataFrame]


def _specs() -> dict[str, ReportSpec]:
    from . import queries as q

    return {
        "staff": ReportSpec(
            "Staff trained",
            "Staff in post on the report date, by staff group, and how many have completed "
            "Foundation A (and Foundation B).",
            lambda store, prog, info, p: q.staff_trained(store, prog, info, on=p["on"]),
        ),
        "completions": ReportSpec(
            "Completions by course and term",
            "Course completions recorded in the period, by school term.",
            lambda store, prog, info, p: q.completions_by_term(
                store, prog, info, start=p["start"], end=p["end"], terms=p["terms"]
            ),
        ),
        "attendance": ReportSpec(
            "Attendance by study group",
            "Registers taken at sessions held in the period: the share of marks that were "
            "present, and learners below their course's attendance requirement.",
            lambda store, prog, info, p: q.attendance_rates(
                store, prog, info, start=p["start"], end=p["end"]
            ),
        ),
        "assessments": ReportSpec(
            "Assessments passed",
            "For each assessed course: people marked, passed and completed in the period.",
            lambda store, prog, info, p: q.assessments_passed(
                store, prog, info, start=p["start"], end=p["end"]
            ),
        ),
        "roles": ReportSpec(
            "Roles awarded",
            "Awards made and revoked in the period, and the people holding each role on the "
            "report date.",
            lambda store, prog, info, p: q.roles_awarded(
                store, prog, info, start=p["start"], end=p["end"], on=p["on"]
            ),
        ),
        "pipeline": ReportSpec(
            "The pipeline: one step from Link, Trainee or Lead",
            "People who need just one more thing for the role, on the report date.",
            lambda store, prog, info, p: q.pipeline(store, prog, info, on=p["on"]),
        ),
        "licences": ReportSpec(
            "Licences and renewals due",
            "School licences, memberships and trainee licences: lapsed, due within the "
            "window, or current.",
            lambda store, prog, info, p: q.licences_due(
                store, prog, info, on=p["on"], within_days=p["within_days"]
            ),
        ),
    }


REPORTS: tuple[str, ...] = (
    "staff",
    "completions",
    "attendance",
    "assessments",
    "roles",
    "pipeline",
    "licences",
)


def build_report(
    store: Store,
    programme: Programme,
    scope: Scope,
    *,
    on: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    names: tuple[str, ...] | list[str] | None = None,
    within_days: int = 90,
    terms: tuple[tuple[str, int], ...] = DEFAULT_TERMS,
    progress: bool | None = None,
) -> Report:
    """Run the named reports (default: all) for a scope; `on` is the report date.

    The period runs from `start` (default: all records) to `end` (default: `on`).
    """
    from ..progress import progress_bar

    specs = _specs()
    chosen = list(names or REPORTS)
    unknown = [n for n in chosen if n not in specs]
    if unknown:
        raise InvalidValue(f"unknown report '{unknown[0]}'; choose from: {', '.join(REPORTS)}")
    end = end or on
    with store.read() as conn:
        info = resolve_scope(conn, scope)
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "on": on,
        "within_days": within_days,
        "terms": terms,
    }
    sections = []
    for name in progress_bar(chosen, desc="reports", unit="report", enabled=progress):
        spec = specs[name]
        frame = spec.run(store, programme, info, params)
        notes: tuple[str, ...] = ()
        if frame.attrs.get("headline"):
            notes = (frame.attrs["headline"],)
        if frame.empty:
            notes = ("Nothing to report for this scope and period.",)
        sections.append(Section(name, spec.title, spec.description, frame, notes))
    period = f"{start.isoformat() if start else 'all records'} to {end.isoformat()}"
    return Report(
        title=f"I Matter report: {info.name}",
        scope=scope.label,
        period=period,
        generated_for=on,
        sections=tuple(sections),
    )
