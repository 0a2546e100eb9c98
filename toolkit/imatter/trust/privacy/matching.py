"""Finding a person in text: their name, email and sign-in identities, whole word, any case.

`Terms` is pure (no database): it matches and scrubs strings. `candidates` narrows a column to
the rows that may match with SQL (`ILIKE` on the longest plain-letter part of each term), so a
large table is not read in full; the regular expression then decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa

_PLAIN = re.compile(r"[A-Za-z0-9]+")
MIN_TERM = 2  # a one-letter "name" would match everywhere


def _pattern(term: str) -> str:
    body = r"\s+".join(re.escape(part) for part in term.split())
    if "@" in term:  # an email: not part of a longer address
        return rf"(?<![\w.+-]){body}(?![\w-]|\.\w)"
    return rf"(?<!\w){body}(?!\w)"


@dataclass(frozen=True)
class Terms:
    """The strings that name one person, and the label that replaces them."""

    label: str
    texts: tuple[str, ...]

    @classmethod
    def of(cls, label: str, *texts: str | None) -> Terms:
        clean = {" ".join(t.split()) for t in texts if t and len(" ".join(t.split())) >= MIN_TERM}
        # Longest first, so that "Name <email>" loses the email before the name.
        return cls(label, tuple(sorted(clean, key=lambda t: (-len(t), t.lower()))))

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        if not self.texts:
            return None
        return re.compile("|".join(f"(?:{_pattern(t)})" for t in self.texts), re.IGNORECASE)

    def found_in(self, value: object) -> bool:
        """Whether a value (any type) names the person."""
        return isinstance(value, str) and self.regex is not None and bool(self.regex.search(value))

    def scrub(self, value: str) -> str:
        """The value with every mention replaced by the label; just the label if nothing else
        is left but punctuation (so "Name <email>" becomes the label, not "label <label>")."""
        if self.regex is None:
            return value
        new = self.regex.sub(self.label, value)
        if new != value and not re.search(r"\w", new.replace(self.label, "")):
            return self.label
        return new

    def candidates(self, column: sa.ColumnElement) -> sa.ColumnElement[bool] | None:
        """An SQL condition true for every row whose `column` may name the person (a superset).

        A term in plain ASCII without spaces is searched for whole; another by its longest run
        of plain letters and digits (any spacing and any case of other letters then still
        match). None when such a term has no run of 3 or more: every value is a candidate.
        """
        conditions = []
        for text in self.texts:
            if text.isascii() and not any(c.isspace() for c in text):
                escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                conditions.append(column.ilike(f"%{escaped}%", escape="\\"))
                continue
            longest = max(_PLAIN.findall(text), key=len, default="")
            if len(longest) < 3:
                return None
            conditions.append(column.ilike(f"%{longest}%"))
        if not conditions:
            return sa.false()
        return sa.or_(*conditions)


def fit(value: str, length: int | None, label: str) -> str:
    """A scrubbed value that fits its column (the label alone, cut if it must be)."""
    if length is None or len(value) <= length:
        return value
    return label[:length]
