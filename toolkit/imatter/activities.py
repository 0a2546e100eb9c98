"""Teaching activities for session notebooks, built with ipywidgets 8.

Each function takes a session's own content as plain data and returns a ``VBox`` for the
notebook to display as a cell's last expression. Every activity gives the learner feedback on
their choices, so that it teaches rather than just collects.

Privacy: nothing here writes a file, logs, or sends what a learner types or chooses anywhere.
Answers live only in the running kernel and are gone when it stops. Reflections may mention
children, so no activity keeps them.

This module is imported only by notebooks, so ipywidgets is imported here and nowhere else in
the package. A session's code cell stays short and readable::

    from imatter.activities import choice_check

    choice_check(
        question="What does a child who is upset need first?",
        options={"Comfort": "Yes: calm first, then talk.", "A lecture": "Not yet: ..."},
        correct="Comfort",
    )
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import ipywidgets as widgets

__all__ = [
    "choice_check",
    "rating_check",
    "relationship_map",
    "scenario_explorer",
    "sort_statements",
]

DEFAULT_SCALE: tuple[str, ...] = ("Not at all", "A little", "Quite a lot", "Very much")
DEFAULT_CIRCLES: tuple[str, ...] = ("Closest to me", "Close", "Around me")

# Styles shared by all activities: long option text wraps instead of being cut off.
_CSS = """<style>
.imatter-activity .imatter-wrap, .imatter-activity .imatter-wrap .widget-label {
  white-space: normal !important; height: auto !important; line-height: 1.35;
  text-align: left; padding-top: 4px; padding-bottom: 4px;
}
.imatter-activity .widget-radio-box label { white-space: normal; height: auto; }
.imatter-activity .imatter-note { border-left: 4px solid; padding: 6px 10px; margin: 4px 0; }
.imatter-activity .imatter-right { border-color: #2e7d32; background: #eef7ee; }
.imatter-activity .imatter-wrong { border-color: #b26a00; background: #fff5e6; }
.imatter-activity .imatter-info { border-color: #1f5f99; background: #eef4fa; }
</style>"""

_NOTE_KINDS = ("right", "wrong", "info")


def _esc(text: str) -> str:
    """Escape text supplied by a notebook author or a learner for safe display as HTML."""
    return html.escape(str(text), quote=True)


def _note(body: str, kind: str = "info") -> str:
    """Wrap already-escaped HTML in a coloured feedback box (the words carry the meaning too)."""
    if kind not in _NOTE_KINDS:
        raise ValueError(f"unknown note kind {kind!r}: use one of {', '.join(_NOTE_KINDS)}")
    return f'<div class="imatter-note imatter-{kind}">{body}</div>'


def _heading(text: str) -> widgets.HTML:
    return widgets.HTML(f"<h4 style='margin:4px 0'>{_esc(text)}</h4>")


def _para(text: str) -> widgets.HTML:
    return widgets.HTML(f"<p style='margin:4px 0'>{_esc(text)}</p>")


def _activity(children: Sequence[widgets.Widget]) -> widgets.VBox:
    box = widgets.VBox([widgets.HTML(_CSS), *children])
    box.add_class("imatter-activity")
    return box


def _button(description: str, **kwargs: object) -> widgets.Button:
    button = widgets.Button(
        description=description,
        tooltip=description,
        layout=widgets.Layout(width="auto", height="auto", align_self="flex-start"),
        **kwargs,
    )
    button.add_class("imatter-wrap")
    return button


# --------------------------------------------------------------------------------------------
# choice_check
# --------------------------------------------------------------------------------------------


def choice_check(question: str, options: dict[str, str], correct: str | list[str]) -> widgets.VBox:
    """A single-choice question with an explanation for every option.

    :param question: the question, in plain words.
    :param options: option text -> explanation shown when that option is checked.
    :param correct: the right option, or a list of options that all count as right.
    :raises ValueError: if there are fewer than two options or a right answer is not an option.
    """
    if len(options) < 2:
        raise ValueError("choice_check needs at least two options")
    right = [correct] if isinstance(correct, str) else list(correct)
    if not right:
        raise ValueError("choice_check needs at least one correct option")
    unknown = [c for c in right if c not in options]
    if unknown:
        raise ValueError(f"correct answer {unknown[0]!r} is not one of the options")

    radio = widgets.RadioButtons(
        options=list(options), value=None, layout=widgets.Layout(width="auto")
    )
    check = _button("Check", button_style="primary", icon="check")
    feedback = widgets.HTML("")

    def on_check(_: object) -> None:
        chosen = radio.value
        if chosen is None:
            feedback.value = _note("Choose an answer first, then press <b>Check</b>.")
            return
        explanation = _esc(options[chosen])
        if chosen in right:
            feedback.value = _note(f"<b>Yes, that's right.</b> {explanation}", "right")
        else:
            feedback.value = _note(
                f"<b>Not quite.</b> {explanation} Have another look and try again.", "wrong"
            )

    def on_change(_: object) -> None:
        feedback.value = ""

    check.on_click(on_check)
    radio.observe(on_change, names="value")
    return _activity([_para(question), radio, check, feedback])


# --------------------------------------------------------------------------------------------
# scenario_explorer
# --------------------------------------------------------------------------------------------


def scenario_explorer(scenarios: list[dict]) -> widgets.VBox:
    """Step through short situations one at a time; each choice shows what might follow.

    :param scenarios: a list of ``{"title": str, "situation": str, "choices": {text: feedback}}``.
    :raises ValueError: if the list is empty or a scenario is missing a part.
    """
    if not scenarios:
        raise ValueError("scenario_explorer needs at least one scenario")
    for number, scenario in enumerate(scenarios, start=1):
        missing = [k for k in ("title", "situation", "choices") if k not in scenario]
        if missing:
            raise ValueError(f"scenario {number} is missing {', '.join(missing)}")
        if not scenario["choices"]:
            raise ValueError(f"scenario {number} ({scenario['title']!r}) has no choices")

    position = widgets.HTML("")
    title = widgets.HTML("")
    situation = widgets.HTML("")
    prompt = _para("What might you do? Choose one to see what could happen next.")
    choices_box = widgets.VBox([])
    feedback = widgets.HTML("")
    previous = _button("Previous", icon="arrow-left")
    next_ = _button("Next", icon="arrow-right")
    state = {"index": 0}

    def show(index: int) -> None:
        state["index"] = index
        scenario = scenarios[index]
        position.value = f"<small>Situation {index + 1} of {len(scenarios)}</small>"
        title.value = f"<h4 style='margin:4px 0'>{_esc(scenario['title'])}</h4>"
        situation.value = f"<p style='margin:4px 0'>{_esc(scenario['situation'])}</p>"
        buttons = []
        for text, result in scenario["choices"].items():
            button = _button(text)
            button.layout.width = "100%"

            def on_choice(clicked: widgets.Button, text: str = text, result: str = result) -> None:
                for other in buttons:
                    other.button_style = ""
                clicked.button_style = "info"
                feedback.value = _note(f"<b>{_esc(text)}</b><br>{_esc(result)}", "info")

            button.on_click(on_choice)
            buttons.append(button)
        choices_box.children = tuple(buttons)
        feedback.value = ""
        previous.disabled = index == 0
        next_.disabled = index == len(scenarios) - 1

    previous.on_click(lambda _: show(max(state["index"] - 1, 0)))
    next_.on_click(lambda _: show(min(state["index"] + 1, len(scenarios) - 1)))
    show(0)
    return _activity(
        [position, title, situation, prompt, choices_box, feedback, widgets.HBox([previous, next_])]
    )


# --------------------------------------------------------------------------------------------
# rating_check
# --------------------------------------------------------------------------------------------


def _band_message(total: int, bands: list[tuple[int, str]]) -> str:
    """The message of the first band whose upper limit is at least ``total``."""
    for upper, message in bands:
        if total <= upper:
            return message
    return bands[-1][1]


def rating_check(
    title: str,
    statements: list[str],
    bands: list[tuple[int, str]],
    scale: tuple[str, ...] = DEFAULT_SCALE,
) -> widgets.VBox:
    """A private self-check: rate each statement, see a running total and what it may mean.

    Each answer scores its position on the scale (0 for the first choice). ``bands`` is a list of
    ``(highest total, message)`` in ascending order; the message for the current total is shown.

    :raises ValueError: if there are no statements or bands, the scale has fewer than two points,
        or the bands are not in ascending order.
    """
    if not statements:
        raise ValueError("rating_check needs at least one statement")
    if len(scale) < 2:
        raise ValueError("rating_check needs a scale with at least two points")
    if not bands:
        raise ValueError("rating_check needs at least one band")
    uppers = [upper for upper, _ in bands]
    if uppers != sorted(uppers) or len(set(uppers)) != len(uppers):
        raise ValueError("rating_check bands must be in ascending order of their highest total")

    highest = (len(scale) - 1) * len(statements)
    toggles = []
    rows: list[widgets.Widget] = []
    for statement in statements:
        toggle = widgets.ToggleButtons(
            options=list(scale), value=None, style={"button_width": "auto"}
        )
        toggles.append(toggle)
        rows.append(widgets.VBox([_para(statement), toggle]))
    total_line = widgets.HTML("")
    feedback = widgets.HTML("")
    privacy = widgets.HTML(
        "<small>This is a private check-in, not a test or a diagnosis. "
        "Nothing you choose here is saved or shared.</small>"
    )

    def update(_: object = None) -> None:
        answered = [t.index for t in toggles if t.index is not None]
        if not answered:
            total_line.value = ""
            feedback.value = _note("Choose an answer for each statement to see your total.")
            return
        total = sum(answered)
        left = len(toggles) - len(answered)
        total_line.value = (
            f"<p style='margin:4px 0'><b>Your total: {total} out of {highest}</b></p>"
        )
        still = ""
        if left:
            plural = "statement" if left == 1 else "statements"
            still = f"<br><small>{left} {plural} still to answer.</small>"
        feedback.value = _note(_esc(_band_message(total, bands)) + still, "info")

    for toggle in toggles:
        toggle.observe(update, names="value")
    update()
    return _activity([_heading(title), *rows, total_line, feedback, privacy])


# --------------------------------------------------------------------------------------------
# relationship_map
# --------------------------------------------------------------------------------------------

# Words that are roles rather than names, so "Class Teacher" is not mistaken for a full name.
_ROLE_WORDS = frozenset(
    """
    aunt auntie brother carer child coach cousin dad daughter doctor family father foster
    friend gp gran grandad grandma grandpa granny head health leader manager mother mum my
    nan nanny neighbour nurse partner pastor school sister son support teacher the uncle
    visitor worker youth club group class team colleague mentor best old new step in law
    of from at
    """.split()
)
_NAME_WORD = re.compile(r"^[A-Z][a-z'\-]+$")
_MAX_ENTRY = 30


def _looks_like_full_name(entry: str) -> bool:
    """A gentle guard: two or more capitalised words that are not role words."""
    words = entry.split()
    name_like = [w for w in words if _NAME_WORD.match(w) and w.lower() not in _ROLE_WORDS]
    return len(name_like) >= 2


def _balance_note(counts: list[int], circles: tuple[str, ...]) -> str:
    """A kind, non-judging comment on how the people are spread across the circles."""
    total = sum(counts)
    inner, outer = counts[0], sum(counts[1:])
    if total == 0:
        return "Add a few people to see your map. Think of home, work, school and community."
    if inner == 0:
        return (
            f"There is no one in '{circles[0]}' yet. That is more common than people think, "
            "especially at busy or hard times. Is there one person who could come a little "
            "closer?"
        )
    if outer == 0:
        return (
            f"Everyone is in '{circles[0]}'. Close bonds are precious. A few people further out "
            "(a neighbour, a colleague, a group) can share the load when those closest are busy."
        )
    if total <= 3:
        return (
            "Your map is small right now, and that is fine. Even one steady person makes a "
            "difference. Who else might you add, even someone you see only now and then?"
        )
    return (
        "There are people close in and people further out. That spread helps: different "
        "people offer different kinds of support. Is there anyone who could be asked to do a "
        "little more?"
    )


def _map_svg(entries: list[tuple[str, int]], circles: tuple[str, ...], middle: str) -> str:
    """Concentric circles with ``middle`` at the centre and each entry written in its ring."""
    size, centre = 360, 180
    ring = (centre - 10) / len(circles)
    fills = ["#dcecf9", "#e8f3fc", "#f3f9fe", "#f9fcff", "#ffffff"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="Relationship map">'
    ]
    for level in range(len(circles) - 1, -1, -1):
        radius = ring * (level + 1)
        fill = fills[min(level, len(fills) - 1)]
        parts.append(
            f'<circle cx="{centre}" cy="{centre}" r="{radius:.0f}" fill="{fill}" '
            'stroke="#1f5f99" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{centre}" y="{centre + radius - 7:.0f}" text-anchor="middle" '
            f'font-size="9" fill="#555">{_esc(circles[level])}</text>'
        )
    parts.append(
        f'<text x="{centre}" y="{centre + 5}" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{_esc(middle)}</text>'
    )
    for level in range(len(circles)):
        members = [label for label, where in entries if where == level]
        if not members:
            continue
        radius = ring * (level + 0.5)
        for i, label in enumerate(members):
            # Spread the names evenly round the ring, starting at the top.
            step = 360 / len(members)
            angle = -90 + i * step + (level * 25)
            x, y = _polar(centre, radius, angle)
            parts.append(
                f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="middle" font-size="11">'
                f"{_esc(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _polar(centre: float, radius: float, degrees: float) -> tuple[float, float]:
    radians = math.radians(degrees)
    return centre + radius * math.cos(radians), centre + radius * math.sin(radians) + 4


def relationship_map(
    prompt: str, circles: tuple[str, ...] = DEFAULT_CIRCLES, *, middle: str = "Me"
) -> widgets.VBox:
    """Place the people around you in circles of closeness and see the shape of your support.

    Learners add people by role or initials only (never full names). Nothing is saved.

    :param prompt: what to think about while drawing the map.
    :param circles: names of the circles, closest first.
    :param middle: who sits at the centre of the map (e.g. "The child" for a team around a child).
    :raises ValueError: if fewer than two circles are given.
    """
    if len(circles) < 2:
        raise ValueError("relationship_map needs at least two circles")

    entries: list[tuple[str, int]] = []
    privacy = widgets.HTML(
        _note(
            "Use a role or initials only, such as <i>Nan</i>, <i>class teacher</i> or "
            "<i>J.S.</i>, never a full name. Nothing you type here is saved: the map "
            "disappears when you close the notebook.",
            "info",
        )
    )
    who = widgets.Text(placeholder="Role or initials", layout=widgets.Layout(width="200px"))
    where = widgets.Dropdown(
        options=[(name, i) for i, name in enumerate(circles)],
        value=0,
        layout=widgets.Layout(width=f"{min(max(len(c) for c in circles) + 6, 40)}ch"),
    )
    add = _button("Add", button_style="primary", icon="plus")
    undo = _button("Remove last", icon="undo")
    clear = _button("Start again", icon="trash")
    message = widgets.HTML("")
    drawing = widgets.HTML("")
    counts_line = widgets.HTML("")
    note = widgets.HTML("")

    def redraw() -> None:
        counts = [sum(1 for _, w in entries if w == i) for i in range(len(circles))]
        drawing.value = _map_svg(entries, circles, middle)
        items = "".join(
            f"<li>{_esc(name)}: {count}</li>" for name, count in zip(circles, counts, strict=True)
        )
        counts_line.value = f"<ul style='margin:4px 0'>{items}</ul>"
        note.value = _note(_esc(_balance_note(counts, circles)), "info")
        undo.disabled = clear.disabled = not entries

    def on_add(_: object) -> None:
        entry = " ".join(who.value.split())
        if not entry:
            message.value = _note("Type a role or initials first.", "wrong")
            return
        if len(entry) > _MAX_ENTRY:
            message.value = _note(
                f"Please keep it short (up to {_MAX_ENTRY} letters): a role or initials.", "wrong"
            )
            return
        if _looks_like_full_name(entry):
            message.value = _note(
                "That looks like a full name. Please use a role (such as <i>neighbour</i>) "
                "or initials instead, to keep everyone's privacy.",
                "wrong",
            )
            return
        entries.append((entry, where.value))
        who.value = ""
        message.value = ""
        redraw()

    def on_undo(_: object) -> None:
        if entries:
            entries.pop()
        message.value = ""
        redraw()

    def on_clear(_: object) -> None:
        entries.clear()
        message.value = ""
        redraw()

    add.on_click(on_add)
    undo.on_click(on_undo)
    clear.on_click(on_clear)
    redraw()
    return _activity(
        [
            _para(prompt),
            privacy,
            widgets.HBox([who, where, add]),
            message,
            drawing,
            counts_line,
            note,
            widgets.HBox([undo, clear]),
        ]
    )


# --------------------------------------------------------------------------------------------
# sort_statements
# --------------------------------------------------------------------------------------------


def sort_statements(
    statements: dict[str, str], categories: list[str], title: str = ""
) -> widgets.VBox:
    """Sort each statement into a category, then check the answers one by one.

    :param statements: statement -> the category it belongs in.
    :param categories: the categories offered in every dropdown.
    :param title: an optional heading.
    :raises ValueError: if there are no statements, fewer than two categories, or a statement's
        category is not one of the categories.
    """
    if not statements:
        raise ValueError("sort_statements needs at least one statement")
    if len(categories) < 2:
        raise ValueError("sort_statements needs at least two categories")
    for statement, category in statements.items():
        if category not in categories:
            raise ValueError(
                f"the category {category!r} for {statement!r} is not one of {categories}"
            )

    # Wide enough for the longest category, so no choice is cut off.
    dropdown_width = f"{min(max(len(c) for c in categories) + 6, 48)}ch"
    dropdowns: list[widgets.Dropdown] = []
    marks: list[widgets.HTML] = []
    rows: list[widgets.Widget] = []
    for statement in statements:
        dropdown = widgets.Dropdown(
            options=list(categories), value=None, layout=widgets.Layout(width=dropdown_width)
        )
        mark = widgets.HTML("")
        dropdowns.append(dropdown)
        marks.append(mark)
        dropdown.observe(lambda _, mark=mark: setattr(mark, "value", ""), names="value")
        rows.append(widgets.VBox([_para(statement), widgets.HBox([dropdown, mark])]))

    check = _button("Check my answers", button_style="primary", icon="check")
    score = widgets.HTML("")

    def on_check(_: object) -> None:
        right = 0
        unanswered = 0
        for answer, dropdown, mark in zip(statements.values(), dropdowns, marks, strict=True):
            chosen = dropdown.value
            if chosen is None:
                unanswered += 1
                mark.value = "<span style='margin-left:8px'>Not sorted yet.</span>"
            elif chosen == answer:
                right += 1
                mark.value = "<span style='margin-left:8px;color:#2e7d32'>&#10003; Right.</span>"
            else:
                mark.value = (
                    "<span style='margin-left:8px;color:#b26a00'>&#10007; Not quite: this one "
                    f"belongs in <b>{_esc(answer)}</b>.</span>"
                )
        total = len(statements)
        text = f"<b>You sorted {right} of {total} correctly.</b>"
        if unanswered:
            text += f" {unanswered} still to sort."
        if right == total:
            score.value = _note(text + " Well done.", "right")
        else:
            score.value = _note(
                text + " Look at the ones marked 'Not quite' and think about why.", "wrong"
            )

    check.on_click(on_check)
    children: list[widgets.Widget] = [_heading(title)] if title else []
    return _activity([*children, *rows, check, score])
