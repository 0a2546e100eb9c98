"""Importing a setting's staff list as it comes from a school MIS, again and again.

`import_people` reads the file (common MIS headers, UK or ISO dates, position labels in any case
or by a common name), checks every row in one pass, and then, in one transaction, adds the new
people with one `executemany` per table (audited in batch) and updates the ones it already
knows. A person is matched by their email (normalised: NFC, case folded); a row without an
email by their name within the setting, and flagged for a check; never duplicated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, cast

import sqlalchemy as sa

from ..errors import ImportRowError, InvalidValue
from ..programme import Programme
from ..store import Store, bulk
from ..store import schema as t
from ..trust.access import allowed, current_actor, default_policy, require
from ..trust.access.policy import SCOPES
from .clock import utcnow
from .csvfile import (
    _CC,
    EXTRA,
    CsvFile,
    clean_name,
    header_key,
    name_key,
    one_line,
    parse_date,
    read_table,
    shown,
)
from .people import normalise_email

FIELDS = ("name", "forename", "preferred forename", "surname", "preferred surname")
PEOPLE_OPTIONAL = ("email", "setting", "since", "area", *FIELDS)
MAPPABLE = ("name", "forename", "surname", "email", "position", "since", "area", "ignore")
MAP_HINT = (
    'To read one of your columns as a field, give --setting and --map "YOUR HEADER=FIELD" '
    '(e.g. --map "Staff Type=position"); it is saved for the setting.'
)

# Headers seen in school MIS staff exports (SIMS, Arbor, Bromcom ...), compared loosely.
HEADERS: dict[str, str] = {
    "full name": "name",
    "staff name": "name",
    "display name": "name",
    "first name": "forename",
    "firstname": "forename",
    "given name": "forename",
    "legal forename": "forename",
    "preferred first name": "preferred forename",
    "known as": "preferred forename",
    "last name": "surname",
    "lastname": "surname",
    "family name": "surname",
    "legal surname": "surname",
    "email address": "email",
    "e mail": "email",
    "e mail address": "email",
    "work email": "email",
    "work email address": "email",
    "school email": "email",
    "school email address": "email",
    "staff role": "position",
    "role": "position",
    "job role": "position",
    "job title": "position",
    "post": "position",
    "post title": "position",
    "start date": "since",
    "employment start date": "since",
    "date of arrival": "since",
    "school": "setting",
    "setting id": "setting",
}

# Common names for positions, compared loosely (case, spaces, '-' and '_' do not matter).
POSITION_NAMES: dict[str, str] = {
    "head": "headteacher",
    "head teacher": "headteacher",
    "headmaster": "headteacher",
    "headmistress": "headteacher",
    "principal": "headteacher",
    "executive head": "headteacher",
    "executive headteacher": "headteacher",
    "head of school": "headteacher",
    "deputy head": "delegated-senior",
    "deputy headteacher": "delegated-senior",
    "deputy head teacher": "delegated-senior",
    "assistant head": "delegated-senior",
    "assistant headteacher": "delegated-senior",
    "assistant head teacher": "delegated-senior",
    "senior leader": "delegated-senior",
    "slt": "delegated-senior",
    "ta": "teaching-assistant",
    "hlta": "teaching-assistant",
    "higher level teaching assistant": "teaching-assistant",
    "learning support assistant": "teaching-assistant",
    "lsa": "teaching-assistant",
    "classroom assistant": "teaching-assistant",
    "class teacher": "teacher",
    "classroom teacher": "teacher",
    "senco": "teacher",
    "sendco": "teacher",
    "ect": "teacher",
    "early career teacher": "teacher",
    "nqt": "teacher",
    "support staff": "staff",
    "admin": "staff",
    "administrator": "staff",
    "office manager": "staff",
    "receptionist": "staff",
    "business manager": "staff",
    "school business manager": "staff",
    "caretaker": "staff",
    "site manager": "staff",
    "midday supervisor": "staff",
    "lunchtime supervisor": "staff",
    "chair of governors": "governor",
    "trustee": "governor",
    "carer": "parent",
    "parent carer": "parent",
    "parent/carer": "parent",
    "nurse": "school-nurse",
}


@dataclass(frozen=True, slots=True)
class PeopleImport:
    """What an import did: rows added, updated, unchanged, or flagged for a check (matched
    by name; any changes are made, and the row is counted only as flagged)."""

    path: Path
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: tuple[str, ...] = ()  # "line N: why"
    ignored: tuple[str, ...] = ()  # columns not used

    @property
    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.flagged)} flagged"
        )


def position_of(label: str, programme: Programme, saved: Mapping[str, str] = {}) -> str | None:
    """A position id from its id, its title, a common name or a saved mapping (any case)."""
    return Positions(programme, saved).find(label)


class Positions:
    """Position labels to ids: ids, titles, common names and a setting's saved mapping."""

    def __init__(self, programme: Programme, saved: Mapping[str, str] = {}) -> None:
        names = {k: v for k, v in POSITION_NAMES.items() if v in programme.positions}
        for pid, title in programme.positions.items():
            names[header_key(pid)] = pid
            names[header_key(title)] = pid
        names.update(saved)
        self._names = names
        self._seen: dict[str, str | None] = {}

    def find(self, label: str) -> str | None:
        if label not in self._seen:
            key = header_key(label)
            self._seen[label] = self._names.get(key) or self._names.get(key.replace("/", " "))
        return self._seen[label]


