"""The questionnaire itself: four statements rated on a 1-5 agreement scale, and its codes.

Plain data, no imports beyond the standard library: the widget, the answers files, collection
and analysis all read the items from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidValue

QUESTIONNAIRE_VERSION = 1
STAGES = ("pre", "post")


@dataclass(frozen=True)
class Item:
    """One questionnaire item: its id, short label and the statement people rate."""

    id: str
    label: str  # a short name for tables and charts
    statement: str  # what the learner rates


ITEMS: tuple[Item, ...] = (
    Item(
        "confidence",
        "Confidence",
        "I feel confident in my role with the children I care for or work with.",
    ),
    Item(
        "understanding",
        "Understanding",
        "I understand how children's wellbeing depends on their relationships with the "
        "adults around them.",
    ),
    Item(
        "wellbeing",
        "Own wellbeing",
        "I look after my own wellbeing, and I know where to turn for support.",
    ),
    Item(
        "practice",
        "Practice",
        "I use what I know about relationships and stress in what I do each day.",
    ),
)
ITEM_IDS: tuple[str, ...] = tuple(item.id for item in ITEMS)

# Score -> words. The words carry the meaning; the numbers are what is stored.
SCALE: dict[int, str] = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
# A code the learner makes up: letters, digits and hyphens, with at least one digit (so that a
# name on its own is refused), e.g. KESTREL-42.
_PSEUDONYM = re.compile(r"^(?=.*\d)[A-Z0-9][A-Z0-9-]{2,19}$")
PSEUDONYM_HELP = (
    "type a code you will remember, such as KESTREL-42: 3 to 20 letters, digits or hyphens "
    "with at least one digit, and not your name"
)


def check_course(course: str) -> str:
    """A course id's shape (the programme is checked when answers are collected)."""
    if not isinstance(course, str) or not _SLUG.match(course):
        raise InvalidValue(f"course '{course}' is not a course id such as foundation-a")
    return course


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise InvalidValue(f"stage '{stage}' must be 'pre' or 'post'")
    return stage


def normalise_pseudonym(code: str) -> str:
    """The learner's code, trimmed and in capitals; InvalidValue if it is not a valid code."""
    text = "".join(str(code or "").split()).upper()
    if "@" in text or not _PSEUDONYM.match(text):
        raise InvalidValue(f"'{code}' is not a valid code: {PSEUDONYM_HELP}")
    return text


def answers_filename(course: str, stage: str) -> str:
    """`<course>-<stage>.json`, the name of the answers file inside `imatter-answers/`."""
    return f"{check_course(course)}-{check_stage(stage)}.json"


from .walk import ANSWERS_FOLDER as ANSWERS_FOLDER  # noqa: E402 - (where the walk, a script too, has it)
