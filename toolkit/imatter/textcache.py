"""Small parsed files (workspace.yml, permissions.yml) kept parsed beside the workspace, so that a
read command does not import and run a YAML parser to read a few lines.

A cache file `<workspace>/cache/<name>.marshal` holds the text it was parsed from and the parsed
value (plain data only: dicts, lists, tuples, sets, text and numbers). It is used only when
that text equals the file's text now, so an edited file is parsed again; a damaged, foreign or
unreadable cache file is ignored, and a workspace that cannot be written to goes without.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

_PLAIN = (dict, list, tuple, set, frozenset, str, int, float, bool, type(None))


_CONTAINERS = (list, tuple, set, frozenset)


def _plain(value: Any) -> bool:
    """Only plain data, however deep (walked with a stack: this runs on every read command)."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            pending.extend(item)
            pending.extend(item.values())
        elif kind in _CONTAINERS:
            pending.extend(item)
        elif kind not in _PLAIN:
            return False
    return True


def cached(folder: Path | None, name: str, text: str) -> Any | None:
    """The value stored for exactly this `text` (None when there is none)."""
    if folder is None:
        return None
    try:
        found = marshal.loads((folder / f"{name}.marshal").read_bytes())
    except Exception:  # missing or damaged: parse the file instead
        return None
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == text):
        return None
    return found[1] if _plain(found[1]) else None


def store(folder: Path | None, name: str, text: str, value: Any) -> None:
    """Keep `value` parsed from `text` (written atomically; plain data only)."""
    if folder is None or not _plain(value):
        return
    try:
        folder.mkdir(exist_ok=True)
        target = folder / f"{name}.marshal"
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps((text, value)))
        os.replace(partial, target)
    except OSError:
        pass
