"""Eligibility for everyone at once, as columns (pandas/NumPy), from the same rules.

The store is read in a few aggregate queries (a completion bitmask per person over the covering
index, and the small tables whole); each requirement then becomes a boolean column and a count
of missing steps, combined exactly as the single-person engine combines them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..programme import (
    AllOf,
    AnyOf,
    Application,
    Cases,
    Completed,
    Held,
    Holds,
    InSetting,
    Position,
    Programme,
    Requirement,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store


@dataclass
class Columns:
    """Everything the rules need, one entry per person (aligned with `person_ids`)."""

    person_ids: np.ndarray
    names: np.ndarray | None
    course_mask: np.ndarray  # int64 bitmask of completed courses
    course_bits: dict[str, int]
    awards: pd.DataFrame  # person_id, role_id, valid_from, valid_until, revoked_on (datetime64)
    affiliations: pd.DataFrame  # person_id, setting_id, position, licensed (bool)
    approved: pd.DataFrame  # person_id, role_id
    cases: pd.DataFrame  # person_id, started_on, followed_to


def _sql_dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    import pandas as pd

    for column in columns:
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def load_columns(store: Store, programme: Programme, on: dt.date, *, names: bool = True) -> Columns:
    """Read the store into columns for evaluation on a date."""
    import pandas as pd
    import sqlalchemy as sa

    courses = list(programme.courses)
    if len(courses) > 62:
        raise ValueError("the bulk engine handles up to 62 courses")
    bits = {cid: i for i, cid in enumerate(courses)}
    day = on.isoformat()
    case_sql = " ".join(f"WHEN '{cid}' THEN {1 << i}" for cid, i in bits.items())
    with store.read() as conn:
        people_sql = "SELECT id, name FROM people ORDER BY id" if names else "SELECT id FROM people ORDER BY id"
        people = conn.exec_driver_sql(people_sql).fetchall()
        person_ids = np.fromiter((row[0] for row in people), dtype=np.int64, count=len(people))
        name_array = np.array([row[1] for row in people], dtype=object) if names else None
        # One row per person: the OR of their (distinct) completed courses as a bitmask.
        # The store keeps at most one current completion per person and course, so a plain
        # SUM of distinct powers of two is their OR. People with corrections are redone below.
        mask_rows = conn.execute(
            sa.text(
                f"SELECT person_id, CAST(SUM(CASE course_id {case_sql} ELSE 0 END) AS BIGINT)"
                " FROM completions WHERE completed_on <= :d GROUP BY person_id"
            ),
            {"d": day if store.is_sqlite else on},
        ).fetchall()
        corrected = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT DISTINCT person_id FROM completions"
                " WHERE supersedes_id IS NOT NULL OR withdrawn"
            )
        ]
        fix = {}
        if corrected:
            from ..records.load import current_completions

            for row in current_completions(conn, corrected):
                if row.completed_on <= on:
                    fix[row.person_id] = fix.get(row.person_id, 0) | (1 << bits[row.course_id])
            for pid in corrected:
                fix.setdefault(pid, 0)
        awards = pd.DataFrame(
            conn.execute(
                sa.text(
                    "SELECT a.person_id, a.role_id, a.valid_from, a.valid_until, r.revoked_on"
                    " FROM awards a LEFT JOIN award_revocations r ON r.award_id = a.id"
                    " WHERE NOT a.withdrawn AND a.id NOT IN"
                    " (SELECT supersedes_id FROM awards WHERE supersedes_id IS NOT NULL)"
                )
            ).fetchall(),
            columns=["person_id", "role_id", "valid_from", "valid_until", "revoked_on"],
        )
        affiliations = pd.DataFrame(
            conn.execute(
                sa.text(
                    "SELECT person_id, setting_id, position FROM affiliations"
                    " WHERE (since IS NULL OR since <= :d) AND (until IS NULL OR until >= :d)"
                ),
                {"d": on},
            ).fetchall(),
            columns=["person_id", "setting_id", "position"],
        )
        licensed = {
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT s.id FROM settings s WHERE EXISTS (SELECT 1 FROM setting_licences l"
                    " WHERE l.setting_id = s.id AND l.valid_from <= :d"
                    " AND (l.valid_until IS NULL OR l.valid_until >= :d)"
                    " AND (l.revoked_on IS NULL OR l.revoked_on > :d))"
                    " AND EXISTS (SELECT 1 FROM memberships m WHERE m.setting_id = s.id"
                    " AND m.starts_on <= :d AND m.ends_on >= :d)"
                ),
                {"d": on},
            )
        }
        approved = pd.DataFrame(
            conn.execute(
                sa.text(
                    "SELECT person_id, role_id FROM applications WHERE status = 'approved'"
                    " AND COALESCE(decided_on, submitted_on) <= :d"
                ),
                {"d": on},
            ).fetchall(),
            columns=["person_id", "role_id"],
        )
        cases = pd.DataFrame(
            conn.execute(
                sa.text(
                    "SELECT person_id, started_on, last_reviewed_on FROM documented_cases"
                    " WHERE started_on <= :d"
                ),
                {"d": on},
            ).fetchall(),
            columns=["person_id", "started_on", "followed_to"],
        )
    mask = np.zeros(len(person_ids), dtype=np.int64)
    if mask_rows:
        pids = np.fromiter((r[0] for r in mask_rows), dtype=np.int64, count=len(mask_rows))
        vals = np.fromiter((r[1] or 0 for r in mask_rows), dtype=np.int64, count=len(mask_rows))
        mask[np.searchsorted(person_ids, pids)] = vals
    if fix:
        pids = np.fromiter(fix.keys(), dtype=np.int64)
        mask[np.searchsorted(person_ids, pids)] = np.fromiter(fix.values(), dtype=np.int64)
    affiliations["licensed"] = affiliations["setting_id"].isin(licensed)
    _sql_dates(awards, "valid_from", "valid_until", "revoked_on")
    _sql_dates(cases, "started_on", "followed_to")
    return Columns(person_ids, name_array, mask, bits, awards, affiliations, approved, cases)


def _months_between(start: pd.Series, end: pd.Series) -> np.ndarray:
    months = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)
    months = months - (end.dt.day < start.dt.day).astype(int)
    return np.maximum(months.to_numpy(), 0)


class _Vector:
    def __init__(self, programme: Programme, cols: Columns, on: dt.date) -> None:
        import pandas as pd

        self.programme = programme
        self.cols = cols
        self.on = pd.Timestamp(on)
        self.n = len(cols.person_ids)

    def _flag(self, person_ids: np.ndarray) -> np.ndarray:
        return np.isin(self.cols.person_ids, person_ids)

    def _leaf(self, met: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return met, (~met).astype(np.int32)

    def evaluate(self, req: Requirement) -> tuple[np.ndarray, np.ndarray]:
        return getattr(self, f"_{type(req).__name__.lower()}")(req)

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

    def _completed(self, req: Completed) -> tuple[np.ndarray, np.ndarray]:
        bit = np.int64(1) << np.int64(self.cols.course_bits[req.course])
        return self._leaf((self.cols.course_mask & bit) != 0)

    def _current_awards(self, roles: tuple[str, ...]) -> pd.DataFrame:
        a = self.cols.awards
        a = a[a["role_id"].isin(roles)]
        on = self.on
        current = (
            (a["valid_from"] <= on)
            & (a["valid_until"].isna() | (a["valid_until"] >= on))
            & (a["revoked_on"].isna() | (a["revoked_on"] > on))
        )
        return a[current]

    def _holds(self, req: Holds) -> tuple[np.ndarray, np.ndarray]:
        held = self._current_awards(req.roles)["person_id"].unique()
        return self._leaf(self._flag(held.astype(np.int64)))

    def _held(self, req: Held) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd

        a = self.cols.awards
        a = a[a["role_id"].isin(req.roles) & (a["valid_from"] <= self.on)]
        anniversary = a["valid_from"] + pd.DateOffset(years=req.years)
        end = a[["valid_until", "revoked_on"]].min(axis=1)
        ok = (anniversary <= self.on) & (end.isna() | (end >= anniversary))
        people = np.sort(a.loc[ok, "person_id"].unique().astype(np.int64))
        return self._leaf(self._flag(people))

    def _insetting(self, req: InSetting) -> tuple[np.ndarray, np.ndarray]:
        aff = self.cols.affiliations
        if req.licensed:
            aff = aff[aff["licensed"]]
        return self._leaf(self._flag(np.sort(aff["person_id"].unique().astype(np.int64))))

    def _cases(self, req: Cases) -> tuple[np.ndarray, np.ndarray]:
        c = self.cols.cases
        if c.empty:
            return self._leaf(np.zeros(self.n, dtype=bool))
        end = c["followed_to"].fillna(self.on).clip(upper=self.on)
        long_enough = _months_between(c["started_on"], end) >= req.over_months
        counts = c[long_enough].groupby("person_id").size()
        people = np.sort(counts[counts >= req.at_least].index.to_numpy(dtype=np.int64))
        return self._leaf(self._flag(people))

    def _position(self, req: Position) -> tuple[np.ndarray, np.ndarray]:
        aff = self.cols.affiliations
        people = aff.loc[aff["position"].isin(req.positions), "person_id"].unique()
        return self._leaf(self._flag(np.sort(people.astype(np.int64))))

    def _application(self, req: Application) -> tuple[np.ndarray, np.ndarray]:
        ap = self.cols.approved
        people = ap.loc[ap["role_id"] == req.role, "person_id"].unique()
        return self._leaf(self._flag(np.sort(people.astype(np.int64))))


def evaluate_columns(programme: Programme, cols: Columns, on: dt.date) -> pd.DataFrame:
    """The eligibility table: per role, `<role>` (met), `<role>_held` and `<role>_steps`."""
    import pandas as pd

    vec = _Vector(programme, cols, on)
    data: dict[str, np.ndarray] = {}
    if cols.names is not None:
        data["name"] = cols.names
    for rid, role in programme.roles.items():
        met, steps = vec.evaluate(role.requires)
        held_ids = vec._current_awards((rid,))["person_id"].unique().astype(np.int64)
        data[rid] = met
        data[f"{rid}_held"] = vec._flag(np.sort(held_ids))
        data[f"{rid}_steps"] = steps
    return pd.DataFrame(data, index=pd.Index(cols.person_ids, name="person_id"))


def bulk_eligibility(
    store: Store, programme: Programme, on: dt.date, *, names: bool = True
) -> pd.DataFrame:
    """Everyone's eligibility on a date as a DataFrame indexed by person id."""
    return evaluate_columns(programme, load_columns(store, programme, on, names=names), on)
