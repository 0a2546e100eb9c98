"""The parsed programme kept beside the workspace, keyed by the file's hash, so that a read
command does not parse and validate the same YAML every time.

The cache file is `<workspace>/cache/programme-<key>.pickle`, where the key is the CRC-32 of
the programme file's bytes and of what reading it depends on: the code that reads and builds a
programme (`programme.py`, `programme_parse.py`), its schema and the Python version. The cache
file holds those bytes too, and is used only when they are all exactly the bytes of now: any
change to any of them is a miss (no hash collision can pass for a hit, and no cryptographic
hash is needed, which keeps `hashlib` off the read commands' start-up).
A tampered or damaged cache file is ignored, never trusted: it is read with an unpickler
that can make nothing but the programme's own frozen dataclasses, dates and paths (no other
class, no function call), and what it gives must be a `Programme`; otherwise the file is parsed
as usual.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import sys
import zlib
from functools import cache
from pathlib import Path

from . import programme as _programme
from .programme import Programme, default_programme_path, load_programme

CACHE_FOLDER = "cache"
PARSER = "programme_parse.py"
SCHEMA = "programme.schema.json"
_PATHS = {"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"}
_ALLOWED = {"datetime": {"date", "datetime"}, "pathlib": _PATHS, "pathlib._local": _PATHS}


class _ProgrammeUnpickler(pickle.Unpickler):
    """Makes only `imatter.programme` classes and dates: nothing a tampered file could abuse."""

    def find_class(self, module: str, name: str) -> type:
        if module == _programme.__name__:
            found = getattr(_programme, name, None)
            if isinstance(found, type) and found.__module__ == module:
                return found
        elif name in _ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a programme cache")


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
    target = folder / f"programme-{_key(raw)}.pickle"
    try:
        found = _ProgrammeUnpickler(io.BytesIO(target.read_bytes())).load()
    except Exception:  # missing, damaged or tampered: parse the file instead
        found = None
    if (
        isinstance(found, tuple)
        and len(found) == 3
        and found[0] == raw
        and found[1] == _code()
        and isinstance(found[2], Programme)
    ):
        return dataclasses.replace(found[2], source=path)  # the same bytes may have moved
    programme = load_programme(path)
    _store(folder, target, (raw, _code(), programme))
    return programme


def _store(folder: Path, target: Path, record: tuple[bytes, bytes, Programme]) -> None:
    """Write the cache file atomically, removing older ones; a workspace that cannot be
    written to simply goes without."""
    try:
        folder.mkdir(exist_ok=True)
        for old in folder.glob("programme-*.pickle"):
            old.unlink(missing_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, target)
    except OSError:
        pass
