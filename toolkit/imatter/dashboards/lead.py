"""The Lead Professional dashboard: my groups, their attendance (take the register), each
learner's progress, reflections waiting to be marked, and who is eligible next.

Everything goes through the Python API (imatter.delivery.groups, imatter.dashboards.data); the
widget only arranges it. `LeadDashboard(ws, today).widget` is what the notebook displays.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as widgets

from ..delivery import groups
from ..errors import ImatterError
from .common import (
    env_person,
    env_today,
    esc,
    frame,
    heading,
    note,
    open_context,
    person_options,
    pick,
    table,
)

PRESENT, ABSENT, NOT_TAKEN = "✓", "✗", "·"


class LeadDashboard:
    """The widgets and their callbacks (kept on the object so that tests can drive them)."""

    def __init__(self, ws, today: dt.date, person: str | None = None) -> None:  # type: ignore[no-untyped-def]
        self.ws = ws
        self.today = today
        self.lead = widgets.Dropdown(description="Lead", layout=widgets.Layout(width="420px"))
        self.group = widgets.Dropdown(description="Group", layout=widgets.Layout(width="520px"))
        self.summary = widgets.HTML()
        self.attendance = widgets.HTML()
        self.attendance.add_class("imatter-attendance")
        self.session = widgets.Dropdown(description="Session", layout=widgets.Layout(width="320px"))
        self.marks = widgets.VBox()
        self.checkboxes: dict[int, widgets.Checkbox] = {}
        self.save = widgets.Button(description="Save attendance", button_style="primary")
        self.save.add_class("imatter-save")
        self.status = widgets.HTML()
        self.status.add_class("imatter-status")
        self.complete = widgets.Button(description="Record completions")
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
        self.nominate = widgets.Button(description="Send nomination")
        self.nominate.add_class("imatter-nominate")
        self.nominated = widgets.HTML()
        self.nominated.add_class("imatter-nomination-status")
        self.nominations = widgets.HTML()
        self.reflections = widgets.HTML()

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

        register = widgets.VBox(
            [
                heading("Take the register", 4),
                self.session,
                self.marks,
                widgets.HBox([self.save]),
                self.status,
            ]
        )
        groups_tab = widgets.VBox(
            [
                self.group,
                self.summary,
                self.attendance,
                register,
                heading("Completion", 4),
                widgets.HTML(
                    "<p class='muted'>Records a completion for each learner who meets the "
                    "course's attendance rule (and has passed its assessment, if it has one).</p>"
                ),
                self.complete,
                self.completions,
            ]
        )
        eligible_tab = widgets.VBox(
            [
                self.eligible,
                heading("Nominate for the organisation to approve", 4),
                self.nominee,
                self.nomination_note,
                self.nominate,
                self.nominated,
                self.nominations,
            ]
        )
        tabs = widgets.Tab(children=[groups_tab, eligible_tab, self.reflections])
        for i, title in enumerate(["Groups and attendance", "Eligible next", "Reflections"]):
            tabs.set_title(i, title)
        self.widget = frame(
            [
                heading(f"Lead Professional dashboard ({today.isoformat()})", 2),
                self.lead,
                tabs,
            ]
        )
        self.refresh_lead()

    def _when(self, refresh):  # type: ignore[no-untyped-def]
        def observer(_change: object) -> None:
            if not self._quiet:
                refresh()

        return observer

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
        self.group.options = [
            (f"{r['id']}: {r['name']} ({r['learners']} learners)", r["id"]) for r in rows
        ]
        self.group.value = rows[-1]["id"] if rows else None
        self._quiet = False
        self.refresh_group()
        self.refresh_eligible()
        self.refresh_reflections()

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
            return
        status = groups.group_completion_status(self.ws.store, self.ws.programme, gid, self.today)
        self.status_of_group = status
        g = status.group
        course = self.ws.programme.course(g.course)
        reg = status.register
        held = [s for s in reg.sessions if not s.cancelled and s.held_on <= self.today]
        self.summary.value = (
            f"<p><b>{esc(g.name)}</b>: {esc(course.title)}; {esc(g.audience)} group, term "
            f"{esc(g.term)}{', at ' + esc(g.setting) if g.setting else ''}. "
            f"Attendance rule: at least {round(course.attendance * 100)}% of sessions"
            f"{' and a passed assessment' if course.assessment else ''}.</p>"
        )
        self.attendance.value = attendance_table(status)
        previous = self.session.value if keep_session else None
        options = [
            (f"{s.held_on.isoformat()}{' - ' + s.title if s.title else ''}", s.id)
            for s in reversed(held)
        ]
        ids = [value for _label, value in options]
        self._quiet = True
        self.session.options = options
        self.session.value = previous if previous in ids else (ids[0] if ids else None)
        self._quiet = False
        self.refresh_marks()

    def refresh_marks(self) -> None:
        sid = self.session.value
        status = self.status_of_group
        self.checkboxes = {}
        if sid is None or status is None:
            self.marks.children = (
                widgets.HTML(note("No sessions have taken place yet.", "muted")),
            )
            self.save.disabled = True
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
            self.checkboxes[learner.person_id] = box
        self.marks.children = tuple(self.checkboxes.values())
        self.save.disabled = not self.checkboxes

    def refresh_eligible(self) -> None:
        from .data import eligible_next, lead_people

        people = lead_people(self.ws.store, self.lead.value)
        steps = eligible_next(self.ws.store, self.ws.programme, people, self.today)
        self.eligible.value = "<h4>Who is eligible next</h4>" + table(
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
        self.nominations.value = "<h4>Your nominations</h4>" + table(
            ["Person", "Role", "Sent", "State", "Reason or award"],
            [
                (
                    n.person,
                    self.ws.programme.role(n.role_id).title,
                    n.nominated_on.isoformat(),
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
            reg = groups.register(self.ws.store, row["id"])
            learners |= {learner.person_id for learner in reg.learners}
        counts = reflections_waiting(self.ws.path, learners)
        if not counts:
            self.reflections.value = "<h4>Reflections waiting to be marked</h4>" + note(
                "None: no nbgrader course folders were found for this workspace.", "muted"
            )
            return
        self.reflections.value = "<h4>Reflections waiting to be marked</h4>" + table(
            ["Course folder", "From your learners", "All learners"],
            [(f"{c.course_id} ({c.folder})", str(c.mine), str(c.total)) for c in counts],
        )

    # ------------------------------------------------------------------ actions
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
        try:
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
        self.completions.value = table(
            ["Learner", "Result", "Details"], [(o.name, o.action, o.detail) for o in outcomes]
        )
        self.refresh_group(keep_session=True)


def attendance_table(status: groups.GroupStatus) -> str:
    """Learners by sessions (✓ present, ✗ absent, · register not taken), with progress."""
    reg = status.register
    progress = {p.person_id: p for p in status.progress}
    head = "".join(
        f"<th title='{esc(s.cancel_reason or s.title or '')}'>"
        f"{esc(s.held_on.strftime('%d %b'))}{' (cancelled)' if s.cancelled else ''}</th>"
        for s in reg.sessions
    )
    rows = []
    for learner in reg.learners:
        cells = []
        for s in reg.sessions:
            mark = reg.mark(s.id, learner.person_id)
            if s.cancelled or not reg.in_window(s, learner):
                text = ""
            else:
                text = NOT_TAKEN if mark is None else (PRESENT if mark else ABSENT)
            cells.append(
                f"<td class='mark' data-person='{learner.person_id}' data-session='{s.id}'>"
                f"{text}</td>"
            )
        p = progress[learner.person_id]
        state = (
            f"<span class='ok'>completed {p.completed_on.isoformat()}</span>"
            if p.completed_on
            else f"<span class='warn'>{esc(p.summary)}</span>"
        )
        rows.append(
            f"<tr data-person='{learner.person_id}'><td>{esc(learner.name)}</td>{''.join(cells)}"
            f"<td class='attended'>{p.attended} of {p.sessions} (needs {p.required})</td>"
            f"<td>{state}</td></tr>"
        )
    if not rows:
        return note("No learners are enrolled in this group yet.", "muted")
    return (
        "<table class='imatter-table imatter-attendance-table'><thead><tr><th>Learner</th>"
        f"{head}<th>Attended</th><th>Progress</th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table>"
    )


def lead_dashboard(ws=None, today: dt.date | None = None, person: str | None = None):  # type: ignore[no-untyped-def]
    """The dashboard widget for the notebook: workspace, date and person from the environment
    unless given."""
    try:
        board = LeadDashboard(open_context(ws), today or env_today(), person or env_person())
    except ImatterError as err:
        return widgets.HTML(note(f"The dashboard cannot open: {err.message}", "error"))
    return board.widget
