"""People and the settings they belong to (a person may belong to several, in any position)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Duplicate, InvalidValue, NotFound
from ..store.reader import reader, snapshot
from ..trust.access import not_found_person, require, require_visible
from ..trust.access.guard import visible_people_sql
from .clock import utcnow

if TYPE_CHECKING:  # SQLAlchemy is imported by the functions that write
    import sqlalchemy as sa

    from ..programme import Programme
    from ..store import Store

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Person:
    """A person and where they work: "setting (position)", with ", left DATE" once they leave."""

    id: int
    name: str
    email: str | None
    area: str | None
    created_at: dt.datetime
    settings: tuple[str, ...]


def normalise_email(email: str | None) -> str | None:
    """Trimmed, in Unicode NFC and case-folded (so `zoë@` typed either way is one address);
    None stays None. InvalidValue if it is not an address."""
    if email is None or not email.strip():
        return None
    email = email.strip()
    if not email.isascii():
        email = unicodedata.normalize("NFC", email)
    email = email.casefold()
    if not _EMAIL.match(email) or not email.isprintable():
        shown = email.encode("unicode_escape").decode("ascii")
        raise InvalidValue(f"'{shown}' is not an email address")
    return email


def not_erased() -> sa.ColumnElement[bool]:
    """A condition on `people` leaving out erased people (they no longer count anywhere)."""
    import sqlalchemy as sa

    from ..store import schema as t

    p = t.people
    erased = sa.and_(
        p.c.email.is_(None),
        p.c.name == sa.literal("Erased person ").concat(sa.cast(p.c.id, sa.String)),
    )
    return sa.not_(erased)


def insert_person(
    conn: sa.Connection,
    programme: Programme,
    name: str,
    *,
    email: str | None = None,
    setting: str | None = None,
    position: str | None = None,
    since: dt.date | None = None,
    area: str | None = None,
) -> int:
    """Insert a person (and their first affiliation) inside an open write transaction."""
    import sqlalchemy as sa

    from ..store import schema as t

    name = " ".join(name.split())
    if not name:
        raise InvalidValue("a person needs a name")
    require(conn, "people.write", setting=setting)
    email = normalise_email(email)
    if email and conn.execute(sa.select(t.people.c.id).where(t.people.c.email == email)).first():
        raise Duplicate(f"a person with email {email} already exists")
    person_id = conn.execute(
        t.people.insert().values(name=name, email=email, area=area, created_at=utcnow())
    ).inserted_primary_key[0]  # type: ignore[index]
    if setting:
        insert_affiliation(conn, programme, person_id, setting, position or "staff", since=since)
    return int(person_id)


def insert_affiliation(
    conn: sa.Connection,
    programme: Programme,
    person_id: int,
    setting_id: str,
    position: str,
    *,
    since: dt.date | None = None,
) -> None:
    """Link a person to a setting in a position (known to the programme)."""
    import sqlalchemy as sa

    from ..store import schema as t

    if since is not None:
        programme.check_date(since, what="start date ('since')")
    if position not in programme.positions:
        raise InvalidValue(
            f"unknown position '{position}'; use one of: {', '.join(programme.positions)}"
        )
    if not conn.execute(sa.select(t.settings.c.id).where(t.settings.c.id == setting_id)).first():
        raise NotFound(f"no setting '{setting_id}'; see `imatter setting list`")
    # A Lead may bring someone into their own setting only: never attach anyone (their own
    # staff included) to another setting, which looks exactly like a missing one.
    require(conn, "people.write", setting=setting_id)
    a = t.affiliations
    exists = conn.execute(
        sa.select(a.c.id).where(
            a.c.person_id == person_id, a.c.setting_id == setting_id, a.c.position == position
        )
    ).first()
    if exists:
        raise Duplicate(f"person {person_id} is already {position} at {setting_id}")
    conn.execute(
        a.insert().values(
            person_id=person_id, setting_id=setting_id, position=position, since=since
        )
    )


def add_person(store: Store, programme: Programme, name: str, **details: object) -> int:
    """Add a person; returns their id."""
    with store.write() as conn:
        return insert_person(conn, programme, name, **details)  # type: ignore[arg-type]


def add_affiliation(
    store: Store,
    programme: Programme,
    person: str | int,
    setting_id: str,
    position: str,
    *,
    since: dt.date | None = None,
) -> None:
    """Add a person to another setting (or the same setting in another position)."""
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        insert_affiliation(conn, programme, person_id, setting_id, position, since=since)


def resolve_person(conn: sa.Connection, ref: str | int) -> int:
    """A person's id from an id or an email address; NotFound otherwise."""
    text = str(ref).strip()
    if text.isdigit():
        found = reader(conn).scalar("SELECT id FROM people WHERE id = :id", id=int(text))
    else:
        try:
            email = normalise_email(text) or text
        except InvalidValue:
            email = text
        found = reader(conn).scalar("SELECT id FROM people WHERE email = :email", email=email)
    if found is None:
        raise not_found_person(text)
    # Someone the actor may not see is reported exactly like someone who does not exist.
    require_visible(conn, int(found), text)
    return int(found)


def list_people(store: Store | Any, *, setting: str | None = None) -> list[Person]:
    """People with their settings and positions, optionally in one setting (`store`: a Store,
    or a Workspace, whose read-only snapshot needs no SQLAlchemy on a SQLite file)."""
    with snapshot(store) as conn:
        db = reader(conn)
        where: list[str] = ["1 = 1"]
        params: dict[str, Any] = {}
        visible = visible_people_sql(conn)
        if visible is not None:
            where.append(visible[0])
            params.update(visible[1])
        if setting:
            where.append("people.id IN (SELECT person_id FROM affiliations WHERE setting_id = :s)")
            params["s"] = setting
        rows = db.rows(
            f"SELECT * FROM people WHERE {' AND '.join(where)} ORDER BY people.id", params
        )
        links: dict[int, list[str]] = {}
        for row in db.rows("SELECT person_id, setting_id, position, until FROM affiliations"):
            left = f", left {row.until}" if row.until else ""
            links.setdefault(row.person_id, []).append(f"{row.setting_id} ({row.position}{left})")
    return [Person(**row._mapping, settings=tuple(links.get(row.id, ()))) for row in rows]
