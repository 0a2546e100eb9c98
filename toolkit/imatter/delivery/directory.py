"""The directory of Lead Professionals and Trainers.

A person is listed only while both hold:
- they have opted in (consent recorded with its date, withdrawable at any time), and
- their credential is current: an award of school-lead, community-lead or trainer that has
  started, has not expired and has not been revoked.

`directory_entries` builds the list; `search_directory` filters it by name, role, setting,
cluster or area; `write_directory_page` writes a static, self-contained searchable page (inline
CSS and JavaScript, no CDN) as a MyST page for the book and as plain HTML. An email address is
shown only if the person agreed to that too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from ..errors import Conflict, Duplicate, NotFound
from ..programme import Programme
from ..records.clock import utcnow
from ..records.people import resolve_person
from ..store import Store
from ..store import schema as t
from ..trust.access import require_self_or, visible_people

DIRECTORY_ROLES = ("school-lead", "community-lead", "trainer")
PAGE_NAME = "directory"


# ------------------------------------------------------------------ consent
def give_consent(
    store: Store,
    person: str | int,
    on: dt.date,
    *,
    recorded_by: str,
    show_email: bool = False,
) -> int:
    """Record that a person opted in to the directory on a date; returns the consent id."""
    dc = t.directory_consents
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        require_self_or(conn, "people.write", person_id)  # their own consent
        current = _current_consent(conn, person_id)
        if current is not None:
            raise Duplicate(
                f"person {person_id} already opted in on {current.given_on}; withdraw first to "
                "change what is shown"
            )
        return int(
            conn.execute(
                dc.insert().values(
                    person_id=person_id,
                    given_on=on,
                    show_email=show_email,
                    recorded_by=recorded_by,
                    recorded_at=utcnow(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )


def withdraw_consent(store: Store, person: str | int, on: dt.date) -> None:
    """Record that a person withdrew their consent on a date; they leave the directory."""
    dc = t.directory_consents
    with store.write() as conn:
        person_id = resolve_person(conn, person)
        require_self_or(conn, "people.write", person_id)  # their own consent
        current = _current_consent(conn, person_id)
        if current is None:
            raise NotFound(f"person {person_id} has not opted in to the directory")
        if on < current.given_on:
            raise Conflict(
                f"consent was given on {current.given_on}; it cannot be withdrawn before that"
            )
        conn.execute(dc.update().where(dc.c.id == current.id).values(withdrawn_on=on))


def _current_consent(conn: sa.Connection, person_id: int) -> sa.Row | None:
    dc = t.directory_consents
    return conn.execute(
        sa.select(dc)
        .where(dc.c.person_id == person_id, dc.c.withdrawn_on.is_(None))
        .order_by(dc.c.id.desc())
    ).first()


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent record (fields in the table's order) with the person's name."""

    id: int
    person_id: int
    given_on: dt.date
    show_email: bool
    withdrawn_on: dt.date | None
    recorded_by: str
    recorded_at: dt.datetime
    name: str


def consents(store: Store) -> list[Consent]:
    """Every consent record, current and withdrawn (the audit trail)."""
    dc, p = t.directory_consents, t.people
    with store.read() as conn:
        query = (
            sa.select(dc, p.c.name)
            .select_from(dc.join(p, p.c.id == dc.c.person_id))
            .order_by(dc.c.id)
        )
        visible = visible_people(conn)
        if visible is not None:
            query = query.where(visible)
        return [Consent(**row._mapping) for row in conn.execute(query)]


# ------------------------------------------------------------------ entries and search
@dataclass(frozen=True, slots=True)
class Entry:
    """One person as the directory shows them."""

    person_id: int
    name: str
    roles: tuple[str, ...]  # role titles
    role_ids: tuple[str, ...]
    settings: tuple[str, ...]  # setting names
    setting_ids: tuple[str, ...]
    clusters: tuple[str, ...]  # cluster names
    cluster_ids: tuple[str, ...]
    areas: tuple[str, ...]
    email: str | None  # only if they agreed to show it

    def text(self) -> str:
        """Everything searchable, lower-cased."""
        parts = [
            self.name,
            *self.roles,
            *self.role_ids,
            *self.settings,
            *self.setting_ids,
            *self.clusters,
            *self.cluster_ids,
            *self.areas,
        ]
        return " ".join(parts).lower()


