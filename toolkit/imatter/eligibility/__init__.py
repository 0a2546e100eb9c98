"""Who qualifies for which role, and what they still need: one set of rules, two engines.

`explain` evaluates one person with reasons; `bulk` evaluates everyone at once as columns.
Both read the same declarative requirement expressions from the programme file.
"""

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
