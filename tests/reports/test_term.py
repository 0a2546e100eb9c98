"""The figures a head teacher sees after one term, checked against a term worked out by hand
(issue 15, point 5).

Oakfield Primary (licensed, member to 2027-08-31), report date 2026-12-04:
  Lena      member of staff    FA+FB 2022, Link 2022, trainee licence 2023-09-01..2025-08-31,
                               School Lead since 2025-09-01 (and an approved trainee
                               application still on file)
  Tom Tia Tod Tess  teachers   in the Foundation A group
  Ada Abe Amy       TAs        in the Foundation A group
  Hal       headteacher        in the Foundation A group
  Gil       governor           nothing yet
  Lee       teacher, left 2026-10-31, FA 2025
  Pam Pat   parents            not staff
The group's 8 were all marked on the report date (at 14:00); 6 passed (Tom Tia Tod Ada Abe
Hal) and hold Foundation A from 2026-12-03.

By hand: staff on the report date = Lena, 4 teachers, 3 TAs, Hal, Gil = 10 (Lee has left,
parents are not staff). Foundation A: Lena, Tom Tia Tod, Ada Abe, Hal = 7. So "7 of 10 staff
trained". Foundation A assessment: marked 8, passed 6, completed 8 (the 6, Lena, and Lee
while still on the staff). Lena's trainee licence is completed (she is School Lead now), not
"lapsed, -460 days"; the membership has 270 days left. Lena is not "eligible now" for the
trainee licence.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import sqlalchemy as sa
from imatter import records
from imatter.reports import Scope, build_report
from imatter.reports.charts import completions_chart, series_styles
from imatter.reports.render import to_html, to_text
from imatter.store import schema as t

D = dt.date
ON = D(2026, 12, 4)
BY = "tester"
OAK = Scope("setting", "oakfield")


def build_term(ws) -> dict[str, int]:
    store, prog = ws.store, ws.programme
    records.add_setting(store, "oakfield", "Oakfield Primary", pupils_on_roll=210)
    staff = {
        "lena": "staff",
        "tom": "teacher",
        "tia": "teacher",
        "tod": "teacher",
        "tess": "teacher",
        "ada": "teaching-assistant",
        "abe": "teaching-assistant",
        "amy": "teaching-assistant",
        "hal": "headteacher",
        "gil": "governor",
        "lee": "teacher",
        "pam": "parent",
        "pat": "parent",
    }
    ids = {
        name: records.add_person(
            store,
            prog,
            name.title(),
            email=f"{name}@oak.example",
            setting="oakfield",
            position=position,
            since=D(2021, 9, 1),
        )
        for name, position in staff.items()
    }
    with store.write() as conn:
        conn.execute(
            t.affiliations.update()
            .where(t.affiliations.c.person_id == ids["lee"])
            .values(until=D(2026, 10, 31))
        )
        conn.execute(
            t.setting_licences.insert().values(
                setting_id="oakfield",
                valid_from=D(2022, 1, 1),
                valid_until=D(2027, 8, 31),
                granted_by=BY,
                granted_at=dt.datetime(2022, 1, 1),
            )
        )
    records.add_membership(store, prog, "oakfield", D(2026, 9, 1), recorded_by=BY)

    def done(who, course, on, evidence=""):
        return records.record_completion(
            store, prog, ids[who], course, on, recorded_by=BY, today=ON, evidence=evidence
        )

    done("lena", "foundation-a", D(2022, 1, 10))
    done("lena", "foundation-b", D(2022, 2, 10))
    done("lee", "foundation-a", D(2025, 5, 1))
    with store.write() as conn:
        awards = [
            ("a-link", "link-professional", "role", D(2022, 3, 1), None),
            ("a-trainee", "trainee-lead", "licence", D(2023, 9, 1), D(2025, 8, 31)),
            ("a-lead", "school-lead", "role", D(2025, 9, 1), None),
        ]
        for award_id, role, kind, start, until in awards:
            conn.execute(
                t.awards.insert().values(
                    id=award_id,
                    person_id=ids["lena"],
                    role_id=role,
                    kind=kind,
                    setting_id="oakfield",
                    valid_from=start,
                    valid_until=until,
                    granted_by=BY,
                    granted_at=dt.datetime.combine(start, dt.time(9)),
                )
            )
        conn.execute(
            t.applications.insert().values(
                person_id=ids["lena"],
                role_id="trainee-lead",
                setting_id="oakfield",
                submitted_on=D(2023, 6, 1),
                status="approved",
                decided_by=BY,
                decided_on=D(2023, 7, 1),
            )
        )
        group = ["tom", "tia", "tod", "tess", "ada", "abe", "amy", "hal"]
        for who in group:
            conn.execute(
                t.assessment_marks.insert().values(
                    nbgrader_course="oakfield-fa",
                    assessment_id="foundation-a",
                    person_id=ids[who],
                    cell_id="reflect-practice",
                    role="first",
                    levels="{}",
                    points=4,
                    answer_sha256="0" * 64,
                    marker="Lena",
                    marked_at=dt.datetime.combine(ON, dt.time(14)),
                )
            )
    for who in ["tom", "tia", "tod", "ada", "abe", "hal"]:
        done(who, "foundation-a", D(2026, 12, 3), "assessment foundation-a: passed")
    return ids


def test_the_report_matches_the_term_worked_out_by_hand(ws):
    ids = build_term(ws)
    report = build_report(ws.store, ws.programme, OAK, on=ON)

    staff = report.section("staff").frame
    assert report.headline == "7 of 10 staff trained (Foundation A completed)"
    assert staff[["staff", "trained", "foundation_a_and_b"]].to_dict("index") == {
        "Headteacher": {"staff": 1, "trained": 1, "foundation_a_and_b": 0},
        "Member of staff": {"staff": 1, "trained": 1, "foundation_a_and_b": 1},
        "Teaching assistant": {"staff": 3, "trained": 2, "foundation_a_and_b": 0},
        "Teacher": {"staff": 4, "trained": 3, "foundation_a_and_b": 0},
        "Governor": {"staff": 1, "trained": 0, "foundation_a_and_b": 0},
        "All staff": {"staff": 10, "trained": 7, "foundation_a_and_b": 1},
    }

    fa = report.section("assessments").frame.loc["foundation-a"]
    assert (fa["marked"], fa["passed"], fa["completed"]) == (8, 6, 8)

    licences = report.section("licences").frame
    rows = licences[["kind", "holder", "status", "days_left", "lapsed_days"]]
    assert [tuple(r) for r in rows.itertuples(index=False)] == [
        ("school licence", "Oakfield Primary", "current", 270, pd.NA),
        ("membership", "Oakfield Primary", "current", 270, pd.NA),
        ("Trainee Lead Professional (licence)", "Lena", "completed", pd.NA, pd.NA),
    ]

    text = to_text(report)
    assert text.splitlines()[2] == "7 of 10 staff trained (Foundation A completed)"
    assert "-4" not in " ".join(re.findall(r"-\d+ ?days?", text))
    page = to_html(report, charts=False)
    assert '<p class="headline">7 of 10 staff trained (Foundation A completed)</p>' in page

    from imatter.api import eligible_for_role
    from imatter.dashboards.data import next_steps
    from imatter.records import people_records

    result = eligible_for_role(ws, "trainee-lead", ON)
    assert ids["lena"] not in [p["person_id"] for p in result["eligible"]]
    with ws.store.read() as conn:
        lena = people_records(conn, [ids["lena"]])
    assert [s.role for s in next_steps(ws.programme, lena, ON)] == []


def test_every_course_gets_its_own_colour(ws):
    courses = list(ws.programme.courses.values())
    assert len(courses) >= 11
    styles = series_styles(len(courses))
    assert len(set(styles)) == len(courses)
    assert len({colour for colour, _ in styles[:13]}) == min(13, len(courses))
    frame = pd.DataFrame(
        {"course": [c.title for c in courses], "2026/27 autumn": 1, "total": 1},
        index=[c.id for c in courses],
    )
    svg = completions_chart(frame).decode("utf-8")
    fills = set(re.findall(r"fill: ?(#[0-9a-fA-F]{6})", svg)) - {"#ffffff", "#000000"}
    assert {colour.lower() for colour, _ in styles} <= {f.lower() for f in fills}
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.people)).scalar() == 0