def directory_entries(store: Store, programme: Programme, on: dt.date) -> list[Entry]:
    """Everyone who has opted in and holds a current directory credential on `on`, by name."""
    from .licences import held_roles

    dc, p, aff, st, cl, cc = (
        t.directory_consents,
        t.people,
        t.affiliations,
        t.settings,
        t.clusters,
        t.cluster_contacts,
    )
    with store.read() as conn:
        consenting = {
            row.person_id: row
            for row in conn.execute(
                sa.select(dc).where(
                    dc.c.given_on <= on,
                    sa.or_(dc.c.withdrawn_on.is_(None), dc.c.withdrawn_on > on),
                )
            )
        }
        held = held_roles(conn, programme, sorted(consenting), on)
        listed = sorted(pid for pid, roles in held.items() if set(roles) & set(DIRECTORY_ROLES))
        if not listed:
            return []
        people = {row.id: row for row in conn.execute(sa.select(p).where(p.c.id.in_(listed)))}
        clusters = {row.id: row for row in conn.execute(sa.select(cl))}
        links: dict[int, list[sa.Row]] = {pid: [] for pid in listed}
        for row in conn.execute(
            sa.select(aff.c.person_id, aff.c.since, aff.c.until, st)
            .select_from(aff.join(st, st.c.id == aff.c.setting_id))
            .where(aff.c.person_id.in_(listed))
            .order_by(st.c.name)
        ):
            if (row.since is None or row.since <= on) and (row.until is None or on <= row.until):
                links[row.person_id].append(row)
        contact: dict[int, list[str]] = {pid: [] for pid in listed}
        for row in conn.execute(sa.select(cc).where(cc.c.person_id.in_(listed))):
            contact[row.person_id].append(row.cluster_id)
    entries = []
    for pid in listed:
        person = people[pid]
        role_ids = tuple(r for r in DIRECTORY_ROLES if r in held[pid])
        settings = links[pid]
        cluster_ids = tuple(
            dict.fromkeys([s.cluster_id for s in settings if s.cluster_id] + contact[pid])
        )
        areas = [person.area, *(s.area for s in settings)]
        areas += [clusters[c].area for c in cluster_ids if c in clusters]
        consent = consenting[pid]
        entries.append(
            Entry(
                person_id=pid,
                name=person.name,
                roles=tuple(programme.roles[r].title for r in role_ids),
                role_ids=role_ids,
                settings=tuple(dict.fromkeys(s.name for s in settings)),
                setting_ids=tuple(dict.fromkeys(s.id for s in settings)),
                clusters=tuple(clusters[c].name for c in cluster_ids if c in clusters),
                cluster_ids=cluster_ids,
                areas=tuple(dict.fromkeys(a for a in areas if a)),
                email=person.email if consent.show_email else None,
            )
        )
    return sorted(entries, key=lambda e: (e.name.lower(), e.person_id))


def search_directory(
    entries: list[Entry],
    query: str | None = None,
    *,
    role: str | None = None,
    setting: str | None = None,
    cluster: str | None = None,
    area: str | None = None,
) -> list[Entry]:
    """Entries matching every filter given (case-insensitive; words in `query` all match).

    `role`, `setting` and `cluster` match an id or a part of a title or name; `area` a part of
    an area; `query` searches everything (name, roles, settings, clusters, areas).
    """

    def has(values: tuple[str, ...], wanted: str | None) -> bool:
        if not wanted:
            return True
        wanted = wanted.strip().lower()
        return any(wanted in v.lower() for v in values)

    words = (query or "").lower().split()
    return [
        e
        for e in entries
        if all(w in e.text() for w in words)
        and has(e.roles + e.role_ids, role)
        and has(e.settings + e.setting_ids, setting)
        and has(e.clusters + e.cluster_ids, cluster)
        and has(e.areas, area)
    ]


# ------------------------------------------------------------------ the static page
def _page_data(entries: list[Entry]) -> list[dict]:
    keep = ("name", "roles", "settings", "clusters", "areas", "email")
    return [{k: v for k, v in asdict(e).items() if k in keep} for e in entries]


def render_directory_html(
    entries: list[Entry], *, generated_on: dt.date, title: str = "Directory"
) -> str:
    """The searchable directory as one self-contained HTML fragment (inline CSS and script)."""
    from ..templates import render

    # JSON inside <script>: escape '<' so that no text can close the script element.
    data = json.dumps(_page_data(entries), ensure_ascii=False).replace("<", "\\u003c")
    return render(
        "directory.html",
        title=title,
        generated=generated_on.isoformat(),
        count=len(entries),
        roles=sorted({r for e in entries for r in e.roles}),
        data=data,
    )


def write_directory_page(
    entries: list[Entry],
    folder: str | Path,
    *,
    generated_on: dt.date,
    programme: Programme,
) -> tuple[Path, Path]:
    """Write `directory.md` (a MyST page for the book) and `directory.html` (standalone).

    Returns both paths. The book includes pages it finds in `book/generated/`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fragment = render_directory_html(
        entries, generated_on=generated_on, title=f"{programme.name} directory"
    )
    md = folder / f"{PAGE_NAME}.md"
    md.write_text(
        "# Directory of Lead Professionals and Trainers\n\n"
        f"The {programme.name} Lead Professionals and Trainers who have chosen to be listed, "
        "and whose credential is current. Search by name, role, setting, cluster or area. "
        f"Generated on {generated_on.isoformat()}; a person who withdraws their consent is "
        "removed the next time this page is generated.\n\n"
        "```{raw} html\n" + fragment + "\n```\n",
        encoding="utf-8",
    )
    page = folder / f"{PAGE_NAME}.html"
    from ..templates import render

    page.write_text(
        render("page.html", title=f"{programme.name} directory", body=fragment, css=None),
        encoding="utf-8",
    )
    return md, page


def default_page_folder(programme: Programme) -> Path:
    """The book's generated-pages folder: <project>/book/generated beside modules/."""
    return programme.source.resolve().parent.parent / "book" / "generated"


def publish_directory(
    store: Store, programme: Programme, on: dt.date, folder: str | Path | None = None
) -> tuple[Path, Path]:
    """Regenerate the directory page from the store (e.g. after a consent is withdrawn)."""
    folder = Path(folder) if folder is not None else default_page_folder(programme)
    return write_directory_page(
        directory_entries(store, programme, on), folder, generated_on=on, programme=programme
    )
