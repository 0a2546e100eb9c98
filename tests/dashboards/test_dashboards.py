"""The dashboards' widgets, driven in-process (the browser test drives them through Voila)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import sqlalchemy as sa

pytest.importorskip("ipywidgets")

from imatter.dashboards import DASHBOARDS, marking_queues, notebook, voila_command  # noqa: E402
from imatter.dashboards.lead import LeadDashboard  # noqa: E402
from imatter.dashboards.organisation import OrganisationView  # noqa: E402
from imatter.dashboards.progress import ProgressPage  # noqa: E402
from imatter.delivery import groups, licences  # noqa: E402
from imatter.store import schema as t  # noqa: E402

from ..delivery.world import TODAY  # noqa: E402

D = dt.date


def make_group(world):
    s, p = world.store, world.programme
    gid = groups.create_group(
        s,
        p,
        course_id="awareness",
        term="2026-27",
        leader=world.lead,
        setting="oakfield",
        on=D(2026, 9, 20),
    )
    groups.enrol(s, p, gid, [world.ann, world.ben], D(2026, 9, 20))
    first, second, _future = groups.schedule_sessions(
        s, gid, [D(2027, 2, 1), D(2027, 2, 8), D(2027, 6, 1)]
    )
    groups.record_attendance(
        s, p, first, {world.ann: True, world.ben: False}, recorded_by=world.lead, today=TODAY
    )
    return gid, first, second


def test_lead_dashboard_shows_attendance_and_takes_the_register(world):
    gid, first, second = make_group(world)
    board = LeadDashboard(world.ws, TODAY, person="lena@oak.example")
    assert board.lead.value == world.lead and board.group.value == gid
    html = board.attendance.value
    assert "Ann Able" in html and "Ben Brook" in html
    assert f"data-person='{world.ann}' data-session='{first}'>✓<" in html
    assert f"data-person='{world.ben}' data-session='{first}'>✗<" in html
    assert f"data-person='{world.ann}' data-session='{second}'>·<" in html
    # The register opens on the latest session that has taken place; the future one is absent.
    assert board.session.value == second
    assert [label for label, _ in board.session.options] == ["08/02/2027", "01/02/2027"]

    board.checkboxes[world.ben].value = True
    board.save_attendance()
    assert board.status.value == (
        "<p class='ok'>Saved attendance for 08/02/2027: 1 present, 1 absent.</p>"
    )
    reg = groups.register(world.store, gid)
    assert reg.marks[(second, world.ben)] is True and reg.marks[(second, world.ann)] is False
    assert f"data-person='{world.ben}' data-session='{second}'>✓<" in board.attendance.value

    board.record_completions()
    # Awareness needs every session: with one of three missed, each needs its one catch-up.
    assert board.completions.value.count("<td>not yet</td>") == 2
    assert (
        "attended 1 of 3 sessions; needs 3 (100% of sessions): needs a catch-up for session 1 "
        "(1 February 2027) to complete" in board.completions.value
    )

    assert "Reflections waiting to be marked" in board.reflections.value
    assert "None: no nbgrader course folders" in board.reflections.value


def test_someone_else_cannot_save_the_register(world):
    make_group(world)
    board = LeadDashboard(world.ws, TODAY, person=str(world.trainee))
    assert board.group.value is None and "You lead no study groups yet" in board.summary.value
    assert board.save.disabled


def test_lead_dashboard_eligible_next(world):
    from imatter import records

    make_group(world)
    s, p = world.store, world.programme
    records.record_completion(
        s, p, world.ann, "foundation-a", D(2026, 11, 1), recorded_by="t", today=TODAY
    )
    records.record_completion(
        s, p, world.ann, "foundation-b", D(2026, 12, 1), recorded_by="t", today=TODAY
    )
    board = LeadDashboard(world.ws, TODAY, person=str(world.lead))
    assert "Ann Able" in board.eligible.value
    assert "Link Professional" in board.eligible.value and "eligible now" in board.eligible.value
    # Roles that need a position nobody holds (headteacher) are not offered.
    assert "headteacher" not in board.eligible.value


def test_progress_page_shows_only_the_learner(world):
    make_group(world)
    page = ProgressPage(world.ws, TODAY, person="ann@oak.example")
    assert page.person.disabled and [v for _, v in page.person.options] == [world.ann]
    body = page.body.value
    assert "<td>I Matter Introduction staff group 2026-27</td>" in body  # the group
    assert "1 of 3 sessions (needs 3)" in body
    missing = ProgressPage(world.ws, TODAY, person="nobody@x.example")
    assert "No such person is recorded" in missing.body.value
    assert "None yet: your Lead returns it here once your work is marked." in body


def test_a_learner_reads_the_feedback_handed_back_to_them(world):
    """Issue 15: the feedback the Lead returns reaches the learner's own page, and only theirs
    (the files are laid out as imatter.assess.feedback.write_feedback writes them)."""
    import json

    from imatter.assess.course_dir import COURSE_FILE, student_id
    from imatter.assess.feedback import feedback_name, issued_path

    course = world.ws.path / "assessments" / "foundation-a-autumn"
    course.mkdir(parents=True)
    (course / COURSE_FILE).write_text("course_id: foundation-a-autumn\n", encoding="utf-8")
    handback = course / "handback" / "foundation-a"
    handback.mkdir(parents=True)
    learners = {}
    for pid, summary, words in (
        (world.ann, "pass, 12 of 15", "Well done, Ann: a clear plan for next week."),
        (world.ben, "not yet, 7 of 15", "Ben, one more point is needed."),
    ):
        page = handback / feedback_name(student_id(pid), "foundation-a")
        page.write_text(f"<html><body><p>{words}</p></body></html>", encoding="utf-8")
        learners[student_id(pid)] = {
            "summary": summary,
            "written_at": "2026-12-03T10:00:00",
            "files": [str(page)],
        }
    record = issued_path(type("C", (), {"root": course})(), "foundation-a")
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"schema": 1, "learners": learners}), encoding="utf-8")

    body = ProgressPage(world.ws, TODAY, person="ann@oak.example").body.value
    title = world.programme.course("foundation-a").title
    assert f"<b>{title}</b>" in body.replace("&#39;", "'")
    assert "pass, 12 of 15, returned 03/12/2026." in body
    assert "Well done, Ann" in body and "<iframe sandbox=''" in body
    assert "Ben" not in body and "7 of 15" not in body


def test_organisation_view_decides_applications(world):
    app = licences.apply_trainee_licence(
        world.store, world.programme, world.ann, "oakfield", D(2027, 2, 1)
    )
    view = OrganisationView(world.ws, TODAY, decided_by="org")
    assert "Oakfield Primary (oakfield)" in view.report.value
    assert view.application.value == app
    view.decide(False)
    assert "a refusal needs a --reason" in view.decision.value
    view.decide(True)
    assert view.decision.value == f"<p class='ok'>Application {app}: approved.</p>"
    assert view.application.options == () and view.approve.disabled
    view.days.value = 240
    assert "Oakfield Primary" in view.renewals.value and "01/09/2027" in view.renewals.value


def test_reflections_are_counted_from_nbgrader_gradebooks(tmp_path):
    folder = tmp_path / "foundation-a-oak"
    folder.mkdir()
    (folder / "imatter-course.yml").write_text("schema: 1\ncourse_id: foundation-a\n")
    db = sqlite3.connect(folder / "gradebook.db")
    db.executescript(
        """
        CREATE TABLE submitted_assignment (id TEXT PRIMARY KEY, student_id TEXT);
        CREATE TABLE submitted_notebook (id TEXT PRIMARY KEY, assignment_id TEXT);
        CREATE TABLE grade (id TEXT PRIMARY KEY, notebook_id TEXT, needs_manual_grade BOOLEAN);
        INSERT INTO submitted_assignment VALUES ('a1', 'p3'), ('a2', 'p4'), ('a3', 'guest');
        INSERT INTO submitted_notebook VALUES ('n1', 'a1'), ('n2', 'a2'), ('n3', 'a3');
        INSERT INTO grade VALUES ('g1', 'n1', 1), ('g2', 'n1', 1), ('g3', 'n2', 0),
                                 ('g4', 'n3', 1);
        """
    )
    db.commit()
    db.close()
    (queue,) = marking_queues([folder])
    assert (queue.course_id, queue.waiting, queue.other, queue.total) == (
        "foundation-a",
        {3: 1},
        1,
        2,
    )
    assert marking_queues([tmp_path / "missing"]) == []


def test_the_notebooks_ship_and_voila_serves_them_locally():
    for name in DASHBOARDS:
        assert notebook(name).is_file()
    command = voila_command("lead", port=8899, open_browser=False)
    assert command[1:4] == ["-m", "voila", str(notebook("lead"))]
    assert "--port=8899" in command and "--Voila.ip=127.0.0.1" in command
    assert "--no-browser" in command


def test_a_nomination_goes_from_the_lead_dashboard_to_the_organisation_and_back(world):
    """The Lead nominates with a click; the organisation declines with a reason, then approves
    a second nomination; the Lead's dashboard shows both outcomes; the store holds the award."""
    import sqlalchemy as sa
    from imatter import records
    from imatter.store import schema as t

    make_group(world)
    s, p = world.store, world.programme
    for person in (world.ann, world.ben):
        for course, day in (("foundation-a", D(2026, 11, 1)), ("foundation-b", D(2026, 12, 1))):
            records.record_completion(s, p, person, course, day, recorded_by="t", today=TODAY)
    board = LeadDashboard(world.ws, TODAY, person=str(world.lead))
    offered = [label for label, _value in board.nominee.options]
    assert offered == ["Ann Able: Link Professional", "Ben Brook: Link Professional"]
    board.nomination_note.value = "Ann co-runs our Friday group"
    board.send_nomination()
    assert board.nominated.value == (
        "<p class='ok'>Nominated Ann Able for Link Professional; the organisation will approve "
        "or decline it.</p>"
    )
    board.nominee.value = (world.ben, "link-professional")
    board.send_nomination()
    assert "Your nominations" in board.nominations.value

    view = OrganisationView(world.ws, TODAY, decided_by="org")
    tabs = next(c for c in view.widget.children if hasattr(c, "get_title"))
    assert [tabs.get_title(i) for i in range(4)][-1] == "Nominations"
    assert "Ann co-runs our Friday group" in view.nominations.value
    view.nomination.value = 2  # Ben
    view.decide_nomination(False)
    assert view.nomination_result.value.startswith("<p class='error'>Not recorded: declining")
    view.decline_reason.value = "Ben has just joined; nominate him after a term"
    view.decide_nomination(False)
    assert "declined (Ben has just joined" in view.nomination_result.value
    view.nomination.value = 1
    view.decide_nomination(True)
    assert "approved: Ann Able is now Link Professional" in view.nomination_result.value
    assert view.nomination.options == () and view.approve_nomination.disabled

    with s.read() as conn:
        awards = (
            conn.execute(sa.select(t.awards.c.role_id).where(t.awards.c.person_id == world.ann))
            .scalars()
            .all()
        )
    assert awards == ["link-professional"]
    board.refresh_eligible()
    shown = board.nominations.value
    assert "approved" in shown and "Ben has just joined; nominate him after a term" in shown


