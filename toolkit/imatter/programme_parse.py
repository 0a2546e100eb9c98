"""The one parser of `programme.yml`, used by the loader (`imatter.programme`) and by
`imatter module lint`, so that both report a mistake with the same words and the same line.

Reading goes in three steps, each of which names the file's line:

1. the YAML is read with libyaml (`yamlfile.load`) into dicts and lists that remember the line
   of every key and item;
2. the tree is checked against `imatter/schemas/programme.schema.json` through
   `imatter.jsonschemas`; each error is mapped back to the YAML line of the failing path and
   worded for a person (the schema's `x-messages` give the wording per keyword);
3. what a schema cannot say is checked here: an id that names no course, role or position,
   a dependency cycle, membership bands that do not rise, a date not in the calendar.

Every problem is gathered (lint lists them all); the loader raises the first as one
`ProgrammeError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ProgrammeError
from .yamlfile import YAML_FAILURES, FastSafeLoader, read_text
from .yamlfile import load as load_yaml
from .yamlfile import problem as yaml_problem

SCHEMA = "programme"
MISSING = "this field is missing; add it"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a programme file: where (line, dotted field), what, and a hint."""

    line: int | None
    where: str
    message: str
    code: str = "programme"  # lint's finding code
    hint: str = ""

    def text(self, path: Path | str) -> str:
        """The one-line message: `FILE:LINE: field: problem` (as every tool prints it)."""
        at = f"{path}:{self.line}" if self.line is not None else f"{path}"
        return f"{at}: {self.where}: {self.message}" if self.where else f"{at}: {self.message}"


@dataclass(frozen=True)
class Parsed:
    """The file's tree (None when it could not be read as YAML) and every problem found."""

    path: Path
    data: Any
    problems: tuple[Problem, ...]


# ---------------------------------------------------------------- YAML with line numbers
class LineDict(dict):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A list that remembers its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _Loader(FastSafeLoader):
    pass


