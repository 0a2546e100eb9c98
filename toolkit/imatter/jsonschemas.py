"""The one way the toolkit checks JSON against the schemas it ships in `imatter/schemas/`.

Every file the toolkit reads or writes with a schema (credentials, person exports, answers
files, rubrics, course and session metadata) is checked here, with jsonschema's validator for
the draft each schema names (2020-12 by default). jsonschema is imported on first use, without
the optional `rfc3987_syntax` "iri" format grammar that would otherwise be most of its import
time (no schema here checks formats).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any


def _name(name: str) -> str:
    return name if name.endswith(".schema.json") else f"{name}.schema.json"


@cache
def _text(name: str) -> str:
    return (resources.files("imatter") / "schemas" / _name(name)).read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    """A fresh copy of the schema `name` (e.g. "course" or "course.schema.json")."""
    return json.loads(_text(name))


@cache
def validator(name: str) -> Any:
    """The validator for `name`, of the draft its `$schema` names (2020-12 by default)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import jsonschema

    schema = load(name)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def errors(name: str, document: Any) -> Iterator[Any]:
    """Every `jsonschema.ValidationError` of `document` against `name`, in document order."""
    yield from sorted(validator(name).iter_errors(document), key=lambda e: list(map(str, e.path)))


def best_error(name: str, document: Any) -> Any | None:
    """The single most relevant error (jsonschema's best_match), or None when valid."""
    checker = validator(name)  # first: it imports jsonschema without the "iri" grammar
    from jsonschema.exceptions import best_match

    return best_match(checker.iter_errors(document))


def where(error: Any, *, skip: int = 0) -> str:
    """Where an error is, as dotted fields ("credentialSubject.achievement"), or ""."""
    return ".".join(str(part) for part in list(error.absolute_path)[skip:])
