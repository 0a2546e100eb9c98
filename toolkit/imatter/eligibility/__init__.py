"""Who qualifies for which role, and what they still need: one set of rules, two engines.

`explain` evaluates one person with reasons; `bulk` evaluates everyone at once as columns.
Both read the same declarative requirement expressions from the programme file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .explain import (
        LicenceResult,
        NextStep,
        Outcome,
        RoleResult,
        evaluate_person,
        evaluate_role,
        evaluate_setting_licence,
        next_steps,
        short_title,
    )
    from .reasons import Reason

# name -> the module that defines it: imported on first use, so that a command needing only
# `eligibility.facts` (through `records.load`) does not make the engine's classes too.
_EXPORTS = {
    "LicenceResult": "explain",
    "NextStep": "explain",
    "Outcome": "explain",
    "RoleResult": "explain",
    "evaluate_person": "explain",
    "evaluate_role": "explain",
    "evaluate_setting_licence": "explain",
    "next_steps": "explain",
    "short_title": "explain",
    "Reason": "reasons",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LicenceResult",
    "NextStep",
    "Outcome",
    "Reason",
    "RoleResult",
    "evaluate_person",
    "evaluate_role",
    "evaluate_setting_licence",
    "next_steps",
    "short_title",
]
