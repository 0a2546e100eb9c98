"""Impact evidence: a short pre/post questionnaire, its answers files, collection and analysis.

The data flow: a session notebook calls `questionnaire(course, stage)`, a widget that writes
the learner's answers to a small file beside the notebook (`imatter-answers/<course>-<stage>.json`,
never widget state: see DECISIONS 4); `collect_answers` reads returned files into the store in
one transaction; `impact_summary` pairs pre and post answers per course and cohort and reports
the change, with small groups suppressed.

Heavy libraries (ipywidgets, pandas, scipy, nbformat) are imported only inside the functions
that need them, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .items import ITEMS, SCALE, STAGES, normalise_pseudonym

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "ITEMS",
    "SCALE",
    "STAGES",
    "add_questionnaire_cells",
    "collect_answers",
    "impact_pairs",
    "impact_report",
    "impact_summary",
    "normalise_pseudonym",
    "paired_statistics",
    "questionnaire",
    "read_answers_file",
    "write_answers_file",
]


def questionnaire(course: str, stage: str, **options: Any):
    """The questionnaire widget a session notebook shows (see `impact.widget.questionnaire`)."""
    from .widget import questionnaire as build

    return build(course, stage, **options)


def add_questionnaire_cells(notebook_path: str | Path, course: str, stage: str) -> bool:
    """Insert the questionnaire's markdown and code cells into a session notebook."""
    from .notebook import add_questionnaire_cells as add

    return add(notebook_path, course, stage)


def write_answers_file(*args: Any, **kwargs: Any):
    """Write one learner's answers file (see `impact.answers.write_answers_file`)."""
    from .answers import write_answers_file as write

    return write(*args, **kwargs)


def read_answers_file(*args: Any, **kwargs: Any):
    """Read and validate one answers file (see `impact.answers.read_answers_file`)."""
    from .answers import read_answers_file as read

    return read(*args, **kwargs)


def collect_answers(*args: Any, **kwargs: Any):
    """Collect answers files under a folder into the store (see `impact.collect`)."""
    from .collect import collect_answers as collect

    return collect(*args, **kwargs)


def impact_pairs(*args: Any, **kwargs: Any):
    """Pre/post pairs per learner and item (see `impact.analysis.impact_pairs`)."""
    from .analysis import impact_pairs as pairs

    return pairs(*args, **kwargs)


def impact_summary(*args: Any, **kwargs: Any):
    """Paired analysis per course and cohort (see `impact.analysis.impact_summary`)."""
    from .analysis import impact_summary as summary

    return summary(*args, **kwargs)


def impact_report(*args: Any, **kwargs: Any):
    """The paired analysis as a renderable report (see `impact.analysis.impact_report`)."""
    from .analysis import impact_report as report

    return report(*args, **kwargs)


def paired_statistics(*args: Any, **kwargs: Any):
    """Mean change, CI, d_z and Wilcoxon for one set of pairs (see `impact.analysis`)."""
    from .analysis import paired_statistics as stats

    return stats(*args, **kwargs)
