"""Study groups: leaders, enrolment, sessions, attendance and the completion rule."""

from __future__ import annotations

import datetime as dt

import pytest
from imatter.delivery import groups
from imatter.delivery.groups.rules import SessionFact, learner_progress, sessions_required
from imatter.errors import Conflict, Duplicate, ImportRowError, InvalidValue, PermissionDenied

from .world import TODAY, grant, revoke

D = dt.date


FIRST = D(2026, 10, 1)


def weekly(n, first=FIRST):
    return groups.weekly_dates(first, n)


def foundation_group(world, n_sessions=5, learners=("ann", "ben", "cat")):
    gid = groups.create_group(
        world.store,
        world.programme,
        course_id="foundation-a",
        term="2026-27-t1",
        leader=world.lead,
        setting="oakfield",
        on=D(2026, 9, 20),
    )
    groups.enrol(
        world.store, world.programme, gid, [getattr(world, n) for n in learners], D(2026, 9, 20)
    )
    ids = groups.schedule_sessions(world.store, gid, weekly(n_sessions))
    return gid, ids


def mark(world, session_id, present, absent=(), by=None):
    marks = {**{p: True for p in present}, **{p: False for p in absent}}
    groups.record_attendance(
        world.store, world.programme, session_id, marks, recorded_by=by or world.lead, today=TODAY
    )


# ---------------------------------------------------------------- the attendance rule (pure)
@pytest.mark.parametrize(
    ("share", "sessions", "needed"),
    [
        (0.8, 5, 4),
        (0.8, 6, 5),
        (0.8, 4, 4),
        (0.8, 10, 8),
        (1.0, 1, 1),
        (0.5, 3, 2),
        (0.0, 4, 0),
        (0.8, 0, 0),
    ],
)
def test_sessions_required_is_exact(share, sessions, needed):
    assert sessions_required(share, sessions) == needed


def _progress(
    world, attended, total=5, course="foundation-b", assessment_on=None, catch_ups_left=0
):
    course = world.programme.course(course)
    sessions = [
        SessionFact(
            i, D(2026, 10, 1) + dt.timedelta(days=7 * i), registered=True, anyone_present=True
        )
        for i in range(total)
    ]
    return learner_progress(
        course,
        person_id=1,
        name="A",
        sessions=sessions,
        present=set(range(attended)),
        assessment_on=assessment_on,
        led_groups=[],
        on=TODAY,
        catch_ups_left=catch_ups_left,
    )


def test_rule_needs_attendance_and_a_passed_assessment(world):
    met = _progress(world, 4, assessment_on=D(2026, 12, 1))
    assert met.completed and met.completed_on == D(2026, 12, 1)
    assert met.attendance_met_on == D(2026, 10, 22)  # the 4th session attended

    no_assessment = _progress(world, 5)
    assert not no_assessment.completed
    assert no_assessment.missing == ("needs a passed assessment",)

    short = _progress(world, 3, assessment_on=D(2026, 12, 1))
    assert not short.completed
    assert short.missing == (
        "attended 3 of 5 sessions; needs 4 (80% of sessions): "
        "can no longer meet the attendance rule in this group",
    )


def test_progress_says_which_catch_up_would_still_meet_the_rule(world):
    """Issue 15: before a catch-up, "can no longer meet the attendance rule" was said even when
    the catch-up the course allows would still meet it."""
    one_short = _progress(world, 3, total=4, assessment_on=D(2026, 12, 1), catch_ups_left=1)
    assert one_short.missing == (
        "attended 3 of 4 sessions; needs 4 (80% of sessions): needs a catch-up for session 4 "
        "(22 October 2026) to complete",
    )
    two_short = _progress(world, 3, assessment_on=D(2026, 12, 1), catch_ups_left=2)
    assert two_short.missing == (
        "attended 3 of 5 sessions; needs 4 (80% of sessions): needs a catch-up for session 4 "
        "(22 October 2026) or 5 (29 October 2026) to complete",
    )
    used_up = _progress(world, 3, assessment_on=D(2026, 12, 1), catch_ups_left=0)
    assert used_up.missing[0].endswith("can no longer meet the attendance rule in this group")