def test_a_learner_acting_as_themselves_sees_their_study_group(world, monkeypatch):
    """Issue 15: a learner in another person's group, with access granted to others, opened
    "my progress" as themselves and read "The page cannot open: no study group 1"."""
    from imatter.access import grant_access
    from imatter.dashboards.progress import progress_page

    gid, _first, _second = make_group(world)
    with world.store.write() as conn:
        grant_access(conn, "lena@oak.example", "setting-lead", setting="oakfield")
    monkeypatch.setenv("IMATTER_USER", "ann@oak.example")
    page = ProgressPage(world.ws, TODAY, person="ann@oak.example")
    body = page.body.value
    assert "<td>I Matter Introduction staff group 2026-27</td>" in body
    assert "1 of 3 sessions (needs 3)" in body
    assert "Ben Brook" not in body  # only the learner's own progress
    widget = progress_page(world.ws, TODAY)
    assert "cannot open" not in str(getattr(widget, "value", ""))
    # The group stays hidden from the learner everywhere else.
    from imatter.errors import NotFound

    with pytest.raises(NotFound, match=f"no study group {gid}"):
        groups.group_completion_status(world.store, world.programme, gid, TODAY)


def test_a_lead_runs_the_term_from_the_dashboard(world):
    """Issue 15: create a group, enrol from the staff list, schedule sessions by date, take
    registers with one catch-up, see who needs what, read the "N of M staff trained" report."""
    s = world.store
    start = D(2026, 9, 20)
    board = LeadDashboard(world.ws, start, person="lena@oak.example")
    assert board.new_setting.options == (("Oakfield Primary", "oakfield"),)
    # The staff list: everyone at Oakfield but the Lead herself and the parent.
    assert [label for label, _ in board.new_learners.options] == [
        "Ann Able, Member of staff",
        "Ben Brook, Member of staff",
        "Cat Cole, Member of staff",
        "Tara Trainee, Member of staff",
    ]
    assert board.new_term.value == "2026-27"
    board.new_course.value = "awareness"
    board.create_group()
    assert board.created.value == (
        "<p class='warn'>Choose at least one learner from the staff list.</p>"
    )
    board.new_name.value = "Autumn awareness"
    board.new_learners.value = (world.ann, world.ben)
    board.create_group()
    assert board.created.value.startswith("<p class='ok'>Created group 1 with 2 learner(s)")
    (row,) = groups.list_groups(s, leader=world.lead)
    assert (row.name, row.course_id, row.learners) == ("Autumn awareness", "awareness", 2)
    assert board.group.value == row.id

    board.schedule()
    assert board.scheduled.value == (
        "<p class='warn'>Type the date of the session first, e.g. 01/10/2026.</p>"
    )
    board.session_day.value = "10/31/2026"  # as a US date picker would give it
    board.schedule()
    assert board.scheduled.value == (
        "<p class='error'>Not added: the date &#39;10/31/2026&#39; is not a date; write it "
        "as 31/12/2026 or 2026-12-31.</p>"
    )
    for day in ("01/10/2026", "8/10/2026", "2026-10-15"):  # UK dates, or ISO
        board.session_day.value = day
        board.schedule()
    assert board.scheduled.value == "<p class='ok'>Added a session on Thursday 15 October 2026.</p>"
    board.session_day.value = "15/10/2026"
    board.schedule()
    assert "already has a session on 2026-10-15" in board.scheduled.value
    assert [x.held_on for x in groups.register(s, row.id).sessions] == [
        D(2026, 10, 1),
        D(2026, 10, 8),
        D(2026, 10, 15),
    ]

    # Later in the term: the registers, Ben missing the second session.
    board = LeadDashboard(world.ws, D(2026, 10, 20), person="lena@oak.example")
    sessions = [sid for _label, sid in board.session.options][::-1]
    for sid in sessions:
        board.session.value = sid
        board.checkboxes[world.ann].value = True
        board.checkboxes[world.ben].value = sid != sessions[1]
        board.save_attendance()
    board.session.value = sessions[1]
    assert board.catch_up_how.value == (
        "<p class='muted'>I Matter Introduction: awareness event allows 1 missed session(s) to be "
        "caught up: read the session notes and talk them over with the Lead. A catch-up counts "
        "as attended.</p>"
    )
    assert board.catch_up_who.options == (("Ben Brook", world.ben),)
    board.record_catch_up()
    assert board.catch_up_status.value == (
        "<p class='ok'>Recorded: Ben Brook caught up the session on 08/10/2026; it counts as "
        "attended.</p>"
    )
    assert groups.register(s, row.id).catch_ups == {(sessions[1], world.ben)}
    assert f"data-person='{world.ben}' data-session='{sessions[1]}'>C<" in board.attendance.value
    needs = board.needs.value
    assert "<td>Ben Brook</td><td>3 of 3 (needs 3)</td><td>1 of 1</td><td>none</td>" in needs

    board.record_completions()
    assert board.completions.value.count("<td>recorded</td>") == 2
    board.report_course.value = "awareness"
    report = board.report.value
    assert "<h3 class='imatter-headline'>2 of 5 staff trained</h3>" in report
    assert "<td>Member of staff</td><td>2</td><td>5</td><td>40%</td>" in report


