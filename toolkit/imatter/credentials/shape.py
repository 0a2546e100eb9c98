"""The JSON shape of an imatter credential, checked against `schemas/openbadge-credential`.

Why this is needed beside the signature: the eddsa-rdfc-2022 proof signs the RDF graph, not the
JSON text, and the Open Badges context maps some different keys to one IRI (`criteria` and
`Criteria` both expand to `.../vocab.html#Criteria`). Renaming such a key leaves the signature
valid, so the JSON itself is held to the exact shape imatter issues.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import jsonschemas
from ..errors import InvalidCredential

SCHEMA = "openbadge-credential.schema.json"


@cache
def _schema() -> dict[str, Any]:
    return jsonschemas.load(SCHEMA)


def check_shape(document: Any) -> None:
    """Raise InvalidCredential unless `document` has exactly the shape imatter issues."""
    error = jsonschemas.best_error(SCHEMA, document)
    if error is None:
        return
    extra = _first_unexpected(document, _schema(), "")
    if extra:
        key, where = extra
        raise InvalidCredential(
            f"undefined property: '{key}' at {where or 'the top level'} is not part of an "
            "Open Badges credential as imatter issues it"
        )
    where = jsonschemas.where(error) or "the top level"
    raise InvalidCredential(f"not an Open Badges 3.0 credential: {where}: {error.message}")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = _schema()
        for part in node["$ref"].split("#", 1)[1].strip("/").split("/"):
            target = target[part]
        node = target
    return node


def _first_unexpected(value: Any, schema: dict[str, Any], path: str) -> tuple[str, str] | None:
    """The first key not allowed by the schema, following objects and arrays."""
    schema = _resolve(schema)
    if isinstance(value, dict) and "properties" in schema:
        allowed = schema["properties"]
        for key, item in value.items():
            if key not in allowed:
                if schema.get("additionalProperties") is False:
                    return key, path
                continue
            found = _first_unexpected(item, allowed[key], f"{path}.{key}" if path else key)
            if found:
                return found
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found = _first_unexpected(item, schema["items"], f"{path}[{i}]")
            if found:
                return found
    return None
