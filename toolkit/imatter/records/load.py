"""Read a person's or a setting's records from the store into frozen facts for the engine."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa

from ..eligibility.facts import (
    ApplicationFact,
    AwardFact,
    CaseFact,
    CompletionFact,
    MemberFacts,
    Period,
    PersonRecords,
    SettingFact,
    SettingRecords,
)
from ..store import schema as t


def current_completions(conn: sa.Connection, person_ids: list[int] | None = None) -> list[sa.Row]:
    """Completions not superseded by a later correction (withdrawn corrections excluded)."""
    c = t.completions
    newer = sa.select(c.c.supersedes_id).where(c.c.supersedes_id.is_not(None))
    query = sa.select(c).where(c.c.id.not_in(newer), c.c.withdrawn.is_(False))
    if person_ids is not None:
        query = query.where(c.c.person_id.in_(person_ids))
    return list(conn.execute(query.order_by(c.c.completed_on, c.c.id)))


def current_awards(conn: sa.Connection, person_ids: list[int] | None = None) -> list[sa.Row]:
    """Awards not superseded, with their revocation date (if any) as `revoked_on`."""
    a, r = t.awards, t.award_revocations
    newer = sa.select(a.c.supersedes_id).where(a.c.supersedes_id.is_not(None))
    query = (
        sa.select(a, r.c.revoked_on)
        .select_from(a.outerjoin(r, r.c.award_id == a.c.id))
        .where(a.c.id.not_in(newer), a.c.withdrawn.is_(False))
    )
    if person_ids is not None:
        query = query.where(a.c.person_id.in_(person_ids))
    return list(conn.execute(query.order_by(a.c.valid_from)))


def licence_setting_facts(conn: sa.Connection, award_rows: list[sa.Row]) -> dict[str, SettingFact]:
    """The settings that licence awards (kind `licence`) run in, with their periods."""
    ids = sorted({r.setting_id for r in award_rows if r.kind == "licence" and r.setting_id})
    if not ids:
        return {}
    licences, memberships = setting_periods(conn, ids)
    st = t.settings
    return {
        row.id: SettingFact(
            row.id, row.name, "", None, None, tuple(licences[row.id]), tuple(memberships[row.id])
        )
        for row in conn.execute(sa.select(st.c.id, st.c.name).where(st.c.id.in_(ids)))
    }


def award_fact(row: sa.Row, licence_settings: dict[str, SettingFact]) -> AwardFact:
    """An award row (from current_awards) as the engine's fact; a licence carries its setting."""
    setting = licence_settings.get(row.setting_id) if row.kind == "licence" else None
    return AwardFact(row.role_id, row.valid_from, row.valid_until, row.revoked_on, setting)


def setting_periods(
    conn: sa.Connection, setting_ids: list[str]
) -> tuple[dict[str, list[Period]], dict[str, list[Period]]]:
    licences: dict[str, list[Period]] = defaultdict(list)
    memberships: dict[str, list[Period]] = defaultdict(list)
    if not setting_ids:
        return licences, memberships
    lic = t.setting_licences
    for row in conn.execute(sa.select(lic).where(lic.c.setting_id.in_(setting_ids))):
        licences[row.setting_id].append(Period(row.valid_from, row.valid_until, row.revoked_on))
    mem = t.memberships
    for row in conn.execute(sa.select(mem).where(mem.c.setting_id.in_(setting_ids))):
        memberships[row.setting_id].append(Period(row.starts_on, row.ends_on))
    return licences, memberships


