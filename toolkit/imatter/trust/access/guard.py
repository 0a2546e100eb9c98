"""Checks made inside the API before every read and write of a person's or setting's records.

`require(conn, action, person=..., setting=...)` works out the scope of the target relative to
the current actor (own setting, another setting, or none) and asks the policy. A person the
actor may not read is reported exactly as a person who does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import NotFound, PermissionDenied
from ...store.reader import reader
from .actors import Actor, Grant, current_actor
from .policy import SCOPES, default_policy

if TYPE_CHECKING:
    import sqlalchemy as sa


def person_settings(conn: sa.Connection, person_id: int) -> set[str]:
    """The settings a person belongs to: affiliations and study groups they are enrolled in."""
    return set(
        reader(conn).scalars(
            "SELECT setting_id FROM affiliations WHERE person_id = :person"
            " UNION SELECT g.setting_id FROM study_groups g"
            " JOIN group_members m ON m.group_id = g.id"
            " WHERE m.person_id = :person AND g.setting_id IS NOT NULL",
            person=person_id,
        )
    )


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
        if person is not None and _exists(conn, "people", person):
            if not allowed(conn, "people.read", person=person, actor=actor):
                raise not_found_person(person)
        if setting is not None and not setting_visible(conn, setting, actor):
            if _exists(conn, "settings", setting):
                raise not_found_setting(setting)
        description = default_policy().actions[action]
        raise PermissionDenied(
            f"{actor.describe()} may not {description} {_where(person, setting)}; ask an "
            "organisation admin if you need to"
        )
    return actor


def _exists(conn: sa.Connection, table: str, key: object) -> bool:
    return reader(conn).first(f"SELECT id FROM {table} WHERE id = :key", key=key) is not None


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


def _visibility(conn: sa.Connection, action: str) -> tuple[list[int], list[str]] | None:
    """Whom the actor may see for `action`: None for everyone, else (people by id, and the
    settings whose members and study-group learners they may see)."""
    policy = default_policy()
    actor = current_actor(conn)
    people: list[int] = []
    settings: list[str] = []
    for grant in actor.grants:
        scopes = policy.scopes(grant.role, action)
        if len(scopes) == len(SCOPES):
            return None
        if grant.role == "learner":
            if "own" in scopes and actor.person_id is not None:
                people.append(actor.person_id)
            continue
        if "own" in scopes and grant.setting:
            settings.append(grant.setting)
    return people, settings


def visible_people(
    conn: sa.Connection, action: str = "people.read"
) -> sa.ColumnElement[bool] | None:
    """A condition on people.id selecting whom the actor may see (None: everyone)."""
    import sqlalchemy as sa

    from ...store import schema as t

    seen = _visibility(conn, action)
    if seen is None:
        return None
    people, settings = seen
    a, m, g = t.affiliations, t.group_members, t.study_groups
    clauses: list[sa.ColumnElement[bool]] = [t.people.c.id == p for p in people]
    for setting in settings:
        clauses.append(t.people.c.id.in_(sa.select(a.c.person_id).where(a.c.setting_id == setting)))
        clauses.append(
            t.people.c.id.in_(
                sa.select(m.c.person_id)
                .join(g, g.c.id == m.c.group_id)
                .where(g.c.setting_id == setting)
            )
        )
    return sa.or_(*clauses) if clauses else sa.false()


def visible_people_sql(
    conn: sa.Connection, action: str = "people.read", column: str = "people.id"
) -> tuple[str, dict[str, list]] | None:
    """`visible_people` as SQL text on `column` and its parameters (None: everyone)."""
    seen = _visibility(conn, action)
    if seen is None:
        return None
    people, settings = seen
    condition = (
        f"({column} IN (:seen_people)"
        f" OR {column} IN (SELECT person_id FROM affiliations WHERE setting_id IN (:seen_settings))"
        f" OR {column} IN (SELECT m.person_id FROM group_members m"
        " JOIN study_groups g ON g.id = m.group_id WHERE g.setting_id IN (:seen_settings)))"
    )
    return condition, {"seen_people": people, "seen_settings": settings}


def visible_person_ids(conn: sa.Connection, action: str = "people.read") -> set[int] | None:
    """The ids of people the actor may see, or None for everyone."""
    seen = visible_people_sql(conn, action)
    if seen is None:
        return None
    condition, params = seen
    return set(reader(conn).scalars(f"SELECT id FROM people WHERE {condition}", params))
