"""Settings and awards read for the licence rules: each setting's licence and membership
periods, the roles a person holds on a date, and licences that lapsed with their setting."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from ...eligibility.facts import AwardFact, SettingFact, setting_licence_problem
from ...errors import NotFound
from ...programme import Programme
from ...store import Store
from ...store import schema as t
from ...trust.access import allowed, require

TRAINEE_ROLE = "trainee-lead"


# ------------------------------------------------------------------ settings and awards
def setting_facts(conn: sa.Connection, setting_ids: list[str]) -> dict[str, SettingFact]:
    """Each setting as a SettingFact carrying its licence and membership periods."""
    from ...records.load import setting_periods as periods

    if not setting_ids:
        return {}
    licences, memberships = periods(conn, setting_ids)
    st = t.settings
    return {
        row.id: SettingFact(
            row.id,
            row.name,
            "",
            licences=tuple(licences[row.id]),
            memberships=tuple(memberships[row.id]),
        )
        for row in conn.execute(sa.select(st.c.id, st.c.name).where(st.c.id.in_(setting_ids)))
    }


def setting_problem(conn: sa.Connection, setting_id: str, on: dt.date) -> str | None:
    """Why a setting is not licensed with a current membership on a date (None if it is)."""
    found = setting_facts(conn, [setting_id])
    if setting_id not in found:
        raise NotFound(f"no setting '{setting_id}'; see `imatter setting list`")
    return setting_licence_problem(found[setting_id], on)


def check_setting_licence(store: Store, programme: Programme, setting_id: str, on: dt.date):
    """Whether a setting meets the school licence rule, and what is missing (names its staff).

    Only for those who may see the setting's reports; another setting's looks missing."""
    from ...eligibility import evaluate_setting_licence
    from ...records.load import setting_records
    from ...records.settings import require_setting

    with store.read() as conn:
        require_setting(conn, setting_id)
        require(conn, "reports.read", setting=setting_id)
        return evaluate_setting_licence(programme, setting_records(conn, setting_id, on), on)


def held_roles(
    conn: sa.Connection, programme: Programme, person_ids: list[int], on: dt.date
) -> dict[int, dict[str, sa.Row]]:
    """Current awards by person and role on a date: started, unexpired, unrevoked, and for a
    licence (kind: licence, e.g. the trainee licence) only while its setting is licensed with
    a current membership (the engine's `AwardFact.current_on`)."""
    held: dict[int, dict[str, sa.Row]] = defaultdict(dict)
    for row, fact in _award_facts(conn, person_ids):
        if fact.current_on(on):
            held[row.person_id][row.role_id] = row
    return held


def lapsed_licences(
    conn: sa.Connection, person_ids: list[int], on: dt.date
) -> dict[int, dict[str, str]]:
    """Licences not held only because their setting lapsed: person -> role -> the words."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for row, fact in _award_facts(conn, person_ids):
        text, end = fact.lapse(on), fact.ends_on(on)
        if text and not fact.revoked_by(on) and (end is None or end >= on):
            out[row.person_id][row.role_id] = text
    return out


def _award_facts(conn: sa.Connection, person_ids: list[int]) -> list[tuple[sa.Row, AwardFact]]:
    from ...records.load import award_fact, current_awards, licence_setting_facts

    rows = current_awards(conn, person_ids)
    settings = licence_setting_facts(conn, rows)
    return [(row, award_fact(row, settings)) for row in rows]


def _kind(programme: Programme, role_id: str) -> str:
    role = programme.roles.get(role_id)
    return role.kind if role else "role"


def _allowed_settings(conn: sa.Connection, rows: Sequence[sa.Row]) -> list[sa.Row]:
    """The settings rows the current actor may see reports of."""
    return [row for row in rows if allowed(conn, "reports.read", setting=row.id)]