def test_the_lead_makes_a_certificate_to_download(world):
    """The Certificates tab writes the PDF into the workspace and offers it as a download."""
    import base64

    from imatter.credentials.issue import issue_award_credential
    from imatter.credentials.settings import settings_for

    from ..delivery.world import grant

    settings_for(world.ws).key_store().init(now=dt.datetime(2026, 9, 1, 9, 0))
    award = grant(world.store, world.ann, "link-professional", D(2027, 1, 10), setting="oakfield")
    with world.store.write() as conn:
        row = issue_award_credential(world.ws, conn, award)
    make_group(world)
    board = LeadDashboard(world.ws, TODAY, person=str(world.lead))
    assert board.credential.options == (("Ann Able: Link Professional", row["id"]),)
    board.make_certificate()
    shown = board.certificate.value
    path = settings_for(world.ws).certificates_folder / (row["id"].rsplit(":", 1)[-1] + ".pdf")
    assert path.is_file() and path.read_bytes().startswith(b"%PDF")
    assert f"Saved {path}." in shown
    data = shown.split("base64,", 1)[1].split("'", 1)[0]
    assert base64.b64decode(data) == path.read_bytes()
    assert "download='Ann-Able-certificate.pdf'" in shown


# A school MIS staff export as it comes: a BOM, CRLF line ends, UK dates, MIS headers, a column
# the toolkit does not use, positions by their common names, and one row without an email.
MIS_EXPORT = (
    "\ufeffLegal Surname,Preferred Forename,Email Address,Staff Role,Start Date,Payroll No\r\n"
    "Dale,Dan,dan@oak.example,Teaching Assistant,01/09/2026,P1\r\n"
    "Evans,Eve,EVE@Oak.example,Head,15/01/2020,P2\r\n"
    "Ford,Fay,,teacher,02/09/2025,P3\r\n"
    "Able,Ann,ann@oak.example,Member of staff,01/09/2024,P4\r\n"
)