def test_course_without_assessment_needs_attendance_only(world):
    progress = _progress(world, 1, total=1, course="awareness")
    assert progress.completed and progress.required == 1


# ---------------------------------------------------------------- groups in the store
def test_attendance_counts_towards_completion(world):
    gid, sessions = foundation_group(world)
    for sid in sessions[:4]:
        mark(world, sid, [world.ann, world.ben], [world.cat])
    mark(world, sessions[4], [world.ann, world.cat], [world.ben])
    status = groups.group_completion_status(world.store, world.programme, gid, TODAY)
    by_id = {p.person_id: p for p in status.progress}
    # Foundation A is assessed: nobody has completed before the assessment is passed.
    assert by_id[world.ann].attendance_met and by_id[world.ben].attendance_met
    assert not by_id[world.cat].attendance_met  # 1 of 5
    assert not any(p.completed for p in status.progress)
    assert by_id[world.ann].missing == ("needs a passed assessment",)

    # The assessment engineer records passes as completions with evidence "assessment ...".
    from imatter import records

    first = records.record_completion(
        world.store,
        world.programme,
        world.ann,
        "foundation-a",
        D(2026, 11, 10),
        recorded_by="nbgrader",
        today=TODAY,
        evidence="assessment foundation-a: 8/10",
    )
    records.record_completion(
        world.store,
        world.programme,
        world.cat,
        "foundation-a",
        D(2026, 11, 10),
        recorded_by="nbgrader",
        today=TODAY,
        evidence="assessment foundation-a: 9/10",
    )
    outcomes = groups.complete_group(
        world.store, world.programme, gid, recorded_by=world.lead, on=TODAY, today=TODAY
    )
    actions = {o.person_id: o.action for o in outcomes}
    assert actions == {world.ann: "updated", world.ben: "not yet", world.cat: "not yet"}
    ann = next(o for o in outcomes if o.person_id == world.ann)
    assert ann.detail == (
        "assessment foundation-a: 8/10; group 1: attended 5 of 5 sessions (needs 4)"
    )
    current = [c for c in world.completions() if c["person_id"] == world.ann]
    assert [c["supersedes_id"] for c in current] == [None, first]
    assert current[1]["completed_on"] == D(2026, 11, 10)
    # Running it again records nothing twice.
    again = groups.complete_group(
        world.store, world.programme, gid, recorded_by=world.lead, on=TODAY, today=TODAY
    )
    assert {o.person_id: o.action for o in again}[world.ann] == "already recorded"


def test_unassessed_course_records_completion_with_group_evidence(world):
    gid = groups.create_group(
        world.store,
        world.programme,
        course_id="awareness",
        term="2026-27",
        leader=world.trainee,
        setting="oakfield",
        on=D(2026, 10, 1),
    )
    groups.enrol(world.store, world.programme, gid, [world.ann, world.ben], D(2026, 10, 1))
    (sid,) = groups.schedule_sessions(world.store, gid, [D(2026, 10, 8)])
    mark(world, sid, [world.ann], [world.ben], by=world.trainee)
    outcomes = groups.complete_group(
        world.store, world.programme, gid, recorded_by=world.trainee, on=TODAY, today=TODAY
    )
    assert [(o.person_id, o.action) for o in outcomes] == [
        (world.ann, "recorded"),
        (world.ben, "not yet"),
    ]
    (row,) = world.completions()
    assert (row["course_id"], row["completed_on"], row["evidence"]) == (
        "awareness",
        D(2026, 10, 8),
        "group 1: attended 1 of 1 sessions (needs 1)",
    )


