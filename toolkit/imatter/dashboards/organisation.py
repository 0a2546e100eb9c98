"""The organisation's view: every setting's licence and membership, renewals coming up,
trainee licence applications (approve, or refuse with a reason), and Leads' nominations for a
role (approve, which awards it, or decline with a reason the Lead reads)."""

from __future__ import annotations

import datetime as dt

import ipywidgets as widgets

from ..delivery import licences
from ..errors import ImatterError
from ..trust.access import identity
from .common import env_today, frame, heading, note, open_context, table


class OrganisationView:
    def __init__(self, ws, today: dt.date, decided_by: str | None = None) -> None:
        self.ws = ws
        self.today = today
        self.decided_by = decided_by or identity()
        self.report = widgets.HTML()
        self.days = widgets.IntSlider(value=60, min=0, max=365, step=15, description="Days ahead")
        self.renewals = widgets.HTML()
        self.applications = widgets.HTML()
        self.application = widgets.Dropdown(
            description="Application", layout=widgets.Layout(width="460px")
        )
        self.reason = widgets.Text(
            description="Reason",
            placeholder="needed to refuse",
            layout=widgets.Layout(width="460px"),
        )
        self.approve = widgets.Button(description="Approve", button_style="success")
        self.refuse = widgets.Button(description="Refuse", button_style="warning")
        self.decision = widgets.HTML()
        self.nominations = widgets.HTML()
        self.nomination = widgets.Dropdown(
            description="Nomination", layout=widgets.Layout(width="520px")
        )
        self.decline_reason = widgets.Text(
            description="Reason",
            placeholder="needed to decline: the Lead reads it",
            layout=widgets.Layout(width="520px"),
        )
        self.approve_nomination = widgets.Button(
            description="Approve and award", button_style="success"
        )
        self.decline_nomination = widgets.Button(description="Decline", button_style="warning")
        self.nomination_result = widgets.HTML()
        self.nomination_result.add_class("imatter-nomination-status")
        self.approve_nomination.on_click(lambda _b: self.decide_nomination(True))
        self.decline_nomination.on_click(lambda _b: self.decide_nomination(False))
        self.days.observe(lambda _change: self.refresh_renewals(), names="value")
        self.approve.on_click(lambda _b: self.decide(True))
        self.refuse.on_click(lambda _b: self.decide(False))
        tabs = widgets.Tab(
            children=[
                self.report,
                widgets.VBox([self.days, self.renewals]),
                widgets.VBox(
                    [
                        self.applications,
                        heading("Decide", 4),
                        self.application,
                        self.reason,
                        widgets.HBox([self.approve, self.refuse]),
                        self.decision,
                    ]
                ),
                widgets.VBox(
                    [
                        self.nominations,
                        heading("Decide", 4),
                        self.nomination,
                        self.decline_reason,
                        widgets.HBox([self.approve_nomination, self.decline_nomination]),
                        self.nomination_result,
                    ]
                ),
            ]
        )
        titles = ["Licences", "Renewals", "Trainee applications", "Nominations"]
        for i, title in enumerate(titles):
            tabs.set_title(i, title)
        self.widget = frame([heading(f"Organisation view ({today.isoformat()})", 2), tabs])
        self.refresh()

    def refresh(self) -> None:
        self.refresh_report()
        self.refresh_renewals()
        self.refresh_applications()
        self.refresh_nominations()

    def refresh_report(self) -> None:
        rows = licences.licence_report(self.ws.store, self.ws.programme, self.today)
        self.report.value = table(
            ["Setting", "Licensed", "Licence to", "Membership to", "Rule", "Trainees", "Waiting"],
            [
                (
                    f"{r.name} ({r.setting})",
                    "yes" if r.licensed and not r.problem else (r.problem or "no"),
                    r.licence_until,
                    r.membership_until.isoformat() if r.membership_until else "",
                    "met" if r.rule_met else "; ".join(r.missing),
                    str(r.trainees),
                    str(r.applications_waiting),
                )
                for r in rows
            ],
            empty="No settings are recorded yet.",
        )

    def refresh_renewals(self) -> None:
        rows = licences.renewals_due(self.ws.store, self.ws.programme, self.today, self.days.value)
        self.renewals.value = table(
            ["Setting", "Ends", "Renews", "Renewal", "State", "Fee", "Band"],
            [
                (
                    f"{r.name} ({r.setting})",
                    r.ends_on.isoformat(),
                    r.renews_on.isoformat(),
                    r.when,
                    r.state,
                    f"{r.currency} {r.fee:,.2f}",
                    r.band,
                )
                for r in rows
            ],
            empty=f"No memberships renew in the next {self.days.value} days.",
        )

    def refresh_applications(self) -> None:
        apps = licences.trainee_applications(self.ws.store, self.today)
        self.applications.value = table(
            ["No.", "Applicant", "Setting", "Submitted", "State", "Decided", "Reason or problem"],
            [
                (
                    str(a.id),
                    a.name,
                    a.setting or "",
                    a.submitted_on.isoformat(),
                    a.state,
                    a.decided_on.isoformat() if a.decided_on else "",
                    a.problem or a.reason or "",
                )
                for a in apps
            ],
            empty="No trainee licence applications.",
        )
        waiting = [a for a in apps if a.state == "submitted"]
        self.application.options = [
            (f"{a.id}: {a.name} ({a.setting}, {a.submitted_on.isoformat()})", a.id) for a in waiting
        ]
        self.application.value = waiting[0].id if waiting else None
        self.approve.disabled = self.refuse.disabled = not waiting

    def decide(self, approve: bool) -> None:
        app_id = self.application.value
        if app_id is None:
            return
        try:
            result = licences.decide_trainee_application(
                self.ws.store,
                app_id,
                approve=approve,
                decided_by=self.decided_by,
                on=self.today,
                reason=self.reason.value or None,
            )
        except ImatterError as err:
            self.decision.value = note(f"Not recorded: {err.message}", "error")
            return
        self.decision.value = note(f"Application {result.id}: {result.state}.")
        self.reason.value = ""
        self.refresh()

    def refresh_nominations(self) -> None:
        from ..services.nominations import list_nominations

        found = list_nominations(self.ws.store)
        self.nominations.value = table(
            ["No.", "Person", "Role", "Nominated by", "On", "Note", "State", "Reason or award"],
            [
                (
                    str(n.id),
                    n.person,
                    self.ws.programme.role(n.role_id).title,
                    n.nominated_by,
                    n.nominated_on.isoformat(),
                    n.note or "",
                    n.status,
                    n.reason or n.award_id or "",
                )
                for n in found
            ],
            empty="No nominations yet.",
        )
        waiting = [n for n in found if n.status == "pending"]
        self.nomination.options = [
            (f"{n.id}: {n.person} for {self.ws.programme.role(n.role_id).title}", n.id)
            for n in waiting
        ]
        self.nomination.value = waiting[0].id if waiting else None
        self.approve_nomination.disabled = self.decline_nomination.disabled = not waiting

    def decide_nomination(self, approve: bool) -> None:
        from ..services.nominations import approve as approve_nomination
        from ..services.nominations import decline

        chosen = self.nomination.value
        if chosen is None:
            return
        try:
            if approve:
                done = approve_nomination(
                    self.ws, chosen, decided_by=self.decided_by, on=self.today
                )
                what = (
                    f"approved: {done.person} is now {self.ws.programme.role(done.role_id).title}"
                )
            else:
                done = decline(
                    self.ws.store,
                    chosen,
                    decided_by=self.decided_by,
                    on=self.today,
                    reason=self.decline_reason.value,
                )
                what = f"declined ({done.reason})"
        except ImatterError as err:
            self.nomination_result.value = note(f"Not recorded: {err.message}", "error")
            return
        self.nomination_result.value = note(f"Nomination {done.id} {what}.")
        self.decline_reason.value = ""
        self.refresh()


def organisation_view(ws=None, today: dt.date | None = None):
    """The organisation view widget for the notebook."""
    try:
        view = OrganisationView(open_context(ws), today or env_today())
    except ImatterError as err:
        return widgets.HTML(note(f"The view cannot open: {err.message}", "error"))
    return view.widget
