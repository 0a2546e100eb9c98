"""JSON-LD, offline: the shipped contexts, a document loader that never fetches, and the checks
that make sure every property of a credential is covered by its signature.

JSON-LD expansion silently drops a property whose term no context defines, and RDF
canonicalisation drops a triple whose IRI is relative. Such data would sit in a credential
unsigned, so `check_fully_defined` turns each of those cases into an `InvalidCredential`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from pyld import jsonld

from ..errors import InvalidCredential

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"

#: Expanding with this extra @vocab turns every undefined term into an IRI we can spot.
_UNDEFINED = "urn:imatter:undefined-term#"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_KEYWORD_FORM = re.compile(r"^@[A-Za-z]+$")
_KEYWORDS_ALLOWED = {"@context"}

DocumentLoader = Callable[..., dict[str, Any]]


@cache
def _index() -> dict[str, str]:
    folder = resources.files("imatter") / "data" / "contexts"
    data = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    return {url: entry["file"] for url, entry in data["contexts"].items()}


@cache
def _shipped(url: str) -> dict[str, Any]:
    folder = resources.files("imatter") / "data" / "contexts"
    return json.loads((folder / _index()[url]).read_text(encoding="utf-8"))


def shipped_contexts() -> dict[str, dict[str, Any]]:
    """Every context shipped in the package, by URL (copies: safe to change)."""
    return {url: copy.deepcopy(_shipped(url)) for url in _index()}


def make_loader(extra: Mapping[str, Any] | None = None) -> DocumentLoader:
    """A pyld document loader serving the shipped contexts (and `extra` documents) only.

    Any other URL raises: nothing is ever fetched over the network. The shipped contexts
    never change, so they are tagged "static": pyld then keeps each one processed across
    calls instead of processing it again for every credential (`extra` documents cannot
    replace them, and are never kept).
    """
    extra = dict(extra or {})
    if set(extra) & set(_index()):
        raise ValueError("extra documents cannot replace a shipped context")

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url in extra:
            document = copy.deepcopy(extra[url])
        elif url in _index():
            document = copy.deepcopy(_shipped(url))
            return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}
        else:
            raise jsonld.JsonLdError(
                f"the context {url} is not shipped with imatter (nothing is fetched)",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading document failed",
            )
        return {"contextUrl": None, "documentUrl": url, "document": document}

    return load


default_loader = make_loader()


def canonize(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> str:
    """The RDF Dataset Canonicalization (URDNA2015 / RDFC-1.0) of a document, as N-Quads."""
    try:
        return jsonld.normalize(
            dict(document),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": loader or default_loader,
                "base": "",
            },
        )
    except jsonld.JsonLdError as err:
        raise InvalidCredential(f"not valid JSON-LD: {_jsonld_reason(err)}") from None
    except Exception as err:  # pyld can fail on odd input with a plain Python error
        raise InvalidCredential(
            f"not valid JSON-LD: the processor could not read it ({type(err).__name__})"
        ) from None


def expand(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> list[Any]:
    """JSON-LD expansion with the offline loader."""
    try:
        return jsonld.expand(
            dict(document), {"documentLoader": loader or default_loader, "base": ""}
        )
    except jsonld.JsonLdError as err:
        raise InvalidCredential(f"not valid JSON-LD: {_jsonld_reason(err)}") from None
    except Exception as err:  # pyld can fail on odd input with a plain Python error
        raise InvalidCredential(
            f"not valid JSON-LD: the processor could not read it ({type(err).__name__})"
        ) from None


def _jsonld_reason(err: Exception) -> str:
    parts: list[str] = []
    current: Any = err
    while current is not None and len(parts) < 4:
        message = getattr(current, "message", None) or str(current).splitlines()[0]
        parts.append(str(message).strip())
        current = getattr(current, "cause", None)
    text = "; ".join(p for p in parts if p)
    return text or type(err).__name__


# ------------------------------------------------------------------ the "nothing unsigned" check
def loads_strict(text: str | bytes) -> Any:
    """Parse JSON, refusing duplicate keys, NaN and Infinity (each reader could differ)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise InvalidCredential(f"not valid JSON: the key '{key}' appears twice")
            result[key] = value
        return result

    from ..safejson import loads

    return loads(text, error=InvalidCredential, object_pairs_hook=pairs)


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every key of every object, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            yield path, key, item
            yield from _walk(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")


def check_fully_defined(
    document: Mapping[str, Any],
    *,
    contexts: list[str],
    loader: DocumentLoader | None = None,
) -> None:
    """Raise InvalidCredential unless every property and value of `document` is signed.

    The document must use exactly `contexts` (by URL), have no embedded contexts, no null
    values, no unknown `@` keywords, and every term and IRI must expand to an absolute IRI.
    """
    if document.get("@context") != contexts:
        raise InvalidCredential(
            "not an Open Badges 3.0 credential: @context must be exactly "
            + ", ".join(contexts)
            + f" (found {json.dumps(document.get('@context'))})"
        )
    for path, key, value in _walk(dict(document), ""):
        if key.startswith("@") and not (key in _KEYWORDS_ALLOWED and path == ""):
            raise InvalidCredential(
                f"undefined property: '{key}' at {path or 'the top level'} is not allowed in a "
                "credential"
            )
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and _KEYWORD_FORM.match(item):
                raise InvalidCredential(
                    f"undefined property: the value '{item}' at {path + '.' if path else ''}"
                    f"{key} has the form of a JSON-LD keyword, which JSON-LD drops unsigned"
                )
    probe = dict(document)
    probe["@context"] = [*contexts, {"@vocab": _UNDEFINED}]
    expanded = expand(probe, loader)
    problem = _first_unsigned(expanded)
    if problem:
        what, value = problem
        where = _locate(document, what, value)
        if what == "term":
            raise InvalidCredential(
                f"undefined property: '{value}' at {where} is not defined by the credential's "
                "JSON-LD contexts, so it would not be signed"
            )
        if what == "type":
            raise InvalidCredential(
                f"undefined property: the type '{value}' at {where} is not defined by the "
                "credential's JSON-LD contexts, so it would not be signed"
            )
        raise InvalidCredential(
            f"undefined property: '{value}' at {where} is not an absolute IRI, so it would "
            "not be signed"
        )
    for path, key, value in _walk(dict(document), ""):
        if value is None:
            raise InvalidCredential(
                f"undefined property: '{key}' at {path or 'the top level'} is null, which "
                "JSON-LD drops unsigned"
            )


def _locate(document: Mapping[str, Any], what: str, value: str) -> str:
    """The JSON path (in the document as written) of an undefined term, type or IRI."""
    for path, key, item in _walk(dict(document), ""):
        here = f"{path}.{key}" if path else key
        if what == "term" and key == value:
            return path or "the top level"
        types = item if isinstance(item, list) else [item]
        if what == "type" and key == "type" and value in types:
            return here
        if what == "iri" and item == value:
            return here
    return "an unknown place"


def _first_unsigned(node: Any) -> tuple[str, str] | None:
    """The first undefined term, undefined type or relative IRI in an expanded document."""
    if isinstance(node, list):
        for item in node:
            found = _first_unsigned(item)
            if found:
                return found
        return None
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if key.startswith(_UNDEFINED):
            return "term", key[len(_UNDEFINED) :]
        if key == "@type":
            for t in value if isinstance(value, list) else [value]:
                found = _check_iri(t, "type")
                if found:
                    return found
        elif key == "@id":
            found = _check_iri(value, "iri")
            if found:
                return found
        elif key != "@value":
            found = _first_unsigned(value)
            if found:
                return found
    return None


def _check_iri(value: Any, what: str) -> tuple[str, str] | None:
    if not isinstance(value, str) or value.startswith("_:"):
        return None
    if value.startswith(_UNDEFINED):
        return "type", value[len(_UNDEFINED) :]
    if not _ABSOLUTE_IRI.match(value):
        return what, value
    return None
