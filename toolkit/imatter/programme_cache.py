"""The parsed programme kept beside the workspace, keyed by the file's hash, so that a read
command does not parse and validate the same YAML every time.

The cache file is `<workspace>/cache/programme-<key>.pickle`, where the key is the SHA-256 of
the programme file's bytes, of the code that reads and builds a programme (`programme.py`,
`programme_parse.py`), of its schema and of the Python version: any change to any of them is a
miss. A tampered or damaged cache file is ignored, never trusted: it is read with an unpickler
that can make nothing but the programme's own frozen dataclasses, dates and paths (no other
class, no function call), and what it gives must be a `Programme`; otherwise the file is parsed
as usual.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import sys
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
def _code_digest() -> bytes:
    """What the parsed programme depends on besides the file: the code that reads and builds
    it, its schema and the Python version (read once per process)."""
    digest = hashlib.sha256(sys.version.encode())
    for part in (Path(_programme.__file__), Path(_programme.__file__).with_name(PARSER)):
        digest.update(part.read_bytes())
    digest.update((Path(__file__).with_name("schemas") / SCHEMA).read_bytes())
    return digest.digest()


def _key(raw: bytes) -> str:
    digest = hashlib.sha256(raw)
    digest.update(_code_digest())
    return digest.hexdigest()[:32]


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
    if isinstance(found, Programme):
        return dataclasses.replace(found, source=path)  # the same bytes may have moved
    programme = load_programme(path)
    _store(folder, target, programme)
    return programme


def _store(folder: Path, target: Path, programme: Programme) -> None:
    """Write the cache file atomically, removing older ones; a workspace that cannot be
    written to simply goes without."""
    try:
        folder.mkdir(exist_ok=True)
        for old in folder.glob("programme-*.pickle"):
            old.unlink(missing_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(programme, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, target)
    except OSError:
        pass
