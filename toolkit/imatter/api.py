"""Questions users ask every week, answered over the store and the engine.

The CLI, notebooks and dashboards call these; each returns plain data (dicts or a DataFrame).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .eligibility import evaluate_person, next_steps, short_title
from .records.load import people_records
from .trust.access import visible_person_ids

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    import pandas as pd

    from .programme import Programme
    from .workspace import Workspace


def person_status(ws: Workspace, person: str | int, on: dt.date) -> dict[str, Any]:
    """What a person has completed and holds, each role's state, and what to do next."""
    from .records import person_records, resolve_person

    with ws.reading() as conn:
        facts = person_records(conn, resolve_person(conn, person))
    results = evaluate_person(ws.programme, facts, on)
    roles = [
        {
            "role": result.role,
            "title": result.title,
            "state": result.state,
            "steps": result.steps,
            "missing": ([result.lapsed] if result.lapsed else []) + list(result.missing),
            "reasons": [r.as_dict() for r in result.reasons],
            "lapsed": result.lapsed,
            "eligible_from": result.eligible_from,
            "advice": list(result.advice),
        }
        for result in results.values()
    ]
    steps = next_steps(results, ws.programme)
    done = sorted({c.course for c in facts.completions if c.on <= on})
    return {
        "person_id": facts.person_id,
        "name": facts.name,
        "on": on,
        "completed": [short_title(ws.programme.courses[c].title) for c in done],
        "holds": [r["title"] for r in roles if r["state"] == "held"],
        "roles": roles,
        "next": [step.text for step in steps],
        "next_steps": [step.as_dict() for step in steps],
    }


#: Up to this many people, `eligible_for_role` asks the single-person engine about each person
#: (no pandas or NumPy to import: a read command answers at once); above it, the columnar bulk
#: engine. tests/eligibility/test_bulk.py holds the two to the same answers, person by person.
PER_PERSON_LIMIT = 2000


def eligible_for_role(
    ws: Workspace,
    role_id: str,
    on: dt.date,
    *,
    setting: str | None = None,
    explain_limit: int = 500,
) -> dict[str, Any]:
    """Who meets a role now without holding it, and who is exactly one step away (and why)."""
    from .programme import roles_beyond
    from .store.reader import reader

    role = ws.programme.role(role_id)
    outgrown = sorted(roles_beyond(ws.programme, role_id))
    with ws.reading() as conn:
        count = reader(conn).scalar("SELECT count(*) FROM people")
        if count > PER_PERSON_LIMIT:
            eligible, one = _eligible_bulk(conn, ws, role_id, outgrown, on, setting)
        else:
            eligible, one = _eligible_per_person(conn, ws, role_id, outgrown, on, setting)
        explain_ids = one[:explain_limit]
        facts = people_records(conn, explain_ids)
    from .eligibility import evaluate_role

    one_step = []
    for pid in explain_ids:
        result = evaluate_role(ws.programme, facts[pid], role_id, on)
        one_step.append(
            {
                "person_id": pid,
                "name": facts[pid].name,
                "missing": "; ".join(result.missing),
                "reasons": [r.as_dict() for r in result.reasons],
            }
        )
    return {
        "role": role.title,
        "on": on,
        "eligible": [{"person_id": pid, "name": name} for pid, name in eligible],
        "one_step": one_step,
    }


def _eligible_per_person(
    conn: Any,
    ws: Workspace,
    role_id: str,
    outgrown: list[str],
    on: dt.date,
    setting: str | None,
) -> tuple[list[tuple[int, str]], list[int]]:
    """(id, name) of those who meet the role, and ids of those one step away: each person's
    records through the single-person engine, in id order, as the bulk table lists them."""
    from .eligibility import evaluate_role
    from .store.reader import reader

    db = reader(conn)
    ids = db.scalars("SELECT id FROM people ORDER BY id")
    visible = visible_person_ids(conn)
    if visible is not None:
        ids = [i for i in ids if i in visible]
    if setting:
        members = set(
            db.scalars("SELECT person_id FROM affiliations WHERE setting_id = :s", s=setting)
        )
        ids = [i for i in ids if i in members]
    facts = people_records(conn, ids)
    eligible: list[tuple[int, str]] = []
    one: list[int] = []
    for pid in ids:
        if any(facts[pid].holds(r, on) for r in (role_id, *outgrown)):
            continue
        result = evaluate_role(ws.programme, facts[pid], role_id, on)
        if result.met:
            eligible.append((pid, facts[pid].name))
        elif result.steps == 1:
            one.append(pid)
    return eligible, one


