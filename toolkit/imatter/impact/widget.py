"""The questionnaire widget (the old import path; see `imatter.notebook.questionnaire`)."""

from __future__ import annotations

from ..notebook.questionnaire import Questionnaire, questionnaire

__all__ = ["Questionnaire", "questionnaire"]
