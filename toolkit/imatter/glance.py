"""A course at a glance (the old import path; see `imatter.notebook.glance`)."""

from __future__ import annotations

from .notebook.glance import AUDIENCE_WORDS, course_at_a_glance, glance_card_html, glance_text

__all__ = ["AUDIENCE_WORDS", "course_at_a_glance", "glance_card_html", "glance_text"]
