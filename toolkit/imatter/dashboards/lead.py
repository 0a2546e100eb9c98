"""The Lead Professional dashboard, the whole term without a command line: start a group and
enrol learners from the staff list, schedule sessions, take registers (with catch-ups where
the course allows them), see who needs what, reflections waiting to be marked, who is eligible
next, and the "N of M staff trained" report.

Everything goes through the Python API (imatter.delivery.groups, imatter.dashboards.data); the
widget only arranges it. `LeadDashboard(ws, today).widget` is what the notebook displays.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as widgets

from ..delivery import groups
from ..errors import ImatterError
from ..templates import fragment
from .common import (
    env_person,
    env_today,
    frame,
    heading,
    long_day,
    note,
    open_context,
    person_options,
    pick,
    table,
    uk,
)
from .term import lead_settings

PRESENT, ABSENT, NOT_TAKEN, CAUGHT_UP = "✓", "✗", "·", "C"


def auto() -> widgets.Layout:
    """A button as wide as its words (ipywidgets cuts a long description with an ellipsis)."""
    return widgets.Layout(width="auto")


class LeadDashboard:
    """The widgets and their callbacks (kept on the object so that tests can drive them)."""

    def __init__(self, ws, today: dt.date, person: str | None = None) -> None:
        self.ws = ws
        self.today = today
        self.lead = widgets.Dropdown(description="Lead", layout=widgets.Layout(width="420px"))
        self.group = widgets.Dropdown(description="Group", layout=widgets.Layout(width="520px"))
        self.summary = widgets.HTML()
        self.attendance = widgets.HTML()
        self.attendance.add_class("imatter-attendance")
        self.session = widgets.Dropdown(description="Session", layout=widgets.Layout(width="320px"))
        self.session.add_class("imatter-session")
        self.marks = widgets.VBox()
        self.checkboxes: dict[int, widgets.Checkbox] = {}
        self.save = widgets.Button(
            description="Save attendance", layout=auto(), button_style="primary"
        )
        self.save.add_class("imatter-save")
        self.status = widgets.HTML()
        self.status.add_class("imatter-status")
        self.complete = widgets.Button(description="Record completions", layout=auto())
        self.completions = widgets.HTML()
        self.eligible = widgets.HTML()
        self.nominee = widgets.Dropdown(
            description="Nominate", layout=widgets.Layout(width="520px")
        )
        self.nomination_note = widgets.Text(
            description="Why",
            placeholder="what the organisation should know (optional)",
            layout=widgets.Layout(width="520px"),
        )
        self.nominee.add_class("imatter-nominee")
        self.nomination_note.add_class("imatter-nomination-note")
        self.nominate = widgets.Button(description="Send nomination", layout=auto())
        self.nominate.add_class("imatter-nominate")
        self.nominated = widgets.HTML()
        self.nominated.add_class("imatter-nomination-status")
        self.nominations = widgets.HTML()
        self.reflections = widgets.HTML()
        self._term_widgets()
        from ..trust.access import identity
        from .staff import StaffImport

        self.staff_import = StaffImport(ws, identity(), done=self.staff_changed)
        from .moderation import ModerationPanel

        self.moderation = ModerationPanel(self._course_dir, self._marker, ws.store)
        from .handin import AssessmentPanel

        self.assessment = AssessmentPanel(ws, self._group_assessment, self.refresh_reflections)

        self.status_of_group: groups.GroupStatus | None = None
        self._quiet = True  # set while options are being replaced, so observers wait
        leaders = self._leaders()
        self.lead.options = leaders
        self.lead.value = pick(leaders, person)
        self._quiet = False
        self.lead.observe(self._when(self.refresh_lead), names="value")
        self.group.observe(self._when(self.refresh_group), names="value")
        self.session.observe(self._when(self.refresh_marks), names="value")
        self.save.on_click(lambda _button: self.save_attendance())
        self.complete.on_click(lambda _button: self.record_completions())
        self.nominate.on_click(lambda _button: self.send_nomination())
        self.new_setting.observe(self._when(self.refresh_staff), names="value")
        self.new_course.observe(self._when(self.refresh_staff), names="value")
        self.create.on_click(lambda _button: self.create_group())
        self.add_session.on_click(lambda _button: self.schedule())
        self.catch_up.on_click(lambda _button: self.record_catch_up())
        self.report_course.observe(self._when(self.refresh_report), names="value")
        self.report_setting.observe(self._when(self.refresh_report), names="value")
        self.write_certificate.on_click(lambda _button: self.make_certificate())
        self.write_completion.on_click(lambda _button: self.make_completion_certificate())
        self.mark.on_click(lambda _button: self.open_marking())
        self.return_feedback.on_click(lambda _button: self.hand_back())

        register = widgets.VBox(
            [
                heading("Take the register", 4),
                self.session,
                self.marks,
                widgets.HBox([self.save]),
                self.status,
                self.catch_up_box,
            ]
        )
        groups_tab = widgets.VBox(
            [
                self.group,
                self.summary,
                self.attendance,
                heading("Sessions", 4),
                widgets.HBox([self.session_day, self.add_session]),
                self.scheduled,
                register,
                heading("Who needs what", 4),
                self.needs,
                self.assessment_heading,
                self.assessment.widget,
                heading("Completion", 4),
                widgets.HTML(
                    note(
                        "Records a completion for each learner who meets the "
                        "course's attendance rule (and has passed its assessment, if it has one).",
                        "muted",
                    )
                ),
                widgets.HBox([self.complete]),
                self.completions,
            ]
        )
        eligible_tab = widgets.VBox(
            [
                self.eligible,
                heading("Nominate for the organisation to approve", 4),
                self.nominee,
                self.nomination_note,
                widgets.HBox([self.nominate]),
                self.nominated,
                self.nominations,
            ]
        )
        new_tab = widgets.VBox(
            [
                heading("Start a new group", 4),
                self.new_course,
                self.new_setting,
                self.new_term,
                self.new_name,
                widgets.HTML(
                    note(
                        "Choose the learners from your setting's staff list "
                        "(hold Ctrl, or Cmd on a Mac, to choose more than one).",
                        "muted",
                    )
                ),
                self.new_learners,
                widgets.HBox([self.create]),
                self.created,
            ]
        )
        report_tab = widgets.VBox([self.report_setting, self.report_course, self.report])
        reflections_tab = widgets.VBox(
            [
                self.reflections,
                self.marking_course,
                self.moderation.role,
                widgets.HBox([self.mark, self.return_feedback]),
                self.returned,
                self.marking,
                self.moderation.widget,
            ]
        )
        certificates_tab = widgets.VBox(
            [
                widgets.HTML(
                    note(
                        "Certificates for the awards of the people you look "
                        "after. Each is saved in the workspace's certificates folder, and offered "
                        "here to download and print.",
                        "muted",
                    )
                ),
                heading("Course completion", 4),
                self.completion,
                widgets.HBox([self.write_completion]),
                self.completion_certificate,
                heading("Roles", 4),
                self.credential,
                widgets.HBox([self.write_certificate]),
                self.certificate,
            ]
        )
        tabs = widgets.Tab(
            children=[
                self.staff_import.widget,
                new_tab,
                groups_tab,
                eligible_tab,
                reflections_tab,
                certificates_tab,
                report_tab,
            ]
        )
        titles = [
            "Staff list",
            "New group",
            "Groups and attendance",
            "Eligible next",
            "Reflections",
            "Certificates",
            "Reports",
        ]
        for i, title in enumerate(titles):
            tabs.set_title(i, title)
        tabs.selected_index = titles.index("Groups and attendance")
        self.tabs = tabs
        self.widget = frame(
            [
                heading(f"Lead Professional dashboard ({long_day(today)})", 2),
                self.lead,
                tabs,
            ]
        )
        self.refresh_lead()

    def _when(self, refresh):
        def observer(_change: object) -> None:
            if not self._quiet:
                refresh()

        return observer

    def _term_widgets(self) -> None:
        """The widgets for running the term: a new group, sessions, catch-ups, reports."""
        from ..delivery.groups import academic_year
        from .term import SETTING_DELIVERIES

        wide = widgets.Layout(width="520px")
        programme = self.ws.programme
        courses = [
            (c.title, c.id) for c in programme.courses.values() if c.delivery in SETTING_DELIVERIES
        ]
        self.new_course = widgets.Dropdown(description="Course", options=courses, layout=wide)
        self.new_setting = widgets.Dropdown(description="Setting", layout=wide)
        self.new_term = widgets.Text(
            description="Term",
            value=academic_year(self.today),
            placeholder="e.g. 2026-27 or 2026-27-t2",
            layout=wide,
        )
        self.new_name = widgets.Text(
            description="Name", placeholder="optional: a name the group knows", layout=wide
        )
        self.new_learners = widgets.SelectMultiple(
            description="Learners", rows=10, layout=widgets.Layout(width="520px")
        )
        self.new_learners.add_class("imatter-learners")
        self.new_course.add_class("imatter-new-course")
        self.new_name.add_class("imatter-group-name")
        self.create = widgets.Button(
            description="Create group and enrol", layout=auto(), button_style="primary"
        )
        self.created = widgets.HTML()
        self.created.add_class("imatter-created")
        # Typed as people in the UK write dates (a browser's date picker may show mm/dd/yyyy).
        self.session_day = widgets.Text(
            description="Date",
            placeholder="dd/mm/yyyy, e.g. 01/10/2026",
            layout=widgets.Layout(width="320px"),
        )
        self.session_day.add_class("imatter-session-day")
        self.add_session = widgets.Button(description="Add session", layout=auto())
        self.scheduled = widgets.HTML()
        self.scheduled.add_class("imatter-scheduled")
        self.catch_up_who = widgets.Dropdown(
            description="Caught up", layout=widgets.Layout(width="420px")
        )
        self.catch_up_who.add_class("imatter-catch-up-who")
        self.catch_up = widgets.Button(description="Record catch-up", layout=auto())
        self.catch_up_how = widgets.HTML()
        self.catch_up_status = widgets.HTML()
        self.catch_up_status.add_class("imatter-catch-up-status")
        self.catch_up_box = widgets.VBox(
            [
                heading("Catch-up for a missed session", 4),
                self.catch_up_how,
                widgets.HBox([self.catch_up_who, self.catch_up]),
                self.catch_up_status,
            ]
        )
        self.needs = widgets.HTML()
        self.needs.add_class("imatter-needs")
        self.assessment_heading = heading("Assessment", 4)
        self.report_setting = widgets.Dropdown(description="Setting", layout=wide)
        self.report_course = widgets.Dropdown(
            description="Course",
            options=[(c.title, c.id) for c in programme.courses.values()],
            value="foundation-a" if "foundation-a" in programme.courses else None,
            layout=wide,
        )
        self.report = widgets.HTML()
        self.report.add_class("imatter-report")
        self.report_course.add_class("imatter-report-course")
        self.marking_course = widgets.Dropdown(description="Course", layout=wide)
        self.mark = widgets.Button(
            description="Mark with the rubric", layout=auto(), button_style="primary"
        )
        self.return_feedback = widgets.Button(description="Return feedback", layout=auto())
        self.marking = widgets.VBox()
        self.marking.add_class("imatter-marking")
        self.returned = widgets.HTML()
        self.returned.add_class("imatter-returned")
        self.credential = widgets.Dropdown(description="Award", layout=wide)
        self.credential.add_class("imatter-credential")
        self.write_certificate = widgets.Button(description="Make certificate (PDF)", layout=auto())
        self.certificate = widgets.HTML()
        self.certificate.add_class("imatter-certificate")
        self.completion = widgets.Dropdown(description="Completed", layout=wide)
        self.completion.add_class("imatter-completion")
        self.write_completion = widgets.Button(
            description="Make course certificate (PDF)", layout=auto()
        )
        self.completion_certificate = widgets.HTML()
        self.completion_certificate.add_class("imatter-completion-certificate")

    # ------------------------------------------------------------------ data
    def _leaders(self) -> list[tuple[str, int]]:
        import sqlalchemy as sa

        from ..delivery.groups.core import LEAD_ROLES
        from ..delivery.licences import held_roles
        from ..store import schema as t

        store, programme = self.ws.store, self.ws.programme
        with store.read() as conn:
            led = set(conn.execute(sa.select(t.study_groups.c.leader_id)).scalars())
            everyone = list(conn.execute(sa.select(t.people.c.id)).scalars())
            roles = held_roles(conn, programme, everyone, self.today)
        wanted = {*LEAD_ROLES, programme.trainer_role}
        ids = led | {pid for pid, held in roles.items() if set(held) & wanted}
        return person_options(store, ids)

    # ------------------------------------------------------------------ refreshers
    def refresh_lead(self) -> None:
        leader = self.lead.value
        if leader is None:
            self.group.options = []
            self.summary.value = note(
                "No such Lead Professional, or none recorded yet; choose one above.", "warn"
            )
            self.attendance.value = ""
            self.eligible.value = ""
            self.reflections.value = ""
            return
        rows = groups.list_groups(self.ws.store, leader=leader)
        self._quiet = True
        self.group.options = [(f"{r.id}: {r.name} ({r.learners} learners)", r.id) for r in rows]
        self.group.value = rows[-1].id if rows else None
        settings = lead_settings(self.ws.store, leader, self.today)
        self.new_setting.options = settings
        self.new_setting.value = settings[0][1] if settings else None
        self.report_setting.options = settings
        self.report_setting.value = settings[0][1] if settings else None
        self.staff_import.set_settings(settings)
        self.moderation.set_colleagues(
            [label.split(" (")[0] for label, pid in self.lead.options if pid != leader]
        )
        self._quiet = False
        self.refresh_group()
        self.refresh_eligible()
        self.refresh_reflections()
        self.refresh_staff()
        self.refresh_report()
        self.refresh_certificates()

    def refresh_group(self, keep_session: bool = False) -> None:
        gid = self.group.value
        if gid is None:
            self.summary.value = note("You lead no study groups yet.", "muted")
            self.attendance.value = ""
            self.status_of_group = None
            self._quiet = True
            self.session.options = []
            self._quiet = False
            self.refresh_marks()
            self.needs.value = ""
            self.assessment.refresh()
            self.assessment_heading.layout.display = "none"
            return
        status = groups.group_completion_status(self.ws.store, self.ws.programme, gid, self.today)
        self.status_of_group = status
        g = status.group
        course = self.ws.programme.course(g.course)
        reg = status.register
        held = [s for s in reg.sessions if not s.cancelled and s.held_on <= self.today]
        self.summary.value = fragment(
            "group_summary",
            g.name,
            course.title,
            g.audience,
            g.term,
            g.setting,
            round(course.attendance * 100),
            course.assessment,
        )
        self.attendance.value = attendance_table(status)
        previous = self.session.value if keep_session else None
        options = [
            (f"{uk(s.held_on)}{' - ' + s.title if s.title else ''}", s.id) for s in reversed(held)
        ]
        ids = [value for _label, value in options]
        self._quiet = True
        self.session.options = options
        self.session.value = previous if previous in ids else (ids[0] if ids else None)
        self._quiet = False
        self.refresh_marks()
        self.refresh_needs()
        self.assessment.refresh()
        self.assessment_heading.layout.display = self.assessment.widget.layout.display

    def refresh_marks(self) -> None:
        sid = self.session.value
        status = self.status_of_group
        self.checkboxes = {}
        if sid is None or status is None:
            self.marks.children = (
                widgets.HTML(note("No sessions have taken place yet.", "muted")),
            )
            self.save.disabled = True
            self.refresh_catch_up()
            return
        reg = status.register
        session = next(s for s in reg.sessions if s.id == sid)
        for learner in reg.learners:
            if not reg.in_window(session, learner):
                continue
            box = widgets.Checkbox(
                value=bool(reg.mark(sid, learner.person_id)),
                description=learner.name,
                indent=False,
            )
            box.add_class("imatter-mark")
            box.add_class(f"imatter-mark-session-{sid}")
            self.checkboxes[learner.person_id] = box
        self.marks.children = tuple(self.checkboxes.values())
        self.save.disabled = not self.checkboxes
        self.refresh_catch_up()

    def refresh_catch_up(self) -> None:
        """Who may catch up the chosen session: learners marked absent there, when the course
        allows catch-ups."""
        status, sid = self.status_of_group, self.session.value
        course = self.ws.programme.course(status.group.course) if status else None
        if status is None or course is None or course.catch_up is None or sid is None:
            self.catch_up_box.layout.display = "none"
            self.catch_up_who.options = []
            return
        self.catch_up_box.layout.display = "flex"
        reg = status.register
        allowed = course.catch_up.sessions
        self.catch_up_how.value = note(
            f"{course.title} allows {allowed} missed session(s) to be caught up: "
            f"{course.catch_up.how}. A catch-up counts as attended.",
            "muted",
        )
        absent = [
            (learner.name, learner.person_id)
            for learner in reg.learners
            if reg.mark(sid, learner.person_id) is False
            and (sid, learner.person_id) not in reg.catch_ups
        ]
        self.catch_up_who.options = absent
        self.catch_up_who.value = absent[0][1] if absent else None
        self.catch_up.disabled = not absent

    def refresh_needs(self) -> None:
        from .term import who_needs_what

        gid = self.group.value
        if gid is None:
            self.needs.value = ""
            return
        rows = who_needs_what(self.ws.store, self.ws.programme, gid, self.today)
        self.needs.value = table(
            ["Learner", "Sessions attended", "Catch-ups used", "Assessment", "Still needed"],
            [
                (
                    n.name,
                    f"{n.attended} of {n.sessions} (needs {n.required})",
                    f"{n.catch_ups} of {n.catch_ups_allowed}"
                    if n.catch_ups_allowed
                    else "none allowed",
                    n.assessment,
                    n.still_needed,
                )
                for n in rows
            ],
            empty="No learners are enrolled in this group yet.",
        )

    def refresh_staff(self) -> None:
        from .term import staff_list

        setting, course_id = self.new_setting.value, self.new_course.value
        if setting is None or course_id is None:
            self.new_learners.options = []
            self.create.disabled = True
            return
        course = self.ws.programme.course(course_id)
        audience = "parents" if course.audience == "parents" else "staff"
        staff = [
            (label, pid)
            for label, pid in staff_list(
                self.ws.store, self.ws.programme, setting, self.today, audience=audience
            )
            if pid != self.lead.value
        ]
        self.new_learners.options = staff
        self.create.disabled = False

    def refresh_report(self) -> None:
        from .term import staff_trained

        setting, course_id = self.report_setting.value, self.report_course.value
        if setting is None or course_id is None:
            self.report.value = note("Choose a setting and a course.", "muted")
            return
        got = staff_trained(self.ws.store, self.ws.programme, setting, course_id, self.today)
        self.report.value = fragment(
            "headline", got.headline, got.course_title, got.setting, uk(self.today)
        ) + table(
            ["Staff group", "Trained", "Staff", "Share"],
            [
                (title, str(n), str(m), f"{round(100 * n / m)}%" if m else "")
                for title, n, m in got.by_group
            ],
            empty="No staff are recorded in this setting yet.",
        )

    def refresh_certificates(self) -> None:
        from ..credentials.registry import list_credentials
        from ..eligibility import short_title
        from ..records.load import current_completions
        from .data import lead_people

        people = set(lead_people(self.ws.store, self.lead.value))
        names = {pid: label.split(" (")[0] for label, pid in person_options(self.ws.store, people)}
        courses = self.ws.programme.courses
        with self.ws.store.read() as conn:
            done = [c for c in current_completions(conn, sorted(people)) if c.course_id in courses]
        completions = [
            (
                f"{names.get(c.person_id, c.person_id)}: "
                f"{short_title(courses[c.course_id].title)}, {uk(c.completed_on)}",
                c.id,
            )
            for c in sorted(done, key=lambda c: (names.get(c.person_id, ""), c.completed_on))
        ]
        self.completion.options = completions
        self.completion.value = completions[0][1] if completions else None
        self.write_completion.disabled = not completions
        if not completions:
            self.completion_certificate.value = note(
                "Nobody you look after has completed a course yet.", "muted"
            )
        with self.ws.store.read() as conn:
            issued = [
                c
                for c in list_credentials(conn)
                if c["person_id"] in people and c["revoked_on"] is None
            ]
        programme = self.ws.programme
        titles = {rid: role.title for rid, role in programme.roles.items()}
        options = [
            (f"{c['person']}: {titles.get(c['role_id'], c['role_id'])}", c["id"])
            for c in sorted(issued, key=lambda c: (c["person"], c["role_id"]))
        ]
        self.credential.options = options
        self.credential.value = options[0][1] if options else None
        self.write_certificate.disabled = not options
        if not options:
            self.certificate.value = note(
                "No credentials have been issued to the people you look after yet.", "muted"
            )

    def _group_assessment(self) -> tuple[int | None, str | None]:
        """The chosen group and its course's assessment (None if it has none)."""
        gid = self.group.value
        if gid is None or self.status_of_group is None:
            return None, None
        return gid, self.ws.programme.course(self.status_of_group.group.course).assessment

    def _marker(self) -> str:
        """The marker's name, as the marks record it."""
        return self.lead.label.split(" (")[0]

    def _course_dir(self):
        from ..assess.course_dir import open_course_dir
        from ..errors import InvalidValue

        if self.marking_course.value is None:
            raise InvalidValue("no assessment has work handed in yet")
        folder, assessment_id = self.marking_course.value
        return open_course_dir(folder), assessment_id

    def open_marking(self) -> None:
        """Open the rubric marking widget for the chosen course folder, as the Lead."""
        from ..assess.marking import Marking
        from ..assess.widget import MarkingWidget

        if self.marking_course.value is None or self.lead.value is None:
            return
        try:
            course, assessment_id = self._course_dir()
            session = Marking(
                course,
                assessment_id,
                self.ws.store,
                marker=self._marker(),
                role=self.moderation.role.value,
            )
            self.marking_widget = MarkingWidget(session)
        except ImatterError as err:
            self.returned.value = note(f"Marking cannot open: {err.message}", "error")
            return
        self.returned.value = ""
        self.marking.children = (self.marking_widget.box,)

    def hand_back(self) -> None:
        """Write a feedback file for every fully marked learner, ready to return."""
        from ..assess.feedback import write_feedback

        if self.marking_course.value is None:
            return
        try:
            course, assessment_id = self._course_dir()
            target = course.root / "handback" / assessment_id
            report = write_feedback(course, assessment_id, self.ws.store, target)
        except ImatterError as err:
            self.returned.value = note(f"No feedback written: {err.message}", "error")
            return
        self.returned.value = note(
            f"Wrote {len(report.written)} feedback file(s) in {target}; give each learner "
            "theirs (or return them through nbgrader)."
        ) + table(
            ["Not yet returned", "Why"],
            list(report.skipped),
            empty="Everyone who handed in has their feedback.",
        )
        self.refresh_reflections()

    def make_completion_certificate(self) -> None:
        """Write the chosen completion's course certificate and offer it to download."""
        from ..credentials.certificate import completion_certificate_for

        ident = self.completion.value
        if ident is None:
            return
        try:
            with self.ws.store.read() as conn:
                path = completion_certificate_for(self.ws, conn, ident)
        except ImatterError as err:
            self.completion_certificate.value = note(f"No certificate: {err.message}", "error")
            return
        who = self.completion.label.split(":")[0].replace(" ", "-")
        self.completion_certificate.value = download(path, f"{who}-course-certificate.pdf")

    def make_certificate(self) -> None:
        """Write the chosen credential's certificate into the workspace and offer it."""
        from ..credentials.certificate import certificate_for

        ident = self.credential.value
        if ident is None:
            return
        try:
            with self.ws.store.read() as conn:
                path = certificate_for(self.ws, conn, ident)
        except ImatterError as err:
            self.certificate.value = note(f"No certificate: {err.message}", "error")
            return
        name = f"{self.credential.label.split(':')[0].replace(' ', '-')}-certificate.pdf"
        self.certificate.value = download(path, name)

    def refresh_eligible(self) -> None:
        from .data import eligible_next, lead_people

        people = lead_people(self.ws.store, self.lead.value)
        steps = eligible_next(self.ws.store, self.ws.programme, people, self.today)
        self.eligible.value = fragment("heading", "Who is eligible next", 4) + table(
            ["Person", "Role", "", "Still needed"],
            [(s.name, s.title, s.state, "; ".join(s.missing)) for s in steps],
            empty="Nobody you look after is eligible for a new role or one step away.",
        )
        ready = [s for s in steps if s.state == "eligible now"]
        self.nominee.options = [(f"{s.name}: {s.title}", (s.person_id, s.role)) for s in ready]
        self.nominee.value = (ready[0].person_id, ready[0].role) if ready else None
        self.nominate.disabled = not ready
        self.refresh_nominations(set(people))

    def refresh_nominations(self, people: set[int]) -> None:
        from ..services.nominations import list_nominations

        mine = [n for n in list_nominations(self.ws.store) if n.person_id in people]
        self.nominations.value = fragment("heading", "Your nominations", 4) + table(
            ["Person", "Role", "Sent", "State", "Reason or award"],
            [
                (
                    n.person,
                    self.ws.programme.role(n.role_id).title,
                    uk(n.nominated_on),
                    n.status,
                    n.reason or (n.award_id or ""),
                )
                for n in mine
            ],
            empty="No nominations sent yet.",
        )

    def refresh_reflections(self) -> None:
        from .data import reflections_waiting

        learners: set[int] = set()
        for row in groups.list_groups(self.ws.store, leader=self.lead.value):
            reg = groups.register(self.ws.store, row.id)
            learners |= {learner.person_id for learner in reg.learners}
        counts = reflections_waiting(self.ws.path, learners)
        from .term import assessments_waiting

        titles = {c.assessment: c.title for c in self.ws.programme.courses.values()}
        markable = [
            (f"{titles.get(a, a)}, in {c.folder.name} ({n} answers waiting)", (str(c.folder), a))
            for c in counts
            for a, n in assessments_waiting(c.folder)
        ]
        self.marking_course.options = markable
        self.marking_course.value = markable[0][1] if markable else None
        self.mark.disabled = self.return_feedback.disabled = not markable
        if not counts:
            self.reflections.value = fragment(
                "heading", "Reflections waiting to be marked", 4
            ) + note("None: no nbgrader course folders were found for this workspace.", "muted")
            return
        self.reflections.value = fragment("heading", "Reflections waiting to be marked", 4) + table(
            ["Course folder", "From your learners", "All learners"],
            [(f"{c.course_id} ({c.folder})", str(c.mine), str(c.total)) for c in counts],
        )

    # ------------------------------------------------------------------ actions
    def staff_changed(self) -> None:
        """After a staff import: the staff lists, eligibility and report read the new records."""
        self.refresh_staff()
        self.refresh_eligible()
        self.refresh_report()

    def send_nomination(self) -> None:
        from ..services.nominations import nominate
        from ..trust.access import identity

        if self.nominee.value is None:
            return
        person_id, role_id = self.nominee.value
        try:
            made = nominate(
                self.ws,
                person_id,
                role_id,
                self.today,
                nominated_by=identity(),
                note=self.nomination_note.value,
            )
        except ImatterError as err:
            self.nominated.value = note(f"Not sent: {err.message}", "error")
            return
        title = self.ws.programme.role(made.role_id).title
        self.nominated.value = note(
            f"Nominated {made.person} for {title}; the organisation will approve or decline it."
        )
        self.nomination_note.value = ""
        self.refresh_eligible()

    def create_group(self) -> None:
        """Create the group from the "New group" tab and enrol the chosen learners."""
        leader, course_id = self.lead.value, self.new_course.value
        chosen = list(self.new_learners.value)
        if leader is None or course_id is None:
            return
        if not chosen:
            self.created.value = note("Choose at least one learner from the staff list.", "warn")
            return
        store, programme = self.ws.store, self.ws.programme
        try:
            gid = groups.create_group(
                store,
                programme,
                course_id=course_id,
                term=self.new_term.value.strip(),
                leader=leader,
                setting=self.new_setting.value,
                on=self.today,
                name=self.new_name.value.strip() or None,
            )
            advice = groups.enrol(store, programme, gid, chosen, self.today)
        except ImatterError as err:
            self.created.value = note(f"Not created: {err.message}", "error")
            return
        self.created.value = note(
            f"Created group {gid} with {len(chosen)} learner(s); add its sessions on the "
            "Groups and attendance tab."
        ) + "".join(note(a, "warn") for a in advice)
        self.new_learners.value = ()
        self.new_name.value = ""
        self.refresh_lead()
        self._quiet = True
        self.group.value = gid
        self._quiet = False
        self.refresh_group()

    def schedule(self) -> None:
        from ..records.csvfile import parse_date

        gid, typed = self.group.value, self.session_day.value.strip()
        if gid is None:
            self.scheduled.value = note("Create or choose a group first.", "warn")
            return
        if not typed:
            self.scheduled.value = note(
                "Type the date of the session first, e.g. 01/10/2026.", "warn"
            )
            return
        try:
            day = parse_date(typed, "the date")
        except ValueError as err:
            self.scheduled.value = note(f"Not added: {err}.", "error")
            return
        try:
            groups.schedule_sessions(self.ws.store, gid, [day])
        except ImatterError as err:
            self.scheduled.value = note(f"Not added: {err.message}", "error")
            return
        self.scheduled.value = note(f"Added a session on {long_day(day)}.")
        self.session_day.value = ""
        self.refresh_group(keep_session=True)

    def record_catch_up(self) -> None:
        sid, who = self.session.value, self.catch_up_who.value
        if sid is None or who is None:
            return
        name = self.catch_up_who.label
        try:
            groups.record_catch_up(
                self.ws.store,
                self.ws.programme,
                sid,
                who,
                recorded_by=self.lead.value,
                today=self.today,
            )
        except ImatterError as err:
            self.catch_up_status.value = note(f"Not recorded: {err.message}", "error")
            return
        day = self.session.label.split(" - ")[0]
        self.catch_up_status.value = note(
            f"Recorded: {name} caught up the session on {day}; it counts as attended."
        )
        self.refresh_group(keep_session=True)

    def save_attendance(self) -> None:
        sid = self.session.value
        if sid is None or not self.checkboxes:
            self.status.value = note("Choose a session first.", "warn")
            return
        marks = {pid: box.value for pid, box in self.checkboxes.items()}
        try:
            groups.record_attendance(
                self.ws.store,
                self.ws.programme,
                sid,
                marks,  # type: ignore[arg-type]
                recorded_by=self.lead.value,
                today=self.today,
            )
        except ImatterError as err:
            self.status.value = note(f"Not saved: {err.message}", "error")
            return
        present = sum(marks.values())
        day = self.session.label.split(" - ")[0]
        self.status.value = note(
            f"Saved attendance for {day}: {present} present, {len(marks) - present} absent."
        )
        self.refresh_group(keep_session=True)

    def record_completions(self) -> None:
        gid = self.group.value
        if gid is None:
            return
        try:  # passes marked on the Reflections tab count first (one rule decides)
            passes = self.assessment.record_passes(self.lead.value, self.today)
            outcomes = groups.complete_group(
                self.ws.store,
                self.ws.programme,
                gid,
                recorded_by=self.lead.value,
                on=self.today,
                today=self.today,
            )
        except ImatterError as err:
            self.completions.value = note(f"Nothing recorded: {err.message}", "error")
            return
        self.completions.value = (note(passes, "muted") if passes else "") + table(
            ["Learner", "Result", "Details"], [(o.name, o.action, o.detail) for o in outcomes]
        )
        self.refresh_group(keep_session=True)
        self.refresh_eligible()
        self.refresh_certificates()


