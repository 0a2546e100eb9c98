"""Licences and membership: invoices, renewals, the licence report, trainee applications.

The school licence rule itself is the eligibility engine's (`evaluate_setting_licence`) and the
organisation grants it (`records.grant_setting_licence`); membership is priced from the bands in
the programme file (`MembershipRule.fee_for`). This module adds what the organisation runs on:
- `membership_invoices` and `write_invoices_csv` / `write_invoices_pdf`: an invoice summary;
- `renewals_due`: memberships whose renewal falls in the next N days (or has lapsed);
- `licence_report`: every setting's licence, membership and what the rule still needs;
- trainee licence applications, valid only while the setting is licensed with a current
  membership: `apply_trainee_licence`, `decide_trainee_application`, `trainee_applications`;
- `held_roles`: the awards a person holds on a date, a licence counting only while its setting
  is licensed.

Dates are parameters; nothing here reads the clock.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..eligibility.facts import AwardFact, SettingFact, setting_licence_problem
from ..errors import InvalidValue, NotEligible, NotFound
from ..programme import MembershipRule, Programme
from ..store import Store
from ..store import schema as t
from ..trust.access import allowed, require

if TYPE_CHECKING:
    from ..eligibility import LicenceResult

TRAINEE_ROLE = "trainee-lead"


# ------------------------------------------------------------------ settings and awards
def setting_facts(conn: sa.Connection, setting_ids: list[str]) -> dict[str, SettingFact]:
    """Each setting as a SettingFact carrying its licence and membership periods."""
    from ..records.load import setting_periods as periods

    if not setting_ids:
        return {}
    licences, memberships = periods(conn, setting_ids)
    st = t.settings
    return {
        row.id: SettingFact(
            row.id,
            row.name,
            "",
            licences=tuple(licences[row.id]),
            memberships=tuple(memberships[row.id]),
        )
        for row in conn.execute(sa.select(st.c.id, st.c.name).where(st.c.id.in_(setting_ids)))
    }


def setting_problem(conn: sa.Connection, setting_id: str, on: dt.date) -> str | None:
    """Why a setting is not licensed with a current membership on a date (None if it is)."""
    found = setting_facts(conn, [setting_id])
    if setting_id not in found:
        raise NotFound(f"no setting '{setting_id}'; see `imatter setting list`")
    return setting_licence_problem(found[setting_id], on)


def check_setting_licence(
    store: Store, programme: Programme, setting_id: str, on: dt.date
) -> LicenceResult:
    """Whether a setting meets the school licence rule, and what is missing (names its staff).

    Only for those who may see the setting's reports; another setting's looks missing."""
    from ..eligibility import evaluate_setting_licence
    from ..records.load import setting_records
    from ..records.settings import require_setting

    with store.read() as conn:
        require_setting(conn, setting_id)
        require(conn, "reports.read", setting=setting_id)
        return evaluate_setting_licence(programme, setting_records(conn, setting_id, on), on)


def held_roles(
    conn: sa.Connection, programme: Programme, person_ids: list[int], on: dt.date
) -> dict[int, dict[str, sa.Row]]:
    """Current awards by person and role on a date: started, unexpired, unrevoked, and for a
    licence (kind: licence, e.g. the trainee licence) only while its setting is licensed with
    a current membership (the engine's `AwardFact.current_on`)."""
    held: dict[int, dict[str, sa.Row]] = defaultdict(dict)
    for row, fact in _award_facts(conn, person_ids):
        if fact.current_on(on):
            held[row.person_id][row.role_id] = row
    return held


def lapsed_licences(
    conn: sa.Connection, person_ids: list[int], on: dt.date
) -> dict[int, dict[str, str]]:
    """Licences not held only because their setting lapsed: person -> role -> the words."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for row, fact in _award_facts(conn, person_ids):
        text, end = fact.lapse(on), fact.ends_on(on)
        if text and not fact.revoked_by(on) and (end is None or end >= on):
            out[row.person_id][row.role_id] = text
    return out


def _award_facts(conn: sa.Connection, person_ids: list[int]) -> list[tuple[sa.Row, AwardFact]]:
    from ..records.load import award_fact, current_awards, licence_setting_facts

    rows = current_awards(conn, person_ids)
    settings = licence_setting_facts(conn, rows)
    return [(row, award_fact(row, settings)) for row in rows]


def _kind(programme: Programme, role_id: str) -> str:
    role = programme.roles.get(role_id)
    return role.kind if role else "role"


# ------------------------------------------------------------------ membership and invoices
def band_label(rule: MembershipRule, pupils_on_roll: int | None) -> str:
    """The band a roll falls in, in words: 'up to 100', '101 to 250', 'over 1000', 'service'."""
    if pupils_on_roll is None:
        return "service (flat fee)"
    lower = 0
    for band in rule.bands:
        if band.up_to is None:
            return f"over {lower - 1}" if lower else "any roll"
        if pupils_on_roll <= band.up_to:
            return f"up to {band.up_to}" if lower == 0 else f"{lower} to {band.up_to}"
        lower = band.up_to + 1
    return f"over {lower - 1}"


@dataclass(frozen=True)
class InvoiceLine:
    """One membership as it appears on the invoice summary."""

    membership_id: int
    setting: str
    name: str
    kind: str
    pupils_on_roll: int | None
    band: str
    starts_on: dt.date
    ends_on: dt.date
    fee: float
    currency: str


def membership_invoices(
    store: Store, programme: Programme, start: dt.date, end: dt.date
) -> list[InvoiceLine]:
    """Memberships starting between two dates (inclusive), for invoicing, oldest first."""
    if end < start:
        raise InvalidValue(f"the period ends ({end}) before it starts ({start})")
    m, s = t.memberships, t.settings
    with store.read() as conn:
        require(conn, "settings.manage")  # the organisation's billing
        rows = conn.execute(
            sa.select(m, s.c.name, s.c.kind, s.c.pupils_on_roll)
            .select_from(m.join(s, s.c.id == m.c.setting_id))
            .where(m.c.starts_on >= start, m.c.starts_on <= end)
            .order_by(m.c.starts_on, m.c.setting_id)
        ).all()
    return [
        InvoiceLine(
            membership_id=row.id,
            setting=row.setting_id,
            name=row.name,
            kind=row.kind,
            pupils_on_roll=row.pupils_on_roll,
            band=band_label(
                programme.membership, row.pupils_on_roll if row.kind == "school" else None
            ),
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            fee=row.fee,
            currency=row.currency,
        )
        for row in rows
    ]


INVOICE_COLUMNS = (
    "membership_id",
    "setting",
    "name",
    "kind",
    "pupils_on_roll",
    "band",
    "starts_on",
    "ends_on",
    "fee",
    "currency",
)


def write_invoices_csv(lines: list[InvoiceLine], path: str | Path) -> Path:
    """The invoice summary as CSV (UTF-8, one row per membership, then a total row)."""
    from ..cells import safe_dict

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INVOICE_COLUMNS)
        writer.writeheader()
        for line in lines:
            row = asdict(line)
            row["fee"] = f"{line.fee:.2f}"
            writer.writerow(safe_dict(row))
        for currency, total in invoice_totals(lines).items():
            writer.writerow({"name": "TOTAL", "fee": f"{total:.2f}", "currency": currency})
    return path


def invoice_totals(lines: list[InvoiceLine]) -> dict[str, float]:
    """The total fee per currency."""
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        totals[line.currency] += line.fee
    return dict(totals)


def write_invoices_pdf(
    lines: list[InvoiceLine],
    path: str | Path,
    *,
    programme: Programme,
    issued_on: dt.date,
    period: tuple[dt.date, dt.date],
) -> Path:
    """The invoice summary as a one-table A4 PDF (reportlab), with the total per currency."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        title=f"{programme.name} membership invoices",
        author=programme.issuer_name,
    )
    story = [
        Paragraph(f"{programme.issuer_name}: membership invoice summary", styles["Title"]),
        Paragraph(
            f"Memberships starting {period[0].isoformat()} to {period[1].isoformat()}; "
            f"issued {issued_on.isoformat()}; programme {programme.version}.",
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]
    data = [["Setting", "Kind", "Pupils", "Band", "From", "To", "Fee"]]
    for line in lines:
        data.append(
            [
                Paragraph(f"{_esc(line.name)} ({_esc(line.setting)})", styles["Normal"]),
                line.kind,
                "" if line.pupils_on_roll is None else str(line.pupils_on_roll),
                line.band,
                line.starts_on.isoformat(),
                line.ends_on.isoformat(),
                f"{line.currency} {line.fee:,.2f}",
            ]
        )
    for currency, total in invoice_totals(lines).items():
        data.append(["Total", "", "", "", "", "", f"{currency} {total:,.2f}"])
    if not lines:
        data.append(["No memberships start in this period.", "", "", "", "", "", ""])
    table = Table(data, repeatRows=1, colWidths=[230, 55, 50, 90, 75, 75, 90])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f5f99")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (2, 1), (2, -1), "RIGHT"),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return path


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


# ------------------------------------------------------------------ renewals
@dataclass(frozen=True)
class Renewal:
    """A setting whose membership renews soon (days_left >= 0) or has lapsed (< 0)."""

    setting: str
    name: str
    ends_on: dt.date
    renews_on: dt.date
    days_left: int
    fee: float
    currency: str
    band: str

    @property
    def state(self) -> str:
        return "lapsed" if self.days_left < 0 else "due"

    @property
    def when(self) -> str:
        """The renewal date relative to today, in words (never a negative number of days)."""
        return days_words(self.days_left)


def days_words(days: int) -> str:
    """'in 30 days', 'today', 'tomorrow', '1 day ago', '447 days ago'."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 0:
        return f"in {days} days"
    return "1 day ago" if days == -1 else f"{-days} days ago"


def _allowed_settings(conn: sa.Connection, rows: Sequence[sa.Row]) -> list[sa.Row]:
    """The settings rows the current actor may see reports of."""
    return [row for row in rows if allowed(conn, "reports.read", setting=row.id)]


def renewals_due(store: Store, programme: Programme, on: dt.date, days: int) -> list[Renewal]:
    """Settings whose latest membership ends so that renewal falls within `days` of `on`.

    The renewal date is the day after the membership ends. Memberships already renewed (a later
    one recorded) are left out; lapsed ones (renewal date before `on`) are included, marked
    `lapsed`. The fee is quoted from the setting's current roll.
    """
    if days < 0:
        raise InvalidValue("--days cannot be negative")
    m, s = t.memberships, t.settings
    horizon = on + dt.timedelta(days=days)
    with store.read() as conn:
        latest = (
            sa.select(m.c.setting_id, sa.func.max(m.c.ends_on).label("ends_on"))
            .group_by(m.c.setting_id)
            .subquery()
        )
        rows = conn.execute(
            sa.select(s, latest.c.ends_on)
            .select_from(s.join(latest, latest.c.setting_id == s.c.id))
            .order_by(latest.c.ends_on, s.c.id)
        ).all()
        rows = _allowed_settings(conn, rows)
    renewals = []
    for row in rows:
        if row.ends_on >= horizon:  # renews after the horizon (and 9999-12-31 has no next day)
            continue
        renews_on = row.ends_on + dt.timedelta(days=1)
        roll = row.pupils_on_roll if row.kind == "school" else None
        renewals.append(
            Renewal(
                setting=row.id,
                name=row.name,
                ends_on=row.ends_on,
                renews_on=renews_on,
                days_left=(renews_on - on).days,
                fee=programme.membership.fee_for(roll),
                currency=programme.membership.currency,
                band=band_label(programme.membership, roll),
            )
        )
    return renewals


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
    from ..eligibility import evaluate_setting_licence
    from ..records.load import setting_records

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


# ------------------------------------------------------------------ trainee applications
@dataclass(frozen=True)
class TraineeApplication:
    """A trainee licence application and its state on a date."""

    id: int
    person_id: int
    name: str
    setting: str | None
    submitted_on: dt.date
    status: str  # submitted | approved | refused
    decided_on: dt.date | None
    decided_by: str | None
    reason: str | None
    problem: str | None  # approved, but the licence does not count now: "licence lapsed: ..."

    @property
    def state(self) -> str:
        """submitted, approved, lapsed (approved, but the setting is no longer licensed), or
        refused."""
        if self.status == "approved" and self.problem:
            return "lapsed"
        return self.status


def apply_trainee_licence(
    store: Store, programme: Programme, person: str | int, setting_id: str, on: dt.date
) -> int:
    """Record an application for the trainee licence in a licensed setting; returns its id.

    NotEligible if the person is not a current member of staff there, or the setting is not
    licensed with a current membership on that date; Duplicate if one is already waiting.
    """
    from ..records.awards import apply_for_role
    from ..records.people import resolve_person

    programme.role(TRAINEE_ROLE)
    aff = t.affiliations
    with store.read() as conn:
        person_id = resolve_person(conn, person)
        problem = setting_problem(conn, setting_id, on)
        if problem:
            raise NotEligible(
                "a trainee licence is only for a licensed setting with a current membership: "
                f"{problem}"
            )
        links = conn.execute(
            sa.select(aff.c.since, aff.c.until, aff.c.position).where(
                aff.c.person_id == person_id, aff.c.setting_id == setting_id
            )
        ).all()
    if not any(
        (a.since is None or a.since <= on)
        and (a.until is None or on <= a.until)
        and a.position != "parent"
        for a in links
    ):
        raise NotEligible(
            f"person {person_id} is not a current member of staff at {setting_id}; "
            "add them to the setting first"
        )
    return apply_for_role(store, programme, person_id, TRAINEE_ROLE, on, setting=setting_id)


def decide_trainee_application(
    store: Store,
    application_id: int,
    *,
    approve: bool,
    decided_by: str,
    on: dt.date,
    reason: str | None = None,
) -> TraineeApplication:
    """Approve (only while the setting is licensed) or refuse (with a reason) an application."""
    from ..records.awards import decide_application

    with store.read() as conn:
        row = _application(conn, application_id)
        if approve and row.setting_id:
            problem = setting_problem(conn, row.setting_id, on)
            if problem:
                raise NotEligible(
                    f"application {application_id} cannot be approved: {problem}; "
                    "refuse it with a --reason or renew the licence first"
                )
    decide_application(
        store, application_id, approve=approve, decided_by=decided_by, on=on, reason=reason
    )
    return _one_application(store, application_id, on)


def _application(conn: sa.Connection, application_id: int) -> sa.Row:
    ap = t.applications
    row = conn.execute(
        sa.select(ap).where(ap.c.id == application_id, ap.c.role_id == TRAINEE_ROLE)
    ).first()
    if row is None:
        raise NotFound(
            f"no trainee licence application {application_id}; see `imatter licences applications`"
        )
    return row


def _one_application(store: Store, application_id: int, on: dt.date) -> TraineeApplication:
    found = [a for a in trainee_applications(store, on) if a.id == application_id]
    return found[0]


def trainee_applications(
    store: Store, on: dt.date, *, state: str | None = None
) -> list[TraineeApplication]:
    """Trainee licence applications with their state on a date, newest first."""
    ap, p = t.applications, t.people
    with store.read() as conn:
        rows = conn.execute(
            sa.select(ap, p.c.name)
            .select_from(ap.join(p, p.c.id == ap.c.person_id))
            .where(ap.c.role_id == TRAINEE_ROLE)
            .order_by(ap.c.submitted_on.desc(), ap.c.id.desc())
        ).all()
        rows = [r for r in rows if allowed(conn, "people.read", person=r.person_id)]
        problems = {
            sid: setting_problem(conn, sid, on)
            for sid in sorted({r.setting_id for r in rows if r.setting_id})
        }
    apps = [
        TraineeApplication(
            id=row.id,
            person_id=row.person_id,
            name=row.name,
            setting=row.setting_id,
            submitted_on=row.submitted_on,
            status=row.status,
            decided_on=row.decided_on,
            decided_by=row.decided_by,
            reason=row.reason,
            problem=(
                f"licence lapsed: {problems[row.setting_id]}"
                if row.status == "approved" and problems.get(row.setting_id)
                else None
            ),
        )
        for row in rows
    ]
    if state is not None:
        apps = [a for a in apps if a.state == state]
    return apps