def parse_mapping(pairs: tuple[str, ...] | list[str], programme: Programme) -> list[tuple]:
    """--map "Staff Type=position" / "Site Manager=staff" as (kind, source key, target)."""
    found = []
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise InvalidValue(
                f"--map '{pair}': write HEADER=FIELD (e.g. \"Staff Type=position\") or "
                f'LABEL=POSITION (e.g. "Site Manager=staff")'
            )
        goal = header_key(target)
        if goal in MAPPABLE:
            found.append(("column", header_key(source), goal))
            continue
        position = position_of(target, programme)
        if position is None:
            raise InvalidValue(
                f"--map '{pair}': '{target.strip()}' is neither a column ("
                f"{', '.join(MAPPABLE)}) nor a position ({', '.join(programme.positions)})"
            )
        found.append(("position", header_key(source), position))
    return found


def saved_mappings(conn: sa.Connection, setting: str | None) -> dict[str, dict[str, str]]:
    """{'column': {source: field}, 'position': {source: position}} saved for a setting."""
    found: dict[str, dict[str, str]] = {"column": {}, "position": {}}
    if setting:
        m = t.import_mappings
        for row in conn.execute(sa.select(m).where(m.c.setting_id == setting)):
            found.setdefault(row.kind, {})[row.source] = row.target
    return found


def guess_columns(store: Store, path: str | Path, setting: str) -> list[tuple[str, str]]:
    """(header, field) for each column of a staff export, as `import_people` will read it for
    the setting (common MIS headers and the setting's saved mapping); field "" for a column
    that will not be used. For a screen that shows the mapping before an import."""
    import csv
    import io

    from .csvfile import _text, delimiter

    with store.read() as conn:
        require(conn, "people.write", setting=setting)
        saved = saved_mappings(conn, setting)
    # As read_table matches them: the fields' own names first, then the other headers.
    known = {header_key(f): f for f in ("position", *PEOPLE_OPTIONAL)}
    for alias, target in {**HEADERS, **saved["column"]}.items():
        known.setdefault(header_key(alias), target)
    text = _text(Path(path))
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text)), [])
    except csv.Error:
        header = []
    found = []
    for raw in header:
        field_name = known.get(header_key(raw), "")
        found.append((raw.strip(" \t\ufeff"), "" if field_name == "ignore" else field_name))
    return found


def _save_mappings(conn: sa.Connection, setting: str, pairs: list[tuple], by: str) -> None:
    m = t.import_mappings
    for kind, source, target in pairs:
        where = (m.c.setting_id == setting, m.c.kind == kind, m.c.source == source)
        conn.execute(m.delete().where(*where))
        conn.execute(
            m.insert().values(
                setting_id=setting,
                kind=kind,
                source=source,
                target=target,
                saved_by=by,
                saved_at=utcnow(),
            )
        )


