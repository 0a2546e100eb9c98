"""Clusters and Integrated Care Communities: their contacts and who is trained where.

A cluster groups settings (schools and services such as GP practices). Its GP safeguarding
leads, school nurses and other community contacts are the people in those positions at its
settings, plus contacts attached to the cluster itself (`add_cluster_contact`), for people who
work across the patch rather than in one setting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import Duplicate, InvalidValue, NotFound
from ..programme import LEVELS, Programme
from ..records.people import resolve_person
from ..store import Store
from ..store import schema as t
from ..trust.access import require

CONTACT_POSITIONS = (
    "gp-safeguarding-lead",
    "school-nurse",
    "health-visitor",
    "community-practitioner",
    "gp",
    "paediatrician",
    "social-worker",
    "police-officer",
)


def add_cluster_contact(
    store: Store,
    programme: Programme,
    cluster_id: str,
    person: str | int,
    position: str,
    *,
    since: dt.date | None = None,
) -> None:
    """Attach a community contact (e.g. a GP safeguarding lead) to a whole cluster."""
    if position not in programme.positions:
        raise InvalidValue(
            f"unknown position '{position}'; use one of: {', '.join(programme.positions)}"
        )
    cc = t.cluster_contacts
    with store.write() as conn:
        _require_cluster(conn, cluster_id)
        require(conn, "settings.manage")
        person_id = resolve_person(conn, person)
        if conn.execute(
            sa.select(cc.c.person_id).where(
                cc.c.cluster_id == cluster_id, cc.c.person_id == person_id
            )
        ).first():
            raise Duplicate(f"person {person_id} is already a contact of {cluster_id}")
        conn.execute(
            cc.insert().values(
                cluster_id=cluster_id, person_id=person_id, position=position, since=since
            )
        )


def remove_cluster_contact(store: Store, cluster_id: str, person: str | int) -> None:
    """Detach a contact from a cluster."""
    cc = t.cluster_contacts
    with store.write() as conn:
        require(conn, "settings.manage")
        person_id = resolve_person(conn, person)
        done = conn.execute(
            cc.delete().where(cc.c.cluster_id == cluster_id, cc.c.person_id == person_id)
        )
        if done.rowcount == 0:
            raise NotFound(f"person {person_id} is not a contact of cluster {cluster_id}")


def _require_cluster(conn: sa.Connection, cluster_id: str) -> sa.Row:
    row = conn.execute(sa.select(t.clusters).where(t.clusters.c.id == cluster_id)).first()
    if row is None:
        raise NotFound(f"no cluster '{cluster_id}'; see `imatter cluster list`")
    return row


@dataclass(frozen=True, slots=True)
class TrainedPerson:
    """A person in a cluster's setting: their position, training level, courses and roles."""

    person_id: int
    name: str
    position: str
    level: str | None  # the highest course level completed, None if none
    courses: tuple[str, ...]  # course ids completed
    roles: tuple[str, ...]  # role ids held on the date


@dataclass(frozen=True, slots=True)
class SettingTraining:
    """One setting of a cluster: whether it is licensed, and who is trained there."""

    setting: str
    name: str
    kind: str
    licensed: bool
    problem: str | None
    people: tuple[TrainedPerson, ...]

    def level_counts(self) -> dict[str, int]:
        """How many people reached each level as their highest (LEVELS order)."""
        return {lvl: sum(1 for p in self.people if p.level == lvl) for lvl in LEVELS}

    def role_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.people:
            for r in p.roles:
                counts[r] = counts.get(r, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class Contact:
    """A community contact of a cluster (a GP safeguarding lead, a school nurse) and their roles."""

    person_id: int
    name: str
    position: str
    where: str  # a setting's name, or 'the cluster'
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClusterView:
    """Who is trained where in a cluster or ICC, with its community contacts."""

    cluster: str
    name: str
    kind: str
    area: str | None
    settings: tuple[SettingTraining, ...]
    contacts: tuple[Contact, ...]


def cluster_view(store: Store, programme: Programme, cluster_id: str, on: dt.date) -> ClusterView:
    """Who is trained where in a cluster on a date, and its community contacts."""
    from ..eligibility.explain import setting_licence_problem
    from ..records.load import current_completions
    from .licences import held_roles, setting_facts

    aff, p, st, cc = t.affiliations, t.people, t.settings, t.cluster_contacts
    level_rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    with store.read() as conn:
        cluster = _require_cluster(conn, cluster_id)
        require(conn, "reports.read")  # a cluster spans settings: the organisation's view
        settings = conn.execute(
            sa.select(st).where(st.c.cluster_id == cluster_id).order_by(st.c.name)
        ).all()
        ids = [s.id for s in settings]
        links = [
            row
            for row in conn.execute(
                sa.select(aff, p.c.name)
                .select_from(aff.join(p, p.c.id == aff.c.person_id))
                .where(aff.c.setting_id.in_(ids))
                .order_by(p.c.name)
            )
            if (row.since is None or row.since <= on) and (row.until is None or on <= row.until)
        ]
        direct = conn.execute(
            sa.select(cc, p.c.name)
            .select_from(cc.join(p, p.c.id == cc.c.person_id))
            .where(cc.c.cluster_id == cluster_id)
            .order_by(p.c.name)
        ).all()
        person_ids = sorted({r.person_id for r in links} | {r.person_id for r in direct})
        done: dict[int, list[str]] = {pid: [] for pid in person_ids}
        for row in current_completions(conn, person_ids):
            if row.completed_on <= on:
                done[row.person_id].append(row.course_id)
        held = held_roles(conn, programme, person_ids, on)
        periods = setting_facts(conn, ids)

    def trained(pid: int, name: str, position: str) -> TrainedPerson:
        courses = tuple(sorted(set(done[pid])))
        levels = [programme.courses[c].level for c in courses if c in programme.courses]
        top = max(levels, key=level_rank.__getitem__) if levels else None
        return TrainedPerson(pid, name, position, top, courses, tuple(sorted(held.get(pid, {}))))

    views = []
    for s in settings:
        problem = setting_licence_problem(periods[s.id], on)
        views.append(
            SettingTraining(
                s.id,
                s.name,
                s.kind,
                problem is None,
                problem,
                tuple(
                    trained(r.person_id, r.name, r.position) for r in links if r.setting_id == s.id
                ),
            )
        )
    names = {s.id: s.name for s in settings}
    contacts = [
        Contact(
            r.person_id,
            r.name,
            r.position,
            names[r.setting_id],
            tuple(sorted(held.get(r.person_id, {}))),
        )
        for r in links
        if r.position in CONTACT_POSITIONS
    ]
    contacts += [
        Contact(
            r.person_id, r.name, r.position, "the cluster", tuple(sorted(held.get(r.person_id, {})))
        )
        for r in direct
    ]
    return ClusterView(
        cluster.id, cluster.name, cluster.kind, cluster.area, tuple(views), tuple(contacts)
    )
