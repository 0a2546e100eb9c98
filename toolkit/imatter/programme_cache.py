"""The parsed programme kept beside the workspace, keyed by the file's hash, so that a read
command does not parse and validate the same YAML every time.

The cache file is `<workspace>/cache/programme-<key>.pickle`, where the key is the SHA-256 of
the programme file's bytes and path, of the code that builds a programme (`programme.py`,
`programme_yaml.py`) and of the Python version: any change to any of them is a miss. A
tampered or damaged cache file is ignored, never trusted: it is read with an unpickler that can
make nothing but the programme's own frozen dataclasses, dates and paths (no other class, no
function call), and what it gives must be a `Programme`; otherwise the file is parsed as usual.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from pathlib import Path

from . import programme as _programme
from .programme import Programme, default_programme_path, load_programme

CACHE_FOLDER = "cache"
# Dates, and the programme's `source` (a path: the path is part of the key, see `_key`).
_ALLOWED = {"datetime": {"date", "datetime"}, "pathlib": {"PosixPath", "WindowsPath"}}


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


def _key(raw: bytes, path: Path) -> str:
    digest = hashlib.sha256(raw)
    digest.update(Path(_programme.__file__).read_bytes())
    digest.update(Path(_programme.__file__).with_name("programme_yaml.py").read_bytes())
    digest.update(sys.version.encode())
    digest.update(str(path).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def cached_programme(path: str | Path | None, workspace: Path) -> Programme:
    """`load_programme(path)`, through the cache under `workspace` when it holds this file."""
    path = Path(path) if path is not None else default_programme_path()
    try:
        raw = path.read_bytes()
    except (OSError, ValueError):
        return load_programme(path)  # which says what is wrong with the file
    folder = workspace / CACHE_FOLDER
    target = folder / f"programme-{_key(raw, path)}.pickle"
    try:
        found = _ProgrammeUnpickler(io.BytesIO(target.read_bytes())).load()
    except Exception:  # missing, damaged or tampered: parse the file instead
        found = None
    if isinstance(found, Programme):
        return found
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
