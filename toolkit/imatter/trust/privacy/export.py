"""Export everything held about one person: a zip of JSON and CSV with a plain-English README.

The zip is written to a temporary file beside the target and moved into place only when it is
complete, and an existing file is never overwritten: no half-written or clobbered export.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ... import clock
from ...errors import ImatterError, NotFound
from ...records.people import resolve_person
from ...store import schema as t
from .coverage import Export, covered
from .rows import Found, Subject, database_tables, find_rows, load_subject, plain

FORMAT = "imatter-person-export"
SCHEMA = "person-export.schema.json"
SCHEMA_VERSION = 1
WITHHELD = "(withheld: about another person)"
REFERS = "refers_to_you_as"

# What each table holds, as the README explains it to the person.
TABLE_NOTES: dict[str, str] = {
    "people": "your own record: name, email and area",
    "affiliations": "the schools and services you belong to, and your position in each",
    "completions": "courses you completed (corrections are kept beside the records they "
    "correct), and completions you recorded for others",
    "awards": "roles and licences awarded to you, and awards you granted",
    "award_revocations": "revocations of your awards, and revocations you made",
    "applications": "your applications for a role, and applications you decided",
    "documented_cases": "your documented cases, kept only as anonymised references",
    "memberships": "annual memberships you recorded for a setting",
    "setting_licences": "school licences you granted",
    "action_plans": "action plans you made",
    "action_items": "actions in an action plan that you own",
    "action_item_updates": "updates you made to actions",
    "self_reviews": "whole-school self-reviews you made",
    "credentials": "the digital credentials issued for your awards (the signed document is in "
    "the document column, and as a file under credentials/ when the workspace still has it)",
    "study_groups": "study groups you lead or created",
    "group_members": "study groups you are enrolled in",
    "attendance": "your attendance at group sessions, and registers you took",
    "catch_ups": "group sessions you caught up, and catch-ups you recorded",
    "cluster_contacts": "clusters of settings for which you are a contact",
    "directory_consents": "your consent to appear in the directory of Lead Professionals",
    "impact_responses": "your answers to the impact questionnaire (1 to 5 for each question), "
    "and answers you collected",
    "assessment_marks": "marks for your reflective assessments (the marker's levels and "
    "comment; never the text of your reflection), and marks you gave",
    "assessment_moderations": "your assessments chosen for a second marking, and moderation "
    "you did or chose",
    "assessment_syncs": "your assessment passes recorded as course completions, and syncs you ran",
    "person_course_summary": "a summary of your completed courses that the database keeps "
    "to work out eligibility quickly",
    "access_grants": "what you may see and change in the records, and access you granted",
    "audit_log": "entries in the audit log for changes you made (it holds only references "
    "and checksums, never the values changed)",
    "audit_seals": "seals of the audit log you signed",
}


def export_person(ws: Any, person: str | int, out: str | Path, *, by: str | None = None) -> Path:
    """Write everything held about a person (an id or an email) to a new zip file `out`.

    Raises NotFound (no such person, no such folder) and ImatterError (the file exists).
    """
    from . import authorise

    out = Path(out)
    _check_target(out)
    with ws.store.read() as conn:
        person_id = resolve_person(conn, person)
        authorise(conn, "privacy.export", person_id, person)
        tables = database_tables(conn)
        subject = load_subject(conn, tables, person_id, for_export=True)
        found = {
            name: rows
            for name, table in tables.items()
            if name != "people" and (rows := list(find_rows(conn, table, subject)))
        }
        settings = _settings(conn, subject.id)
        credential_files = _credential_files(conn, ws, subject) if "credentials" in tables else []
        version = max(conn.execute(sa.select(t.schema_migrations.c.version)).scalars(), default=0)
    summary = _summary(subject, found, settings, credential_files, version, by)
    check_summary(summary)
    entries = _zip_entries(subject, tables, found, summary, credential_files)
    _write_zip(ws.store, out, entries, subject.id, by)
    return out


def check_summary(summary: Any) -> None:
    """Raise ImatterError unless `summary` is a valid person.json (schemas/person-export)."""
    from ... import jsonschemas

    error = jsonschemas.best_error(SCHEMA, summary)
    if error is not None:
        where = jsonschemas.where(error) or "(top level)"
        raise ImatterError(f"person.json does not match {SCHEMA}: {where}: {error.message}")


def _check_target(out: Path) -> None:
    if out.exists() or out.is_symlink():
        raise ImatterError(
            f"{out} already exists; an export never overwrites a file: give another file name "
            "or move that one away"
        )
    if not out.parent.is_dir():
        raise NotFound(f"{out}: the folder {out.parent} does not exist")


def _settings(conn: sa.Connection, person_id: int) -> list[dict[str, Any]]:
    a, s = t.affiliations, t.settings
    rows = conn.execute(
        sa.select(a.c.setting_id, s.c.name, a.c.position, a.c.since, a.c.until)
        .join(s, s.c.id == a.c.setting_id)
        .where(a.c.person_id == person_id)
        .order_by(a.c.id)
    )
    return [
        {
            "setting": r.setting_id,
            "setting_name": r.name,
            "position": r.position,
            "since": plain(r.since),
            "until": plain(r.until),
        }
        for r in rows
    ]


def _credential_files(conn: sa.Connection, ws: Any, subject: Subject) -> list[tuple[str, Path]]:
    """(name in the zip, file) for each of their credential and certificate files present."""
    if not subject.award_ids:
        return []
    c = t.credentials
    rows = conn.execute(
        sa.select(c.c.id, c.c.file).where(c.c.award_id.in_(sorted(subject.award_ids)))
    ).all()
    return [
        (f"{folder}/{path.name}", path)
        for row in rows
        for folder, path in workspace_files(ws, row.id, row.file)
        if path.is_file()
    ]


def workspace_files(ws: Any, credential_id: str, file: str) -> list[tuple[str, Path]]:
    """A credential's files in the workspace: the signed credential and its PDF certificate."""
    root = Path(ws.path).resolve()
    uuid = credential_id.rsplit(":", 1)[-1]
    candidates = (
        ("credentials", root / file),
        ("certificates", root / "certificates" / f"{uuid}.pdf"),
    )
    return [(f, p.resolve()) for f, p in candidates if p.resolve().is_relative_to(root)]