def upload(box, name: str, text: str | bytes) -> None:
    """What the browser sends when a file is chosen in a FileUpload widget."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    box.upload.value = (
        {
            "name": name,
            "type": "text/csv",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": dt.datetime(2027, 3, 1, tzinfo=dt.UTC),
        },
    )


def staff(world, setting="oakfield"):
    from imatter.store import schema as t

    with world.store.read() as conn:
        rows = conn.execute(
            sa.select(t.people.c.name, t.people.c.email, t.affiliations.c.position)
            .select_from(t.people.join(t.affiliations))
            .where(t.affiliations.c.setting_id == setting)
            .order_by(t.people.c.name)
        ).all()
    return {r.name: (r.email, r.position) for r in rows}


def test_the_lead_imports_the_schools_staff_export_from_the_dashboard(world):
    """Issue 15: upload the MIS export, see how its columns are read, see every problem on
    every row at once, choose what an unknown position is, import; re-import next term's."""
    board = LeadDashboard(world.ws, TODAY, person="lena@oak.example")
    box = board.staff_import
    assert box.setting.value == "oakfield"
    bad = MIS_EXPORT + "Grey,Gus,gus@oak.example,Cook,31/02/2026,P5\r\n"
    bad += "Hall,Hal,not-an-email,Cook,2026-09-01,P6\r\n"
    upload(box, "Staff export.csv", bad)
    assert {h: b.value for h, b in box.column_choice.items()} == {
        "Legal Surname": "surname",
        "Preferred Forename": "preferred forename",
        "Email Address": "email",
        "Staff Role": "position",
        "Start Date": "since",
        "Payroll No": "",
    }
    preview = box.preview.value
    assert "Staff export.csv: 2 bad row(s); nothing was imported" in preview
    assert "imatter-staff-" not in preview  # the temporary folder is not shown
    assert "line 6: unknown position &#39;Cook&#39; (see below); start date" in preview
    assert "line 7: " in preview and "not-an-email" in preview
    assert box.confirm.disabled and "Grey" not in staff(world)
    # The Lead says what a Cook is; the other problems stay until the file is fixed.
    (cook,) = box.position_choice.values()
    cook.value = "staff"
    assert "1 bad row(s)" not in box.preview.value and "2 bad row(s)" in box.preview.value
    assert "unknown position" not in box.preview.value

    upload(box, "Staff export.csv", MIS_EXPORT + "Grey,Gus,gus@oak.example,Cook,,P5\r\n")
    assert "Ready to import: 4 added, 1 updated, 0 unchanged, 0 flagged" in box.preview.value
    assert not box.confirm.disabled and "Dan Dale" not in staff(world)  # a preview writes nothing
    box.run_import()
    assert box.result.value.startswith(
        "<p class='ok'>Imported the staff list: 4 added, 1 updated, 0 unchanged, 0 flagged."
    )
    assert "Saved 1 choice(s) for this setting&#39;s next imports" in box.result.value  # Cook
    now = staff(world)
    assert now["Dan Dale"] == ("dan@oak.example", "teaching-assistant")
    assert now["Eve Evans"] == ("eve@oak.example", "headteacher")
    assert now["Fay Ford"] == (None, "teacher")
    assert now["Gus Grey"] == ("gus@oak.example", "staff")
    assert now["Ann Able"] == ("ann@oak.example", "staff")
    # The New group tab's staff list has them at once.
    labels = [label for label, _ in board.new_learners.options]
    assert "Dan Dale, Teaching assistant" in labels or any("Dan Dale" in x for x in labels)

    # Next term: Dan became a teacher, Fay still has no email, a "Job" column named
    # differently: the Lead maps it once, and it is saved for the setting.
    next_term = (
        "Legal Surname,Preferred Forename,Email Address,Job,Start Date\r\n"
        "Dale,Dan,dan@oak.example,Teacher,01/09/2026\r\n"
        "Evans,Eve,eve@oak.example,Headteacher,15/01/2020\r\n"
        "Ford,Fay,,Teacher,02/09/2025\r\n"
        "Grey,Gus,gus@oak.example,Cook,\r\n"
        "Ives,Ivy,ivy@oak.example,HLTA,05/01/2027\r\n"
    )
    upload(box, "Spring export.csv", next_term)
    assert box.column_choice["Job"].value == ""
    assert "missing column(s) position" in box.preview.value and box.confirm.disabled
    assert "its other columns: Job" in box.preview.value
    assert "How the columns will be read" in box.preview.value  # not the command line's --map
    assert "--map" not in box.preview.value
    box.column_choice["Job"].value = "position"
    assert "Ready to import: 1 added, 1 updated, 2 unchanged, 1 flagged" in box.preview.value
    box.run_import()
    result = box.result.value
    assert "Imported the staff list: 1 added, 1 updated, 2 unchanged, 1 flagged." in result
    assert "Saved 1 choice(s)" in result  # the Job column
    assert "line 4: no email; matched to person" in result
    assert staff(world)["Dan Dale"] == ("dan@oak.example", "teacher")
    assert len([n for n in staff(world) if n == "Fay Ford"]) == 1
    # The mapping was saved: the next upload reads "Job" as the position without asking.
    upload(box, "Spring export.csv", next_term)
    assert box.column_choice["Job"].value == "position"
    assert "0 added, 0 updated, 4 unchanged, 1 flagged" in box.preview.value


