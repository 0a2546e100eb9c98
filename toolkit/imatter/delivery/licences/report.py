"""The licence report: every setting, licensed and current or not, whether it meets the school
licence rule, its trainees and the applications waiting."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from ...eligibility.facts import setting_licence_problem
from ...programme import Programme
from ...store import Store
from ...store import schema as t
from ...trust.access import allowed
from .loading import TRAINEE_ROLE, _allowed_settings, held_roles, lapsed_licences, setting_facts


# ------------------------------------------------------------------ the licence report
@dataclass(frozen=True)
class LicenceRow:
    """One setting in the licence report."""

    setting: str
    name: str
    kind: str
    cluster: str | None
    licensed: bool
    licence_until: str  # a date, 'open-ended' or ''
    membership_until: dt.date | None
    problem: str | None  # why it is not licensed with a current membership (None if it is)
    rule_met: bool
    missing: tuple[str, ...]
    trainees: int
    applications_waiting: int
    lapsed: tuple[str, ...] = ()  # trainee licences not counted, each "NAME: licence lapsed: ..."


def licence_report(store: Store, programme: Programme, on: dt.date) -> list[LicenceRow]:
    """Every setting: licensed and current? does it meet the rule? trainees, applications."""
    from ...eligibility import evaluate_setting_licence
    from ...records.load import setting_records

    s, ap = t.settings, t.applications
    with store.read() as conn:
        settings = _allowed_settings(conn, conn.execute(sa.select(s).order_by(s.c.id)).all())
        facts = setting_facts(conn, [row.id for row in settings])
        waiting: dict[str, int] = dict(
            conn.execute(
                sa.select(ap.c.setting_id, sa.func.count())
                .where(ap.c.role_id == TRAINEE_ROLE, ap.c.status == "submitted")
                .group_by(ap.c.setting_id)
            ).all()
        )
        award_rows = conn.execute(
            sa.select(t.awards.c.person_id, t.awards.c.setting_id).where(
                t.awards.c.role_id == TRAINEE_ROLE
            )
        ).all()
        holders = sorted({r.person_id for r in award_rows})
        held = held_roles(conn, programme, holders, on)
        trainees: dict[str, int] = defaultdict(int)
        for roles in held.values():
            award = roles.get(TRAINEE_ROLE)
            if award is not None and award.setting_id:
                trainees[award.setting_id] += 1
        names = dict(
            conn.execute(
                sa.select(t.people.c.id, t.people.c.name).where(t.people.c.id.in_(holders))
            ).all()
        )
        lapsed: dict[str, list[str]] = defaultdict(list)
        for pid, why in lapsed_licences(conn, holders, on).items():
            if TRAINEE_ROLE in why and allowed(conn, "people.read", person=pid):
                setting = next(r.setting_id for r in award_rows if r.person_id == pid)
                lapsed[setting or ""].append(f"{names[pid]}: {why[TRAINEE_ROLE]}")
        report = []
        for row in settings:
            fact = facts[row.id]
            result = evaluate_setting_licence(programme, setting_records(conn, row.id, on), on)
            current = [p for p in fact.licences if p.covers(on)]
            until = ""
            if current:
                ends = [p.end for p in current]
                until = "open-ended" if None in ends else max(e for e in ends if e).isoformat()
            members = [p.end for p in fact.memberships if p.start <= on and p.end is not None]
            report.append(
                LicenceRow(
                    setting=row.id,
                    name=row.name,
                    kind=row.kind,
                    cluster=row.cluster_id,
                    licensed=bool(current),
                    licence_until=until,
                    membership_until=max(members) if members else None,
                    problem=setting_licence_problem(fact, on),
                    rule_met=result.met,
                    missing=result.missing,
                    trainees=trainees[row.id],
                    applications_waiting=waiting.get(row.id, 0),
                    lapsed=tuple(lapsed[row.id]),
                )
            )
    return report
