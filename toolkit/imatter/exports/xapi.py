"""xAPI 1.0.3 statements (attended, completed, passed, awarded) as JSON lines for an LRS.

The actor is always an account: `homePage` (the organisation's site) and `name`, a stable
pseudonymous id (an HMAC of the person's record id under a secret kept in the workspace), never
a name or an email. Statement ids are derived from the record they describe, so exporting the
same records again gives the same statements (an LRS accepts them once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..programme import Programme
from ..store import Store
from ..store import schema as t

XAPI_VERSION = "1.0.3"
LANGUAGE = "en-GB"
PLATFORM = "I Matter toolkit"
ADL = "http://adlnet.gov/expapi"
SECRET_FILE = "xapi-pseudonym.key"
_NAMESPACE = uuid.UUID("8f0c1c34-3c55-4c1e-9a43-2f1b7f6a1d20")

VERBS = {
    "attended": f"{ADL}/verbs/attended",
    "completed": f"{ADL}/verbs/completed",
    "passed": f"{ADL}/verbs/passed",
}


def pseudonymous_id(secret: bytes, person_id: int) -> str:
    """A stable id for a person that reveals nothing without the workspace secret."""
    digest = hmac.new(secret, f"imatter-person:{person_id}".encode(), hashlib.sha256)
    return "p-" + digest.hexdigest()[:32]


def workspace_secret(folder: str | Path) -> bytes:
    """The pseudonymisation secret in `<folder>/keys/`, created on first use (mode 0600).

    Keep it: a new secret gives everyone new ids in the learning record store.
    """
    path = Path(folder) / "keys" / SECRET_FILE
    if path.exists():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value.hex() + "\n")
    return value


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _lang(text: str) -> dict[str, str]:
    return {LANGUAGE: text}


class _Builder:
    def __init__(self, programme: Programme, home_page: str, secret: bytes) -> None:
        self.programme = programme
        self.home_page = home_page
        self.secret = secret
        self.base = programme.issuer_url.rstrip("/") + "/xapi"

    def statement_id(self, kind: str, key: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.home_page}|{kind}|{key}"))

    def actor(self, person_id: int) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "account": {
                "homePage": self.home_page,
                "name": pseudonymous_id(self.secret, person_id),
            },
        }

    def verb(self, kind: str) -> dict[str, Any]:
        iri = VERBS.get(kind, f"{self.base}/verbs/{kind}")
        return {"id": iri, "display": _lang("was awarded" if kind == "awarded" else kind)}

    def course(self, course_id: str) -> dict[str, Any]:
        course = self.programme.courses.get(course_id)
        definition: dict[str, Any] = {
            "type": f"{ADL}/activities/course",
            "name": _lang(course.title if course else course_id),
        }
        return {
            "objectType": "Activity",
            "id": f"{self.base}/courses/{course_id}",
            "definition": definition,
        }

    def programme_activity(self) -> dict[str, Any]:
        return {
            "objectType": "Activity",
            "id": f"{self.base}/programme",
            "definition": {"name": _lang(self.programme.name)},
        }

    def context(self, parent: dict[str, Any] | None = None, **extensions: Any) -> dict[str, Any]:
        activities: dict[str, Any] = {"grouping": [self.programme_activity()]}
        if parent is not None:
            activities["parent"] = [parent]
        context: dict[str, Any] = {
            "platform": PLATFORM,
            "language": LANGUAGE,
            "contextActivities": activities,
        }
        if extensions:
            context["extensions"] = {
                f"{self.base}/extensions/{key.replace('_', '-')}": value
                for key, value in extensions.items()
            }
        return context

    def statement(
        self,
        kind: str,
        key: str,
        person_id: int,
        obj: dict[str, Any],
        day: dt.date,
        *,
        result: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "id": self.statement_id(kind, key),
            "actor": self.actor(person_id),
            "verb": self.verb(kind),
            "object": obj,
        }
        if result is not None:
            statement["result"] = result
        statement["context"] = context or self.context()
        statement["timestamp"] = _timestamp(day)
        statement["version"] = XAPI_VERSION
        return statement


def xapi_statements(
    store: Store,
    programme: Programme,
    *,
    home_page: str,
    secret: bytes,
    end: dt.date,
    start: dt.date | None = None,
    scope: Any = None,
    kinds: Iterable[str] = ("attended", "completed", "passed", "awarded"),
) -> list[dict[str, Any]]:
    """The statements for records dated in the period (and scope), oldest first."""
    import pandas as pd

    from ..reports.queries import (
        ASSESSMENT_EVIDENCE,
        awards_frame,
        completions_frame,
        pass_date,
        within_period,
    )
    from ..reports.scope import Scope, in_scope, resolve_scope

    if not home_page.startswith(("https://", "http://")):
        from ..errors import InvalidValue

        raise InvalidValue(f"--home-page '{home_page}' must be an http(s) URL")
    wanted = set(kinds)
    b = _Builder(programme, home_page, secret)
    g, gs, at, sy = t.study_groups, t.group_sessions, t.attendance, t.assessment_syncs
    with store.read() as conn:
        info = resolve_scope(conn, scope or Scope())
        done = completions_frame(conn)
        awards = awards_frame(conn)
        marks = pd.DataFrame(
            conn.execute(
                sa.select(
                    at.c.session_id,
                    at.c.person_id,
                    gs.c.held_on,
                    gs.c.group_id,
                    gs.c.title,
                    g.c.name,
                    g.c.course_id,
                )
                .select_from(
                    at.join(gs, gs.c.id == at.c.session_id).join(g, g.c.id == gs.c.group_id)
                )
                .where(at.c.present.is_(True), gs.c.cancelled.is_(False))
            ).all(),
            columns=[
                "session_id",
                "person_id",
                "held_on",
                "group_id",
                "title",
                "group",
                "course_id",
            ],
        )
        # Each assessment pass (kept apart from completions since migration 8).
        passes = pd.DataFrame(
            conn.execute(
                sa.select(
                    sy.c.id,
                    sy.c.person_id,
                    sy.c.course_id,
                    sy.c.completion_id,
                    sy.c.score,
                    sy.c.max_score,
                    pass_date(),
                ).select_from(sy.outerjoin(t.completions, t.completions.c.id == sy.c.completion_id))
            ).all(),
            columns=[
                "id",
                "person_id",
                "course_id",
                "completion_id",
                "score",
                "max_score",
                "passed_on",
            ],
        ).dropna(subset=["passed_on"])
    out: list[tuple[dt.date, str, dict[str, Any]]] = []
    if "attended" in wanted:
        if info.group_ids is not None:
            marks = marks[marks["group_id"].isin(info.group_ids)]
        for m in within_period(marks, "held_on", start, end).itertuples(index=False):
            obj = {
                "objectType": "Activity",
                "id": f"{b.base}/groups/{m.group_id}/sessions/{m.session_id}",
                "definition": {
                    "type": f"{ADL}/activities/meeting",
                    "name": _lang(f"{m.group}: session on {m.held_on.isoformat()}"),
                },
            }
            out.append(
                (
                    m.held_on,
                    "a",
                    b.statement(
                        "attended",
                        f"{m.session_id}:{m.person_id}",
                        m.person_id,
                        obj,
                        m.held_on,
                        context=b.context(b.course(m.course_id)),
                    ),
                )
            )
    legacy = set(done.loc[done["evidence"].str.startswith(ASSESSMENT_EVIDENCE), "id"])
    done = in_scope(within_period(done, "completed_on", start, end), info, "completed_on")
    for c in done.itertuples(index=False):
        if "completed" in wanted:
            out.append(
                (
                    c.completed_on,
                    "b",
                    b.statement(
                        "completed",
                        str(c.id),
                        c.person_id,
                        b.course(c.course_id),
                        c.completed_on,
                        result={"completion": True},
                    ),
                )
            )
    if "passed" in wanted:
        # A pass whose completion rests on it keeps that completion's id as its key (as
        # exports made before passes were kept apart did); any other is keyed by the pass.
        # A completion resting on an assessment with no pass on record stands for its pass.
        linked = set(passes["completion_id"].dropna().astype(int))
        alone = done[done["evidence"].str.startswith(ASSESSMENT_EVIDENCE)]
        alone = alone[~alone["id"].isin(linked)]
        rows = list(passes.itertuples(index=False, name=None)) + [
            (None, c.person_id, c.course_id, c.id, 0.0, 0.0, c.completed_on)
            for c in alone.itertuples(index=False)
        ]
        passes = pd.DataFrame(rows, columns=list(passes.columns))
        passes = in_scope(within_period(passes, "passed_on", start, end), info, "passed_on")
        for p in passes.itertuples(index=False):
            course = programme.courses.get(p.course_id)
            if course is None or not course.assessment:
                continue
            result: dict[str, Any] = {"success": True, "completion": True}
            if p.max_score > 0:
                result["score"] = {
                    "scaled": round(max(-1.0, min(1.0, p.score / p.max_score)), 4),
                    "raw": p.score,
                    "min": 0,
                    "max": p.max_score,
                }
            obj = {
                "objectType": "Activity",
                "id": f"{b.base}/assessments/{course.assessment}",
                "definition": {
                    "type": f"{ADL}/activities/assessment",
                    "name": _lang(f"Assessment: {course.title}"),
                },
            }
            completion = p.completion_id
            key = str(int(completion)) if pd.notna(completion) and completion in legacy else None
            out.append(
                (
                    p.passed_on,
                    "c",
                    b.statement(
                        "passed",
                        key or f"pass-{p.id}",
                        p.person_id,
                        obj,
                        p.passed_on,
                        result=result,
                        context=b.context(b.course(p.course_id)),
                    ),
                )
            )
    if "awarded" in wanted:
        made = in_scope(within_period(awards, "valid_from", start, end), info, "valid_from")
        for a in made.itertuples(index=False):
            role = programme.roles.get(a.role_id)
            obj = {
                "objectType": "Activity",
                "id": f"{b.base}/roles/{a.role_id}",
                "definition": {
                    "name": _lang(role.title if role else a.role_id),
                    "type": f"{b.base}/activity-types/{a.kind}",
                },
            }
            if role is not None:
                obj["definition"]["description"] = _lang(role.description)
            extra = {}
            if pd.notna(a.valid_until):
                extra["valid_until"] = a.valid_until.isoformat()
            out.append(
                (
                    a.valid_from,
                    "d",
                    b.statement(
                        "awarded",
                        str(a.award_id),
                        a.person_id,
                        obj,
                        a.valid_from,
                        context=b.context(None, **extra),
                    ),
                )
            )
    out.sort(key=lambda item: (item[0], item[1], item[2]["id"]))
    return [statement for _, _, statement in out]


def write_xapi(
    statements: list[dict[str, Any]], path: str | Path, *, progress: bool | None = None
) -> Path:
    """Write statements as JSON lines (one statement per line, UTF-8)."""
    from ..progress import progress_bar

    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for statement in progress_bar(statements, desc="xAPI", unit="stmt", enabled=progress):
            handle.write(json.dumps(statement, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(target)
    return target
