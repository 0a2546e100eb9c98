"""Readability of a notebook's prose (Flesch reading ease, with textstat).

Only the Markdown prose counts: no code, headings, tables or citations, and not the
References or Facilitator notes sections (the first is a list of sources, the second is
written for the professional who runs the group). A score of 60 or more reads as plain
English; pages for parents must reach it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .markdown import headings, lines, prose, split_sentences

PARENT_MINIMUM = 60.0
MIN_WORDS = 100  # below this a score means little
CELL_MIN_WORDS = 40
SKIPPED_SECTIONS = ("references", "facilitator notes")


@dataclass(frozen=True)
class Readability:
    """How easy a module is to read: its score, words, and its hardest cell and sentence."""

    score: float
    words: int
    worst_cell: int | None  # 1-based cell number of the hardest cell (with enough words)
    worst_cell_score: float | None
    longest_sentence: str
    longest_words: int
    long_words: tuple[str, ...]  # the commonest words of four or more syllables


def _skipped(title: str) -> bool:
    return title.lower().startswith(SKIPPED_SECTIONS)


def reader_text(cells: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(cell number, prose) for Markdown cells, leaving out skipped sections: a section runs
    from its `##` heading to the next heading of the same or a higher level."""
    out: list[tuple[int, str]] = []
    skip_level: int | None = None
    for number, text in cells:
        kept: list[str] = []
        heads = {h.line: h for h in headings(text)}
        for line in lines(text):
            head = heads.get(line.number)
            if head is not None:
                if skip_level is not None and head.level <= skip_level:
                    skip_level = None
                if skip_level is None and _skipped(head.text):
                    skip_level = head.level
            if skip_level is None:
                kept.append(line.text)
        words = prose("\n".join(kept))
        if words:
            out.append((number, words))
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'’-]*", text)


def measure(cells: list[tuple[int, str]]) -> Readability | None:
    """The readability of a notebook's Markdown cells, given as (cell number, source);
    None when there are too few words to judge."""
    import textstat

    parts = reader_text(cells)
    text = "\n".join(p for _n, p in parts)
    words = _words(text)
    if len(words) < MIN_WORDS:
        return None
    worst: tuple[float, int] | None = None
    for number, part in parts:
        if len(_words(part)) >= CELL_MIN_WORDS:
            score = float(textstat.flesch_reading_ease(part))
            if worst is None or score < worst[0]:
                worst = (score, number)
    sentences = split_sentences(text)
    longest = max(sentences, key=lambda s: len(_words(s)), default="")
    long_words = Counter(w.lower() for w in words if len(w) > 6 and textstat.syllable_count(w) >= 4)
    return Readability(
        score=float(textstat.flesch_reading_ease(text)),
        words=len(words),
        worst_cell=worst[1] if worst else None,
        worst_cell_score=worst[0] if worst else None,
        longest_sentence=longest,
        longest_words=len(_words(longest)),
        long_words=tuple(w for w, _n in long_words.most_common(5)),
    )
