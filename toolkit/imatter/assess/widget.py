"""The rubric marking notebook's widget: one reflection at a time, a level per criterion, a
comment, next. Everything it records goes through `marking.Marking` (the same API the tests
and the CLI use); the widget holds no marks of its own.

The reflection is shown, never logged. Do not share a marking notebook saved with widget
state: the state would contain the reflections on screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..errors import ImatterError
from ..templates import fragment, render, trusted
from .feedback import markdown_html
from .marking import Marking, MarkItem


def _level_label(level: Any) -> str:
    return f"{level.title} ({level.points:g}): {level.descriptor}"


class MarkingWidget:
    """A marking screen over a `Marking` session (display it as a cell's last expression)."""

    def __init__(self, marking: Marking, *, only_unmarked: bool = True) -> None:
        self.marking = marking
        self.items: list[MarkItem] = marking.queue() if only_unmarked else marking.items()
        self.index = 0
        self.header = widgets.HTML()
        self.prompt = widgets.HTML()
        self.answer = widgets.HTML()
        self.criteria_box = widgets.VBox()
        self.choices: dict[str, widgets.RadioButtons] = {}
        self.comment = widgets.Textarea(
            description="Comment",
            placeholder="Feedback for the learner on this reflection",
            layout=widgets.Layout(width="100%", height="7em"),
        )
        self.message = widgets.HTML()
        self.previous_button = widgets.Button(description="Previous", icon="arrow-left")
        self.skip_button = widgets.Button(description="Skip", icon="arrow-right")
        self.save_button = widgets.Button(
            description="Save and next", icon="check", button_style="primary"
        )
        self.previous_button.on_click(lambda _b: self.go(self.index - 1))
        self.skip_button.on_click(lambda _b: self.go(self.index + 1))
        self.save_button.on_click(lambda _b: self.save())
        self.box = widgets.VBox(
            [
                widgets.HTML(render("assess/marking-style.html.j2")),
                self.header,
                self.prompt,
                self.answer,
                self.criteria_box,
                self.comment,
                self.message,
                widgets.HBox([self.previous_button, self.skip_button, self.save_button]),
            ]
        )
        self.box.add_class("imatter-marking")
        self.go(0)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.box._repr_mimebundle_(**kwargs)

    @property
    def current(self) -> MarkItem | None:
        if 0 <= self.index < len(self.items):
            return self.items[self.index]
        return None

    def go(self, index: int) -> None:
        """Show the reflection at `index` (clamped); an empty queue says so."""
        self.message.value = ""
        if not self.items:
            self.header.value = fragment("heading", "Nothing left to mark.", 3)
            self.prompt.value = self.answer.value = ""
            self.criteria_box.children = ()
            self.comment.layout.display = "none"
            for button in (self.previous_button, self.skip_button, self.save_button):
                button.disabled = True
            return
        self.index = max(0, min(index, len(self.items) - 1))
        item = self.items[self.index]
        state = "marked" if item.marked else ("needs marking again" if item.stale else "to mark")
        self.header.value = fragment(
            "marking_header",
            self.index + 1,
            len(self.items),
            item.title,
            item.name,
            item.student,
            state,
            item.stale,
        )
        self.prompt.value = fragment(
            "box", "note", trusted(markdown_html(item.prompt, drop_heading=True))
        )
        if item.blank:
            self.answer.value = fragment("box", "warn", "This reflection was left empty.")
        else:
            self.answer.value = fragment("marking_answer", trusted(markdown_html(item.answer)))
        self.choices = {}
        rows = []
        for criterion in item.criteria:
            radio = widgets.RadioButtons(
                options=[(_level_label(lv), lv.id) for lv in criterion.levels],
                value=(item.levels or {}).get(criterion.id),
                layout=widgets.Layout(width="100%"),
            )
            self.choices[criterion.id] = radio
            title = fragment("criterion_title", criterion.title, criterion.description)
            rows.append(widgets.VBox([widgets.HTML(title), radio]))
        self.criteria_box.children = tuple(rows)
        self.comment.value = item.comment or ""
        self.previous_button.disabled = self.index == 0
        self.skip_button.disabled = self.index >= len(self.items) - 1

    def save(self) -> bool:
        """Record the chosen levels and the comment, then move on; False if not recorded."""
        item = self.current
        if item is None:
            return False
        chosen = {cid: radio.value for cid, radio in self.choices.items() if radio.value}
        missing = [c.title for c in item.criteria if c.id not in chosen]
        if missing:
            self.message.value = fragment(
                "box", "warn", f"Choose a level for: {', '.join(missing)}"
            )
            return False
        try:
            saved = self.marking.mark(item.student, item.cell, chosen, self.comment.value)
        except ImatterError as err:
            self.message.value = fragment("box", "warn", err.message)
            return False
        self.items[self.index] = saved
        last = self.index >= len(self.items) - 1
        self.go(self.index + 1)
        self.message.value = fragment(
            "box", "note", "Saved. That was the last one." if last else "Saved."
        )
        return True


def open_marking(
    course_dir: str | Path,
    assessment_id: str,
    *,
    marker: str,
    role: str = "first",
    workspace: str | Path | None = None,
    only_unmarked: bool = True,
) -> MarkingWidget:
    """The marking widget for a course directory (what the marking notebook calls)."""
    from ..workspace import open_workspace
    from .course_dir import open_course_dir

    ws = open_workspace(workspace)
    course = open_course_dir(course_dir)
    session = Marking(course, assessment_id, ws.store, marker=marker, role=role)
    return MarkingWidget(session, only_unmarked=only_unmarked)


def marking_notebook(
    course_dir: Path, assessment_id: str, *, marker: str, role: str, workspace: Path
) -> dict:
    """A small notebook (as JSON data) that opens the marking widget."""
    code = (
        "from imatter.assess.widget import open_marking\n\n"
        "open_marking(\n"
        f"    {str(course_dir)!r},\n"
        f"    {assessment_id!r},\n"
        f"    marker={marker!r},\n"
        f"    role={role!r},\n"
        f"    workspace={str(workspace)!r},\n"
        ")"
    )
    intro = (
        f"# Marking: {assessment_id} ({'moderation' if role == 'second' else 'first marking'})\n\n"
        "Run the cell below. For each reflection choose one level per criterion, add a "
        "comment for the learner and press *Save and next*. Marks are saved as you go, so you "
        "can stop and come back.\n\n"
        "This notebook shows learners' reflections: keep it private, and do not save it with "
        "widget state."
    )
    return {
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": intro},
            {
                "cell_type": "code",
                "id": "open",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": code,
            },
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
