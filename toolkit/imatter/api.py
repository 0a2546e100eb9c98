"""Questions users ask every week, answered over the store and the engine.

The CLI, notebooks and dashboards call these; each returns plain data (dicts or a DataFrame).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .eligibility import evaluate_person, next_steps, short_title
from .trust.access import visible_person_ids

if TYPE_CHECKING:
    import pandas as pd

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


def eligible_for_role(
    ws: Workspace,
    role_id: str,
    on: dt.date,
    *,
    setting: str | None = None,
    explain_limit: int = 500,
) -> dict[str, Any]:
    """Who meets a role now without holding it, and who is exactly one step away (and why)."""
    import sqlalchemy as sa

    from .records import people_records
    from .records.columns import bulk_eligibility
    from .store import schema as t

    role = ws.programme.role(role_id)
    table = _visible(ws, bulk_eligibility(ws.store, ws.programme, on))
    if setting:
        with ws.store.read() as conn:
            members = set(
                conn.execute(
                    sa.select(t.affiliations.c.person_id).where(
                        t.affiliations.c.setting_id == setting
                    )
                ).scalars()
            )
        table = table[table.index.isin(members)]
    from .programme import roles_beyond

    outgrown = [f"{r}_held" for r in roles_beyond(ws.programme, role_id)]
    not_held = table[~table[f"{role_id}_held"]]
    if outgrown:  # a School Lead is never 'eligible' for the trainee licence again
        not_held = not_held[~not_held[outgrown].any(axis=1)]
    now = not_held[not_held[role_id]]
    one = not_held[(~not_held[role_id]) & (not_held[f"{role_id}_steps"] == 1)]
    explain_ids = [int(i) for i in one.index[:explain_limit]]
    with ws.store.read() as conn:
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
        "eligible": [{"person_id": int(i), "name": n} for i, n in now["name"].items()],
        "one_step": one_step,
    }


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
