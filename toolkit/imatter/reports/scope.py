"""What a report covers: the organisation, a cluster, a setting or a study group; and terms.

A record belongs to a setting (or cluster) when its person was a member of that setting on the
record's date (affiliations `since`/`until`, open ends allowed); to a study group when its
person is (or was) enrolled in the group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import InvalidValue, NotFound
from ..store import schema as t
from ..trust.access import allowed, require

if TYPE_CHECKING:
    import pandas as pd

SCOPE_KINDS = ("organisation", "cluster", "setting", "group")

# Terms of the school year: (name, first month). The year starts with the first term's month.
DEFAULT_TERMS: tuple[tuple[str, int], ...] = (("autumn", 9), ("spring", 1), ("summer", 4))


@dataclass(frozen=True)
class Scope:
    """The part of the organisation a report covers."""

    kind: str = "organisation"
    id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise InvalidValue(f"scope '{self.kind}' must be one of: {', '.join(SCOPE_KINDS)}")
        if (self.kind == "organisation") != (self.id is None):
            raise InvalidValue(
                f"a {self.kind} scope needs an id"
                if self.id is None
                else "the organisation scope takes no id"
            )

    @property
    def label(self) -> str:
        return "whole organisation" if self.kind == "organisation" else f"{self.kind} {self.id}"


@dataclass(frozen=True)
class ScopeInfo:
    """A scope resolved against the store: its name, settings, groups and people."""

    scope: Scope
    name: str
    setting_ids: tuple[str, ...] | None  # None: every setting
    group_ids: tuple[int, ...] | None  # None: every group
    people: pd.DataFrame | None  # person_id, since, until (NaT: open); None: everyone


def as_days(values: pd.Series) -> pd.Series:
    """Dates (or datetimes, or None) as whole days that pandas can compare, for any stored year.

    pandas' default nanosecond resolution only reaches the years 1677 to 2262: a record dated
    0001-01-01 or 9999-12-31 would crash `pd.to_datetime`. Second resolution covers 1 to 9999.
    """
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    return series.astype("datetime64[s]").dt.normalize()


def resolve_scope(conn: sa.Connection, scope: Scope) -> ScopeInfo:
    """Look the scope up (NotFound if its setting, cluster or group does not exist)."""
    import pandas as pd

    if scope.kind == "organisation":
        require(conn, "reports.read")
        return ScopeInfo(scope, "Whole organisation", None, None, None)
    aff, st = t.affiliations, t.settings
    if scope.kind == "group":
        try:
            group_id = int(str(scope.id))
        except ValueError:
            raise InvalidValue(f"group '{scope.id}' must be a group number") from None
        g = t.study_groups
        row = conn.execute(sa.select(g).where(g.c.id == group_id)).first()
        if row is None or not allowed(conn, "reports.read", setting=row.setting_id):
            raise NotFound(f"no study group {group_id}; see `imatter group list`")
        gm = t.group_members
        members = conn.execute(sa.select(gm.c.person_id).where(gm.c.group_id == group_id)).all()
        people = pd.DataFrame({"person_id": [m.person_id for m in members]})
        people["since"] = as_days(pd.Series([None] * len(people), dtype=object))
        people["until"] = people["since"]
        settings = (row.setting_id,) if row.setting_id else ()
        return ScopeInfo(
            scope, f"Study group {group_id}: {row.name}", settings, (group_id,), people
        )
    if scope.kind == "setting":
        row = conn.execute(sa.select(st).where(st.c.id == scope.id)).first()
        if row is None:
            raise NotFound(f"no setting '{scope.id}'; see `imatter setting list`")
        setting_ids: tuple[str, ...] = (row.id,)
        name = row.name
    else:
        cl = t.clusters
        row = conn.execute(sa.select(cl).where(cl.c.id == scope.id)).first()
        if row is None:
            raise NotFound(f"no cluster '{scope.id}'; see `imatter cluster list`")
        name = f"Cluster: {row.name}"
        setting_ids = tuple(
            conn.execute(
                sa.select(st.c.id).where(st.c.cluster_id == scope.id).order_by(st.c.id)
            ).scalars()
        )
    for setting_id in setting_ids or (None,):
        require(conn, "reports.read", setting=setting_id)
    rows = conn.execute(
        sa.select(aff.c.person_id, aff.c.since, aff.c.until).where(
            aff.c.setting_id.in_(setting_ids)
        )
    ).all()
    people = pd.DataFrame(rows, columns=["person_id", "since", "until"])
    people["since"] = as_days(people["since"])
    people["until"] = as_days(people["until"])
    g = t.study_groups
    groups = tuple(conn.execute(sa.select(g.c.id).where(g.c.setting_id.in_(setting_ids))).scalars())
    return ScopeInfo(scope, name, setting_ids, groups, people)


def in_scope(frame: pd.DataFrame, info: ScopeInfo, date_column: str | None) -> pd.DataFrame:
    """The rows of `frame` (with person_id) whose person was in scope on the row's date.

    `date_column` None means "at any time". Each row appears at most once.
    """

    if info.people is None or frame.empty:
        return frame
    people = info.people
    keyed = frame.reset_index(drop=True).rename_axis("_row").reset_index()
    merged = keyed.merge(people, on="person_id", how="inner")
    if date_column is not None:
        day = as_days(merged[date_column])
        ok = (merged["since"].isna() | (merged["since"] <= day)) & (
            merged["until"].isna() | (day <= merged["until"])
        )
        merged = merged[ok]
    rows = sorted(set(merged["_row"]))
    return frame.reset_index(drop=True).loc[rows]


def people_on(info: ScopeInfo, on: dt.date) -> set[int] | None:
    """The people in scope on a date (None: everyone)."""
    import pandas as pd

    if info.people is None:
        return None
    p = info.people
    day = pd.Timestamp(on)
    ok = (p["since"].isna() | (p["since"] <= day)) & (p["until"].isna() | (day <= p["until"]))
    return {int(x) for x in p.loc[ok, "person_id"]}


def term_key(day: dt.date, terms: tuple[tuple[str, int], ...] = DEFAULT_TERMS) -> tuple[int, int]:
    """(school year, term index) of a date: 2026-10-01 -> (2026, 0) for autumn 2026/27."""
    first_month = terms[0][1]
    year = day.year if day.month >= first_month else day.year - 1
    months = [(m - first_month) % 12 for _, m in terms]
    offset = (day.month - first_month) % 12
    index = max(i for i, start in enumerate(months) if start <= offset)
    return year, index


def term_label(day: dt.date, terms: tuple[tuple[str, int], ...] = DEFAULT_TERMS) -> str:
    """'2026/27 autumn' for 2026-10-01."""
    year, index = term_key(day, terms)
    return f"{year}/{(year + 1) % 100:02d} {terms[index][0]}"
