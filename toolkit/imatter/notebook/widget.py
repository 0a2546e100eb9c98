"""The one widget class behind every activity: a kind, its content, and the browser module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

STATIC = Path(__file__).resolve().parent / "static"
ESM = STATIC / "activities.js"
CSS = STATIC / "activities.css"
KINDS = ("choice", "sort", "rating", "map", "scenario", "questionnaire")


class Activity(anywidget.AnyWidget):
    """An activity of one ``kind`` whose ``spec`` (plain JSON) the browser module renders.

    Formative answers are part of ``spec``, so they are in the page: fine for practice, never
    for assessment (assessments are nbgrader notebooks, not activities).
    """

    _esm = ESM
    _css = CSS
    kind = traitlets.Unicode().tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)

    def __init__(self, kind: str, spec: dict[str, Any], **kwargs: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown activity kind {kind!r}: use one of {', '.join(KINDS)}")
        super().__init__(kind=kind, spec=spec, **kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind}>"