def _summary(
    subject: Subject,
    found: dict[str, list[Found]],
    settings: list[dict[str, Any]],
    credential_files: list[tuple[str, Path]],
    version: int,
    by: str | None,
) -> dict[str, Any]:
    person = {k: plain(v) for k, v in subject.row.items()}
    tables = {"people": {"rows": 1, "files": ["tables/people.json", "tables/people.csv"]}}
    for name, rows in found.items():
        tables[name] = {
            "rows": len(rows),
            "about_you": sum(1 for r in rows if r.about),
            "you_acted": sum(1 for r in rows if not r.about),
            "files": [f"tables/{name}.json", f"tables/{name}.csv"],
        }
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": clock.now().replace(microsecond=0).isoformat(),
        "exported_by": by,
        "database_schema": version,
        "person": {**person, "erased": subject.erased},
        "settings": settings,
        "tables": dict(sorted(tables.items())),
        "files": sorted(name for name, _ in credential_files),
    }


def _rows(table_name: str, columns: list[sa.Column], found: list[Found]) -> list[dict[str, Any]]:
    """Rows as exported: whole when about the person or about no one (a plan, a group); in a
    row about someone else that the person only acted on, that person's details are withheld:
    the columns that say whom the row is about, and free text."""
    subject = {e.column for e in covered(table_name) if e.export is not Export.ACTED}
    free_text = {c.name for c in columns if isinstance(c.type, sa.Text)}
    out = []
    for item in found:
        someone_else = not item.about and any(item.values.get(c) is not None for c in subject)
        withheld = subject | free_text if someone_else else set()
        row = {
            c.name: WITHHELD
            if c.name in withheld and item.values[c.name] is not None
            else plain(item.values[c.name])
            for c in columns
        }
        row[REFERS] = ", ".join(item.refers_as)
        out.append(row)
    return out


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    from ...cells import safe_cell, safe_row

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(safe_row(columns))
    for row in rows:
        values = [row.get(k) for k in columns]
        writer.writerow(
            [
                "" if v is None else str(v).lower() if isinstance(v, bool) else safe_cell(v)
                for v in values
            ]
        )
    return buffer.getvalue()