def _full_access(conn: sa.Connection, action: str) -> bool:
    """Whether the actor may do `action` anywhere (so no row needs its own check)."""
    policy = default_policy()
    return any(
        len(policy.scopes(g.role, action)) == len(SCOPES) for g in current_actor(conn).grants
    )


class _Row(NamedTuple):
    line: int
    name: str
    email: str | None
    setting: str
    position: str
    since: dt.date | None
    area: str | None


def _read_row(
    line: int,
    row: dict[str, str],
    programme: Programme,
    setting: str | None,
    positions: Positions,
    problems: dict[int, list[str]],
    unknown_positions: Counter,
    seen_email: dict[str, int],
) -> _Row | None:
    """A row's values, or None with its problems (all of them) added to `problems`."""
    found: list[str] = []
    name = row.get("name", "")
    if not name:
        first = row.get("preferred forename") or row.get("forename", "")
        last = row.get("preferred surname") or row.get("surname", "")
        name = f"{first} {last}".strip()
    try:
        name = clean_name(name)
        if not name:
            found.append("name is empty; every person needs a name")
    except ValueError as err:
        found.append(str(err))
    email = None
    try:
        email = normalise_email(row.get("email"))
    except InvalidValue as err:
        found.append(err.message + "; correct it or leave it empty")
    if email and email in seen_email:
        found.append(
            f"duplicate of line {seen_email[email]} (same email {email}); keep one of them"
        )
    elif email:
        seen_email[email] = line
    where = row.get("setting", "") or (setting or "")
    if setting and row.get("setting") and row["setting"] != setting:
        found.append(f"setting '{shown(row['setting'])}' is not {setting} (the --setting given)")
    elif not where:
        found.append("setting is empty; fill it in or import with --setting")
    label = row.get("position", "")
    position = positions.find(label) if label else "staff"
    if position is None:
        found.append(f"unknown position '{shown(label)}' (see below)")
        unknown_positions[label.strip()] += 1
    since = None
    if row.get("since"):
        try:
            since = parse_date(row["since"], "start date")
        except ValueError as err:
            found.append(str(err))
    if found:
        problems[line].extend(found)
        return None
    return _Row(line, name, email, where, str(position), since, row.get("area") or None)


_EMAIL_LINE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", re.MULTILINE)
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e\n]")


def _plain_rows(table: CsvFile, setting: str | None, positions: Positions) -> list[_Row] | None:
    """Every row of a plain file (read by column) whose rows all have a name and an email and
    are all good, checked a column at a time; None for any other file, which `_read_row`
    then checks row by row (and says what is wrong with each bad row).

    The rows are exactly those `_read_row` makes: a column's distinct values (positions,
    dates) are checked once, and plain ASCII names and emails, the usual case, all at once.
    """
    columns = table.columns
    if columns is None or table.lines is None or "name" not in columns or "email" not in columns:
        return None
    n = len(table.lines)
    names, emails = columns["name"], columns["email"]
    if not all(names) or not all(emails):
        return None
    try:
        joined = "".join(names)
        if not joined.isascii() or _CC.search(joined) or "  " in joined:
            names = [clean_name(name) for name in names]
            if not all(names):
                return None
        text = "\n".join(emails)
        if text.isascii():
            text = text.lower()  # casefold() for ASCII
            if len(_EMAIL_LINE.findall(text)) != n or _NOT_PRINTABLE.search(text):
                return None
            emails = text.split("\n")
        else:
            emails = [cast(str, normalise_email(email)) for email in emails]
    except (ValueError, InvalidValue):
        return None
    if len(set(emails)) != n:
        return None  # a duplicate
    given = columns.get("setting")
    if given is None:
        if not setting:
            return None
        settings: list[str] = [setting] * n
    elif setting:
        if set(given) - {"", setting}:
            return None
        settings = [setting] * n
    else:
        if not all(given):
            return None
        settings = given
    labels = columns["position"]
    found = {label: positions.find(label) if label else "staff" for label in set(labels)}
    if None in found.values():
        return None
    position = list(map(found.__getitem__, labels))
    since: list[dt.date | None] = [None] * n
    if "since" in columns:
        try:
            days = {v: parse_date(v, "start date") if v else None for v in set(columns["since"])}
        except ValueError:
            return None
        since = list(map(days.__getitem__, columns["since"]))
    area = [v or None for v in columns["area"]] if "area" in columns else [None] * n
    return list(map(_Row, table.lines, names, emails, settings, position, since, area))