def test_rolling_group_counts_sessions_within_enrolment(world):
    gid, sessions = foundation_group(world, n_sessions=6, learners=("ann",))
    groups.enrol(world.store, world.programme, gid, [world.ben], D(2026, 10, 20))  # missed 3
    for sid in sessions[3:]:
        mark(world, sid, [world.ann, world.ben])
    status = groups.group_completion_status(world.store, world.programme, gid, TODAY)
    by_id = {p.person_id: p for p in status.progress}
    assert (by_id[world.ben].sessions, by_id[world.ben].attended) == (3, 3)
    assert by_id[world.ben].attendance_met
    assert (by_id[world.ann].sessions, by_id[world.ann].attended) == (6, 3)
    assert not by_id[world.ann].attendance_met


def test_cancelled_session_does_not_count(world):
    gid, sessions = foundation_group(world, n_sessions=5, learners=("ann",))
    groups.cancel_session(world.store, sessions[2], "snow day")
    for sid in sessions[:2] + sessions[3:4]:
        mark(world, sid, [world.ann])
    (p,) = groups.group_completion_status(world.store, world.programme, gid, TODAY).progress
    assert (p.sessions, p.required, p.attended, p.attendance_met) == (4, 4, 3, False)
    with pytest.raises(Conflict, match="was cancelled"):
        mark(world, sessions[2], [world.ann])


def test_only_leads_or_trainers_lead_and_record(world):
    with pytest.raises(PermissionDenied, match="Ann Able <ann@oak.example> cannot lead"):
        groups.create_group(
            world.store,
            world.programme,
            course_id="foundation-a",
            term="2026-27-t1",
            leader=world.ann,
            setting="oakfield",
            on=D(2026, 9, 20),
        )
    gid, sessions = foundation_group(world)
    with pytest.raises(PermissionDenied, match="only its leader \\(Lena Lead\\)"):
        mark(world, sessions[0], [world.ann], by=world.ben)
    mark(world, sessions[0], [world.ann], by=world.trainer)  # a Trainer may


def test_trainee_may_lead_only_while_setting_is_licensed(world):
    # Elm is not licensed: a trainee licence granted there does not count.
    tina = world.person("Tina Elm", "tina@elm.example", "elm")
    grant(world.store, tina, "trainee-lead", D(2026, 9, 1), setting="elm", kind="licence")
    with pytest.raises(PermissionDenied, match="only while its setting is licensed"):
        groups.create_group(
            world.store,
            world.programme,
            course_id="awareness",
            term="2026-27",
            leader=tina,
            setting="elm",
            on=D(2026, 10, 1),
        )


def test_trainer_led_events_are_recorded_only_by_a_trainer(world):
    with pytest.raises(PermissionDenied, match="led by a person holding a current I Matter"):
        groups.record_event(
            world.store,
            world.programme,
            "intensive",
            D(2026, 11, 5),
            trainer=world.lead,
            attendees=[world.ann],
            today=TODAY,
        )
    result = groups.record_event(
        world.store,
        world.programme,
        "intensive",
        D(2026, 11, 5),
        trainer=world.trainer,
        attendees=[world.ann, world.gp],
        today=TODAY,
    )
    assert [o.action for o in result.outcomes] == ["recorded", "recorded"]
    assert {c["course_id"] for c in world.completions()} == {"intensive"}
    # Even the group's own leader cannot record a trainer-led course once their award lapses.
    revoke(world.store, world.trainer_award, D(2026, 12, 1))
    with pytest.raises(PermissionDenied, match="trainer-led courses are recorded only by"):
        groups.record_attendance(
            world.store,
            world.programme,
            result.session_id,
            {world.ann: False},
            recorded_by=world.trainer,
            today=TODAY,
        )
    # ...and a trainer-led course is never run as an ordinary study group by a Lead.
    with pytest.raises(PermissionDenied):
        groups.create_group(
            world.store,
            world.programme,
            course_id="action-planning",
            term="2026-27",
            leader=world.lead,
            on=D(2027, 1, 10),
        )


