"""nbgrader plugin classes. This module imports nbgrader: nbgrader loads it by name, when it
runs, through its configuration (``ZipCollectApp.collector_plugin``)."""

from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode

from .collect import learner_from_name


class LearnerFileCollector(FileNameCollectorPlugin):
    """Zip collect's file matcher: ``p12_<assessment>.ipynb`` is learner ``p12``'s notebook.

    Only files that passed the toolkit's checks reach it; any other name is skipped.
    """

    timestamp = Unicode("", help="The collection time given to every file of a batch.").tag(
        config=True
    )

    def collect(self, submitted_file: str) -> dict | None:
        assessment_id = self.parent.coursedir.assignment_id
        student = learner_from_name(Path(submitted_file).name, assessment_id)
        if student is None:
            return None
        info = {"student_id": student, "file_id": f"{assessment_id}.ipynb"}
        if self.timestamp:
            info["timestamp"] = self.timestamp
        return info
