"""Eligibility for everyone at once, as NumPy columns, from the same declarative rules.

The columns (`Columns`) are read from the store by `records.columns.load_columns`; this module
only evaluates them, with no I/O. Each requirement becomes a boolean column and a count of
missing steps, combined exactly as the single-person engine combines them (tests compare the
two person by person). `evaluate_columns` makes the table of every role (pandas);
`role_columns` and `held_roles` give one role's arrays (NumPy only), as `imatter eligible`
needs. `bulk_eligibility` (store in, table out) lives in `records.columns`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..programme import (
    AllOf,
    AnyOf,
    Programme,
    Requirement,
)
from .kinds import KINDS

if TYPE_CHECKING:
    import pandas as pd

NAT = np.datetime64("NaT", "D")


@dataclass
class Columns:
    """Everything the rules need. Per-person arrays are aligned with `person_ids` (sorted)."""

    person_ids: np.ndarray
    names: np.ndarray | None
    course_mask: np.ndarray  # int64: bit i set when course i is completed
    position_mask: np.ndarray  # int64: bit i set when the person holds position i somewhere
    member: np.ndarray  # bool: belongs to a setting on the date
    licensed: np.ndarray  # bool: belongs to a licensed setting with a current membership
    award_person: np.ndarray  # award rows (unsuperseded, not withdrawn)
    award_role: np.ndarray  # role index
    award_from: np.ndarray  # datetime64[D]
    award_until: np.ndarray  # datetime64[D]: last valid day, NaT when open-ended
    award_revoked: np.ndarray  # datetime64[D]: first day no longer held, NaT if not revoked
    award_paused: np.ndarray  # int64: days a licence did not count, up to the date
    award_lapsed: np.ndarray  # bool: a licence whose setting has lapsed on the date
    approved_person: np.ndarray
    approved_role: np.ndarray
    approved_on: np.ndarray  # datetime64[D]: the day the application was approved
    case_person: np.ndarray
    case_start: np.ndarray  # datetime64[D]
    case_end: np.ndarray  # datetime64[D], NaT while open


# ------------------------------------------------------------------------ date arithmetic
def add_months_np(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Vectorised `dates.add_months`: the same day N months on, clamped to the month's end."""
    month = days.astype("datetime64[M]")
    day_index = (days - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    return target.astype("datetime64[D]") + np.minimum(day_index, length - 1)


def months_between_np(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Vectorised `dates.months_between`: whole months from start to end, never negative."""
    months = end.astype("datetime64[M]").astype(np.int64) - start.astype("datetime64[M]").astype(
        np.int64
    )
    months = months - (add_months_np(start, months) > end)
    return np.maximum(months, 0)


# ------------------------------------------------------------------------ evaluation
class _Vector:
    def __init__(self, programme: Programme, cols: Columns, on: dt.date) -> None:
        self.cols = cols
        self.on = np.datetime64(on, "D")
        self.n = len(cols.person_ids)
        self.courses = {c: i for i, c in enumerate(programme.courses)}
        self.positions = {p: i for i, p in enumerate(programme.positions)}
        self.roles = {r: i for i, r in enumerate(programme.roles)}
        self._row_map: np.ndarray | None = None
        self._current: dict[tuple[str, ...], np.ndarray] = {}

    def flag(self, person_ids: np.ndarray) -> np.ndarray:
        """True for each person among `person_ids` (ids of nobody in the table are ignored)."""
        out = np.zeros(self.n, dtype=bool)
        if self.n and len(person_ids):
            at = self.rows_of(person_ids)
            out[at[at >= 0]] = True
        return out

    def rows_of(self, person_ids: np.ndarray) -> np.ndarray:
        """Each id's row in the table, -1 for none: one gather from a dense id -> row map when
        ids are dense (the usual case), else a binary search in the sorted ids. Either beats
        `np.isin`, which sorts both arrays on every call."""
        everyone = self.cols.person_ids
        if self._row_map is None:
            top = int(everyone[-1]) if self.n else -1
            low = int(everyone[0]) if self.n else 0
            dense = low >= 0 and top < 4 * self.n + 1024 and self.n < 2**31
            self._row_map = np.full(top + 1 if dense else 0, -1, dtype=np.int32)
            if dense:
                self._row_map[everyone] = np.arange(self.n, dtype=np.int32)
        ids = np.asarray(person_ids, dtype=np.int64)
        if len(self._row_map):
            inside = (ids >= 0) & (ids < len(self._row_map))
            return np.where(inside, self._row_map[np.where(inside, ids, 0)], -1)
        at = np.searchsorted(everyone, ids)
        at[at == self.n] = 0
        return np.where(everyone[at] == ids, at, -1)

    @staticmethod
    def leaf(met: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return met, (~met).astype(np.int32)

    def evaluate(self, req: Requirement) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(req, AllOf):
            return self._allof(req)
        if isinstance(req, AnyOf):
            return self._anyof(req)
        return KINDS[type(req)].column(self, req)

    def _allof(self, req: AllOf) -> tuple[np.ndarray, np.ndarray]:
        met = np.ones(self.n, dtype=bool)
        steps = np.zeros(self.n, dtype=np.int32)
        for part in req.parts:
            m, s = self.evaluate(part)
            met &= m
            steps += s
        return met, steps

    def _anyof(self, req: AnyOf) -> tuple[np.ndarray, np.ndarray]:
        met = np.zeros(self.n, dtype=bool)
        steps = np.full(self.n, np.iinfo(np.int32).max, dtype=np.int32)
        for part in req.parts:
            m, s = self.evaluate(part)
            met |= m
            steps = np.minimum(steps, s)
        steps[met] = 0
        return met, steps

    def role_rows(self, roles: tuple[str, ...]) -> np.ndarray:
        return np.isin(self.cols.award_role, [self.roles[r] for r in roles])

    def paused(self) -> np.ndarray:
        return self.cols.award_paused.astype("timedelta64[D]")

    def current(self, roles: tuple[str, ...]) -> np.ndarray:
        """Who holds one of the roles on the date (remembered: every role asks for itself)."""
        if roles not in self._current:
            self._current[roles] = self._current_uncached(roles)
        return self._current[roles].copy()

    def _current_uncached(self, roles: tuple[str, ...]) -> np.ndarray:
        c = self.cols
        until = c.award_until + self.paused()  # a licence's end moves on by its lapses
        rows = (
            self.role_rows(roles)
            & (c.award_from <= self.on)
            & ~c.award_lapsed
            & (np.isnat(until) | (until >= self.on))
            & (np.isnat(c.award_revoked) | (c.award_revoked > self.on))
        )
        return self.flag(c.award_person[rows])

    def revoked(self, role: str) -> np.ndarray:
        """People whose latest award of the role was revoked by the date, with no application
        for the role approved since (see `explain.revoked_award`)."""
        c, r = self.cols, self.roles[role]
        rows = (c.award_role == r) & ~np.isnat(c.award_revoked) & (c.award_revoked <= self.on)
        if not rows.any():
            return np.zeros(self.n, dtype=bool)
        people, latest = _latest(c.award_person[rows], c.award_revoked[rows])
        apps = c.approved_role == r
        app_people, app_latest = _latest(c.approved_person[apps], c.approved_on[apps])
        at = np.searchsorted(app_people, people)
        found = at < len(app_people)
        found[found] = app_people[at[found]] == people[found]
        approved = np.full(len(people), NAT)
        approved[found] = app_latest[at[found]]
        again = found & (approved >= latest)
        return self.flag(people[~again])


def _latest(people: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each person once (sorted) with their latest day."""
    order = np.lexsort((days, people))
    people, days = people[order], days[order]
    last = np.r_[people[1:] != people[:-1], True] if len(people) else np.zeros(0, dtype=bool)
    return people[last], days[last]


def role_columns(
    programme: Programme, cols: Columns, on: dt.date, role_id: str, vec: _Vector | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One role for everyone: (met and not blocked by a revocation, held, missing steps), as
    `evaluate_columns` gives them, without pandas. Pass `vec` (from `vector`) to share the
    work of several roles."""
    vec = vector(programme, cols, on) if vec is None else vec
    met, need = vec.evaluate(programme.roles[role_id].requires)
    held = vec.current((role_id,))
    blocked = vec.revoked(role_id) & ~held
    return met & ~blocked, held, need + blocked


def held_roles(
    programme: Programme,
    cols: Columns,
    on: dt.date,
    role_ids: list[str],
    vec: _Vector | None = None,
) -> np.ndarray:
    """Whether each person holds any of the roles on the date (`<role>_held` columns OR-ed)."""
    vec = vector(programme, cols, on) if vec is None else vec
    out = np.zeros(vec.n, dtype=bool)
    for rid in role_ids:
        out |= vec.current((rid,))
    return out


def vector(programme: Programme, cols: Columns, on: dt.date) -> _Vector:
    """The evaluator for `role_columns` and `held_roles` (it remembers who holds what)."""
    return _Vector(programme, cols, on)


def evaluate_columns(programme: Programme, cols: Columns, on: dt.date) -> pd.DataFrame:
    """The eligibility table: `name` (if read), then per role `<role>` (met) and
    `<role>_held`, then per role `<role>_steps`.

    Results go straight into one boolean and one integer 2-D array, which become the frame's
    two blocks as they are (a frame made from a dict of columns copies every column into
    its blocks)."""
    import pandas as pd

    vec = vector(programme, cols, on)
    roles = list(programme.roles)
    flags = np.empty((2 * len(roles), vec.n), dtype=bool)
    steps = np.empty((len(roles), vec.n), dtype=np.int32)
    for i, rid in enumerate(roles):
        flags[2 * i], flags[2 * i + 1], steps[i] = role_columns(programme, cols, on, rid, vec)
    index = pd.Index(cols.person_ids, name="person_id")
    parts = [
        pd.DataFrame(flags.T, index=index, columns=[c for r in roles for c in (r, f"{r}_held")]),
        pd.DataFrame(steps.T, index=index, columns=[f"{r}_steps" for r in roles]),
    ]
    if cols.names is not None:
        parts.insert(0, pd.DataFrame({"name": cols.names}, index=index))
    return pd.concat(parts, axis=1, copy=False)


def __getattr__(name: str) -> Any:
    """Old import paths: the store-reading half moved to `records.columns`."""
    if name in ("bulk_eligibility", "load_columns", "STALE_LIMIT"):
        from ..records import columns

        return getattr(columns, name)
    raise AttributeError(name)