def _eligible_bulk(
    conn: Any,
    ws: Workspace,
    role_id: str,
    outgrown: list[str],
    on: dt.date,
    setting: str | None,
) -> tuple[list[tuple[int, str]], list[int]]:
    """As `_eligible_per_person`, through the columnar bulk engine: NumPy columns for the one
    role, its holders and those who have outgrown it (no pandas table of every role, and on
    a SQLite file no Store or SQLAlchemy). `conn` is the command's snapshot: who the actor
    may see, and the setting's members."""
    from .eligibility.bulk import held_roles, role_columns, vector
    from .records.columns import load_columns, person_names
    from .store.reader import reader

    cols = load_columns(ws, ws.programme, on, names=False, warm_pandas=False)
    vec = vector(ws.programme, cols, on)
    met, held, steps = role_columns(ws.programme, cols, on, role_id, vec)
    open_to = ~held
    if outgrown:  # a School Lead is never 'eligible' for the trainee licence again
        open_to &= ~held_roles(ws.programme, cols, on, outgrown, vec)
    visible = visible_person_ids(conn)
    if visible is not None:
        open_to &= vec.flag(_ids(visible))
    if setting:
        members = reader(conn).scalars(
            "SELECT person_id FROM affiliations WHERE setting_id = :s", s=setting
        )
        open_to &= vec.flag(_ids(members))
    ids = cols.person_ids
    now = [int(i) for i in ids[open_to & met]]
    one = [int(i) for i in ids[open_to & ~met & (steps == 1)]]
    names = person_names(ws, now)
    return [(i, names[i]) for i in now], one


def _ids(ids: Iterable[int]) -> np.ndarray:
    import numpy as np

    return np.fromiter(ids, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class CourseListing:
    """A course as `imatter courses` lists it: its rules, the courses that come before it
    (`after`) and what completes it, in words (`completed_by`: `Course.rule`, as `group show`
    says it)."""

    id: str
    title: str
    level: str
    audience: str
    delivery: str
    hours: float
    after: tuple[str, ...]
    assessment: str | None
    attendance: float
    completed_by: str


@dataclass(frozen=True, slots=True)
class RoleListing:
    """A role or licence as `imatter roles` lists it; `valid_years` None: no limit."""

    id: str
    title: str
    kind: str
    description: str
    valid_years: int | None


def course_catalogue(programme: Programme) -> list[CourseListing]:
    """The programme's courses in its order, with what completes each."""
    return [
        CourseListing(
            c.id,
            c.title,
            c.level,
            c.audience,
            c.delivery,
            c.hours,
            c.prerequisites,
            c.assessment,
            c.attendance,
            c.rule(),
        )
        for c in programme.courses.values()
    ]


def role_catalogue(programme: Programme) -> list[RoleListing]:
    """The programme's roles and licences in its order."""
    return [
        RoleListing(r.id, r.title, r.kind, r.description, r.valid_years)
        for r in programme.roles.values()
    ]


def eligibility_table(ws: Workspace, on: dt.date) -> pd.DataFrame:
    """A readable table: one row per person, one column per role (held / yes / N to go)."""
    import pandas as pd

    from .records.columns import bulk_eligibility

    table = _visible(ws, bulk_eligibility(ws.store, ws.programme, on))
    out = pd.DataFrame({"name": table["name"]}, index=table.index)
    for rid in ws.programme.roles:
        out[rid] = [
            "held" if held else "yes" if met else f"{steps} to go"
            for held, met, steps in zip(
                table[f"{rid}_held"], table[rid], table[f"{rid}_steps"], strict=True
            )
        ]
    return out


def _visible(ws: Workspace, table: pd.DataFrame) -> pd.DataFrame:
    """Only the rows of people the current actor may see (everyone for an admin)."""
    with ws.store.read() as conn:
        ids = visible_person_ids(conn)
    return table if ids is None else table[table.index.isin(ids)]