def import_people(
    store: Store,
    programme: Programme,
    path: str | Path,
    *,
    setting: str | None = None,
    mapping: tuple[str, ...] | list[str] = (),
    saved_by: str = "",
    dry_run: bool = False,
) -> PeopleImport:
    """Import or re-import people; all or nothing, every problem on every row listed.

    `setting` is the setting the file is for (then a setting column is optional); `mapping`
    holds "HEADER=FIELD" or "LABEL=POSITION" pairs, saved for that setting's next imports.
    With `dry_run`, everything is checked and counted but nothing is written (a preview).
    """
    with bulk.no_gc():
        return _import_people(store, programme, Path(path), setting, mapping, saved_by, dry_run)


def _import_people(
    store: Store,
    programme: Programme,
    path: Path,
    setting: str | None,
    mapping: tuple[str, ...] | list[str],
    saved_by: str,
    dry_run: bool = False,
) -> PeopleImport:
    pairs = parse_mapping(mapping, programme)
    if pairs and not setting:
        raise InvalidValue("--map is saved for a setting: give --setting too")
    with store.read() as conn:
        if (
            setting
            and not conn.execute(
                sa.select(t.settings.c.id).where(t.settings.c.id == setting)
            ).first()
        ):
            from ..errors import NotFound

            raise NotFound(f"no setting '{setting}'; see `imatter setting list`")
        if setting:
            require(conn, "people.write", setting=setting)
        saved = saved_mappings(conn, setting)
    for kind, source, target in pairs:
        saved[kind][source] = target
    columns = {**HEADERS, **saved["column"]}
    required = ("position",) if setting else ("setting", "position")
    table = read_table(
        path,
        required,
        tuple(f for f in PEOPLE_OPTIONAL if f not in required),
        aliases=columns,
        ignore_unknown=True,
        how_to_map=MAP_HINT,
    )
    if "name" not in table.fields and not (
        {"forename", "preferred forename"} & set(table.fields)
        and {"surname", "preferred surname"} & set(table.fields)
    ):
        raise ImportRowError(
            f"{path}:1: no name column; the header needs name, or forename and surname "
            "(e.g. Preferred Forename and Legal Surname); nothing was imported"
        )
    problems: dict[int, list[str]] = defaultdict(list)
    unknown_positions: Counter = Counter()
    seen_email: dict[str, int] = {}
    positions = Positions(programme, saved["position"])
    plain = _plain_rows(table, setting, positions)
    rows: list[_Row] = plain if plain is not None else []
    for line, values in table.rows if plain is None else ():
        if EXTRA in values:
            problems[line].append("more values than columns; check for stray commas")
            continue
        row = _read_row(
            line, values, programme, setting, positions, problems, unknown_positions, seen_email
        )
        if row is not None:
            rows.append(row)
    with store.read() if dry_run else store.write() as conn, bulk.roomy(conn):
        plan = _plan(conn, programme, rows, problems)
        if problems:
            _refuse(path, problems, unknown_positions, programme)
        if not dry_run:
            _write(conn, plan)
            if pairs and setting:
                _save_mappings(conn, setting, pairs, saved_by or "local")
    return PeopleImport(
        path,
        added=len(plan.new),
        updated=plan.updated,
        unchanged=plan.unchanged,
        flagged=tuple(plan.flagged),
        ignored=table.ignored,
    )


