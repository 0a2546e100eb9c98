"""A small records world whose report figures were worked out by hand (see the tests).

People (setting, position):
  1 Ann  oak teacher              FA 2026-10-05, FB 2026-11-10 (assessment), Link 2026-11-15
  2 Ben  oak teaching-assistant   FA 2026-03-10 (corrected from 02-10), FB 2026-05-20
                                  (assessment), Link 2026-06-01, Trainee 2026-09-15
  3 Cat  elm teacher              FA 2026-10-01 (assessment)
  4 Dan  gp-1 gp-safeguarding     FA 2026-01-15
  5 Eve  oak staff until 2026-08-31, then elm staff: FA 2026-06-01, FB 2026-10-20
  6 Fay  no setting               awareness 2026-10-02
  7 Gus  oak teacher since 2021   FA 2022-01-10, FB 2022-02-10, Link 2022-03-01, Trainee
                                  2022-03-10 (to 2024-03-10), lead-y1-t1..t3 in 2024-2025
Settings: oak (school, 200 pupils) and elm (school, 80) in cluster north; gp-1 (service).
oak licensed 2022-01-01 to 2027-08-31; memberships 2022 and 2025-12-01..2026-11-30.
elm membership 2025-01-01..2025-12-31 (lapsed). Study groups: 1 (oak, foundation-b, Ann Ben Cat,
4 sessions, one cancelled) and 2 (elm, foundation-a, Cat Eve, 2 sessions).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from imatter import records
from imatter.store import schema as t

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME = ROOT / "modules" / "programme.yml"
TODAY = dt.date(2026, 11, 28)
D = dt.date
BY = "tester"


def build_world(ws) -> dict[str, int]:
    store, prog = ws.store, ws.programme
    records.add_cluster(store, "north", "North cluster")
    records.add_setting(store, "oak", "Oak Primary", pupils_on_roll=200, cluster="north")
    records.add_setting(store, "elm", "Elm Infants", pupils_on_roll=80, cluster="north")
    records.add_setting(store, "gp-1", "Riverside Practice", kind="service")

    def person(name, setting=None, position=None, since=None):
        return records.add_person(
            store,
            prog,
            name,
            email=f"{name.lower()}@example.org",
            setting=setting,
            position=position,
            since=since,
        )

    ids = {
        "ann": person("Ann", "oak", "teacher", D(2025, 9, 1)),
        "ben": person("Ben", "oak", "teaching-assistant", D(2024, 9, 1)),
        "cat": person("Cat", "elm", "teacher", D(2025, 1, 1)),
        "dan": person("Dan", "gp-1", "gp-safeguarding-lead", D(2025, 1, 1)),
        "eve": person("Eve", "oak", "staff", D(2025, 9, 1)),
        "fay": person("Fay"),
        "gus": person("Gus", "oak", "teacher", D(2021, 9, 1)),
    }
    records.add_affiliation(store, prog, ids["eve"], "elm", "staff", since=D(2026, 9, 1))
    with store.write() as conn:
        conn.execute(
            t.affiliations.update()
            .where(t.affiliations.c.person_id == ids["eve"], t.affiliations.c.setting_id == "oak")
            .values(until=D(2026, 8, 31))
        )
        # The licence is granted directly: the licence rule is not what is under test here.
        conn.execute(
            t.setting_licences.insert().values(
                setting_id="oak",
                valid_from=D(2022, 1, 1),
                valid_until=D(2027, 8, 31),
                granted_by=BY,
                granted_at=dt.datetime(2022, 1, 1),
            )
        )
    records.add_membership(store, prog, "oak", D(2022, 1, 1), recorded_by=BY)
    records.add_membership(store, prog, "oak", D(2025, 12, 1), recorded_by=BY)
    records.add_membership(store, prog, "elm", D(2025, 1, 1), recorded_by=BY)

    def done(who, course, on, evidence=""):
        return records.record_completion(
            store, prog, ids[who], course, on, recorded_by=BY, today=TODAY, evidence=evidence
        )

    ids["ann_fa"] = done("ann", "foundation-a", D(2026, 10, 5))
    ids["ann_fb"] = done("ann", "foundation-b", D(2026, 11, 10), "assessment foundation-b")
    wrong = done("ben", "foundation-a", D(2026, 2, 10))
    ids["ben_fa"] = records.correct_completion(
        store, prog, wrong, on=D(2026, 3, 10), reason="wrong date", recorded_by=BY, today=TODAY
    )
    ids["ben_fb"] = done("ben", "foundation-b", D(2026, 5, 20), "assessment foundation-b")
    ids["cat_fa"] = done("cat", "foundation-a", D(2026, 10, 1), "assessment foundation-a")
    done("dan", "foundation-a", D(2026, 1, 15))
    done("eve", "foundation-a", D(2026, 6, 1))
    done("eve", "foundation-b", D(2026, 10, 20))
    done("fay", "awareness", D(2026, 10, 2))
    done("gus", "foundation-a", D(2022, 1, 10))
    done("gus", "foundation-b", D(2022, 2, 10))
    records.award_role(ws, ids["gus"], "link-professional", D(2022, 3, 1), granted_by=BY)
    app = records.apply_for_role(store, prog, ids["gus"], "trainee-lead", D(2022, 3, 2))
    records.decide_application(store, app, approve=True, decided_by=BY, on=D(2022, 3, 5))
    records.award_role(ws, ids["gus"], "trainee-lead", D(2022, 3, 10), granted_by=BY)
    done("gus", "lead-y1-t1", D(2024, 12, 1))
    done("gus", "lead-y1-t2", D(2025, 3, 1))
    done("gus", "lead-y1-t3", D(2025, 6, 1))
    records.award_role(ws, ids["ben"], "link-professional", D(2026, 6, 1), granted_by=BY)
    app = records.apply_for_role(store, prog, ids["ben"], "trainee-lead", D(2026, 9, 1))
    records.decide_application(store, app, approve=True, decided_by=BY, on=D(2026, 9, 10))
    records.award_role(ws, ids["ben"], "trainee-lead", D(2026, 9, 15), granted_by=BY)
    records.award_role(ws, ids["ann"], "link-professional", D(2026, 11, 15), granted_by=BY)

    now = dt.datetime(2026, 11, 20, 12)
    with store.write() as conn:
        groups = [
            (1, "Oak FB autumn", "foundation-b", "oak", ["ann", "ben", "cat"]),
            (2, "Elm FA autumn", "foundation-a", "elm", ["cat", "eve"]),
        ]
        for gid, name, course, setting, members in groups:
            conn.execute(
                t.study_groups.insert().values(
                    id=gid,
                    name=name,
                    course_id=course,
                    audience="staff",
                    setting_id=setting,
                    term="2026-autumn",
                    leader_id=ids["gus"],
                    created_by=BY,
                    created_at=now,
                )
            )
            for who in members:
                conn.execute(
                    t.group_members.insert().values(
                        group_id=gid, person_id=ids[who], enrolled_on=D(2026, 9, 1)
                    )
                )
        sessions = [
            (11, 1, D(2026, 10, 1), False, {"ann": True, "ben": True, "cat": True}),
            (12, 1, D(2026, 10, 8), False, {"ann": True, "ben": False, "cat": True}),
            (13, 1, D(2026, 10, 15), True, {}),
            (14, 1, D(2026, 10, 22), False, {"ann": True, "ben": False, "cat": False}),
            (21, 2, D(2026, 9, 10), False, {"cat": True, "eve": True}),
            (22, 2, D(2026, 9, 17), False, {"cat": True, "eve": False}),
        ]
        for sid, gid, day, cancelled, marks in sessions:
            conn.execute(
                t.group_sessions.insert().values(
                    id=sid, group_id=gid, held_on=day, cancelled=cancelled
                )
            )
            for who, present in marks.items():
                conn.execute(
                    t.attendance.insert().values(
                        session_id=sid,
                        person_id=ids[who],
                        present=present,
                        recorded_by_id=ids["gus"],
                        recorded_at=now,
                    )
                )
        mark = {
            "nbgrader_course": "oak-fb",
            "assessment_id": "foundation-b",
            "cell_id": "r1",
            "levels": "{}",
            "points": 3.0,
            "answer_sha256": "0" * 64,
            "marker": BY,
            "marked_at": dt.datetime(2026, 11, 5),
        }
        for who, role in (("ann", "first"), ("ben", "first"), ("ben", "second")):
            conn.execute(t.assessment_marks.insert().values(person_id=ids[who], role=role, **mark))
        for who, completion, score in (("ann", "ann_fb", 8.0), ("ben", "ben_fb", 6.0)):
            conn.execute(
                t.assessment_syncs.insert().values(
                    nbgrader_course="oak-fb",
                    assessment_id="foundation-b",
                    person_id=ids[who],
                    course_id="foundation-b",
                    completion_id=ids[completion],
                    outcome="passed",
                    score=score,
                    max_score=10.0,
                    synced_by=BY,
                    synced_at=dt.datetime(2026, 11, 10),
                )
            )
        assert conn.execute(sa.select(sa.func.count()).select_from(t.attendance)).scalar() == 13
    return ids
