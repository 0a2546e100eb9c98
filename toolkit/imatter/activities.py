"""Teaching activities for session notebooks (the old import path; see
`imatter.notebook.activities`). Notebooks write ``from imatter.activities import choice_check``."""

from __future__ import annotations

from .notebook.activities import (
    DEFAULT_CIRCLES,
    DEFAULT_SCALE,
    ROLE_WORDS,
    choice_check,
    rating_check,
    relationship_map,
    scenario_explorer,
    sort_statements,
)

__all__ = [
    "DEFAULT_CIRCLES",
    "DEFAULT_SCALE",
    "ROLE_WORDS",
    "choice_check",
    "rating_check",
    "relationship_map",
    "scenario_explorer",
    "sort_statements",
]
