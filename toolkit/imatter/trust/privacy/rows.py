"""The rows that refer to one person, found through the coverage map (export and erasure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ...errors import NotFound
from ...records.people import resolve_person
from ...store import schema as t
from .coverage import Covered, Erase, Export, Match, covered, erased_name, label
from .matching import Terms

# A grant linked to someone else is theirs, whatever its identity text says.
OWNER_COLUMN = {("access_grants", "identity"): "person_id"}


def database_tables(conn: sa.Connection) -> dict[str, sa.Table]:
    """Every table in the database: the declared one where there is one, else reflected."""
    names = sa.inspect(conn).get_table_names()
    reflected = sa.MetaData()
    tables = {}
    for name in sorted(names):
        declared = t.metadata.tables.get(name)
        tables[name] = (
            declared if declared is not None else sa.Table(name, reflected, autoload_with=conn)
        )
    return tables


@dataclass(frozen=True)
class Subject:
    """The person whose rows are wanted, and what identifies them."""

    id: int
    row: dict[str, Any]
    identities: tuple[str, ...]  # what they sign in as (their access grants)
    grant_ids: tuple[int, ...]
    award_ids: frozenset[str]
    pseudonyms: frozenset[tuple[str, str, str]]  # (course, cohort, code) of their answers
    terms: Terms  # what names them inside any text: their name and email
    exact: frozenset[str]  # whole values (lower case) that name them: sign-in identities ...

    def names(self, value: object) -> bool:
        """Whether a value names the person (inside text, or as a whole identity)."""
        if not isinstance(value, str):
            return False
        return value.strip().lower() in self.exact or self.terms.found_in(value)

    @property
    def erased(self) -> bool:
        return self.row["name"] == erased_name(self.id) and self.row["email"] is None

    @property
    def label(self) -> str:
        return label(self.id)


def load_subject(
    conn: sa.Connection, tables: dict[str, sa.Table], person_id: int, *, for_export: bool
) -> Subject:
    """A person (by id) with their awards, sign-in identities, grants and questionnaire codes.

    Text names them by their name or email, or as a whole value by a sign-in identity. An
    export also looks for their erased label, and for the references the audit log uses for
    them (person:N, grant:N, local:LOGIN).
    """
    p = t.people
    row = conn.execute(sa.select(p).where(p.c.id == person_id)).mappings().first()
    if row is None:
        raise NotFound(f"no person {person_id}; see `imatter person list`")
    identities: list[str] = []
    grants: list[int] = []
    if "access_grants" in tables:
        g = tables["access_grants"]
        mine = g.c.person_id == person_id
        if row["email"]:
            mine = sa.or_(mine, sa.func.lower(g.c.identity) == row["email"].lower())
        for grant_id, identity in conn.execute(sa.select(g.c.id, g.c.identity).where(mine)):
            grants.append(int(grant_id))
            identities.append(identity)
    awards = frozenset(
        conn.execute(sa.select(t.awards.c.id).where(t.awards.c.person_id == person_id)).scalars()
    )
    codes: frozenset[tuple[str, str, str]] = frozenset()
    if "impact_responses" in tables:
        r = tables["impact_responses"]
        codes = frozenset(
            (c, h, s)
            for c, h, s in conn.execute(
                sa.select(r.c.course_id, r.c.cohort, r.c.pseudonym)
                .where(r.c.person_id == person_id)
                .distinct()
            )
        )
    # A sign-in identity (a login such as "jsmith", or a shared one such as "office") names
    # them only as a whole value, never inside other text.
    exact = {i.strip().lower() for i in identities}
    found_by = [row["name"], row["email"]]
    if for_export:
        found_by.append(label(person_id))
        exact |= {f"person:{person_id}", *(f"grant:{g}" for g in grants)}
        exact |= {f"local:{i.strip().lower()}" for i in identities if "@" not in i}
    return Subject(
        person_id,
        dict(row),
        tuple(sorted(set(identities))),
        tuple(sorted(grants)),
        awards,
        codes,
        Terms.of(label(person_id), *found_by),
        frozenset(exact),
    )


@dataclass
class Found:
    """One row that refers to the person: its values, key, and the columns that make it so."""

    values: dict[str, Any]
    key: dict[str, Any]
    about: list[Covered] = field(default_factory=list)  # the row is about them
    acted: list[Covered] = field(default_factory=list)  # they did something to it

    @property
    def refers_as(self) -> list[str]:
        return [e.column for e in self.about + self.acted]


def _condition(table: sa.Table, entry: Covered, subject: Subject) -> sa.ColumnElement[bool] | None:
    column = table.c[entry.column]
    if entry.match is Match.SELF:  # a field of the person's own row
        return table.c.id == subject.id
    if entry.match is Match.ID:
        return column == subject.id
    if entry.match is Match.AWARD:  # the row's award is one of theirs
        awards = sorted(subject.award_ids)
        return table.c.award_id.in_(awards) if awards else None
    if entry.match is Match.PSEUDONYM:
        if not subject.pseudonyms:
            return None
        return sa.or_(
            *(
                sa.and_(table.c.course_id == c, table.c.cohort == h, column == s)
                for c, h, s in sorted(subject.pseudonyms)
            )
        )
    if entry.match is Match.TEXT:
        narrowed = subject.terms.candidates(column)
        if narrowed is None:
            return column.is_not(None)
        if subject.exact:
            narrowed = sa.or_(narrowed, sa.func.lower(column).in_(sorted(subject.exact)))
        return narrowed
    return None  # Match.OWN: a field of rows found by their person_id


def _matches(entry: Covered, values: dict[str, Any], subject: Subject) -> bool:
    value = values[entry.column]
    if entry.match is Match.SELF:
        return values["id"] == subject.id
    if entry.match is Match.ID:
        return value == subject.id
    if entry.match is Match.AWARD:
        return values["award_id"] in subject.award_ids
    if entry.match is Match.PSEUDONYM:
        return (values["course_id"], values["cohort"], value) in subject.pseudonyms
    if entry.match is Match.TEXT:
        owner = OWNER_COLUMN.get((entry.table, entry.column))
        if owner is not None and values[owner] not in (None, subject.id):
            return False
        return subject.names(value)
    if entry.match is Match.OWN:
        return values.get("person_id") == subject.id and value is not None
    return False  # pragma: no cover


def primary_key(table: sa.Table) -> list[sa.Column]:
    return list(table.primary_key.columns) or list(table.columns)


def find_rows(conn: sa.Connection, table: sa.Table, subject: Subject) -> Iterator[Found]:
    """The rows of `table` that refer to the person, by the coverage map."""
    entries = [e for e in covered(table.name) if e.column in table.c]
    conditions = [c for e in entries if (c := _condition(table, e, subject)) is not None]
    if not conditions:
        return
    key_columns = primary_key(table)
    query = sa.select(table).where(sa.or_(*conditions)).order_by(*key_columns)
    for row in conn.execute(query).mappings():
        values = dict(row)
        found = Found(values, {c.name: values[c.name] for c in key_columns})
        for entry in entries:
            if _matches(entry, values, subject):
                if entry.export is Export.ACTED:
                    found.acted.append(entry)
                else:
                    found.about.append(entry)
        if found.about or found.acted:
            yield found


def where_key(table: sa.Table, key: dict[str, Any]) -> sa.ColumnElement[bool]:
    return sa.and_(
        *(table.c[n].is_(None) if v is None else table.c[n] == v for n, v in key.items())
    )


def erasing(found: Found) -> dict[Erase, list[Covered]]:
    """The map's erase actions that apply to a found row, by action."""
    actions: dict[Erase, list[Covered]] = {}
    for entry in found.about + found.acted:
        actions.setdefault(entry.erase, []).append(entry)
    return actions


def plain(value: Any) -> Any:
    """A JSON-friendly value."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def describe_person(ws: Any, person: str | int, *, action: str = "people.read") -> dict[str, Any]:
    """Who a reference names (id, name, email) and whether they are erased, for a confirmation
    before `action` (checked by the access guard)."""
    from . import authorise

    with ws.store.read() as conn:
        person_id = resolve_person(conn, person)
        authorise(conn, action, person_id, person)
        row = conn.execute(
            sa.select(t.people.c.name, t.people.c.email).where(t.people.c.id == person_id)
        ).one()
    return {
        "id": person_id,
        "name": row.name,
        "email": row.email,
        "erased": row.name == erased_name(person_id) and row.email is None,
    }