def _zip_entries(
    subject: Subject,
    tables: dict[str, sa.Table],
    found: dict[str, list[Found]],
    summary: dict[str, Any],
    credential_files: list[tuple[str, Path]],
) -> list[tuple[str, bytes | Path]]:
    people = tables["people"]
    person_row = {c.name: plain(subject.row[c.name]) for c in people.columns} | {REFERS: "id"}
    data: dict[str, list[dict[str, Any]]] = {"people": [person_row]}
    headers: dict[str, list[str]] = {"people": [c.name for c in people.columns] + [REFERS]}
    for name, rows in found.items():
        columns = list(tables[name].columns)
        data[name] = _rows(name, columns, rows)
        headers[name] = [c.name for c in columns] + [REFERS]
    entries: list[tuple[str, bytes | Path]] = [
        ("README.txt", readme(summary).encode("utf-8")),
        ("person.json", _json(summary)),
    ]
    for name in sorted(data):
        entries.append((f"tables/{name}.json", _json(data[name])))
        entries.append((f"tables/{name}.csv", _csv(data[name], headers[name]).encode("utf-8")))
    entries += [(name, path) for name, path in sorted(credential_files)]
    return entries


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_zip(
    store: Any, out: Path, entries: list[tuple[str, bytes | Path]], person_id: int, by: str | None
) -> None:
    """Write the zip beside `out`, then, in one transaction with the audit record of the
    export, link it into place (never replacing a file). Nothing is left behind on error."""
    from ...store.audit import append_event

    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, content in entries:
                    if isinstance(content, Path):
                        archive.write(content, name)
                    else:
                        archive.writestr(name, content)
            handle.flush()
            os.fsync(handle.fileno())
        with store.write() as conn:
            # Who saw whose records: a digest only, like every audit record.
            details = json.dumps({"event": "privacy-export", "by": by}, sort_keys=True)
            append_event(conn, "people", str(person_id), details)
            _place(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _place(tmp: Path, out: Path) -> None:
    try:
        os.link(tmp, out)  # atomic, and fails if `out` appeared meanwhile
    except FileExistsError:
        _check_target(out)
        raise
    except OSError:  # a file system without hard links
        _check_target(out)
        os.replace(tmp, out)


def readme(summary: dict[str, Any]) -> str:
    """The README.txt of an export: what each file is, in plain words."""
    person = summary["person"]
    lines = [
        "EVERYTHING HELD ABOUT YOU IN THE I MATTER RECORDS",
        "",
        f"This export was made on {summary['exported_at'][:10]} for person {person['id']}.",
        "It holds every record in the I Matter database that refers to you: records about you,",
        "and records of things you did (for example, a register you took or a completion you",
        "recorded). In records of things you did for other people, details about those people",
        f'are shown as "{WITHHELD}".',
        "",
        "Each table is given twice, with the same rows: as JSON (for computers) and as CSV (which",
        "opens in a spreadsheet). Dates are written year-month-day; times are in UTC. The",
        f'column "{REFERS}" says which of the row\'s fields refer to you.',
        "",
    ]
    if person.get("erased"):
        lines += [
            "Your record has been erased: your name, email and area were removed, and where",
            "other records named you they now say erased-person-" + str(person["id"]) + ".",
            "",
        ]
    lines += [
        "THE FILES",
        "",
        "person.json",
        "    A summary: your record, the settings you belong to, how many rows each table",
        "    holds about you, and the other files in this export.",
    ]
    for name, info in summary["tables"].items():
        note = TABLE_NOTES.get(name, "records that refer to you")
        rows = f"{info['rows']} row{'s' if info['rows'] != 1 else ''}"
        lines.append(f"tables/{name}.json and tables/{name}.csv")
        lines += textwrap.wrap(
            f"{note[:1].upper()}{note[1:]} ({rows}).",
            width=92,
            initial_indent="    ",
            subsequent_indent="    ",
        )
    for name in summary["files"]:
        if name.startswith("credentials/"):
            lines += [
                name,
                "    A credential issued to you, exactly as it was signed. It can be checked",
                "    with any Open Badges 3.0 verifier.",
            ]
        else:
            lines += [name, "    The printable certificate of one of your credentials."]
    lines += [
        "",
        "WHAT IS NOT HERE",
        "",
        "The text of your reflective assessments is kept by your course's assessment folder,",
        "not in this database; ask the person who runs your course for a copy. Backups of the",
        "database, kept for safety, hold the same records as they were when the backup was",
        "made.",
        "",
    ]
    return "\n".join(lines)