class _ExactLoader(yaml.SafeLoader):
    """The pure-Python loader with the same constructors: its errors name the right line."""


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{value}' (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"'{value}'"


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict | set):
            raise yaml.constructor.ConstructorError(
                None, None, f"a key cannot be {_kind(key)}; use a name", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> str:
    """A date stays the text as written: the schema checks its shape, `_dates` the calendar."""
    return str(node.value)


for _loader in (_Loader, _ExactLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


# ---------------------------------------------------------------- reading
def parse(path: Path | str) -> Parsed:
    """Read and check the programme file at `path`: its tree and every problem, in line order.

    A file that cannot be read (missing, not UTF-8, not YAML) gives one problem and no tree.
    """
    path = Path(path)
    try:
        text = read_text(path, ProgrammeError)
    except FileNotFoundError:
        return Parsed(
            path, None, (Problem(None, "", "programme file not found; pass --programme FILE"),)
        )
    except IsADirectoryError:
        return Parsed(path, None, (Problem(None, "", "is a folder, not a programme file"),))
    except OSError as err:
        return Parsed(
            path, None, (Problem(None, "", f"cannot read the programme file ({err.strerror})"),)
        )
    except ProgrammeError as err:  # not UTF-8, or a NUL in the name: already one line
        return Parsed(path, None, (_from_message(path, err.message),))
    try:
        data = load_yaml(text, _Loader, _ExactLoader)
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        return Parsed(path, None, (Problem(line, "", f"not valid YAML: {problem}"),))
    return Parsed(path, data, tuple(check(data)))


def _from_message(path: Path, message: str) -> Problem:
    """A Problem from a `FILE:LINE: problem` message made by `yamlfile.read_text`."""
    prefix = f"{path}:"
    rest = message[len(prefix) :] if message.startswith(prefix) else message
    match = re.match(r"^(\d+): (.*)$", rest)
    if match:
        return Problem(int(match.group(1)), "", match.group(2))
    return Problem(None, "", rest.lstrip(": ") if message.startswith(prefix) else message)


def check(data: Any) -> list[Problem]:
    """Every problem with the tree `data`: the schema's first; when the shape is right, the
    references, cycles, bands and dates."""
    try:
        infinite = _non_finite(data, data)  # said first: .inf is also "more than 0" to a schema
        spots = {p.where for p in infinite}
        found = infinite + [p for p in _schema_problems(data) if p.where not in spots]
        if not found:
            found = list(_meaning_problems(data))
    except RecursionError:  # anchors and aliases can nest a tree deeper than it reads
        return [Problem(1, "", "lists or mappings nested too deeply to read")]
    unique = {(p.line, p.where, p.message): p for p in found}
    # By line, a missing field after the rest: a misspelt one (reported first) often explains it.
    return sorted(unique.values(), key=lambda p: (p.message == MISSING, p.line or 0))


# ---------------------------------------------------------------- the schema, line-mapped
def _schema_problems(data: Any) -> list[Problem]:
    from . import jsonschemas

    return [
        p for error in jsonschemas.validator(SCHEMA).iter_errors(data) for p in _worded(error, data)
    ]


def where_and_line(data: Any, path: list[Any]) -> tuple[str, int]:
    """The dotted field (`courses.awareness.hours`, `roles.x.requires.all[2]`) and the YAML
    line of `path` in `data` (the line of its key or item; the file's first line for the top)."""
    parts: list[str] = []
    line = getattr(data, "line", 1) or 1
    node = data
    for part in path:
        if isinstance(node, list):
            parts.append(f"[{part}]")
            lines = getattr(node, "item_lines", [])
            line = lines[part] if isinstance(part, int) and part < len(lines) else line
            node = node[part] if isinstance(part, int) and part < len(node) else None
        else:
            parts.append(f".{part}" if parts else str(part))
            line = getattr(node, "key_lines", {}).get(str(part), line)
            node = node.get(part) if isinstance(node, dict) else None
    return "".join(parts), line


_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


def _worded(error: Any, data: Any) -> Iterator[Problem]:
    """The problems one jsonschema error stands for, worded and placed on their line."""
    path = list(error.absolute_path)
    where, line = where_and_line(data, path)
    instance = error.instance
    keyword = error.validator
    own = (
        error.schema.get("x-messages", {}).get(keyword) if isinstance(error.schema, dict) else None
    )

    def at(field: str, message: str, line: int = line) -> Problem:
        return Problem(line, f"{where}.{field}" if where else field, message)

    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        for key in instance:
            if key not in known:
                field_line = getattr(instance, "key_lines", {}).get(str(key), line)
                message = own or f"unknown field; expected one of: {', '.join(sorted(known))}"
                yield at(str(key), message, field_line)
        return
    if keyword == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield at(key, MISSING, getattr(instance, "line", line))
        return
    if own:
        message = own.format(value=instance, kind=_kind(instance))
    elif keyword == "type":
        kinds = (
            error.validator_value
            if isinstance(error.validator_value, list)
            else [error.validator_value]
        )
        wanted = " or ".join(_TYPE_NAMES.get(k, str(k)) for k in kinds if k != "null")
        message = f"expected {wanted}, got {_kind(instance)}"
    elif keyword == "enum":
        choices = ", ".join(str(c) for c in error.validator_value if c is not None)
        message = f"{_kind(instance)} is not one of: {choices}"
    elif keyword == "const":
        message = f"expected {error.validator_value}, got {_kind(instance)}"
    elif keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "exclusiveMinimum": "more than",
            "maximum": "at most",
            "exclusiveMaximum": "less than",
        }
        message = f"must be {words[keyword]} {error.validator_value}"
    elif keyword == "minItems":
        message = f"add at least {error.validator_value} item(s)"
    else:  # a keyword the schema does not use today
        message = error.message
    yield Problem(line, where or "programme", message)


def _non_finite(root: Any, node: Any, path: tuple[Any, ...] = ()) -> list[Problem]:
    """A number that is not finite (.inf, .nan, 1e400): the schema lets them through."""
    if isinstance(node, float) and not math.isfinite(node):
        where, line = where_and_line(root, list(path))
        return [Problem(line, where, f"expected a finite number, got {node}")]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _non_finite(root, v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _non_finite(root, v, (*path, i))]
    return []


# ---------------------------------------------------------------- what a schema cannot say
def as_date(text: str) -> dt.date:
    """The date a YAML timestamp names (the time of day, if any, is dropped); ValueError when
    it is not one (the schema checks the shape, this the calendar)."""
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", str(text))
    if not match:
        raise ValueError(text)
    return dt.date(*(int(part) for part in match.groups()))


def _meaning_problems(top: Any) -> Iterator[Problem]:
    def at(path: list[Any], message: str, **extra: str) -> Problem:
        where, line = where_and_line(top, path)
        return Problem(line, where, message, **extra)

    # Dates in the calendar.
    dated = [["effective_from"], ["earliest_date"]] + [
        ["courses", cid, "earliest_date"] for cid in top["courses"]
    ]
    for path in dated:
        node = top
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            try:
                as_date(node)
            except ValueError:
                yield at(path, f"'{node}' is not a date; write YYYY-MM-DD")

    courses: Mapping[Any, Any] = top["courses"]
    roles: Mapping[Any, Any] = top["roles"]
    course_ids = [str(c) for c in courses]

    # Prerequisites name courses, with no cycle.
    edges: dict[str, tuple[str, ...]] = {}
    for cid, body in courses.items():
        prereqs = body.get("prerequisites") or []
        edges[str(cid)] = tuple(prereqs)
        for i, pre in enumerate(prereqs):
            if pre not in course_ids:
                close = difflib.get_close_matches(pre, course_ids, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                yield at(
                    ["courses", cid, "prerequisites", i],
                    f"unknown course '{pre}'",
                    code="prerequisite",
                    hint=f"{hint}correct the id, or add course '{pre}' under courses: "
                    "in programme.yml",
                )
    yield from _cycles(
        top, "courses", {k: tuple(p for p in v if p in course_ids) for k, v in edges.items()}
    )

    # Roles name known courses, roles and positions.
    role_edges: dict[str, tuple[str, ...]] = {}
    for rid, body in roles.items():
        for i, cid in enumerate(body.get("recommended") or []):
            if cid not in course_ids:
                yield at(["roles", rid, "recommended", i], f"unknown course '{cid}'")
        named: list[str] = []
        yield from _requirement(top, ["roles", rid, "requires"], body["requires"], named)
        role_edges[str(rid)] = tuple(n for n in named if n in roles)
    yield from _cycles(top, "roles", role_edges)

    trainer = top.get("trainer_led")
    if trainer is not None and trainer["recorded_by_role"] not in roles:
        yield at(
            ["trainer_led", "recorded_by_role"], f"unknown role '{trainer['recorded_by_role']}'"
        )

    licence = top["school_licence"]
    for i, rid in enumerate(licence["senior_support"]):
        if rid not in roles:
            yield at(["school_licence", "senior_support", i], f"unknown role '{rid}'")
    for i, cid in enumerate(licence["trained_staff"]["courses"]):
        if cid not in course_ids:
            yield at(["school_licence", "trained_staff", "courses", i], f"unknown course '{cid}'")

    bands = top["membership"]["bands"]
    previous = -1
    for i, band in enumerate(bands):
        up_to = band.get("up_to")
        if up_to is not None and up_to <= previous:
            yield at(
                ["membership", "bands", i, "up_to"], "bands must rise: each up_to above the last"
            )
        if up_to is None and i != len(bands) - 1:
            yield at(
                ["membership", "bands", i, "up_to"], "only the last band may be open (up_to: null)"
            )
        previous = up_to if up_to is not None else previous


def _requirement(top: Any, path: list[Any], node: Any, named: list[str]) -> Iterator[Problem]:
    """Problems with the ids one requirement (and those inside it) names; the roles it names
    (holds, held) are added to `named` for the cycle check."""
    ((kind, value),) = node.items()
    here = [*path, kind]
    if kind in ("all", "any"):
        for i, part in enumerate(value):
            yield from _requirement(top, [*here, i], part, named)
        return
    if kind in ("setting", "cases"):
        return
    if kind == "held":
        value, here = value["role"], [*here, "role"]
    what = "course" if kind == "completed" else "position" if kind == "position" else "role"
    known = top["courses" if what == "course" else "positions" if what == "position" else "roles"]
    values = value if isinstance(value, list) else [value]
    for i, item in enumerate(values):
        if kind in ("holds", "held"):
            named.append(item)
        if item not in known:
            spot = [*here, i] if isinstance(value, list) else here
            where, line = where_and_line(top, spot)
            yield Problem(line, where, f"unknown {what} '{item}'")


def _cycles(top: Any, what: str, edges: Mapping[str, tuple[str, ...]]) -> Iterator[Problem]:
    state: dict[str, int] = {}
    found: list[Problem] = []

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " -> ".join([*trail[trail.index(node) :], node])
            where, line = where_and_line(top, [what, node])
            found.append(Problem(line, where, f"depends on itself: {cycle}"))
            return
        state[node] = 1
        for nxt in edges.get(node, ()):
            visit(nxt, [*trail, node])
        state[node] = 2

    for node in edges:
        visit(node, [])
    yield from found[:1]  # one cycle is enough to say: the others usually share it


def raise_first(parsed: Parsed) -> None:
    """Raise the first problem of `parsed` as one `ProgrammeError` (nothing when it is clean)."""
    if parsed.problems:
        raise ProgrammeError(parsed.problems[0].text(parsed.path))
