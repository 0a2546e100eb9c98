"""Settings (schools and services), clusters, memberships and school licences."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import Duplicate, ImatterError, InvalidValue, NotFound
from ..programme import Programme
from ..store import Store
from ..store import schema as t
from ..trust.access import require
from .clock import utcnow

SETTING_KINDS = ("school", "service")
CLUSTER_KINDS = ("cluster", "icc")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


@dataclass(frozen=True, slots=True)
class Setting:
    """A school or service with its number of current members (fields in the table's order)."""

    id: str
    name: str
    kind: str
    pupils_on_roll: int | None
    cluster_id: str | None
    area: str | None
    created_at: dt.datetime
    members: int


@dataclass(frozen=True, slots=True)
class Cluster:
    """A cluster (or ICC) and the ids of its settings."""

    id: str
    name: str
    kind: str
    area: str | None
    created_at: dt.datetime
    settings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Membership:
    """A year's membership as recorded: its dates and the fee from the programme's bands."""

    setting: str
    starts_on: dt.date
    ends_on: dt.date
    fee: float


@dataclass(frozen=True, slots=True)
class SettingLicence:
    """A school licence as granted."""

    setting: str
    valid_from: dt.date
    valid_until: dt.date | None


def check_slug(value: str, what: str) -> str:
    """An id made of lower-case letters, digits and hyphens."""
    if not _SLUG.match(value):
        raise InvalidValue(
            f"{what} id '{value}' must be 2-80 lower-case letters, digits and hyphens "
            "(e.g. oakfield-primary)"
        )
    return value


def add_cluster(
    store: Store, cluster_id: str, name: str, *, kind: str = "cluster", area: str | None = None
) -> None:
    """Add a cluster of settings (or an Integrated Care Community, kind 'icc')."""
    check_slug(cluster_id, "cluster")
    if kind not in CLUSTER_KINDS:
        raise InvalidValue(f"cluster kind '{kind}' must be one of: {', '.join(CLUSTER_KINDS)}")
    with store.write() as conn:
        require(conn, "settings.manage")
        if conn.execute(sa.select(t.clusters.c.id).where(t.clusters.c.id == cluster_id)).first():
            raise Duplicate(f"cluster '{cluster_id}' already exists")
        conn.execute(
            t.clusters.insert().values(
                id=cluster_id, name=name, kind=kind, area=area, created_at=utcnow()
            )
        )


def add_setting(
    store: Store,
    setting_id: str,
    name: str,
    *,
    kind: str = "school",
    pupils_on_roll: int | None = None,
    cluster: str | None = None,
    area: str | None = None,
) -> None:
    """Add a school or service. A school needs its number of pupils on roll."""
    check_slug(setting_id, "setting")
    if kind not in SETTING_KINDS:
        raise InvalidValue(f"setting kind '{kind}' must be one of: {', '.join(SETTING_KINDS)}")
    if kind == "school" and pupils_on_roll is None:
        raise InvalidValue("a school needs --pupils (the number of pupils on roll)")
    if pupils_on_roll is not None and pupils_on_roll < 0:
        raise InvalidValue("--pupils cannot be negative")
    with store.write() as conn:
        require(conn, "settings.manage")
        if conn.execute(sa.select(t.settings.c.id).where(t.settings.c.id == setting_id)).first():
            raise Duplicate(f"setting '{setting_id}' already exists")
        if (
            cluster
            and not conn.execute(
                sa.select(t.clusters.c.id).where(t.clusters.c.id == cluster)
            ).first()
        ):
            raise NotFound(f"no cluster '{cluster}'; add it with `imatter cluster add`")
        conn.execute(
            t.settings.insert().values(
                id=setting_id,
                name=name,
                kind=kind,
                pupils_on_roll=pupils_on_roll,
                cluster_id=cluster,
                area=area,
                created_at=utcnow(),
            )
        )


def list_settings(store: Store) -> list[Setting]:
    """Every setting with its cluster and number of current members."""
    from .clock import utcnow
    from .people import not_erased

    s, a, p = t.settings, t.affiliations, t.people
    today = utcnow().date()
    # Current members only: leavers (an end date passed) and erased people do not count.
    members = (
        sa.select(sa.func.count(sa.distinct(a.c.person_id)))
        .select_from(a.join(p, p.c.id == a.c.person_id))
        .where(
            a.c.setting_id == s.c.id,
            sa.or_(a.c.until.is_(None), a.c.until >= today),
            not_erased(),
        )
        .scalar_subquery()
    )
    with store.read() as conn:
        rows = conn.execute(sa.select(s, members.label("members")).order_by(s.c.id))
        return [Setting(**row._mapping) for row in rows]


def list_clusters(store: Store) -> list[Cluster]:
    """Every cluster with its settings."""
    s = t.settings
    with store.read() as conn:
        return [
            Cluster(
                **row._mapping,
                settings=tuple(
                    conn.execute(sa.select(s.c.id).where(s.c.cluster_id == row.id)).scalars()
                ),
            )
            for row in conn.execute(sa.select(t.clusters).order_by("id"))
        ]


def require_setting(conn: sa.Connection, setting_id: str) -> sa.Row:
    row = conn.execute(sa.select(t.settings).where(t.settings.c.id == setting_id)).first()
    if row is None:
        raise NotFound(f"no setting '{setting_id}'; see `imatter setting list`")
    return row


def add_membership(
    store: Store,
    programme: Programme,
    setting_id: str,
    starts_on: dt.date,
    *,
    recorded_by: str,
) -> Membership:
    """Record a year's membership, priced from the programme's bands by pupils on roll."""
    from ..eligibility.dates import add_months

    with store.write() as conn:
        setting = require_setting(conn, setting_id)
        require(conn, "settings.manage", setting=setting_id)
        m = t.memberships
        overlap = conn.execute(
            sa.select(m.c.starts_on, m.c.ends_on).where(
                m.c.setting_id == setting_id, m.c.starts_on <= starts_on, m.c.ends_on >= starts_on
            )
        ).first()
        if overlap:
            raise Duplicate(
                f"{setting.name} already has a membership from {overlap.starts_on} to "
                f"{overlap.ends_on}; start the renewal on {overlap.ends_on + dt.timedelta(days=1)}"
            )
        programme.check_date(starts_on, what="membership start date")
        ends_on = add_months(starts_on, programme.membership.period_months) - dt.timedelta(days=1)
        fee = programme.membership.fee_for(
            setting.pupils_on_roll if setting.kind == "school" else None
        )
        conn.execute(
            m.insert().values(
                setting_id=setting_id,
                starts_on=starts_on,
                ends_on=ends_on,
                fee=fee,
                currency=programme.membership.currency,
                recorded_by=recorded_by,
                recorded_at=utcnow(),
            )
        )
    return Membership(setting=setting_id, starts_on=starts_on, ends_on=ends_on, fee=fee)


def grant_setting_licence(
    store: Store,
    programme: Programme,
    setting_id: str,
    on: dt.date,
    *,
    granted_by: str,
    valid_until: dt.date | None = None,
) -> SettingLicence:
    """Grant the school licence when the rule is met on that date, else refuse with reasons."""
    from ..eligibility import evaluate_setting_licence
    from .load import setting_records

    with store.write() as conn:
        require_setting(conn, setting_id)
        require(conn, "settings.manage", setting=setting_id)
        programme.check_date(on, what="licence date")
        result = evaluate_setting_licence(programme, setting_records(conn, setting_id, on), on)
        if not result.met:
            raise ImatterError(
                f"{setting_id} does not meet the school licence rule: " + "; ".join(result.missing)
            )
        conn.execute(
            t.setting_licences.insert().values(
                setting_id=setting_id,
                valid_from=on,
                valid_until=valid_until,
                granted_by=granted_by,
                granted_at=utcnow(),
            )
        )
    return SettingLicence(setting=setting_id, valid_from=on, valid_until=valid_until)
