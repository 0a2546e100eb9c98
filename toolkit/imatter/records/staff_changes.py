"""Keeping staff records right: edit a person, record a leaver, merge two records of one person.

A leaver keeps their history (the affiliation gets an end date, so counts on later dates drop
them); a merge moves every record of one person onto the other and deletes the emptied record,
and the audit log keeps both histories.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..errors import Duplicate, InvalidValue, NotFound
from ..programme import Programme
from ..store import Store
from ..store import schema as t
from ..trust.access import require
from .csvfile import clean_name
from .people import normalise_email, resolve_person
from .staff_import import position_of


def _current_links(conn: sa.Connection, person_id: int, setting: str, on: dt.date) -> list:
    a = t.affiliations
    return [
        link
        for link in conn.execute(
            sa.select(a).where(a.c.person_id == person_id, a.c.setting_id == setting)
        )
        if link.until is None or link.until >= on
    ]


def update_person(
    store: Store,
    programme: Programme,
    person: str | int,
    *,
    name: str | None = None,
    email: str | None = None,
    area: str | None = None,
    setting: str | None = None,
    position: str | None = None,
    since: dt.date | None = None,
) -> list[str]:
    """Change a person's details, or their position or start date in a setting; returns what
    changed ("name: Ann Ash -> Ann Lee"). An empty list: nothing was different."""
    if (position or since) and not setting:
        raise InvalidValue(
            "--position and --since change a person's place in a setting: give --setting"
        )
    p, a = t.people, t.affiliations
    changed: list[str] = []
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        require(conn, "people.update", person=person_id)
        row = conn.execute(sa.select(p).where(p.c.id == person_id)).one()
        values: dict = {}
        if name is not None:
            try:
                new_name = clean_name(name)
            except ValueError as err:
                raise InvalidValue(str(err)) from None
            if not new_name:
                raise InvalidValue("a person needs a name")
            if new_name != row.name:
                values["name"] = new_name
        if email is not None:
            new_email = normalise_email(email)
            if new_email != row.email:
                clash = conn.execute(sa.select(p.c.id).where(p.c.email == new_email)).scalar()
                if new_email and clash is not None:
                    raise Duplicate(
                        f"person {clash} already has the email {new_email}; if they are the "
                        f"same person, merge them: `imatter person merge {clash} {person_id}`"
                    )
                values["email"] = new_email
        if area is not None and (area.strip() or None) != row.area:
            values["area"] = area.strip() or None
        for key, value in values.items():
            changed.append(f"{key}: {getattr(row, key) or '(none)'} -> {value or '(none)'}")
        if values:
            conn.execute(p.update().where(p.c.id == person_id).values(**values))
        if setting:
            require(conn, "people.update", person=person_id, setting=setting)
            links = [link for link in _current_links(conn, person_id, setting, dt.date.min)]
            current = [link for link in links if link.until is None]
            if len(current) != 1:
                raise NotFound(
                    f"person {person_id} has {'no' if not current else 'more than one'} current "
                    f"place at {setting}; use `imatter person join` to add one"
                )
            link = current[0]
            update: dict = {}
            if position:
                found = position_of(position, programme)
                if found is None:
                    raise InvalidValue(
                        f"unknown position '{position}'; use one of: "
                        f"{', '.join(programme.positions)}"
                    )
                if found != link.position:
                    update["position"] = found
            if since and since != link.since:
                update["since"] = since
            for key, value in update.items():
                changed.append(f"{key} at {setting}: {getattr(link, key) or '(none)'} -> {value}")
            if update:
                conn.execute(a.update().where(a.c.id == link.id).values(**update))
    return changed


def leave_setting(store: Store, person: str | int, setting: str, on: dt.date) -> int:
    """Record that a person left a setting on a date (their history stays; from the next day
    they no longer count as its staff). Returns how many places were ended."""
    a = t.affiliations
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        require(conn, "people.leave", person=person_id, setting=setting)
        links = [link for link in _current_links(conn, person_id, setting, on)]
        if not links:
            raise NotFound(f"person {person_id} is not on the staff of {setting} on {on}")
        for link in links:
            if link.since is not None and link.since > on:
                raise InvalidValue(
                    f"person {person_id} started at {setting} on {link.since}, after {on}"
                )
            conn.execute(a.update().where(a.c.id == link.id).values(until=on))
        return len(links)


def _person_columns() -> list[tuple[sa.Table, sa.Column, list[str]]]:
    """Every column that holds a person's id, with the other columns of any unique key it is
    part of (where the record kept may already have the same row)."""
    found = []
    for table in t.metadata.sorted_tables:
        for column in table.columns:
            if not any(fk.column.table.name == "people" for fk in column.foreign_keys):
                continue
            keys = [
                [c.name for c in k.columns if c.name != column.name]
                for k in [*table.constraints, *table.indexes]
                if isinstance(k, sa.UniqueConstraint | sa.PrimaryKeyConstraint | sa.Index)
                and (not isinstance(k, sa.Index) or k.unique)
                and column.name in [c.name for c in k.columns]
            ]
            found.append((table, column, keys))
    return found


def merge_people(store: Store, keep: str | int, drop: str | int) -> dict[str, int]:
    """Move every record of `drop` onto `keep` and delete the emptied record of `drop`.

    Where both have the same row (the same place in a setting, the same session's mark), the
    one of `keep` stays. `keep` takes `drop`'s email and area if it has none. Returns
    {table: rows moved}. The audit log keeps every change, so both histories stay.
    """
    p = t.people
    moved: dict[str, int] = {}
    with store.write() as conn:
        keep_id, drop_id = resolve_person(conn, keep), resolve_person(conn, drop)
        if keep_id == drop_id:
            raise InvalidValue("give two different people to merge")
        require(conn, "people.merge", person=keep_id)
        require(conn, "people.merge", person=drop_id)
        for table, column, keys in _person_columns():
            for others in keys:
                twin = table.alias("twin")
                same = [twin.c[column.name] == keep_id] + [
                    twin.c[name] == table.c[name] for name in others
                ]
                conn.execute(
                    table.delete().where(table.c[column.name] == drop_id, sa.exists().where(*same))
                )
            done = conn.execute(
                table.update().where(table.c[column.name] == drop_id).values({column.name: keep_id})
            )
            if done.rowcount:
                moved[table.name] = moved.get(table.name, 0) + done.rowcount
        _merge_summary(conn, keep_id, drop_id)
        kept = conn.execute(sa.select(p).where(p.c.id == keep_id)).one()
        dropped = conn.execute(sa.select(p).where(p.c.id == drop_id)).one()
        conn.execute(p.delete().where(p.c.id == drop_id))
        fill = {
            key: getattr(dropped, key)
            for key in ("email", "area")
            if getattr(kept, key) is None and getattr(dropped, key) is not None
        }
        if fill:
            conn.execute(p.update().where(p.c.id == keep_id).values(**fill))
    return moved


def _merge_summary(conn: sa.Connection, keep_id: int, drop_id: int) -> None:
    """SQLite's per-person completion summary (kept by a trigger) follows the completions."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(
        "INSERT INTO person_course_summary (person_id, mask, last_day) "
        "SELECT ?, mask, last_day FROM person_course_summary WHERE person_id = ? "
        "ON CONFLICT (person_id) DO UPDATE SET mask = mask | excluded.mask, "
        "last_day = MAX(last_day, excluded.last_day)",
        (keep_id, drop_id),
    )
    conn.exec_driver_sql("DELETE FROM person_course_summary WHERE person_id = ?", (drop_id,))
