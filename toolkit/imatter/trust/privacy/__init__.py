"""A person's rights over their records: export everything held about them, or erase it.

- `coverage`: the declared map of every column that refers to a person, with how each is
  exported and erased (a test holds it to the real schema);
- `matching`: finding a name, email or sign-in identity in text (whole word, any case);
- `rows`: the rows that refer to a person, found through the map;
- `export`: `export_person` writes them as a zip of JSON and CSV with a README;
- `erase`: `erase_person` makes the record pseudonymous in one transaction.
"""

from __future__ import annotations

from typing import Any

from .coverage import COVERAGE, Covered, Erase, Export, Match, coverage_rows
from .erase import ErasureSummary, erase_person
from .export import export_person
from .rows import describe_person


def authorise(conn: Any, action: str, person_id: int, ref: str | int) -> None:
    """The access guard, called first inside each use case's transaction.

    A person the actor may not read is reported as not found (as `imatter.trust.access` does
    everywhere); otherwise the actor needs `action` (privacy.export, privacy.erase) for them.
    """
    from ..access import require, require_visible

    require_visible(conn, person_id, ref)
    require(conn, action, person=person_id)


__all__ = [
    "COVERAGE",
    "Covered",
    "Erase",
    "ErasureSummary",
    "Export",
    "Match",
    "authorise",
    "coverage_rows",
    "describe_person",
    "erase_person",
    "export_person",
]
