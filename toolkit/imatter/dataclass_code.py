"""The methods `dataclasses` writes for imatter's records, compiled once and kept like bytecode.

For each dataclass, `dataclasses` writes `__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__` and `__delattr__` as source text and compiles it with `exec()` when the class is
made: about half a millisecond a class here, a quarter of a read command's start-up
(`benchmarks/startup.py`). `install()` gives the `dataclasses` module an `exec` that first looks
the text up in a table of code objects kept from earlier runs, and compiles only what is new.

- Only classes in imatter's own modules use the table; every other dataclass is made as usual.
- A code object is used only for the very text it was compiled from (the text is the key), so
  a stale table can make a start slower but never change what a class does.
- There is one table a module, so a command reads only the tables of the modules it imports.
  They live where Python keeps this package's bytecode (so `PYTHONPYCACHEPREFIX` and
  `PYTHONDONTWRITEBYTECODE` apply), in a folder named by the interpreter's cache tag, and are
  checked against its bytecode magic number: they are trusted as the `.pyc` files beside them
  are. A table that cannot be read is ignored; one that cannot be written (a read-only
  install) is simply not kept.
"""

from __future__ import annotations

import atexit
import dataclasses
import marshal
import os
import sys
from functools import cache
from importlib.util import MAGIC_NUMBER, cache_from_source
from pathlib import Path
from types import CodeType
from typing import Any

MAX_ENTRIES = 1000  # a module's table starts afresh past this: old texts pile up as code changes


@cache
def table_folder() -> Path:
    """Where the tables are kept (one a module): beside this module's bytecode, as Python would
    place it."""
    return Path(cache_from_source(__file__)).with_name(
        f"dataclass-methods.{sys.implementation.cache_tag}"
    )


class _Table:
    """One module's code objects by their source text, read when the module makes its first
    dataclass and written back at exit if anything was added."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.codes: dict[str, CodeType] = {}
        self.added = 0
        try:
            magic, codes = marshal.loads(path.read_bytes())
            if magic == MAGIC_NUMBER and isinstance(codes, dict):
                self.codes = codes
        except (OSError, EOFError, ValueError, TypeError):
            pass  # no table yet, or a damaged one: compile as usual

    def code(self, text: str) -> CodeType:
        found = self.codes.get(text)
        if type(found) is not CodeType:
            found = self.codes[text] = compile(text, "<string>", "exec")
            self.added += 1
        return found

    def save(self) -> None:
        """Write the table back if this run compiled anything new (atomically; best effort)."""
        if not self.added:
            return
        codes = self.codes if len(self.codes) <= MAX_ENTRIES else {}
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(marshal.dumps((MAGIC_NUMBER, codes)))
            os.replace(partial, self.path)
        except OSError:
            partial.unlink(missing_ok=True)


_tables: dict[str, _Table] | None = None


def compiled() -> int:
    """How many method texts this process has compiled so far (not found in a table)."""
    return sum(table.added for table in (_tables or {}).values())


def _save_all() -> None:
    if not sys.dont_write_bytecode:
        for table in (_tables or {}).values():
            table.save()


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
    """`exec` for the `dataclasses` module: imatter's method texts go through the table."""
    module = str((globals or {}).get("__name__", ""))
    if _tables is not None and isinstance(source, str) and module.startswith("imatter."):
        table = _tables.get(module)
        if table is None:
            table = _tables[module] = _Table(table_folder() / f"{module}.marshal")
        source = table.code(source)
    exec(source, globals, locals)


def install() -> None:
    """Use the tables for every imatter dataclass made from now on (once per process)."""
    global _tables
    if _tables is not None:
        return
    _tables = {}
    atexit.register(_save_all)
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # found before the builtin


def warm() -> int:
    """Import every imatter module, so that every table is written (at exit) where the
    package's bytecode lives; returns how many modules were imported. Run it once as the
    account that installed the package when others cannot write there (a shared hub's
    venv, an image): `python -m imatter.dataclass_code`. A module whose optional
    dependencies are missing is skipped."""
    import importlib
    import pkgutil

    import imatter

    install()
    count = 0
    for found in pkgutil.walk_packages(imatter.__path__, "imatter."):
        try:
            importlib.import_module(found.name)
        except Exception:  # noqa: BLE001, S112 - an optional part missing: nothing to keep
            continue
        count += 1
    return count


if __name__ == "__main__":  # python -m imatter.dataclass_code
    if sys.dont_write_bytecode:
        sys.exit("imatter: nothing kept: bytecode writing is off (unset PYTHONDONTWRITEBYTECODE)")
    from imatter.dataclass_code import warm as _warm  # the package's copy, not __main__'s

    print(f"imatter: dataclass methods kept for {_warm()} modules")