def test_enrolment_checks_the_setting_and_audience(world):
    gid = groups.create_group(
        world.store,
        world.programme,
        course_id="foundation-a",
        term="2026-27-t1",
        leader=world.lead,
        setting="oakfield",
        on=D(2026, 9, 20),
    )
    with pytest.raises(Conflict, match="is not a member of staff at oakfield"):
        groups.enrol(world.store, world.programme, gid, [world.pat], D(2026, 9, 20))
    with pytest.raises(Conflict, match="is not a member of staff at oakfield"):
        groups.enrol(world.store, world.programme, gid, [world.gp], D(2026, 9, 20))
    groups.enrol(world.store, world.programme, gid, [world.ann], D(2026, 9, 20))
    with pytest.raises(Duplicate):
        groups.enrol(world.store, world.programme, gid, [world.ann], D(2026, 9, 20))
    with pytest.raises(Conflict, match="a staff group cannot run it"):
        groups.create_group(
            world.store,
            world.programme,
            course_id="parents",
            term="2026-27",
            leader=world.lead,
            setting="oakfield",
            audience="staff",
            on=D(2026, 9, 20),
        )
    with pytest.raises(InvalidValue, match="term '2026-28'"):
        groups.create_group(
            world.store,
            world.programme,
            course_id="awareness",
            term="2026-28",
            leader=world.lead,
            setting="oakfield",
            on=D(2026, 9, 20),
        )


def test_future_sessions_cannot_be_marked(world):
    gid = groups.create_group(
        world.store,
        world.programme,
        course_id="awareness",
        term="2026-27",
        leader=world.lead,
        setting="oakfield",
        on=D(2026, 9, 20),
    )
    groups.enrol(world.store, world.programme, gid, [world.ann], D(2026, 9, 20))
    (sid,) = groups.schedule_sessions(world.store, gid, [D(2027, 6, 1)])
    with pytest.raises(InvalidValue, match="has not happened yet"):
        mark(world, sid, [world.ann])


# ---------------------------------------------------------------- the lead-y1-t2 link
def test_lead_term_two_rests_on_the_staff_group_the_trainee_led(world):
    s, p = world.store, world.programme
    cohort = groups.create_group(
        s, p, course_id="lead-y1-t2", term="2026-27-t2", leader=world.trainer, on=D(2027, 1, 5)
    )
    groups.enrol(s, p, cohort, [world.trainee], D(2027, 1, 5))
    cohort_sessions = groups.schedule_sessions(s, cohort, weekly(3, D(2027, 1, 6)))
    for sid in cohort_sessions:
        mark(world, sid, [world.trainee], by=world.trainer)
    from imatter import records

    records.record_completion(
        s,
        p,
        world.trainee,
        "lead-y1-t2",
        D(2027, 2, 1),
        recorded_by="nbgrader",
        today=TODAY,
        evidence="assessment ok",
    )
    status = groups.learner_status(s, p, cohort, world.trainee, TODAY)
    assert status.missing == ("needs to lead a staff study group that runs",)

    staff = groups.create_group(
        s,
        p,
        course_id="foundation-a",
        term="2026-27-t2",
        leader=world.trainee,
        setting="oakfield",
        on=D(2027, 1, 5),
    )
    groups.enrol(s, p, staff, [world.ann, world.ben], D(2027, 1, 5))
    staff_sessions = groups.schedule_sessions(s, staff, weekly(2, D(2027, 1, 12)))
    mark(world, staff_sessions[0], [world.ann, world.ben], by=world.trainee)
    status = groups.learner_status(s, p, cohort, world.trainee, TODAY)
    assert status.missing == (
        "needs the staff group they lead (Foundation A staff group 2026-27-t2) to run to its "
        "last session",
    )
    mark(world, staff_sessions[1], [world.ann], by=world.trainee)
    outcomes = groups.complete_group(s, p, cohort, recorded_by=world.trainer, on=TODAY, today=TODAY)
    (outcome,) = outcomes
    assert outcome.action == "updated"
    assert outcome.detail == (
        "assessment ok; group 1: attended 3 of 3 sessions (needs 3); led staff group 2 "
        "(ran 2027-01-12 to 2027-01-19)"
    )


