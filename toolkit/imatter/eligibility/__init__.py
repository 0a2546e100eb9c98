"""Who qualifies for which role, and what they still need: one set of rules, two engines.

`explain` evaluates one person with reasons; `bulk` evaluates everyone at once as columns.
Both read the same declarative requirement expressions from the programme file.
"""

from .explain import (
    LicenceResult,
    Outcome,
    RoleResult,
    evaluate_person,
    evaluate_role,
    evaluate_setting_licence,
    short_title,
)

__all__ = [
    "LicenceResult",
    "Outcome",
    "RoleResult",
    "evaluate_person",
    "evaluate_role",
    "evaluate_setting_licence",
    "short_title",
]
