"""One safe JSON loader for every JSON file that comes from outside (credentials, notebooks,
answers files): hostile files are refused with one line before they are parsed fully.

Refused: nesting deeper than `MAX_DEPTH` (Python's parser would hit its recursion limit),
a number with more than `MAX_DIGITS` digits (absurd, and slow to convert), a number too large
for a float (it would become infinity), NaN and Infinity (not JSON).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from .errors import ImatterError

MAX_DEPTH = 64
MAX_DIGITS = 100

_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_LONG_DIGITS = re.compile("[0-9]{" + str(MAX_DIGITS + 1) + ",}")


def _outside_strings(text: str) -> str:
    """The text with every JSON string left out (found with str.find: fast on big strings)."""
    parts, i = [], 0
    while True:
        start = text.find('"', i)
        if start < 0:
            parts.append(text[i:])
            return "".join(parts)
        parts.append(text[i:start])
        j = start + 1
        while True:
            end = text.find('"', j)
            if end < 0:  # an unterminated string: the parser says where
                return "".join(parts)
            slashes = end - 1
            while text[slashes] == "\\":
                slashes -= 1
            if (end - 1 - slashes) % 2 == 0:  # not escaped
                break
            j = end + 1
        i = end + 1


def hostile(text: str) -> str | None:
    """Why `text` must not be parsed (too deep, an absurd number), or None. Linear time."""
    if text.count("[") + text.count("{") <= MAX_DEPTH and not _LONG_DIGITS.search(text):
        return None  # cannot nest too deep, and no long number even inside strings
    bare = _outside_strings(text)
    if _LONG_DIGITS.search(bare):
        return f"a number with more than {MAX_DIGITS} digits"
    depth = 0
    for char in _NOT_BRACKET.sub("", bare):
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return f"more than {MAX_DEPTH} levels of nesting"
        else:
            depth -= 1
    return None


def refuse_hostile(
    text: str, *, source: str = "", error: type[ImatterError] = ImatterError
) -> None:
    """Raise `error` if `text` is too deeply nested or holds absurd numbers (for a reader that
    parses with its own messages)."""
    why = hostile(text)
    if why:
        where = f"{source}: " if source else ""
        raise error(f"{where}refused: the JSON has {why}")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:20]} is too large")
    return value


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


class _Refused(ValueError):
    pass


def loads(
    text: str | bytes,
    *,
    source: str = "",
    error: type[ImatterError] = ImatterError,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Parse JSON from outside; `error` (with `source` in front) says why a file is refused.

    Raises `error` for text that is not UTF-8, not JSON, too deeply nested or holding absurd
    numbers: one line, never a traceback.
    """
    where = f"{source}: " if source else ""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise error(f"{where}not valid JSON: not UTF-8 text ({err.reason})") from None
    refuse_hostile(text, source=source, error=error)
    try:
        return json.loads(
            text,
            object_pairs_hook=object_pairs_hook,
            parse_float=_finite,
            parse_constant=_no_constant,
        )
    except _Refused as err:
        raise error(f"{where}not valid JSON: {err}") from None
    except json.JSONDecodeError as err:
        raise error(
            f"{where}not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    except (RecursionError, ValueError) as err:  # a last guard: never a traceback
        raise error(
            f"{where}refused: the JSON cannot be read safely ({type(err).__name__})"
        ) from None
