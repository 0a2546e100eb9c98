"""Who is acting: an identity (email or login name) resolved to an Actor through its grants.

A database with no grants at all is a single-user database: whoever opens it is its
organisation admin (this is how `imatter init` and a laptop install work). The first grant
records the person who made it as an admin, and from then on everyone needs a grant, except
that a person whose email is on their record may act as a learner on their own record.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import InvalidValue, NotFound, PermissionDenied
from ...store import audit
from ...store.reader import reader
from .policy import default_policy

if TYPE_CHECKING:  # SQLAlchemy is imported where a write needs it (see store.reader)
    import sqlalchemy as sa

_acting: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "imatter_acting", default=None
)
_identity: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "imatter_identity", default=None
)


@dataclass(frozen=True, slots=True)
class Grant:
    """One role, in one setting (or none), that an identity holds."""

    role: str
    setting: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """A grant as kept (fields in the table's order): who, which role, where, and its history."""

    id: int
    identity: str
    person_id: int | None
    role: str
    setting_id: str | None
    granted_by: str
    granted_at: dt.datetime
    revoked_by: str | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone acting on the records, with the grants that say what they may do."""

    identity: str
    ref: str  # what the audit log records: grant:N, person:N or local:NAME
    grants: tuple[Grant, ...]
    person_id: int | None = None

    @property
    def settings(self) -> frozenset[str]:
        return frozenset(g.setting for g in self.grants if g.setting)

    def describe(self) -> str:
        parts = [f"{g.role} of {g.setting}" if g.setting else g.role for g in self.grants]
        return f"{self.identity} ({', '.join(parts)})"


def identity() -> str:
    """Who is at the keyboard: on a hub, the hub's user (see access.hub); else `use_identity`,
    else $IMATTER_USER, else the login name."""
    asked = _identity.get()
    if os.environ.get("JUPYTERHUB_API_TOKEN") and os.environ.get("JUPYTERHUB_API_URL"):
        from .hub import acting_name  # as hub.on_hub(): imported only on a hub

        asked = acting_name(asked) or asked
    named = asked or os.environ.get("IMATTER_USER")
    if named:
        return named
    import getpass  # only when no one is named: it loads termios

    return getpass.getuser()


def use_identity(name: str) -> None:
    """Act as `name` from now on in this context (the CLI's `--as`)."""
    _identity.set(name.strip())


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Check permissions, and record the audit trail, as `actor` inside the block."""
    token = _acting.set(actor)
    try:
        with audit.recording_as(actor.ref):
            yield actor
    finally:
        _acting.reset(token)


def _active_grants() -> sa.ColumnElement[bool]:
    from ...store import schema as t

    return t.access_grants.c.revoked_at.is_(None)


def actor_for(conn: sa.Connection, name: str) -> Actor:
    """The Actor for an identity, from its grants (see the module docstring)."""
    db = reader(conn)
    key = name.strip().lower()
    rows = db.rows(
        "SELECT id, role, setting_id, person_id FROM access_grants"
        " WHERE lower(identity) = :key AND revoked_at IS NULL ORDER BY id",
        key=key,
    )
    person = db.scalar("SELECT id FROM people WHERE email = :key", key=key)
    if rows:
        grants = tuple(Grant(r.role, r.setting_id, r.id) for r in rows)
        return Actor(name, f"grant:{rows[0].id}", grants, rows[0].person_id or person)
    if db.first("SELECT id FROM access_grants WHERE revoked_at IS NULL LIMIT 1") is None:
        return Actor(name, audit.local_actor(), (Grant("admin"),), person)
    if person is not None:
        return Actor(name, f"person:{person}", (Grant("learner"),), int(person))
    raise PermissionDenied(
        f"'{name}' has no access to these records; an organisation admin can give it with "
        f"`imatter access grant {name} --role ROLE`"
    )


_resolved: weakref.WeakKeyDictionary[sa.Connection, tuple[str, Actor]] = weakref.WeakKeyDictionary()


def current_actor(conn: sa.Connection) -> Actor:
    """The actor of `acting_as`, else the identity at the keyboard resolved through its grants.

    Resolved once per connection (one transaction of the store), not once per row.
    """
    acting = _acting.get()
    if acting is not None:
        return acting
    name = identity()
    cached = _resolved.get(conn)
    if cached is None or cached[0] != name:
        actor = _actor_unless_changed(conn, name)
        if os.environ.get("JUPYTERHUB_API_TOKEN") and os.environ.get("JUPYTERHUB_API_URL"):
            from .hub import mark_impersonation

            actor = mark_impersonation(conn, actor)
        cached = (name, actor)
        _resolved[conn] = cached
    return cached[1]


_STAMP = (
    "SELECT (SELECT count(*) FROM access_grants), (SELECT max(id) FROM access_grants),"
    " (SELECT max(revoked_at) FROM access_grants),"
    " (SELECT max(id) FROM people WHERE email = :email)"
)
# identity and database -> (what the actor was resolved from, the actor)
_by_identity: dict[tuple[str, str], tuple[tuple, Actor]] = {}


def _actor_unless_changed(conn: sa.Connection, name: str) -> Actor:
    """actor_for, reused while the grants and the identity's own record are unchanged."""
    db = reader(conn)
    stamp = tuple(db.rows(_STAMP, email=name.strip().lower())[0])
    key = (db.url, name)
    known = _by_identity.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    actor = actor_for(conn, name)
    _by_identity[key] = (stamp, actor)
    return actor


_with_grants: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _audit_ref(conn: sa.Connection) -> str | None:
    """The audit reference of the identity acted as (None: not resolvable, e.g. no access, or a
    database whose migrations have not yet run)."""
    import sqlalchemy as sa

    if conn.engine not in _with_grants:
        if not sa.inspect(conn).has_table("access_grants"):
            return None
        _with_grants.add(conn.engine)
    try:
        return current_actor(conn).ref
    except PermissionDenied:
        return None


audit.set_resolver(_audit_ref)


def grant_access(conn: sa.Connection, name: str, role: str, *, setting: str | None = None) -> int:
    """Grant `role` to an identity (in one transaction with the caller's checks)."""
    import sqlalchemy as sa

    from ...store import schema as t
    from .guard import require

    policy = default_policy()
    if role not in policy.actors or role == "learner":
        choices = ", ".join(r for r in policy.actors if r != "learner")
        raise InvalidValue(f"role '{role}' must be one of: {choices} (learners need no grant)")
    if (role == "admin") != (setting is None):
        raise InvalidValue(
            "an admin grant takes no --setting"
            if role == "admin"
            else f"a {role} grant needs --setting"
        )
    if setting is not None:
        if (
            conn.execute(sa.select(t.settings.c.id).where(t.settings.c.id == setting)).first()
            is None
        ):
            raise NotFound(f"no setting '{setting}'; see `imatter setting list`")
    key = name.strip()
    if not key:
        raise InvalidValue("give the identity (an email address or login name) to grant")
    g = t.access_grants
    me = current_actor(conn)
    first = conn.execute(sa.select(g.c.id).where(_active_grants()).limit(1)).first() is None
    require(conn, "access.manage", setting=setting)
    clash = conn.execute(
        sa.select(g.c.id).where(
            sa.func.lower(g.c.identity) == key.lower(),
            g.c.role == role,
            g.c.setting_id.is_(None) if setting is None else g.c.setting_id == setting,
            _active_grants(),
        )
    ).first()
    if clash is not None:
        from ...errors import Duplicate

        raise Duplicate(f"'{key}' already has this access (grant {clash.id})")
    if first and key.lower() != me.identity.lower():
        # The person setting up access keeps it: they become the first organisation admin.
        _insert_grant(conn, me.identity, "admin", None, me.identity)
    return _insert_grant(conn, key, role, setting, me.identity)


def _utcnow():
    # Imported here: the records package checks access, so access must not import it first.
    from ...records.clock import utcnow

    return utcnow()


def _insert_grant(conn: sa.Connection, name: str, role: str, setting: str | None, by: str) -> int:
    import sqlalchemy as sa

    from ...store import schema as t

    person = conn.execute(sa.select(t.people.c.id).where(t.people.c.email == name.lower())).scalar()
    return int(
        conn.execute(
            t.access_grants.insert().values(
                identity=name,
                person_id=person,
                role=role,
                setting_id=setting,
                granted_by=by,
                granted_at=_utcnow(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def revoke_access(conn: sa.Connection, grant_id: int) -> None:
    """Revoke a grant (it stays in history). The last admin cannot be revoked."""
    import sqlalchemy as sa

    from ...store import schema as t
    from .guard import require

    g = t.access_grants
    row = conn.execute(sa.select(g).where(g.c.id == grant_id)).first()
    if row is None or row.revoked_at is not None:
        raise NotFound(f"no active grant {grant_id}; see `imatter access list`")
    require(conn, "access.manage", setting=row.setting_id)
    if row.role == "admin":
        admins = conn.execute(
            sa.select(sa.func.count()).where(g.c.role == "admin", _active_grants())
        ).scalar_one()
        if admins <= 1:
            raise PermissionDenied(
                "this is the last organisation admin; grant another admin before revoking it"
            )
    conn.execute(
        g.update()
        .where(g.c.id == grant_id)
        .values(revoked_at=_utcnow(), revoked_by=current_actor(conn).identity)
    )


def list_grants(conn: sa.Connection, *, include_revoked: bool = False) -> list[AccessGrant]:
    """Every grant (active ones unless asked), oldest first."""
    import sqlalchemy as sa

    from ...store import schema as t
    from .guard import require

    require(conn, "access.manage")
    g = t.access_grants
    query = sa.select(g).order_by(g.c.id)
    if not include_revoked:
        query = query.where(_active_grants())
    return [AccessGrant(**r._mapping) for r in conn.execute(query)]