def test_a_tab_separated_text_export_is_read_like_a_csv_in_the_dashboard(world):
    """A MIS's text export (tabs, with a comma inside a name): the same columns guessed, and
    the import does what the preview said."""
    board = LeadDashboard(world.ws, TODAY, person="lena@oak.example")
    box = board.staff_import
    text = MIS_EXPORT.replace(",", "\t").replace("Ford\tFay", "Ford, Jr\tFay")
    upload(box, "Staff export.txt", text)
    assert box.column_choice["Staff Role"].value == "position"
    assert box.column_choice["Payroll No"].value == ""
    assert "Ready to import: 3 added, 1 updated, 0 unchanged, 0 flagged" in box.preview.value
    box.run_import()
    now = staff(world)
    assert now["Fay Ford, Jr"] == (None, "teacher")
    assert now["Dan Dale"] == ("dan@oak.example", "teaching-assistant")


def test_an_excel_workbook_is_read_like_a_csv_in_the_dashboard(world, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    for line in MIS_EXPORT.lstrip("\ufeff").splitlines():
        book.active.append(line.split(","))
    book.save(tmp_path / "Staff export.xlsx")
    box = LeadDashboard(world.ws, TODAY, person="lena@oak.example").staff_import
    upload(box, "Staff export.xlsx", (tmp_path / "Staff export.xlsx").read_bytes())
    assert box.column_choice["Legal Surname"].value == "surname"
    assert "Ready to import: 3 added, 1 updated, 0 unchanged, 0 flagged" in box.preview.value
    box.run_import()
    assert staff(world)["Dan Dale"] == ("dan@oak.example", "teaching-assistant")


def test_a_lead_cannot_import_staff_into_another_setting(world):
    from imatter.access import grant_access

    with world.store.write() as conn:
        grant_access(conn, "admin@imatter.example", "admin")
        grant_access(conn, "lena@oak.example", "setting-lead", setting="oakfield")
    from imatter.trust.access import use_identity

    use_identity("lena@oak.example")
    try:
        board = LeadDashboard(world.ws, TODAY, person="lena@oak.example")
        box = board.staff_import
        assert [v for _l, v in box.setting.options] == ["oakfield"]
        box.setting.options = [("Elm Academy", "elm")]  # as if the page were tampered with
        upload(box, "elm.csv", MIS_EXPORT)
        assert "error" in box.preview.value and box.confirm.disabled
    finally:
        use_identity("")
    assert "Dan Dale" not in staff(world, "elm")


@pytest.mark.slow
def test_a_groups_assessment_runs_from_the_dashboard(world):
    """Issue 15: the Lead prepares the group's assessment, hands out each learner's notebook,
    takes in what comes back and collects and autogrades it (real nbgrader) with a button;
    then marks, returns feedback, and the learner reads it on their own page."""
    import json

    from ..assess import helpers as h

    s, p = world.store, world.programme
    gid = groups.create_group(
        s,
        p,
        course_id="foundation-a",
        term="2026-27",
        leader=world.lead,
        setting="oakfield",
        on=D(2026, 9, 20),
    )
    groups.enrol(s, p, gid, [world.ann, world.ben], D(2026, 9, 20))
    for sid in groups.schedule_sessions(s, gid, [D(2026, 10, 1), D(2026, 10, 8), D(2026, 10, 15)]):
        groups.record_attendance(
            s, p, sid, {world.ann: True, world.ben: True}, recorded_by=world.lead, today=TODAY
        )
    board = LeadDashboard(world.ws, TODAY, person="lena@oak.example")
    panel = board.assessment
    assert board.group.value == gid and panel.widget.layout.display == "flex"
    assert panel.collect.disabled
    panel.prepare_and_hand_out()
    assert "Ready: 2 learner(s) on the roster" in panel.handout.value, panel.handout.value
    handout = world.ws.path / "assessments" / str(gid) / "handout"
    copies = {f.name.split("_")[0]: h.load(f) for f in handout.glob("p*.ipynb")}
    assert set(copies) == {f"p{world.ann}", f"p{world.ben}"}
    assert f"download='p{world.ann}_foundation-a.ipynb'" in panel.handout.value

    # Ann sends hers back as her browser saved it; Ben sends a blank reflection.
    ann = json.dumps(h.answered(copies[f"p{world.ann}"], h.RIGHT)).encode()
    ben = json.dumps(h.answered(copies[f"p{world.ben}"], h.WRONG)).encode()
    when = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    panel.upload.value = tuple(
        {"name": n, "type": "", "size": len(b), "content": memoryview(b), "last_modified": when}
        for n, b in (
            (f"p{world.ann}_foundation-a (1).ipynb", ann),
            (f"p{world.ben}_foundation-a.ipynb", ben),
        )
    )
    assert "2 file(s) ready to collect" in panel.received.value and not panel.collect.disabled
    panel.collect_and_autograde()
    assert panel.collected.value.startswith(
        f"<p class='ok'>Collected 2 learner(s)&#39; work (p{world.ann}, p{world.ben}); "
        "autograded 2."
    ), panel.collected.value
    ((label, _value),) = board.marking_course.options
    assert label.endswith(", in 1 (6 answers waiting)"), label

    board.open_marking()
    h.mark_all(board.marking_widget.marking, f"p{world.ann}", h.PASSING, "Well done.")
    board.hand_back()
    assert "Wrote 1 feedback file(s)" in board.returned.value
    mine = ProgressPage(world.ws, TODAY, person="ann@oak.example").body.value
    assert "pass, 12 of 15, returned" in mine and "You have passed" in mine

    # Record completions on the Groups tab: Ann's pass is put on record first, so the one
    # completion rule (attendance and a passed assessment) completes her; Ben has not passed.
    board.record_completions()
    assert "Assessment: 1 pass(es) on record, 0 not yet passed, 1 not yet marked." in (
        board.completions.value
    ), board.completions.value
    with s.read() as conn:
        done = conn.execute(
            sa.select(t.completions.c.person_id, t.completions.c.evidence).where(
                t.completions.c.course_id == "foundation-a"
            )
        ).all()
    assert [row.person_id for row in done] == [world.ann]
    assert "attended 3 of 3 sessions" in done[0].evidence
    assert "assessment foundation-a passed" in done[0].evidence