@dataclass
class _Plan:
    """What an import will do, worked out before anything is written: the preview."""

    new: list[_Row] = field(default_factory=list)
    person_changes: list[tuple[int, dict]] = field(default_factory=list)
    affiliation_changes: list[tuple[int, dict]] = field(default_factory=list)
    new_affiliations: list[tuple[int, _Row]] = field(default_factory=list)
    updated: int = 0  # matched rows with changes (and an email)
    unchanged: int = 0
    flagged: list[str] = field(default_factory=list)  # matched by name: "line N: why"


def _plan(
    conn: sa.Connection,
    programme: Programme,
    rows: list[_Row],
    problems: dict[int, list[str]],
) -> _Plan:
    """Match every row to a person (or none), check access, and work out each change."""
    p, a = t.people, t.affiliations
    settings_used = sorted({r.setting for r in rows})
    known = set(
        conn.execute(sa.select(t.settings.c.id).where(t.settings.c.id.in_(settings_used)))
        .scalars()
        .all()
    )
    full = _full_access(conn, "people.write")
    writable = {s for s in known if full or allowed(conn, "people.write", setting=s)}
    by_email: dict[str, sa.Row] = {}
    emails = [r.email for r in rows if r.email]
    if emails:
        where, params = bulk.any_of(conn, "email", emails)
        for hit in conn.execute(
            sa.text(f"SELECT id, name, email, area FROM people WHERE {where}"), params
        ):
            by_email[hit.email] = hit
    # People of the settings named, by name, for rows without an email.
    by_name: dict[tuple[str, str], list[sa.Row]] = defaultdict(list)
    nameless_settings = sorted({r.setting for r in rows if not r.email} & known)
    if nameless_settings:
        for hit in conn.execute(
            sa.select(p.c.id, p.c.name, p.c.email, p.c.area, a.c.setting_id)
            .select_from(p.join(a, a.c.person_id == p.c.id))
            .where(a.c.setting_id.in_(nameless_settings))
            .distinct()
        ):
            by_name[(hit.setting_id, name_key(hit.name))].append(hit)
    matched_ids = {m.id for m in by_email.values()} | {m.id for ms in by_name.values() for m in ms}
    links: dict[int, list[sa.Row]] = defaultdict(list)
    if matched_ids:
        where, params = bulk.any_of(conn, "person_id", sorted(matched_ids))
        for link in conn.execute(
            sa.text(
                "SELECT id, person_id, setting_id, position, since, until FROM affiliations "
                f"WHERE {where}"
            ),
            params,
        ):
            links[link.person_id].append(link)
    if not by_email and len(emails) == len(rows) and writable >= set(settings_used):
        # All new, all with an email, all where the actor may add people: nothing to match.
        return _Plan(new=rows)
    plan = _Plan()
    seen_name: dict[tuple[str, str], int] = {}
    for row in rows:
        found: list[str] = []
        if row.setting not in known:
            found.append(f"no setting '{shown(row.setting)}'; see `imatter setting list`")
        elif row.setting not in writable:
            found.append(
                f"you may not add or change people in setting {row.setting}; ask an "
                "organisation admin"
            )
        if found:
            problems[row.line].extend(found)
            continue
        match = by_email.get(row.email) if row.email else None
        if row.email is None:
            key = (row.setting, name_key(row.name))
            if key in seen_name:
                problems[row.line].append(
                    f"same name as line {seen_name[key]} and neither has an email; add their "
                    "emails to tell them apart"
                )
                continue
            seen_name[key] = row.line
            candidates = by_name.get(key, [])
            if len(candidates) > 1:
                ids = ", ".join(str(c.id) for c in candidates)
                problems[row.line].append(
                    f"no email, and {len(candidates)} people at {row.setting} are called "
                    f"{row.name} (ids {ids}); add the email to say which"
                )
                continue
            if candidates:
                match = candidates[0]
                plan.flagged.append(
                    f"line {row.line}: no email; matched to person {match.id} ({row.name} at "
                    f"{row.setting}) by name: check it is the same person"
                )
        if match is None:
            plan.new.append(row)
            continue
        if not full and not allowed(conn, "people.write", person=match.id):
            problems[row.line].append(
                f"{row.email or row.name} is a person outside your settings; ask an "
                "organisation admin to add them"
            )
            continue
        changed = _changes(plan, row, match, links[match.id])
        if row.email is None:
            continue  # counted as flagged (its changes, if any, are made)
        if changed:
            plan.updated += 1
        else:
            plan.unchanged += 1
    return plan


