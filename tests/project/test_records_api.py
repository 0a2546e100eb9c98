"""The records API returns frozen dataclasses, not dicts or database rows, and its functions
follow the calling convention in toolkit/imatter/README.md.

Walks the public functions of the records API modules and reads their return annotations: a
record (a person, a setting, a completion, an award, a group, a session, a grant...) comes back
as a frozen dataclass with slots, so callers write `person.name`, mypy checks it and `--json`
output is `dataclasses.asdict`. Documents that are JSON by nature stay dicts: they are listed
below, each with its reason, and nothing else may return one.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Iterator

# Packages walked whole, and single modules.
PACKAGES = ("imatter.records", "imatter.delivery", "imatter.services")
MODULES = ("imatter.trust.access.actors", "imatter.credentials.issue", "imatter.api")
# Single functions from modules that are not records API as a whole.
FUNCTIONS = ("imatter.trust.audit.recent",)

# JSON documents by nature: what `--json` prints as one document, not a record.
JSON_DOCUMENTS = {
    "imatter.api.person_status": "the `imatter status --json` document (roles, reasons, steps)",
    "imatter.api.eligible_for_role": "the `imatter eligible --json` document",
    "imatter.credentials.issue.build_credential": "an OpenBadgeCredential (JSON-LD)",
    "imatter.credentials.issue.email_identity": "a credential's IdentityObject (JSON-LD)",
}
# Loaders taking part in the caller's transaction (`conn` first) that hand database rows to the
# engine's facts builders and the bulk tables; they are not records handed to callers.
ROW_LOADERS = {
    "imatter.records.load.current_completions": "rows for facts and bulk columns",
    "imatter.records.load.current_awards": "rows for facts and bulk columns",
    "imatter.records.settings.require_setting": "a check inside a write; its row is read there",
    "imatter.delivery.licences.loading.held_roles": "award rows by person and role, inside a read",
}
ALLOWED = JSON_DOCUMENTS | ROW_LOADERS

# Names that say "untyped record": a dict of anything, a database row, or Any.
_ROWS = {"Row", "RowMapping", "LegacyRow"}
_DICTS = {"dict", "Dict", "Mapping", "MutableMapping"}
_CONTAINERS = {"list", "tuple", "set", "frozenset", "Sequence", "Iterator", "Iterable", "List"}


def _modules() -> Iterator[str]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield name
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            yield info.name
    yield from MODULES


def _public_functions() -> Iterator[tuple[str, object]]:
    for module_name in _modules():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ == module_name:
                yield f"{module_name}.{name}", value
    for dotted in FUNCTIONS:
        module_name, name = dotted.rsplit(".", 1)
        yield dotted, getattr(importlib.import_module(module_name), name)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return ""


def _untyped(node: ast.expr) -> str | None:
    """Why an annotation is an untyped record (None if it is fine)."""
    name = _name(node)
    if name in ("Any", "object") or name in _ROWS:
        return name
    if isinstance(node, ast.BinOp):  # X | None
        return _untyped(node.left) or _untyped(node.right)
    if name in _DICTS:
        if not isinstance(node, ast.Subscript):
            return "dict"
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        # A keyed lookup of typed values (dict[int, PersonRecords]) is fine; of Any is not.
        value = _untyped(args[-1]) if len(args) == 2 else "dict"
        return f"dict of {value}" if value else None
    if name in _CONTAINERS and isinstance(node, ast.Subscript):
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for arg in args:
            inner = _untyped(arg)
            if inner:
                return f"{name} of {inner}"
    return None


def _problem(function: object) -> str | None:
    annotation = getattr(function, "__annotations__", {}).get("return", inspect.Parameter.empty)
    if annotation is inspect.Parameter.empty:
        return "no return annotation"
    if not isinstance(annotation, str):
        annotation = getattr(annotation, "__name__", repr(annotation))
    return _untyped(ast.parse(annotation, mode="eval").body)


def test_records_api_returns_no_dicts_rows_or_any():
    found = {name: _problem(fn) for name, fn in _public_functions()}
    assert len(found) > 150, "the walk found too few functions: check PACKAGES and MODULES"
    wrong = {name: why for name, why in found.items() if why and name not in ALLOWED}
    assert wrong == {}, (
        "return a frozen dataclass (slots=True) instead, or list a JSON document in "
        f"JSON_DOCUMENTS with its reason: {wrong}"
    )


def test_the_allow_list_names_only_functions_that_need_it():
    found = {name: _problem(fn) for name, fn in _public_functions()}
    stale = sorted(name for name in ALLOWED if not found.get(name))
    assert stale == [], f"no longer return a dict, row or Any: drop them from the list: {stale}"


def _returned_dataclasses() -> Iterator[tuple[str, type]]:
    for name, function in _public_functions():
        module = inspect.getmodule(function)
        annotation = function.__annotations__.get("return")
        if not isinstance(annotation, str):
            continue
        for node in ast.walk(ast.parse(annotation, mode="eval")):
            if isinstance(node, ast.Name | ast.Attribute):
                value = getattr(module, _name(node), None)
                if isinstance(value, type) and dataclasses.is_dataclass(value):
                    yield name, value


# Types the records API hands on but does not own: the engine's facts and bulk columns.
ENGINE = "imatter.eligibility."


def test_records_are_frozen_dataclasses_with_slots():
    seen = {cls: name for name, cls in _returned_dataclasses()}
    assert len(seen) > 30
    loose = sorted(
        f"{name} -> {cls.__name__}"
        for cls, name in seen.items()
        if not cls.__module__.startswith(ENGINE)
        and not (cls.__dataclass_params__.frozen and "__slots__" in cls.__dict__)  # type: ignore[attr-defined]
    )
    assert loose == [], f"make these @dataclass(frozen=True, slots=True): {loose}"


SUBJECTS = ("store", "conn", "ws")


def test_functions_over_records_take_the_subject_first_then_keywords():
    """`store`/`conn`/`ws` first (then `programme`), at most three positional values that name
    the record (who, what, when), and everything else keyword-only."""
    wrong = {}
    for name, function in _public_functions():
        params = list(inspect.signature(function).parameters.values())
        names = [p.name for p in params]
        if not any(subject in names for subject in SUBJECTS):
            continue  # a pure helper: it works on the values it is given
        if names[0] not in SUBJECTS:
            wrong[name] = f"the subject comes first, not {names[0]}"
            continue
        positional = [p.name for p in params[1:] if p.kind is p.POSITIONAL_OR_KEYWORD]
        if positional[:1] == ["programme"]:
            positional = positional[1:]
        if len(positional) > 3:
            wrong[name] = f"make all but three of {positional} keyword-only"
    assert wrong == {}, wrong
