"""Eligibility for everyone at once, as NumPy columns, from the same declarative rules.

The store is read in a few aggregate queries: a completion bitmask per person (one pass over
the covering index on completions), a position bitmask and licensed flag per person, and the
small tables (awards, approved applications, cases) as arrays. On SQLite the queries run on two
threads over read-only connections (SQLite releases the GIL while it works), so both cores are
used. Each requirement then becomes a boolean column and a count of missing steps, combined
exactly as the single-person engine combines them (tests compare the two person by person).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    approved_person: np.ndarray
    approved_role: np.ndarray
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


def _dates(values: Iterable[Any]) -> np.ndarray:
    out = [
        "NaT" if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v)[:10])
        for v in values
    ]
    return np.array(out, dtype="datetime64[D]")


def _ints(values: Iterable[Any], count: int) -> np.ndarray:
    return np.fromiter((int(v or 0) for v in values), dtype=np.int64, count=count)


def _int_matrix(rows: list[tuple], width: int) -> np.ndarray:
    """Rows of integers (no NULLs) as an (n, width) int64 array, converted in C."""
    if not rows:
        return np.zeros((0, width), dtype=np.int64)
    return np.array(rows, dtype=np.int64).reshape(len(rows), width)


# ------------------------------------------------------------------------ loading
class _Queries:
    """The SQL, shared by the SQLite and the generic loaders."""

    def __init__(self, programme: Programme) -> None:
        self.courses = {cid: i for i, cid in enumerate(programme.courses)}
        self.positions = {p: i for i, p in enumerate(programme.positions)}
        self.roles = {r: i for i, r in enumerate(programme.roles)}
        if max(len(self.courses), len(self.positions)) > 62:
            raise ValueError("the bulk engine handles up to 62 courses and 62 positions")
        course_case = " ".join(f"WHEN '{c}' THEN {1 << i}" for c, i in self.courses.items())
        position_case = " ".join(f"WHEN '{p}' THEN {1 << i}" for p, i in self.positions.items())
        licensed = (
            "SELECT s.id FROM settings s WHERE EXISTS (SELECT 1 FROM setting_licences l"
            " WHERE l.setting_id = s.id AND l.valid_from <= :d"
            " AND (l.valid_until IS NULL OR l.valid_until >= :d)"
            " AND (l.revoked_on IS NULL OR l.revoked_on > :d))"
            " AND EXISTS (SELECT 1 FROM memberships m WHERE m.setting_id = s.id"
            " AND m.starts_on <= :d AND m.ends_on >= :d)"
        )
        # At most one current completion per person and course (the store enforces it), so the
        # SUM of distinct powers of two is their OR; people with corrections are redone exactly.
        self.mask = (
            "SELECT person_id,"
            f" CAST(COALESCE(SUM(CASE course_id {course_case} ELSE 0 END), 0) AS BIGINT)"
            " FROM completions WHERE completed_on <= :d AND person_id BETWEEN :lo AND :hi"
            " GROUP BY person_id"
        )
        # supersedes_id > 0 (not IS NOT NULL), no DISTINCT: so SQLite searches its unique index.
        self.corrected = "SELECT person_id FROM completions WHERE supersedes_id > 0"
        # One row per current affiliation; the position bits are OR-ed per person in NumPy.
        self.affiliations = (
            f"SELECT person_id, CASE position {position_case} ELSE 0 END,"
            f" CASE WHEN setting_id IN ({licensed}) THEN 1 ELSE 0 END"
            " FROM affiliations WHERE (since IS NULL OR since <= :d)"
            " AND (until IS NULL OR until >= :d)"
        )
        self.awards = (
            "SELECT a.person_id, a.role_id, a.valid_from, a.valid_until, r.revoked_on"
            " FROM awards a LEFT JOIN award_revocations r ON r.award_id = a.id"
            " WHERE a.withdrawn = :no AND NOT EXISTS"
            " (SELECT 1 FROM awards b WHERE b.supersedes_id = a.id)"
        )
        self.approved = (
            "SELECT person_id, role_id FROM applications WHERE status = 'approved'"
            " AND COALESCE(decided_on, submitted_on) <= :d"
        )
        self.cases = (
            "SELECT person_id, started_on, last_reviewed_on FROM documented_cases"
            " WHERE started_on <= :d"
        )
        self.people = "SELECT id FROM people ORDER BY id"
        self.people_names = "SELECT id, name FROM people ORDER BY id"


def load_columns(store: Store, programme: Programme, on: dt.date, *, names: bool = True) -> Columns:
    """Read the store into columns for evaluation on a date."""
    q = _Queries(programme)
    path = store.sqlite_path
    if path is not None and path.exists():
        run = _sqlite_runner(path)
    else:
        run = _sqlalchemy_runner(store)
    day = on.isoformat() if store.is_sqlite else on
    params = {"d": day, "no": False}
    with ThreadPoolExecutor(max_workers=2) as pool:
        bounds = run("SELECT MIN(id), MAX(id) FROM people", {})[0]
        lo, hi = (bounds[0] or 0), (bounds[1] or 0)
        # The completions pass is the big one: split it by person id so both cores share it.
        cuts = np.linspace(lo, hi + 1, 5).astype(np.int64)
        masks = [
            pool.submit(run, q.mask, {**params, "lo": int(a), "hi": int(b) - 1})
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)
        ]
        people_f = pool.submit(run, q.people_names if names else q.people, {})
        aff_f = pool.submit(run, q.affiliations, params)
        small = {
            key: pool.submit(run, sql, params)
            for key, sql in (
                ("corrected", q.corrected),
                ("awards", q.awards),
                ("approved", q.approved),
                ("cases", q.cases),
            )
        }
        people = people_f.result()
        if names:
            person_ids = _int_matrix([row[:1] for row in people], 1)[:, 0]
            name_array = np.array([row[1] for row in people], dtype=object)
        else:
            person_ids = _int_matrix(people, 1)[:, 0]
            name_array = None
        n = len(person_ids)
        course_mask = np.zeros(n, dtype=np.int64)
        for future in masks:
            found = _int_matrix(future.result(), 2)
            course_mask[np.searchsorted(person_ids, found[:, 0])] = found[:, 1]
        aff = _int_matrix(aff_f.result(), 3)
        idx = np.searchsorted(person_ids, aff[:, 0])
        position_mask = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(position_mask, idx, aff[:, 1])
        member = np.zeros(n, dtype=bool)
        member[idx] = True
        licensed = np.zeros(n, dtype=bool)
        licensed[idx[aff[:, 2] == 1]] = True
        rows = {key: future.result() for key, future in small.items()}
    corrected = sorted({row[0] for row in rows["corrected"]})
    if corrected:
        _redo_corrected(store, q, on, person_ids, course_mask, corrected)
    awards = rows["awards"]
    role_index = q.roles
    approved = [r for r in rows["approved"] if r[1] in role_index]
    cases = rows["cases"]
    return Columns(
        person_ids=person_ids,
        names=name_array,
        course_mask=course_mask,
        position_mask=position_mask,
        member=member,
        licensed=licensed,
        award_person=_ints((r[0] for r in awards), len(awards)),
        award_role=np.array([role_index.get(r[1], -1) for r in awards], dtype=np.int64),
        award_from=_dates(r[2] for r in awards),
        award_until=_dates(r[3] for r in awards),
        award_revoked=_dates(r[4] for r in awards),
        approved_person=_ints((r[0] for r in approved), len(approved)),
        approved_role=np.array([role_index[r[1]] for r in approved], dtype=np.int64),
        case_person=_ints((r[0] for r in cases), len(cases)),
        case_start=_dates(r[1] for r in cases),
        case_end=_dates(r[2] for r in cases),
    )


def _redo_corrected(
    store: Store,
    q: _Queries,
    on: dt.date,
    person_ids: np.ndarray,
    course_mask: np.ndarray,
    corrected: list[int],
) -> None:
    """Recompute the masks of people whose completions were corrected, exactly."""
    from ..records.load import current_completions

    fix = dict.fromkeys(corrected, 0)
    with store.read() as conn:
        for row in current_completions(conn, corrected):
            if row.completed_on <= on and row.course_id in q.courses:
                fix[row.person_id] |= 1 << q.courses[row.course_id]
    pids = np.fromiter(fix, dtype=np.int64, count=len(fix))
    course_mask[np.searchsorted(person_ids, pids)] = np.fromiter(
        fix.values(), dtype=np.int64, count=len(fix)
    )


def _sqlite_runner(path) -> Callable[[str, dict], list[tuple]]:  # type: ignore[no-untyped-def]
    import sqlite3

    uri = f"file:{path}?mode=ro"

    def run(sql: str, params: dict) -> list[tuple]:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    return run


def _sqlalchemy_runner(store: Store) -> Callable[[str, dict], list[tuple]]:
    import sqlalchemy as sa

    def run(sql: str, params: dict) -> list[tuple]:
        with store.read() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]

    return run


# ------------------------------------------------------------------------ evaluation
class _Vector:
    def __init__(self, programme: Programme, cols: Columns, on: dt.date) -> None:
        self.cols = cols
        self.on = np.datetime64(on, "D")
        self.n = len(cols.person_ids)
        self.courses = {c: i for i, c in enumerate(programme.courses)}
        self.positions = {p: i for i, p in enumerate(programme.positions)}
        self.roles = {r: i for i, r in enumerate(programme.roles)}

    def flag(self, person_ids: np.ndarray) -> np.ndarray:
        return np.isin(self.cols.person_ids, person_ids)

    @staticmethod
    def leaf(met: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        bit = np.int64(1) << np.int64(self.courses[req.course])
        return self.leaf((self.cols.course_mask & bit) != 0)

    def _role_rows(self, roles: tuple[str, ...]) -> np.ndarray:
        return np.isin(self.cols.award_role, [self.roles[r] for r in roles])

    def current(self, roles: tuple[str, ...]) -> np.ndarray:
        c = self.cols
        rows = (
            self._role_rows(roles)
            & (c.award_from <= self.on)
            & (np.isnat(c.award_until) | (c.award_until >= self.on))
            & (np.isnat(c.award_revoked) | (c.award_revoked > self.on))
        )
        return self.flag(c.award_person[rows])

    def _holds(self, req: Holds) -> tuple[np.ndarray, np.ndarray]:
        return self.leaf(self.current(req.roles))

    def _held(self, req: Held) -> tuple[np.ndarray, np.ndarray]:
        c = self.cols
        rows = self._role_rows(req.roles) & (c.award_from <= self.on)
        until, revoked = c.award_until[rows], c.award_revoked[rows]
        ended = np.where(
            np.isnat(until), revoked, np.where(np.isnat(revoked), until, np.minimum(until, revoked))
        )
        anniversary = add_months_np(c.award_from[rows], 12 * req.years)
        ok = (anniversary <= self.on) & (np.isnat(ended) | (ended >= anniversary))
        return self.leaf(self.flag(c.award_person[rows][ok]))

    def _insetting(self, req: InSetting) -> tuple[np.ndarray, np.ndarray]:
        return self.leaf((self.cols.licensed if req.licensed else self.cols.member).copy())

    def _cases(self, req: Cases) -> tuple[np.ndarray, np.ndarray]:
        c = self.cols
        if len(c.case_person) == 0:
            return self.leaf(np.zeros(self.n, dtype=bool))
        end = np.where(np.isnat(c.case_end), self.on, np.minimum(c.case_end, self.on))
        long_enough = months_between_np(c.case_start, end) >= req.over_months
        people, counts = np.unique(c.case_person[long_enough], return_counts=True)
        return self.leaf(self.flag(people[counts >= req.at_least]))

    def _position(self, req: Position) -> tuple[np.ndarray, np.ndarray]:
        bits = np.int64(0)
        for p in req.positions:
            bits |= np.int64(1) << np.int64(self.positions[p])
        return self.leaf((self.cols.position_mask & bits) != 0)

    def _application(self, req: Application) -> tuple[np.ndarray, np.ndarray]:
        c = self.cols
        return self.leaf(self.flag(c.approved_person[c.approved_role == self.roles[req.role]]))


def evaluate_columns(programme: Programme, cols: Columns, on: dt.date) -> pd.DataFrame:
    """The eligibility table: per role, `<role>` (met), `<role>_held` and `<role>_steps`."""
    import pandas as pd

    vec = _Vector(programme, cols, on)
    data: dict[str, np.ndarray] = {}
    if cols.names is not None:
        data["name"] = cols.names
    for rid, role in programme.roles.items():
        met, steps = vec.evaluate(role.requires)
        data[rid] = met
        data[f"{rid}_held"] = vec.current((rid,))
        data[f"{rid}_steps"] = steps
    return pd.DataFrame(data, index=pd.Index(cols.person_ids, name="person_id"))


def bulk_eligibility(
    store: Store, programme: Programme, on: dt.date, *, names: bool = True
) -> pd.DataFrame:
    """Everyone's eligibility on a date as a DataFrame indexed by person id."""
    return evaluate_columns(programme, load_columns(store, programme, on, names=names), on)
