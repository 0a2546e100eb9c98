"""The impact questionnaire a session notebook shows: one widget for the book and for Jupyter.

The learner types a code they make up (never their name) and rates four statements from 1 to 5.
- In the static book there is no kernel: the answers stay in the browser (its local storage)
  and "Download my answers" saves the same schema-versioned answers file that
  `imatter impact collect` reads.
- In Jupyter (or on a hub) the browser module greets the kernel; this class answers, and
  "Save my answers" writes the file beside the notebook (`imatter-answers/`), where collection
  finds it. Nothing depends on saved widget state (DECISIONS 4).
Each place shows the privacy text that is true for it (see `static/activities.js`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ImatterError
from ..impact.answers import FORMAT, SCHEMA_VERSION, write_answers_file
from ..impact.items import (
    _PSEUDONYM,
    ANSWERS_FOLDER,
    ITEMS,
    PSEUDONYM_HELP,
    QUESTIONNAIRE_VERSION,
    SCALE,
    answers_filename,
    check_course,
    check_stage,
)
from .widget import Activity

INTRO = {
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


def place() -> str:
    """Where this kernel runs: "hub" under JupyterHub, else "jupyter"."""
    return "hub" if os.environ.get("JUPYTERHUB_USER") else "jupyter"


class Questionnaire(Activity):
    """The questionnaire widget; `save` writes the answers file (the kernel side of Save)."""

    def __init__(
        self,
        course: str,
        stage: str,
        *,
        cohort: str | None,
        folder: Path | None,
        clock: Callable[[], dt.datetime],
    ) -> None:
        spec = {
            "course": course,
            "stage": stage,
            "cohort": cohort,
            "intro": INTRO[stage],
            "items": [{"id": item.id, "statement": item.statement} for item in ITEMS],
            "scale": [[score, words] for score, words in SCALE.items()],
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "questionnaire_version": QUESTIONNAIRE_VERSION,
            "filename": answers_filename(course, stage),
            "pseudonym_pattern": _PSEUDONYM.pattern,
            "pseudonym_help": PSEUDONYM_HELP,
        }
        super().__init__("questionnaire", spec)
        self._course, self._stage, self._cohort = course, stage, cohort
        self._folder, self._clock = folder, clock
        self.status = ""
        self.on_msg(self._on_message)

    def _on_message(self, _widget: object, content: Any, _buffers: object) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "hello":
            self.send({"type": "here", "place": place()})
        elif content.get("type") == "save":
            scores = content["scores"] if isinstance(content.get("scores"), dict) else {}
            ok, lead, text = self._save(str(content.get("code") or ""), scores)
            self.send({"type": "saved", "ok": ok, "lead": lead, "text": text})

    def _save(self, code: str, scores: dict[str, Any]) -> tuple[bool, str, str]:
        missing = [item for item in ITEMS if scores.get(item.id) in (None, "")]
        if missing:
            return (
                False,
                "",
                f"Please choose an answer for every statement first ({len(missing)} still to do).",
            )
        try:
            path = write_answers_file(
                self._folder if self._folder is not None else Path.cwd(),
                self._course,
                self._stage,
                code,
                {k: int(v) for k, v in scores.items()},
                self._clock(),
                cohort=self._cohort,
            )
        except ImatterError as err:
            return False, "", err.message if code.strip() else f"Please {PSEUDONYM_HELP}."
        except (OSError, ValueError, TypeError) as err:
            reason = getattr(err, "strerror", None) or "the answers are not in the right form"
            return False, "", f"Your answers could not be saved ({reason}). Tell your Lead."
        shown = "".join(code.split()).upper()
        return (
            True,
            "Thank you: your answers are saved",
            f"in {ANSWERS_FOLDER}/{path.name}. Your code is {shown}. Use the same code at the end "
            "of the course. You can change an answer and save again.",
        )

    def save(self, code: str, scores: dict[str, Any]) -> str:
        """Save as the Save button does; returns the message shown (as HTML)."""
        ok, lead, text = self._save(code, scores)
        kind = "right" if ok else "wrong"
        from ..templates import fragment

        self.status = fragment("saved_note", kind, lead, text)
        return self.status

    # Handles for tests and facilitators' tooling: the code box, the ratings and Save, as the
    # earlier ipywidgets version offered them (they hold no learner data beyond this object).
    @property
    def imatter_code(self) -> _Field:
        return self._fields()[0]

    @property
    def imatter_ratings(self) -> dict[str, _Field]:
        return self._fields()[1]

    @property
    def imatter_save(self) -> _Button:
        return _Button(lambda: self.save(self.imatter_code.value, self._scores()))

    @property
    def imatter_status(self) -> _Field:
        return _Field(self.status)

    def _fields(self) -> tuple[_Field, dict[str, _Field]]:
        if not hasattr(self, "_handles"):
            self._handles = (_Field(""), {item.id: _Field(None) for item in ITEMS})
        return self._handles

    def _scores(self) -> dict[str, Any]:
        return {k: f.value for k, f in self.imatter_ratings.items() if f.value is not None}


class _Field:
    def __init__(self, value: Any) -> None:
        self.value = value


class _Button:
    def __init__(self, action: Callable[[], object]) -> None:
        self.click = action


def questionnaire(
    course: str,
    stage: str,
    *,
    cohort: str | None = None,
    folder: str | Path | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Questionnaire:
    """The impact questionnaire for a course at one stage ("pre" or "post").

    :param course: the course id, e.g. "foundation-a".
    :param stage: "pre" (first session) or "post" (last session).
    :param cohort: optional cohort label written into the answers file.
    :param folder: where the notebook lives (default: the kernel's working folder, which
        Jupyter sets to the notebook's folder); answers go to `<folder>/imatter-answers/`.
    :param clock: returns the time of answering (default: the computer's clock).
    """
    check_course(course)
    check_stage(stage)
    return Questionnaire(
        course,
        stage,
        cohort=cohort,
        folder=Path(folder) if folder is not None else None,
        clock=clock or dt.datetime.now,
    )
