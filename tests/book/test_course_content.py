"""The teaching content of the courses meets the review's floor (issue 18).

Each check reads the real session notebooks in modules/: words of teaching text per stated hour,
facilitator notes a Lead can run a study group from, a static "Why these answers?" after every
activity, safeguarding wording, plain sentences, made-up stories and current references.
Every course with a course.yml is checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from imatter.book.markdown import prose, split_sentences

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "modules"
COURSES = sorted(p.name for p in MODULES.iterdir() if (p / "course.yml").is_file())
WORDS_PER_HOUR = 500
NOT_TEACHING = ("references", "facilitator notes", "where to get support", "before you")
FACILITATOR_PARTS = {  # what a Lead needs to run the session, however the notes word it
    "timings": r"timing|\d+ min",
    "an opening": r"\bopen(ing)?\b",
    "a closing": r"\bclos(e|ing)\b",
    "discussion prompts": r"prompt",
    "strong feelings": r"strong feelings",
    "disclosures": r"disclos",
    "what to prepare": r"prepar",
    "joining late or missing a session": (
        r"join(s|ing)? late|miss(es|ed|ing)? (a|the|one|this) session"
    ),
}


def sessions(course: str) -> list[tuple[Path, list[dict]]]:
    return [
        (path, json.loads(path.read_text(encoding="utf-8"))["cells"])
        for path in sorted((MODULES / course).glob("[0-9][0-9]-*.ipynb"))
    ]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def markdown(cells: list[dict]) -> list[str]:
    return [source(c) for c in cells if c["cell_type"] == "markdown"]


def words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][A-Za-z'’-]*", text))


def teaching_text(cells: list[dict]) -> str:
    """Markdown prose outside the sections that are not teaching (references, support, notes)."""
    kept = []
    for text in markdown(cells):
        skip = None
        for line in text.split("\n"):
            head = re.match(r"^(#+)\s+(.*)", line)
            if head:
                level = len(head.group(1))
                if skip is not None and level <= skip:
                    skip = None
                if skip is None and head.group(2).lower().startswith(NOT_TEACHING):
                    skip = level
            if skip is None:
                kept.append(line)
    return prose("\n".join(kept))


def section(cells: list[dict], title: str) -> str:
    found = [t for t in markdown(cells) if t.startswith(f"## {title}")]
    assert len(found) == 1, f"expected one '## {title}' section"
    return found[0]


@pytest.mark.parametrize("course", COURSES)
def test_at_least_500_words_of_teaching_text_per_stated_hour(course):
    hours = yaml.safe_load((MODULES / "programme.yml").read_text())["courses"][course]["hours"]
    total = sum(words(teaching_text(cells)) for _path, cells in sessions(course))
    assert total >= WORDS_PER_HOUR * hours, f"{course}: {total} words for {hours} hours"


@pytest.mark.parametrize("course", COURSES)
def test_every_session_has_complete_facilitator_notes(course):
    for path, cells in sessions(course):
        notes = section(cells, "Facilitator notes")
        assert "{admonition}" in notes and ":class: dropdown" in notes, path.name
        missing = [
            part
            for part, pattern in FACILITATOR_PARTS.items()
            if not re.search(pattern, notes, re.IGNORECASE)
        ]
        assert not missing, f"{path.name}: facilitator notes lack {missing}"
        assert "immediately" in notes, f"{path.name}: disclosures must go to the DSL immediately"


@pytest.mark.parametrize("course", COURSES)
def test_every_activity_is_followed_by_why_these_answers(course):
    for path, cells in sessions(course):
        for n, cell in enumerate(cells):
            if cell["cell_type"] == "code" and "imatter.activities" in source(cell):
                after = source(cells[n + 1]) if n + 1 < len(cells) else ""
                assert "```{admonition} Why these answers?" in after, f"{path.name} cell {n + 1}"


@pytest.mark.parametrize("course", COURSES)
def test_safeguarding_concerns_go_immediately(course):
    """A sentence that sends a concern to the DSL or the headteacher says "immediately"."""
    loose = re.compile(r"straight away|the same day|that day|without delay|at once|that morning")
    for path, cells in sessions(course):
        text = re.sub(r"\s+", " ", "\n".join(source(c) for c in cells))
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if re.search(r"safeguarding lead|\bDSL\b|headteacher", sentence):
                found = loose.search(sentence)
                assert not found, f"{path.name}: '{found and found.group()}' in: {sentence[:90]}"


@pytest.mark.parametrize("course", COURSES)
def test_plain_sentences_and_made_up_stories(course):
    for path, cells in sessions(course):
        for text in markdown(cells):
            for sentence in split_sentences(prose(text)):
                assert words(sentence) <= 40, f"{path.name}: {sentence[:80]}..."
        story = section(cells, "A story from practice")
        assert "made up" in story, f"{path.name}: the story must say it is made up"


@pytest.mark.parametrize("course", COURSES)
def test_references_are_current_and_helplines_sit_apart(course):
    for path, cells in sessions(course):
        references = section(cells, "References")
        assert "Keeping Children Safe in Education 2024" not in references, path.name
        assert not re.search(r"\b0[0-9]{3,4} ?[0-9]{3} ?[0-9]{3,4}\b", references), (
            f"{path.name}: helpline numbers belong under '## Where to get support'"
        )
