"""Checks made inside the API before every read and write of a person's or setting's records.

`require(conn, action, person=..., setting=...)` works out the scope of the target relative to
the current actor (own setting, another setting, or none) and asks the policy. A person the
actor may not read is reported exactly as a person who does not exist.
"""

from __future__ import annotations

import sqlalchemy as sa

from ...errors import NotFound, PermissionDenied
from ...store import schema as t
from .actors import Actor, Grant, current_actor
from .policy import SCOPES, default_policy


def person_settings(conn: sa.Connection, person_id: int) -> set[str]:
    """The settings a person belongs to: affiliations and study groups they are enrolled in."""
    a, m, g = t.affiliations, t.group_members, t.study_groups
    found = set(conn.execute(sa.select(a.c.setting_id).where(a.c.person_id == person_id)).scalars())
    found |= set(
        conn.execute(
            sa.select(g.c.setting_id)
            .join(m, m.c.group_id == g.c.id)
            .where(m.c.person_id == person_id, g.c.setting_id.is_not(None))
        ).scalars()
    )
    return found


def _scope(grant: Grant, actor: Actor, person: int | None, targets: set[str]) -> str:
    if grant.role == "learner":
        if person is None:
            return "none" if not targets else "other"
        return "own" if person == actor.person_id else "other"
    if not targets:
        return "none"
    return "own" if grant.setting in targets else "other"


def allowed(
    conn: sa.Connection,
    action: str,
    *,
    person: int | None = None,
    setting: str | None = None,
    actor: Actor | None = None,
) -> bool:
    """Whether the actor (default: the current one) may do `action` to this person/setting."""
    policy = default_policy()
    actor = actor or current_actor(conn)
    needs_scope = False
    for grant in actor.grants:
        scopes = policy.scopes(grant.role, action)
        if len(scopes) == len(SCOPES):
            return True
        needs_scope = needs_scope or bool(scopes)
    if not needs_scope:
        return False
    targets: set[str] = set()
    if person is not None:
        targets = person_settings(conn, person)
    if setting is not None:
        targets.add(setting)
    return any(
        policy.allows(grant.role, action, _scope(grant, actor, person, targets))
        for grant in actor.grants
    )


def _where(person: int | None, setting: str | None) -> str:
    if person is not None:
        return f"for person {person}"
    if setting is not None:
        return f"in setting {setting}"
    return "for the organisation"


def require(
    conn: sa.Connection, action: str, *, person: int | None = None, setting: str | None = None
) -> Actor:
    """PermissionDenied unless the current actor may do `action` here; returns the actor.

    A person or setting out of the actor's reach (another setting's) is reported exactly as a
    missing one (NotFound), so that its existence is not confirmed.
    """
    actor = current_actor(conn)
    if not allowed(conn, action, person=person, setting=setting, actor=actor):
        if person is not None and _exists(conn, t.people, person):
            if not allowed(conn, "people.read", person=person, actor=actor):
                raise not_found_person(person)
        if setting is not None and not setting_visible(conn, setting, actor):
            if _exists(conn, t.settings, setting):
                raise not_found_setting(setting)
        description = default_policy().actions[action]
        raise PermissionDenied(
            f"{actor.describe()} may not {description} {_where(person, setting)}; ask an "
            "organisation admin if you need to"
        )
    return actor


def _exists(conn: sa.Connection, table: sa.Table, key: object) -> bool:
    return conn.execute(sa.select(table.c.id).where(table.c.id == key)).first() is not None


def not_found_setting(setting: str) -> NotFound:
    """What a missing setting looks like (and so does another setting's)."""
    return NotFound(f"no setting '{setting}'; see `imatter setting list`")


def setting_visible(conn: sa.Connection, setting: str, actor: Actor | None = None) -> bool:
    """Whether the actor may know of this setting's records: an organisation-wide grant, a grant
    in it, or (for a learner) their own membership of it."""
    actor = actor or current_actor(conn)
    policy = default_policy()
    for grant in actor.grants:
        if len(policy.scopes(grant.role, "people.read")) == len(SCOPES):
            return True
        if grant.setting == setting:
            return True
        if grant.role == "learner" and actor.person_id is not None:
            if setting in person_settings(conn, actor.person_id):
                return True
    return False


def require_or_missing(
    conn: sa.Connection,
    action: str,
    missing: NotFound,
    *,
    person: int | None = None,
    setting: str | None = None,
) -> Actor:
    """`require`, but a target the actor may not even read raises `missing`: the very error a
    record that does not exist gives (an award, a review, a group...)."""
    actor = current_actor(conn)
    hidden = (person is not None and not allowed(conn, "people.read", person=person)) or (
        setting is not None and not setting_visible(conn, setting, actor)
    )
    if hidden and not allowed(conn, action, person=person, setting=setting, actor=actor):
        raise missing
    return require(conn, action, person=person, setting=setting)


def require_self_or(conn: sa.Connection, action: str, person: int) -> Actor:
    """Let people act on their own record (an application, their consent); anyone else needs
    `action` for that person."""
    actor = current_actor(conn)
    if actor.person_id == person:
        return actor
    return require(conn, action, person=person)


def require_visible(conn: sa.Connection, person_id: int, ref: str | int) -> None:
    """NotFound, worded as for a missing person, unless the actor may read this person."""
    if not allowed(conn, "people.read", person=person_id):
        raise not_found_person(ref)


def not_found_person(ref: str | int) -> NotFound:
    return NotFound(f"no person '{ref}' (give an id or an email); see `imatter person list`")


def visible_people(
    conn: sa.Connection, action: str = "people.read"
) -> sa.ColumnElement[bool] | None:
    """A condition on people.id selecting whom the actor may see (None: everyone)."""
    policy = default_policy()
    actor = current_actor(conn)
    a, m, g = t.affiliations, t.group_members, t.study_groups
    clauses: list[sa.ColumnElement[bool]] = []
    for grant in actor.grants:
        scopes = policy.scopes(grant.role, action)
        if len(scopes) == len(SCOPES):
            return None
        if grant.role == "learner":
            if "own" in scopes and actor.person_id is not None:
                clauses.append(t.people.c.id == actor.person_id)
            continue
        if "own" in scopes and grant.setting:
            clauses.append(
                t.people.c.id.in_(sa.select(a.c.person_id).where(a.c.setting_id == grant.setting))
            )
            clauses.append(
                t.people.c.id.in_(
                    sa.select(m.c.person_id)
                    .join(g, g.c.id == m.c.group_id)
                    .where(g.c.setting_id == grant.setting)
                )
            )
    return sa.or_(*clauses) if clauses else sa.false()


def visible_person_ids(conn: sa.Connection, action: str = "people.read") -> set[int] | None:
    """The ids of people the actor may see, or None for everyone."""
    condition = visible_people(conn, action)
    if condition is None:
        return None
    return set(conn.execute(sa.select(t.people.c.id).where(condition)).scalars())
