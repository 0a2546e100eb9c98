"""The one way the toolkit checks JSON against the schemas it ships in `imatter/schemas/`.

Every file the toolkit reads or writes with a schema (credentials, person exports, answers
files, rubrics, course and session metadata) is checked here, with jsonschema's validator for
the draft each schema names (2020-12 by default). jsonschema is imported on first use, without
its optional format checkers (the `rfc3987_syntax` "iri" grammar, arrow...) that would otherwise
be most of its import time (no schema here checks formats).
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


#: Modules jsonschema imports, if they are installed, only to check `format`s (which no schema
#: here uses): about half of its import time, most of it `rfc3987_syntax`'s grammar and arrow.
FORMAT_MODULES = (
    "rfc3987_syntax",
    "rfc3987",
    "rfc3986_validator",
    "rfc3339_validator",
    "isoduration",
    "uri_template",
    "jsonpointer",
    "webcolors",
    "fqdn",
    "idna",
)


def _import_jsonschema() -> Any:
    """jsonschema, imported without its optional format checkers; the modules it skipped stay
    importable by anything else (only jsonschema's own import is spared them)."""
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    blocked = [name for name in FORMAT_MODULES if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import jsonschema
    finally:
        for name in blocked:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    return jsonschema


@cache
def validator(name: str) -> Any:
    """The validator for `name`, of the draft its `$schema` names (2020-12 by default)."""
    jsonschema = _import_jsonschema()

    schema = load(name)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def errors(name: str, document: Any) -> Iterator[Any]:
    """Every `jsonschema.ValidationError` of `document` against `name`, in document order."""
    yield from sorted(validator(name).iter_errors(document), key=lambda e: list(map(str, e.path)))


def best_error(name: str, document: Any) -> Any | None:
    """The single most relevant error (jsonschema's best_match), or None when valid."""
    from jsonschema.exceptions import best_match

    return best_match(validator(name).iter_errors(document))


def where(error: Any, *, skip: int = 0) -> str:
    """Where an error is, as dotted fields ("credentialSubject.achievement"), or ""."""
    return ".".join(str(part) for part in list(error.absolute_path)[skip:])
