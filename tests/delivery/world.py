"""Helpers for delivery tests: a small workspace with settings, people and awards.

Awards and licences are written straight into the store here (as a granted history would be),
so that each test starts from the state it needs without replaying years of training.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import sqlalchemy as sa
from imatter import records
from imatter.store import schema as t

PROGRAMME = Path(__file__).resolve().parents[2] / "modules" / "programme.yml"
TODAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 3, 1, 12, 0)


def grant(
    store, person_id: int, role: str, start: dt.date, *, setting=None, kind="role", until=None
) -> str:
    """Write an award as if it had been granted on `start`."""
    award_id = str(uuid.uuid4())
    with store.write() as conn:
        conn.execute(
            t.awards.insert().values(
                id=award_id,
                person_id=person_id,
                role_id=role,
                kind=kind,
                setting_id=setting,
                valid_from=start,
                valid_until=until,
                granted_by="fixture",
                granted_at=NOW,
                evidence=json.dumps([]),
            )
        )
    return award_id


def revoke(store, award_id: str, on: dt.date) -> None:
    with store.write() as conn:
        conn.execute(
            t.award_revocations.insert().values(
                award_id=award_id,
                revoked_on=on,
                reason="fixture",
                revoked_by="fixture",
                revoked_at=NOW,
            )
        )


def license_setting(store, setting_id: str, start: dt.date, until=None) -> None:
    with store.write() as conn:
        conn.execute(
            t.setting_licences.insert().values(
                setting_id=setting_id,
                valid_from=start,
                valid_until=until,
                granted_by="fixture",
                granted_at=NOW,
            )
        )


class World:
    """Ids of the people and settings in the fixture workspace."""

    def __init__(self, ws):
        self.ws = ws
        self.store = ws.store
        self.programme = ws.programme

    def person(self, name, email, setting=None, position="staff", since=None, area=None):
        return records.add_person(
            self.store,
            self.programme,
            name,
            email=email,
            setting=setting,
            position=position,
            since=since,
            area=area,
        )

    def completions(self):
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(t.completions))]


def build_world(ws) -> World:
    """Oakfield (licensed, 240 pupils) and Elm (not licensed) in the North ICC, with a GP
    practice; a School Lead, a Trainee Lead and a Trainer; three staff learners and a parent."""
    w = World(ws)
    s, p = w.store, w.programme
    records.add_cluster(s, "north", "North Integrated Care Community", kind="icc", area="Northtown")
    records.add_setting(
        s, "oakfield", "Oakfield Primary", pupils_on_roll=240, cluster="north", area="Northtown"
    )
    records.add_setting(s, "elm", "Elm Academy", pupils_on_roll=600, cluster="north")
    records.add_setting(s, "riverside-gp", "Riverside GP Practice", kind="service", cluster="north")
    records.add_membership(s, p, "oakfield", dt.date(2026, 9, 1), recorded_by="fixture")
    license_setting(s, "oakfield", dt.date(2026, 9, 1))
    w.lead = w.person("Lena Lead", "lena@oak.example", "oakfield")
    w.trainee = w.person("Tara Trainee", "tara@oak.example", "oakfield")
    w.trainer = w.person("Theo Trainer", "theo@imatter.example", area="Southtown")
    w.ann = w.person("Ann Able", "ann@oak.example", "oakfield")
    w.ben = w.person("Ben Brook", "ben@oak.example", "oakfield")
    w.cat = w.person("Cat Cole", "cat@oak.example", "oakfield")
    w.pat = w.person("Pat Parent", "pat@home.example", "oakfield", position="parent")
    w.gp = w.person(
        "Gita GP", "gita@riverside.example", "riverside-gp", position="gp-safeguarding-lead"
    )
    w.lead_award = grant(s, w.lead, "school-lead", dt.date(2025, 9, 1), setting="oakfield")
    w.trainee_award = grant(
        s,
        w.trainee,
        "trainee-lead",
        dt.date(2026, 9, 1),
        setting="oakfield",
        kind="licence",
        until=dt.date(2028, 9, 1),
    )
    w.trainer_award = grant(s, w.trainer, "trainer", dt.date(2024, 9, 1))
    return w
