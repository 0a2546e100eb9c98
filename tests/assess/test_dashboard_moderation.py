"""Moderation from the Lead dashboard (issue 15): the Lead marks, asks a colleague to
second-mark a sample; the colleague, in their own dashboard and as themselves, marks as the
second marker; the Lead compares and resolves the disagreement, then returns feedback. Real
nbgrader course directory (the `graded` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest

from . import helpers as h

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


def test_the_lead_moderates_with_a_second_person_from_the_dashboards(graded, monkeypatch):
    pytest.importorskip("ipywidgets")
    from imatter import records
    from imatter.access import grant_access
    from imatter.assess.marking import Marking
    from imatter.dashboards import ENV_COURSE_DIRS
    from imatter.dashboards.lead import LeadDashboard
    from imatter.trust.access import use_identity

    from ..delivery.world import grant

    ws, course = graded
    monkeypatch.setenv(ENV_COURSE_DIRS, str(course.root))
    # The course directory is named after the setting it belongs to (see assess.guard).
    records.add_setting(ws.store, course.course_id, "St Mary's", pupils_on_roll=240)
    people = {}
    for name, email in (("Lena Lead", "lena@oak.example"), ("Tara Trainee", "tara@oak.example")):
        people[name] = records.add_person(
            ws.store, ws.programme, name, email=email, setting=course.course_id
        )
        grant(ws.store, people[name], "school-lead", dt.date(2025, 9, 1), setting=course.course_id)
    with ws.store.write() as conn:
        grant_access(conn, "admin@imatter.example", "admin")
        for email in ("lena@oak.example", "tara@oak.example"):
            grant_access(conn, email, "setting-lead", setting=course.course_id)
    # The learners p1..p4 work there too (the Leads may mark only their own setting's).
    for pid in (1, 2, 3, 4):
        records.add_affiliation(ws.store, ws.programme, pid, course.course_id, "staff")
    today = dt.date(2027, 3, 1)
    try:
        use_identity("lena@oak.example")
        lena = LeadDashboard(ws, today, person="lena@oak.example")
        assert lena.moderation.second_marker.options == ("Tara Trainee",)
        lena.open_marking()
        assert lena.returned.value == ""
        first = lena.marking_widget.marking
        assert (first.marker, first.role) == ("Lena Lead", "first")
        h.mark_all(first, "p1", h.PASSING)
        h.mark_all(first, "p2", h.FAILS_WELLBEING)
        lena.moderation.share.value = 100
        lena.moderation.ask_for_sample()
        assert "Asked Tara Trainee to second-mark the work of p1, p2" in (
            lena.moderation.status.value
        )

        # Tara, in her own dashboard, marks the sample as the second marker.
        use_identity("tara@oak.example")
        tara = LeadDashboard(ws, today, person="tara@oak.example")
        tara.moderation.role.value = "second"
        tara.open_marking()
        second = tara.marking_widget.marking
        assert (second.marker, second.role) == ("Tara Trainee", "second")
        assert {i.student for i in second.items()} == {"p1", "p2"}
        h.mark_all(second, "p1", h.PASSING)
        h.mark_all(second, "p2", {**h.FAILS_WELLBEING, "wellbeing": "secure"})
        # Lena cannot second-mark her own marking.
        use_identity("lena@oak.example")
        lena.moderation.role.value = "second"
        lena.open_marking()
        lena_second = lena.marking_widget.marking
        from imatter.errors import ImatterError

        with pytest.raises(
            ImatterError,
            match="Lena Lead first-marked p1's foundation-a: the second marker must be "
            "someone else",
        ):
            h.mark_all(lena_second, "p1", h.PASSING)
        lena.moderation.role.value = "first"

        lena.moderation.compare()
        status = lena.moderation.status.value
        assert "Sample: 2; second-marked: 2" in status
        assert "<td>p2</td><td>Attends to the adult&#39;s own wellbeing</td>" in status
        assert "p2: the outcome would change from not yet to pass." in status
        assert lena.moderation.learner.options == ("p2",)
        lena.moderation.resolve("second")
        assert "Resolved 1 disagreement(s) over p2&#39;s work: kept the second marks" in (
            lena.moderation.status.value
        )
        assert "No disagreements" in lena.moderation.status.value
        assert Marking(course, A, ws.store, marker="x").results()[1].outcome.passed is True

        lena.hand_back()
        target = course.root / "handback" / A
        assert sorted(p.name[:2] for p in target.iterdir()) == ["p1", "p2"]
        assert "You have passed" in (target / f"p2_{A}-feedback.html").read_text()
    finally:
        use_identity("")
