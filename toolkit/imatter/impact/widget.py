"""The questionnaire widget (the old import path; see `imatter.notebook.questionnaire`).

Imported on first use, so that `impact` (the evidence) does not import `notebook` (the widgets
built on it) at load time: the dependency runs one way, notebook -> impact.
"""

from __future__ import annotations

from typing import Any

_MOVED = ("Questionnaire", "questionnaire")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from ..notebook import questionnaire as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
