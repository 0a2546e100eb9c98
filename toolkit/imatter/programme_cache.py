"""The parsed programme kept beside the workspace, keyed by the file's hash, so that a read
command does not parse and validate the same YAML every time.

The cache file is `<workspace>/cache/programme-<key>.marshal`, where the key is the CRC-32 of
the programme file's bytes and of what reading it depends on: the code that reads and builds a
programme (`programme.py`, `programme_parse.py`), its schema and the Python version. The cache
file holds those bytes too, and is used only when they are all exactly the bytes of now: any
change to any of them is a miss (no hash collision can pass for a hit, and no cryptographic
hash is needed, which keeps `hashlib` off the read commands' start-up).
The programme is written as plain data (`marshal`: tuples, dicts, text and numbers, no code
run on reading) and made again from it by `_decode`, which builds nothing but the programme's
own frozen dataclasses, dates and paths. A tampered or damaged cache file is ignored, never
trusted: anything else in it, or a result that is not a `Programme`, and the file is parsed as
usual. (Not `pickle`: its import alone cost each read command 7M instructions.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import marshal
import os
import sys
import zlib
from functools import cache
from pathlib import Path, PurePath
from typing import Any

from . import programme as _programme
from .programme import Programme, default_programme_path, load_programme

CACHE_FOLDER = "cache"
PARSER = "programme_parse.py"
SCHEMA = "programme.schema.json"
_SCALARS = (str, int, float, bool, type(None))
# The classes a cached programme may hold: the programme's own frozen dataclasses, by name.
_CLASSES = {
    name: kind
    for name, kind in vars(_programme).items()
    if isinstance(kind, type)
    and dataclasses.is_dataclass(kind)
    and kind.__module__ == _programme.__name__
}


def _encode(value: Any) -> Any:
    """Plain data for `marshal`: every tuple is tagged, so a value's kind is never guessed."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple:
        return ("t", tuple(_encode(v) for v in value))
    if kind is dict:
        return ("m", {k: _encode(v) for k, v in value.items()})
    if kind is dt.date:
        return ("d", value.toordinal())
    if isinstance(value, PurePath):
        return ("p", str(value))
    if _CLASSES.get(kind.__name__) is kind:
        fields = dataclasses.fields(value)
        return ("c", kind.__name__, tuple(_encode(getattr(value, f.name)) for f in fields))
    raise TypeError(f"a programme does not hold a {kind.__name__}")


def _decode(data: Any) -> Any:
    """The value `_encode` gave `data` for; ValueError for anything else."""
    if type(data) in _SCALARS:
        return data
    if type(data) is not tuple or not data:
        raise ValueError("not a programme cache")
    tag = data[0]
    if tag == "t":
        return tuple(_decode(v) for v in data[1])
    if tag == "m":
        return {k: _decode(v) for k, v in data[1].items()}
    if tag == "d":
        return dt.date.fromordinal(data[1])
    if tag == "p":
        return Path(data[1])
    if tag == "c" and data[1] in _CLASSES:
        return _CLASSES[data[1]](*(_decode(v) for v in data[2]))
    raise ValueError("not a programme cache")


@cache
def _code() -> bytes:
    """What the parsed programme depends on besides the file: the code that reads and builds
    it, its schema and the Python version (read once per process)."""
    parts = [sys.version.encode()]
    for part in (Path(_programme.__file__), Path(_programme.__file__).with_name(PARSER)):
        parts.append(part.read_bytes())
    parts.append((Path(__file__).with_name("schemas") / SCHEMA).read_bytes())
    return b"\0".join(parts)


def _key(raw: bytes) -> str:
    return f"{zlib.crc32(_code(), zlib.crc32(raw)):08x}"


def cached_programme(path: str | Path | None, workspace: Path) -> Programme:
    """`load_programme(path)`, through the cache under `workspace` when it holds this file."""
    path = Path(path) if path is not None else default_programme_path()
    try:
        raw = path.read_bytes()
    except (OSError, ValueError):
        return load_programme(path)  # which says what is wrong with the file
    folder = workspace / CACHE_FOLDER
    target = folder / f"programme-{_key(raw)}.marshal"
    try:
        found_raw, found_code, found = marshal.loads(target.read_bytes())
        if found_raw == raw and found_code == _code():
            programme = _decode(found)
            if isinstance(programme, Programme):
                return dataclasses.replace(programme, source=path)  # the bytes may have moved
    except Exception:  # missing, damaged or tampered: parse the file instead
        pass
    programme = load_programme(path)
    _store(folder, target, (raw, _code(), _encode(programme)))
    return programme


def _store(folder: Path, target: Path, record: tuple[bytes, bytes, Any]) -> None:
    """Write the cache file atomically, removing older ones; a workspace that cannot be
    written to simply goes without."""
    try:
        folder.mkdir(exist_ok=True)
        for old in [*folder.glob("programme-*.marshal"), *folder.glob("programme-*.pickle")]:
            old.unlink(missing_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(record))
        os.replace(partial, target)
    except OSError:
        pass
