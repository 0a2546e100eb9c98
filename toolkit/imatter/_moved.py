"""Old import paths of modules that moved in 0.3.0 (`imatter.licences` is now
`imatter.delivery.licences`, ...): they keep working for one release, as the very same module."""

from __future__ import annotations

import importlib
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

MOVED = {
    "imatter.groups": "imatter.delivery.groups",
    "imatter.takestock": "imatter.delivery.takestock",
    "imatter.directory": "imatter.delivery.directory",
    "imatter.clusters": "imatter.delivery.clusters",
    "imatter.licences": "imatter.delivery.licences",
    "imatter.access": "imatter.trust.access",
    "imatter.audit": "imatter.trust.audit",
    "imatter.privacy": "imatter.trust.privacy",
    "imatter.store.backup": "imatter.trust.backup",
}


def new_name(name: str) -> str | None:
    """Where an old module name lives now, or None if it did not move."""
    for old, new in MOVED.items():
        if name == old or name.startswith(old + "."):
            return new + name[len(old) :]
    return None


class MovedModules:
    """Finds an old name and hands back the module at its new name (one module, two names).

    A meta path finder and loader by protocol (`importlib.abc` is not imported: it costs every
    command a few milliseconds at start-up)."""

    def __init__(self) -> None:
        self._specs: dict[int, ModuleSpec | None] = {}

    def find_spec(self, fullname, path=None, target=None):
        new = new_name(fullname)
        if new is None:
            return None
        return ModuleSpec(fullname, self, is_package=True)  # as importlib.util.spec_from_loader

    def create_module(self, spec):
        module = importlib.import_module(new_name(spec.name) or spec.name)
        self._specs[id(module)] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # importlib gave the module the old name's spec: give it back its own.
        module.__spec__ = self._specs.pop(id(module), module.__spec__)


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules())  # before the path finder: see new_name
