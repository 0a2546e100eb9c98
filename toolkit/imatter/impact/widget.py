"""The questionnaire widget a session notebook shows (ipywidgets 8).

The learner types a code they make up (never their name), rates four statements from 1 to 5
and presses Save. The answers go to a small file beside the notebook, where `imatter impact
collect` finds them; nothing depends on saved widget state (DECISIONS 4).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path

from ..errors import ImatterError
from .answers import write_answers_file
from .items import ANSWERS_FOLDER, ITEMS, PSEUDONYM_HELP, SCALE, check_course, check_stage

_INTRO = {
    "pre": (
        "Before you start, please tell us where you are now. There are four statements: "
        "choose how much you agree with each one. At the end of the course you will see the "
        "same statements again, so that we can see what has changed."
    ),
    "post": (
        "You have reached the end of the course. Please rate the same four statements as at the "
        "start, so that we can see what has changed. Use the same code as last time."
    ),
}

_PRIVACY = (
    "Your answers are saved in a small file next to this notebook, with your code and not your "
    "name. Your Lead Professional collects the file so that we can see how the course helps a "
    "group as a whole. Results are only ever shown for groups of five people or more."
)

_CSS = """<style>
.imatter-questionnaire .imatter-statement { margin: 10px 0 2px 0; font-weight: 600; }
.imatter-questionnaire .widget-toggle-buttons .widget-toggle-button { width: auto; }
.imatter-questionnaire .imatter-note { border-left: 4px solid; padding: 6px 10px; margin: 4px 0; }
.imatter-questionnaire .imatter-right { border-color: #2e7d32; background: #eef7ee; }
.imatter-questionnaire .imatter-wrong { border-color: #b26a00; background: #fff5e6; }
</style>"""


def _note(text: str, kind: str) -> str:
    return f'<div class="imatter-note imatter-{kind}">{text}</div>'


def questionnaire(
    course: str,
    stage: str,
    *,
    cohort: str | None = None,
    folder: str | Path | None = None,
    clock: Callable[[], dt.datetime] | None = None,
):  # type: ignore[no-untyped-def]
    """The impact questionnaire for a course at one stage ("pre" or "post"), as a VBox.

    :param course: the course id, e.g. "foundation-a".
    :param stage: "pre" (first session) or "post" (last session).
    :param cohort: optional cohort label written into the answers file.
    :param folder: where the notebook lives (default: the kernel's working folder, which
        Jupyter sets to the notebook's folder); answers go to `<folder>/imatter-answers/`.
    :param clock: returns the time of answering (default: the computer's clock).
    """
    import ipywidgets as widgets

    check_course(course)
    check_stage(stage)
    clock = clock or dt.datetime.now

    code = widgets.Text(
        description="Your code",
        placeholder="e.g. KESTREL-42",
        style={"description_width": "initial"},
    )
    ratings: dict[str, widgets.ToggleButtons] = {}
    rows: list[widgets.Widget] = []
    for item in ITEMS:
        toggle = widgets.ToggleButtons(
            options=[(f"{score} {words}", score) for score, words in SCALE.items()],
            value=None,
            tooltips=list(SCALE.values()),
            style={"button_width": "auto"},
        )
        ratings[item.id] = toggle
        statement = widgets.HTML(
            f'<div class="imatter-statement">{html.escape(item.statement)}</div>'
        )
        rows.extend([statement, toggle])
    save = widgets.Button(description="Save my answers", button_style="primary", icon="save")
    status = widgets.HTML("")

    def on_save(_: object) -> None:
        scores = {key: toggle.value for key, toggle in ratings.items()}
        unanswered = [item.statement for item in ITEMS if scores[item.id] is None]
        if unanswered:
            status.value = _note(
                "Please choose an answer for every statement first "
                f"({len(unanswered)} still to do).",
                "wrong",
            )
            return
        try:
            path = write_answers_file(
                Path(folder) if folder is not None else Path.cwd(),
                course,
                stage,
                code.value,
                scores,  # type: ignore[arg-type]
                clock(),
                cohort=cohort,
            )
        except ImatterError as err:
            text = err.message if code.value.strip() else f"Please {PSEUDONYM_HELP}."
            status.value = _note(html.escape(text), "wrong")
            return
        except OSError as err:
            status.value = _note(
                html.escape(f"Your answers could not be saved ({err.strerror}). Tell your Lead."),
                "wrong",
            )
            return
        saved_code = html.escape(code.value.strip().upper())
        status.value = _note(
            f"<b>Thank you: your answers are saved</b> in {ANSWERS_FOLDER}/{path.name}. "
            f"Your code is <b>{saved_code}</b>. Use the same code at the end of the course. "
            "You can change an answer and save again.",
            "right",
        )

    save.on_click(on_save)
    intro = widgets.HTML(
        f"<p>{html.escape(_INTRO[stage])}</p><p><i>{html.escape(_PRIVACY)}</i></p>"
    )
    box = widgets.VBox([widgets.HTML(_CSS), intro, code, *rows, save, status])
    box.add_class("imatter-questionnaire")
    # Handles for tests and for facilitators' tooling (not learner data storage).
    box.imatter_code = code  # type: ignore[attr-defined]
    box.imatter_ratings = ratings  # type: ignore[attr-defined]
    box.imatter_save = save  # type: ignore[attr-defined]
    box.imatter_status = status  # type: ignore[attr-defined]
    return box