# ---------------------------------------------------------------- CSV import
def test_attendance_import_is_all_or_nothing_and_lists_every_bad_row(world, tmp_path):
    gid, sessions = foundation_group(world)
    bad = tmp_path / "register.csv"
    bad.write_text(
        "group,date,person,present\n"
        "1,2026-10-01,ann@oak.example,yes\n"
        "1,2026-10-01,ben@oak.example,maybe\n"
        "1,2026-10-02,cat@oak.example,yes\n"
        "1,2026-10-01,pat@home.example,no\n"
        "1,2026-10-01,ann@oak.example,no\n"
        "1,31/09/2026,ann@oak.example,yes\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRowError) as err:
        groups.import_attendance(
            world.store, world.programme, bad, recorded_by=world.lead, today=TODAY
        )
    assert err.value.message == (
        f"{bad}: 5 bad row(s); nothing was imported. Fix them and import again:"
    )
    assert err.value.details == [
        "line 3: present 'maybe' is not yes or no; write yes or no",
        "line 4: group 1 has no session on 2026-10-02 (its sessions: 2026-10-01, 2026-10-08, "
        "2026-10-15, 2026-10-22, 2026-10-29)",
        "line 5: Pat Parent <pat@home.example> is not in group 1; enrol them first "
        "(`imatter group enrol 1 PERSON`)",
        "line 6: duplicate of line 2 (same group, date and person)",
        "line 7: date '31/09/2026' is not a date; write it as 31/12/2026 or 2026-12-31",
    ]
    reg = groups.register(world.store, gid)
    assert reg.marks == {}

    template = groups.write_register_template(world.store, gid, tmp_path / "t.csv", TODAY)
    text = template.read_text(encoding="utf-8").replace(",,", ",yes,")
    template.write_text(text, encoding="utf-8")
    done = groups.import_attendance(
        world.store, world.programme, template, recorded_by=world.lead, today=TODAY
    )
    assert (done.added, done.marks) == (15, 15)
    assert len(groups.register(world.store, gid).marks) == 15


def test_a_register_imported_again_corrects_its_marks_and_adds_new_ones(world, tmp_path):
    """A Lead sends the register back with one mark changed and a session added: the change
    replaces the old mark, the new marks are added, the import says which, and the log still
    verifies."""
    from imatter.trust.audit import verify

    gid, sessions = foundation_group(world)
    first = tmp_path / "first.csv"
    first.write_text(
        "group,date,person,present\n"
        "1,2026-10-01,ann@oak.example,yes\n"
        "1,2026-10-01,ben@oak.example,yes\n"
        "1,2026-10-01,cat@oak.example,no\n",
        encoding="utf-8",
    )
    again = tmp_path / "again.csv"
    again.write_text(
        first.read_text(encoding="utf-8").replace("ben@oak.example,yes", "ben@oak.example,no")
        + "1,2026-10-08,ann@oak.example,yes\n",
        encoding="utf-8",
    )
    done = [
        groups.import_attendance(
            world.store, world.programme, path, recorded_by=world.lead, today=TODAY
        ).summary
        for path in (first, again, again)
    ]
    assert done == [
        "3 added, 0 corrected, 0 unchanged",
        "1 added, 1 corrected, 2 unchanged",
        "0 added, 0 corrected, 4 unchanged",
    ]
    ann, ben, cat = world.ann, world.ben, world.cat
    assert groups.register(world.store, gid).marks == {
        (sessions[0], ann): True,
        (sessions[0], ben): False,
        (sessions[0], cat): False,
        (sessions[1], ann): True,
    }
    report = verify(world.ws)
    assert report.problem is None, report.problem


def test_lead_term_three_needs_a_parents_group_not_a_staff_group(world):
    from imatter.delivery.groups.rules import LedGroupFact

    course = world.programme.course("lead-y1-t3")
    sessions = [SessionFact(1, D(2027, 4, 20), registered=True, anyone_present=True)]
    staff = LedGroupFact(7, "Staff group", "staff", D(2027, 1, 10), D(2027, 3, 20))
    parents = LedGroupFact(8, "Parents group", "parents", D(2027, 5, 1), D(2027, 6, 30))

    def progress(led):
        return learner_progress(
            course,
            person_id=1,
            name="T",
            sessions=sessions,
            present={1},
            assessment_on=D(2027, 5, 1),
            led_groups=led,
            on=D(2027, 7, 1),
        )

    assert progress([staff]).missing == ("needs to lead a parents study group that runs",)
    done = progress([staff, parents])
    assert done.completed_on == D(2027, 6, 30)  # when the parents' group ran to its end
    assert done.led_group == parents


def test_one_missed_session_can_be_caught_up_as_the_course_allows(world):
    """Issue 15: with 3 sessions at 100%, one missed session meant failing Awareness. The
    catalogue allows one catch-up; it counts as attended; a second one is refused."""
    s, p = world.store, world.programme
    gid = groups.create_group(
        s,
        p,
        course_id="awareness",
        term="2026-27",
        leader=world.lead,
        setting="oakfield",
        on=D(2026, 10, 1),
    )
    groups.enrol(s, p, gid, [world.ann, world.ben], D(2026, 10, 1))
    one, two, three = groups.schedule_sessions(
        s, gid, [D(2026, 10, 8), D(2026, 10, 15), D(2026, 10, 22)]
    )
    mark(world, one, [world.ann, world.ben], [], by=world.lead)
    mark(world, two, [world.ann], [world.ben], by=world.lead)
    mark(world, three, [world.ann], [world.ben], by=world.lead)
    before = groups.learner_status(s, p, gid, world.ben, TODAY)
    assert (before.attended, before.required, before.completed) == (1, 3, False)

    groups.record_catch_up(s, p, two, world.ben, recorded_by=world.lead, today=TODAY)
    reg = groups.register(s, gid)
    assert reg.catch_ups == {(two, world.ben)} and groups.catch_ups_used(reg, world.ben) == 1
    after = groups.learner_status(s, p, gid, world.ben, TODAY)
    assert after.attended == 2

    with pytest.raises(Conflict, match="Ben Brook.* has used the 1 catch-up"):
        groups.record_catch_up(s, p, three, world.ben, recorded_by=world.lead, today=TODAY)
    with pytest.raises(InvalidValue, match="was present on 2026-10-08; there is nothing to"):
        groups.record_catch_up(s, p, one, world.ann, recorded_by=world.lead, today=TODAY)
    with pytest.raises(PermissionDenied):
        groups.record_catch_up(s, p, three, world.ben, recorded_by=world.ann, today=TODAY)
    # Marked present after all: the catch-up is no longer needed and nothing counts twice.
    mark(world, three, [world.ann, world.ben], [], by=world.lead)
    done = groups.learner_status(s, p, gid, world.ben, TODAY)
    assert (done.attended, done.completed) == (3, True)


def test_a_course_without_catch_up_refuses_one(world):
    gid, sessions = foundation_group(world, n_sessions=2, learners=("ann",))
    from dataclasses import replace

    # The catalogue as if Foundation A allowed no catch-up.

    programme = replace(
        world.programme,
        courses={
            **world.programme.courses,
            "foundation-a": replace(world.programme.courses["foundation-a"], catch_up=None),
        },
    )
    mark(world, sessions[0], [], [world.ann])
    with pytest.raises(InvalidValue, match="allows no catch-up; a missed session stays missed"):
        groups.record_catch_up(
            world.store, programme, sessions[0], world.ann, recorded_by=world.lead, today=TODAY
        )


def test_a_catch_up_counts_on_postgresql(pg_ws):
    from .world import build_world

    world = build_world(pg_ws)
    gid, sessions = foundation_group(world, n_sessions=5, learners=("ann",))
    mark(world, sessions[0], [], [world.ann])
    for sid in sessions[1:4]:
        mark(world, sid, [world.ann])
    groups.record_catch_up(
        world.store, world.programme, sessions[0], world.ann, recorded_by=world.lead, today=TODAY
    )
    progress = groups.learner_status(world.store, world.programme, gid, world.ann, TODAY)
    assert (progress.attended, progress.attendance_met) == (4, True)
