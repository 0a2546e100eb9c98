"""Fixtures for credentials: an issuer with a key, and awards written straight into the store.

Awards are inserted with SQLAlchemy Core (not through the records API) so that these tests
exercise the credentials package on its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME_FILE = ROOT / "modules" / "programme.yml"
DATA = Path(__file__).resolve().parent / "data"

KEY_MADE = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
GRANTED = dt.datetime(2026, 11, 1, 9, 30)  # naive UTC, as the store keeps it
VALID_FROM = dt.date(2026, 11, 1)
DURING = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


AUTO: Any = object()  # a fresh email address for each person
_numbers = itertools.count(1)


@dataclass
class Issuer:
    ws: Any
    settings: Any

    def add_person(self, name: str = "Zoë Example", email: str | None = AUTO):
        from imatter.store.schema import people

        if email is AUTO:
            email = f"person{next(_numbers)}@school.example"
        with self.ws.store.write() as conn:
            return conn.execute(
                people.insert().values(name=name, email=email, created_at=GRANTED)
            ).inserted_primary_key[0]

    def add_award(
        self,
        *,
        person_id: int | None = None,
        role_id: str = "link-professional",
        kind: str = "role",
        valid_from: dt.date = VALID_FROM,
        valid_until: dt.date | None = None,
        courses: tuple[str, ...] = ("foundation-a", "foundation-b"),
        issue: bool = True,
        email: str | None = AUTO,
    ) -> dict[str, Any]:
        """Record a person (unless given), completions and an award; issue its credential."""
        from imatter.credentials.issue import issue_award_credential
        from imatter.store.schema import awards, completions

        if person_id is None:
            person_id = self.add_person(email=email)
        award_id = str(uuid.uuid4())
        with self.ws.store.write() as conn:
            ids = []
            for i, course in enumerate(courses):
                ids.append(
                    conn.execute(
                        completions.insert().values(
                            person_id=person_id,
                            course_id=course,
                            completed_on=dt.date(2026, 9, 10) + dt.timedelta(days=30 * i),
                            recorded_by="tester",
                            recorded_at=GRANTED,
                        )
                    ).inserted_primary_key[0]
                )
            conn.execute(
                awards.insert().values(
                    id=award_id,
                    person_id=person_id,
                    role_id=role_id,
                    kind=kind,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    granted_by="tester",
                    granted_at=GRANTED,
                    evidence=json.dumps(ids),
                )
            )
            row = issue_award_credential(self.ws, conn, award_id) if issue else None
        return {"award_id": award_id, "person_id": person_id, "row": row}

    def credential_path(self, row: dict[str, Any]) -> Path:
        return Path(self.ws.path) / row["file"]

    def verify(self, path: Path, *, now: dt.datetime = DURING):
        from imatter.credentials.registry import verify_file

        return verify_file(path, now=now, ws=self.ws)


def make_issuer(ws) -> Issuer:  # type: ignore[no-untyped-def]
    from imatter.credentials.settings import settings_for

    settings = settings_for(ws)
    settings.key_store().init(now=KEY_MADE)
    return Issuer(ws, settings)


@pytest.fixture
def issuer(ws) -> Issuer:  # type: ignore[no-untyped-def]
    """The workspace of the root `ws` fixture, with an issuer key."""
    return make_issuer(ws)


@pytest.fixture(scope="module")
def module_issuer(tmp_path_factory) -> Issuer:
    """A workspace with an issuer key and one issued credential, shared by a test module."""
    from imatter.workspace import init_workspace

    ws = init_workspace(tmp_path_factory.mktemp("credentials") / "ws", programme=PROGRAMME_FILE)
    return make_issuer(ws)


def rewrite(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """Apply `change(document)` to a credential file in place (pretty JSON, as issued)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
