"""A group's assessment from the Lead dashboard, without a command line: prepare it (an nbgrader
course directory named after the group, with its learners on the roster, the assessment
generated), hand out each learner's notebook, take in the notebooks learners send back, and
collect and autograde them (real nbgrader), ready to mark with the rubric.

Everything goes through `imatter.assess` (the same checks as `imatter assess init / release /
collect / autograde`), acting as the dashboard's person.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from ..errors import ImatterError
from ..templates import fragment
from .common import note


class AssessmentPanel:
    """`group()` gives the chosen group's (id, assessment id or None); `done` is called after
    a collection (to refresh the marking queue)."""

    def __init__(self, ws, group: Callable[[], tuple], done: Callable[[], None]) -> None:
        self.ws = ws
        self.group = group
        self.done = done
        auto = widgets.Layout(width="auto")
        self.prepare = widgets.Button(description="Prepare and hand out", layout=auto)
        self.handout = widgets.HTML()
        self.handout.add_class("imatter-handout")
        self.upload = widgets.FileUpload(
            accept=".ipynb,.zip", multiple=True, description="Add work handed in"
        )
        self.upload.add_class("imatter-handin")
        self.received = widgets.HTML()
        self.received.add_class("imatter-handed-in")
        self.collect = widgets.Button(
            description="Collect and autograde", layout=auto, button_style="primary"
        )
        self.collected = widgets.HTML()
        self.collected.add_class("imatter-collected")
        self.inbox = Path(tempfile.mkdtemp(prefix="imatter-handin-"))
        self.prepare.on_click(lambda _b: self.prepare_and_hand_out())
        self.upload.observe(lambda _c: self.take_in(), names="value")
        self.collect.on_click(lambda _b: self.collect_and_autograde())
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    "<p class='muted'>Prepare the assessment once: each learner gets their "
                    "own notebook to download. When they send it back (by email, say), add "
                    "the files here and press <b>Collect and autograde</b>; their reflections "
                    "then wait on the Reflections tab to be marked.</p>"
                ),
                widgets.HBox([self.prepare]),
                self.handout,
                widgets.HBox([self.upload]),
                self.received,
                widgets.HBox([self.collect]),
                self.collected,
            ]
        )

    # ------------------------------------------------------------------ the course directory
    def folder(self, group_id: int) -> Path:
        """The group's course directory: named after the group, so it belongs to its setting."""
        return Path(self.ws.path) / "assessments" / str(group_id)

    def refresh(self) -> None:
        gid, assessment = self.group()
        self.widget.layout.display = "flex" if assessment else "none"
        self.collect.disabled = not any(self.inbox.iterdir())

    def record_passes(self, recorded_by: str, today) -> str:
        """Record every marked pass of the chosen group's assessment (as `imatter assess sync`
        does), so the completion rule can count it; a line saying what was recorded."""
        from ..assess.course_dir import COURSE_FILE
        from ..assess.sync import sync

        gid, assessment = self.group()
        if gid is None or assessment is None or not (self.folder(gid) / COURSE_FILE).is_file():
            return ""
        course, _ = self.course()
        report = sync(
            course, assessment, self.ws.store, self.ws.programme, recorded_by=recorded_by,
            today=today,
        )  # fmt: skip
        passed = len(report.lines) - report.count("not yet") - report.count("not marked")
        return (
            f"Assessment: {passed} pass(es) on record, {report.count('not yet')} not yet "
            f"passed, {report.count('not marked')} not yet marked."
        )

    def course(self):
        from ..assess.course_dir import open_course_dir

        gid, assessment = self.group()
        return open_course_dir(self.folder(gid)), assessment

    def prepare_and_hand_out(self) -> None:
        from ..assess.course_dir import (
            COURSE_FILE,
            add_learners,
            create_course_dir,
            default_sources,
            study_group_learners,
        )
        from ..assess.release import generate, release_files

        gid, assessment = self.group()
        if gid is None or assessment is None:
            return
        root = self.folder(gid)
        try:
            fresh = not (root / COURSE_FILE).is_file()
            course = create_course_dir(root, str(gid))
            _label, members = study_group_learners(self.ws.store, gid)
            add_learners(course, self.ws.store, members)
            if fresh:
                generate(course, default_sources(), assessment)
            report = release_files(course, assessment, root / "handout")
        except ImatterError as err:
            self.handout.value = note(f"Not prepared: {err.message}", "error")
            return
        files = [(p.name, base64.b64encode(p.read_bytes()).decode()) for p in report.files]
        self.handout.value = note(
            f"Ready: {len(report.learners)} learner(s) on the roster. Send each learner "
            "their own notebook (the number in its name is theirs), with the note on how "
            "to send it back."
        ) + fragment("file_links", files)

    # ------------------------------------------------------------------ work coming in
    def take_in(self) -> None:
        """Keep the uploaded files (in a private temporary folder) until collected."""
        if not self.upload.value:
            return
        names = []
        for upload in self.upload.value:
            name = re.sub(r"[^\w.\- ()]", "_", Path(str(upload["name"])).name) or "work.ipynb"
            (self.inbox / name).write_bytes(bytes(upload["content"]))
            names.append(name)
        self.upload.value = ()
        waiting = sorted(p.name for p in self.inbox.iterdir())
        self.received.value = note(
            f"{len(waiting)} file(s) ready to collect: {', '.join(waiting)}.", "muted"
        )
        self.collect.disabled = False

    def collect_and_autograde(self) -> None:
        from ..assess.autograde import autograde
        from ..assess.collect import collect_files

        try:
            course, assessment = self.course()
            got = collect_files(course, assessment, self.inbox)
            graded = autograde(course, assessment, workers=1)
        except ImatterError as err:
            self.collected.value = note(f"Not collected: {err.message}", "error")
            return
        for p in self.inbox.iterdir():
            p.unlink()
        self.received.value = ""
        self.collect.disabled = True
        parts = [
            note(
                f"Collected {len(got.collected)} learner(s)' work"
                + (f" ({', '.join(got.collected)})" if got.collected else "")
                + f"; autograded {len(graded.results)}"
                + (f", {len(graded.failed)} failed" if graded.failed else "")
                + ". Their reflections now wait on the Reflections tab."
            )
        ]
        parts += [note(f"Set aside: {p}", "warn") for p in got.problems]
        parts += [note(f"Could not autograde: {r}", "error") for r in graded.failed]
        self.collected.value = "".join(parts)
        self.done()
