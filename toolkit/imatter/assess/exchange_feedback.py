"""Feedback back through nbgrader's exchange, where a hub exists.

nbgrader's convention: ``feedback/<learner>/<assessment>/<notebook>.html`` in the course
directory, beside the submission's ``timestamp.txt`` and ``submission_secret.txt``; its
``release_feedback`` copies each file into the exchange under a name only the learner's own
submission can produce, and ``nbgrader fetch_feedback`` (the Assignments list) brings it home.
The files are the toolkit's own feedback (`write_feedback`), which quote no reflection.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from ..errors import Conflict
from .course_dir import CourseDir
from .feedback import FeedbackReport, write_feedback
from .feedback import release_feedback_exchange as release_laid_out

SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def release_feedback_exchange(course: CourseDir, assessment_id: str, store: Any) -> FeedbackReport:
    """Write each fully marked learner's feedback and release it through the exchange."""
    if not course.exchange_root:
        raise Conflict(
            f"{course.root}: no exchange is set up; set one with "
            "`imatter assess init --exchange PATH`, or write the files with --to"
        )
    with tempfile.TemporaryDirectory() as tmp:
        report = write_feedback(course, assessment_id, store, tmp)
        written, skipped = [], list(report.skipped)
        for path in report.written:
            student = path.name.split("_", 1)[0]
            submitted = course.submitted(student, assessment_id)
            if not all((submitted / name).is_file() for name in SUBMISSION_FILES):
                skipped.append((student, "not submitted through the exchange"))
                continue
            folder = course.root / "feedback" / student / assessment_id
            folder.mkdir(parents=True, exist_ok=True)
            for name in SUBMISSION_FILES:
                shutil.copy(submitted / name, folder / name)
            target = folder / f"{assessment_id}.html"
            shutil.copy(path, target)
            written.append(target)
    if written:
        release_laid_out(course, assessment_id)  # nbgrader's own release_feedback
    return FeedbackReport(assessment_id, tuple(written), tuple(skipped))
