"""Membership pricing: the band a roll falls in, the invoice summary (and its CSV), the
totals per currency, and the renewals due."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from ...errors import InvalidValue
from ...programme import MembershipRule, Programme
from ...store import Store
from ...store import schema as t
from ...trust.access import require
from .loading import _allowed_settings


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
    from ...cells import safe_dict

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