def download(path, name: str) -> str:
    """Where a PDF was saved, and a link to download it under `name`."""
    import base64

    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return note(f"Saved {path}.") + fragment("download", name, data)


def attendance_table(status: groups.GroupStatus) -> str:
    """Learners by sessions (✓ present, ✗ absent, C caught up, · register not taken), with
    progress."""
    reg = status.register
    progress = {p.person_id: p for p in status.progress}
    sessions = [
        {
            "title": s.cancel_reason or s.title or "",
            "label": s.held_on.strftime("%d %b") + (" (cancelled)" if s.cancelled else ""),
        }
        for s in reg.sessions
    ]
    rows = []
    for learner in reg.learners:
        cells = []
        for s in reg.sessions:
            mark = reg.mark(s.id, learner.person_id)
            if s.cancelled or not reg.in_window(s, learner):
                text = ""
            else:
                text = NOT_TAKEN if mark is None else (PRESENT if mark else ABSENT)
                if not mark and (s.id, learner.person_id) in reg.catch_ups:
                    text = CAUGHT_UP
            cells.append({"session": s.id, "text": text})
        p = progress[learner.person_id]
        rows.append(
            {
                "person": learner.person_id,
                "name": learner.name,
                "cells": cells,
                "attended": f"{p.attended} of {p.sessions} (needs {p.required})",
                "state_kind": "ok" if p.completed_on else "warn",
                "state": f"completed {uk(p.completed_on)}" if p.completed_on else p.summary,
            }
        )
    if not rows:
        return note("No learners are enrolled in this group yet.", "muted")
    return fragment("attendance_table", sessions, rows)


def lead_dashboard(ws=None, today: dt.date | None = None, person: str | None = None):
    """The dashboard widget for the notebook: workspace, date and person from the environment
    unless given."""
    try:
        board = LeadDashboard(open_context(ws), today or env_today(), person or env_person())
    except ImatterError as err:
        return widgets.HTML(note(f"The dashboard cannot open: {err.message}", "error"))
    return board.widget