def people_records(conn: sa.Connection, person_ids: list[int]) -> dict[int, PersonRecords]:
    """Facts for several people at once (one query per table)."""
    if not person_ids:
        return {}
    names = {
        row.id: row.name
        for row in conn.execute(
            sa.select(t.people.c.id, t.people.c.name).where(t.people.c.id.in_(person_ids))
        )
    }
    completions: dict[int, list[CompletionFact]] = defaultdict(list)
    for row in current_completions(conn, person_ids):
        completions[row.person_id].append(CompletionFact(row.course_id, row.completed_on))
    awards: dict[int, list[AwardFact]] = defaultdict(list)
    award_rows = current_awards(conn, person_ids)
    licence_settings = licence_setting_facts(conn, award_rows)
    for row in award_rows:
        awards[row.person_id].append(award_fact(row, licence_settings))
    aff, st = t.affiliations, t.settings
    rows = list(
        conn.execute(
            sa.select(aff, st.c.name.label("setting_name"))
            .select_from(aff.join(st, st.c.id == aff.c.setting_id))
            .where(aff.c.person_id.in_(person_ids))
        )
    )
    licences, memberships = setting_periods(conn, sorted({r.setting_id for r in rows}))
    settings: dict[int, list[SettingFact]] = defaultdict(list)
    for row in rows:
        settings[row.person_id].append(
            SettingFact(
                row.setting_id,
                row.setting_name,
                row.position,
                row.since,
                row.until,
                tuple(licences[row.setting_id]),
                tuple(memberships[row.setting_id]),
            )
        )
    apps: dict[int, list[ApplicationFact]] = defaultdict(list)
    ap = t.applications
    for row in conn.execute(sa.select(ap).where(ap.c.person_id.in_(person_ids))):
        apps[row.person_id].append(
            ApplicationFact(row.role_id, row.status, row.submitted_on, row.decided_on, row.reason)
        )
    cases: dict[int, list[CaseFact]] = defaultdict(list)
    dc = t.documented_cases
    for row in conn.execute(sa.select(dc).where(dc.c.person_id.in_(person_ids))):
        cases[row.person_id].append(CaseFact(row.reference, row.started_on, row.last_reviewed_on))
    return {
        pid: PersonRecords(
            person_id=pid,
            name=names[pid],
            completions=tuple(completions[pid]),
            awards=tuple(awards[pid]),
            settings=tuple(settings[pid]),
            applications=tuple(apps[pid]),
            cases=tuple(cases[pid]),
        )
        for pid in person_ids
        if pid in names
    }


def person_records(conn: sa.Connection, person_id: int) -> PersonRecords:
    """Facts for one person (NotFound if there is no such person)."""
    from ..errors import NotFound

    found = people_records(conn, [person_id])
    if person_id not in found:
        raise NotFound(f"no person with id {person_id}; see `imatter person list`")
    return found[person_id]


def setting_records(conn: sa.Connection, setting_id: str, on: dt.date) -> SettingRecords:
    """Facts for the school licence rule: members (current on the date), plans, periods."""
    from ..errors import NotFound

    row = conn.execute(sa.select(t.settings).where(t.settings.c.id == setting_id)).first()
    if row is None:
        raise NotFound(f"no setting '{setting_id}'; see `imatter setting list`")
    from .people import not_erased

    aff = t.affiliations
    members = list(
        conn.execute(
            sa.select(aff.c.person_id, aff.c.position, aff.c.since, aff.c.until)
            .select_from(aff.join(t.people, t.people.c.id == aff.c.person_id))
            .where(aff.c.setting_id == setting_id, not_erased())
        )
    )
    members = [
        m
        for m in members
        if (m.since is None or m.since <= on) and (m.until is None or on <= m.until)
    ]
    records = people_records(conn, sorted({m.person_id for m in members}))
    plans = conn.execute(
        sa.select(sa.func.count())
        .select_from(t.action_plans)
        .where(
            t.action_plans.c.setting_id == setting_id,
            t.action_plans.c.status == "active",
            t.action_plans.c.created_on <= on,
        )
    ).scalar_one()
    licences, memberships = setting_periods(conn, [setting_id])
    return SettingRecords(
        id=row.id,
        name=row.name,
        kind=row.kind,
        pupils_on_roll=row.pupils_on_roll,
        members=tuple(
            MemberFacts(m.person_id, records[m.person_id].name, m.position, records[m.person_id])
            for m in members
        ),
        active_action_plans=plans,
        licences=tuple(licences[setting_id]),
        memberships=tuple(memberships[setting_id]),
    )
