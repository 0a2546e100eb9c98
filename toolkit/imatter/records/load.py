"""Read a person's or a setting's records from the store into frozen facts for the engine.

The queries are plain SQL run through `store.reader`: on a SQLite file a read command reads them
without importing SQLAlchemy; in a write transaction or on PostgreSQL they run through it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

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
from ..store.reader import reader

if TYPE_CHECKING:
    import sqlalchemy as sa


def current_completions(conn: sa.Connection, person_ids: list[int] | None = None) -> list[Any]:
    """Completions not superseded by a later correction (withdrawn corrections excluded)."""
    only = "" if person_ids is None else " AND c.person_id IN (:ids)"
    return reader(conn).rows(
        "SELECT c.* FROM completions c WHERE c.id NOT IN"
        " (SELECT supersedes_id FROM completions WHERE supersedes_id IS NOT NULL)"
        f" AND c.withdrawn = false{only} ORDER BY c.completed_on, c.id",
        ids=person_ids or [],
    )


def current_awards(conn: sa.Connection, person_ids: list[int] | None = None) -> list[Any]:
    """Awards not superseded, with their revocation date (if any) as `revoked_on`."""
    only = "" if person_ids is None else " AND a.person_id IN (:ids)"
    return reader(conn).rows(
        "SELECT a.*, r.revoked_on FROM awards a"
        " LEFT OUTER JOIN award_revocations r ON r.award_id = a.id"
        " WHERE a.id NOT IN (SELECT supersedes_id FROM awards WHERE supersedes_id IS NOT NULL)"
        f" AND a.withdrawn = false{only} ORDER BY a.valid_from",
        ids=person_ids or [],
    )


def licence_setting_facts(conn: sa.Connection, award_rows: list[Any]) -> dict[str, SettingFact]:
    """The settings that licence awards (kind `licence`) run in, with their periods."""
    ids = sorted({r.setting_id for r in award_rows if r.kind == "licence" and r.setting_id})
    if not ids:
        return {}
    licences, memberships = setting_periods(conn, ids)
    return {
        row.id: SettingFact(
            row.id, row.name, "", None, None, tuple(licences[row.id]), tuple(memberships[row.id])
        )
        for row in reader(conn).rows("SELECT id, name FROM settings WHERE id IN (:ids)", ids=ids)
    }


def award_fact(row: Any, licence_settings: dict[str, SettingFact]) -> AwardFact:
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
    db = reader(conn)
    for row in db.rows(
        "SELECT * FROM setting_licences WHERE setting_id IN (:ids)", ids=setting_ids
    ):
        licences[row.setting_id].append(Period(row.valid_from, row.valid_until, row.revoked_on))
    for row in db.rows("SELECT * FROM memberships WHERE setting_id IN (:ids)", ids=setting_ids):
        memberships[row.setting_id].append(Period(row.starts_on, row.ends_on))
    return licences, memberships


def people_records(conn: sa.Connection, person_ids: list[int]) -> dict[int, PersonRecords]:
    """Facts for several people at once (one query per table)."""
    if not person_ids:
        return {}
    db = reader(conn)
    names = {
        row.id: row.name
        for row in db.rows("SELECT id, name FROM people WHERE id IN (:ids)", ids=person_ids)
    }
    completions: dict[int, list[CompletionFact]] = defaultdict(list)
    for row in current_completions(conn, person_ids):
        completions[row.person_id].append(CompletionFact(row.course_id, row.completed_on))
    awards: dict[int, list[AwardFact]] = defaultdict(list)
    award_rows = current_awards(conn, person_ids)
    licence_settings = licence_setting_facts(conn, award_rows)
    for row in award_rows:
        awards[row.person_id].append(award_fact(row, licence_settings))
    rows = db.rows(
        "SELECT a.*, s.name AS setting_name FROM affiliations a"
        " JOIN settings s ON s.id = a.setting_id WHERE a.person_id IN (:ids)",
        ids=person_ids,
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
    for row in db.rows("SELECT * FROM applications WHERE person_id IN (:ids)", ids=person_ids):
        apps[row.person_id].append(
            ApplicationFact(row.role_id, row.status, row.submitted_on, row.decided_on, row.reason)
        )
    cases: dict[int, list[CaseFact]] = defaultdict(list)
    for row in db.rows("SELECT * FROM documented_cases WHERE person_id IN (:ids)", ids=person_ids):
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
    import sqlalchemy as sa

    from ..errors import NotFound
    from ..store import schema as t

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