def _changes(plan: _Plan, row: _Row, person: sa.Row, links: list[sa.Row]) -> bool:
    """Record what must change for a matched person; whether anything does."""
    changes: dict = {}
    if person.name != row.name:
        changes["name"] = row.name
    if row.area and person.area != row.area:
        changes["area"] = row.area
    if changes:
        plan.person_changes.append((person.id, changes))
    here = [link for link in links if link.setting_id == row.setting]
    same = [link for link in here if link.position == row.position]
    current = [link for link in here if link.until is None]
    target = same[0] if same else (current[0] if len(current) == 1 else None)
    if target is None:
        plan.new_affiliations.append((person.id, row))
        return True
    update: dict = {}
    if target.position != row.position:
        update["position"] = row.position
    if target.until is not None:
        update["until"] = None  # back on the staff list: they are staff again
    if row.since and _as_date(target.since) != row.since:
        update["since"] = row.since
    if update:
        plan.affiliation_changes.append((target.id, update))
    return bool(changes or update)


def _as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _write(conn: sa.Connection, plan: _Plan) -> None:
    """Apply the plan: updates one by one (audited by the triggers), new people in bulk."""
    p, a = t.people, t.affiliations
    for person_id, changes in plan.person_changes:
        conn.execute(p.update().where(p.c.id == person_id).values(**changes))
    for link_id, changes in plan.affiliation_changes:
        conn.execute(a.update().where(a.c.id == link_id).values(**changes))
    for person_id, row in plan.new_affiliations:
        conn.execute(
            a.insert().values(
                person_id=person_id, setting_id=row.setting, position=row.position, since=row.since
            )
        )
    if plan.new:
        insert_people(conn, plan.new)


def insert_people(conn: sa.Connection, rows: list[_Row]) -> list[int]:
    """Insert checked people and their affiliations with one executemany per table, and
    their audit records in batch (in row-at-a-time order); returns their ids."""
    p, a = t.people, t.affiliations
    person_ids = bulk.reserve_ids(conn, p, len(rows))
    link_ids = bulk.reserve_ids(conn, a, len(rows))
    now = utcnow()
    _, names, emails, settings, positions, since, areas = zip(*rows, strict=True)
    with bulk.insert_triggers_off(conn, [p, a]):
        bulk.insert_audited(
            conn,
            [
                bulk.Rows(
                    p,
                    ("id", "name", "email", "area", "created_at"),
                    (person_ids, names, emails, areas, bulk.Same(now)),
                    person_ids,
                ),
                bulk.Rows(
                    a,
                    ("id", "person_id", "setting_id", "position", "since"),
                    (link_ids, person_ids, settings, positions, since),
                    link_ids,
                ),
            ],
        )
    return person_ids


def _refuse(
    path: Path, problems: dict[int, list[str]], unknown: Counter, programme: Programme
) -> None:
    """ImportRowError: one line per bad row with all its problems, and each fix said once."""
    details = [
        one_line(f"line {line}: {'; '.join(found)}") for line, found in sorted(problems.items())
    ]
    hints = []
    if unknown:
        labels = ", ".join(
            f"'{shown(k)}' ({n} row{'s' if n > 1 else ''})" for k, n in unknown.most_common()
        )
        hints.append(
            f"Positions not known: {labels}. Use one of {', '.join(programme.positions)}, or a "
            "common name (TA, HLTA, Head, SENCo ...), or save a mapping for the setting with "
            '--map "LABEL=POSITION" (e.g. --map "Site Manager=staff").'
        )
    raise ImportRowError(
        f"{path}: {len(problems)} bad row(s); nothing was imported. Fix them and import again:",
        details=details,
        hints=hints,
    )
