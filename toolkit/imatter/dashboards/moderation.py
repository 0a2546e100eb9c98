"""Moderation from the Lead dashboard: the first marker asks a colleague to second-mark a
sample; the colleague, logged in as themselves, marks it as the second marker (the same rubric
widget); the Lead compares the two and resolves each disagreement, before feedback goes back.

Everything goes through `imatter.assess.moderate` and `imatter.assess.marking` (the same checks
as `imatter assess moderate`): the second marker must be someone other than the first.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ..errors import ImatterError
from .common import note, table

FIRST, SECOND = "first", "second"


class ModerationPanel:
    """`course()` gives (CourseDir, assessment id) or raises; `me()` the marker's name."""

    def __init__(self, course: Callable, me: Callable[[], str], store) -> None:
        self.course = course
        self.me = me
        self.store = store

        def wide() -> widgets.Layout:  # one each: a widget hidden hides all sharing its layout
            return widgets.Layout(width="520px")

        self.role = widgets.Dropdown(
            description="Marking as",
            options=[("first marker", FIRST), ("second marker (moderation)", SECOND)],
            value=FIRST,
            layout=wide(),
        )
        self.role.add_class("imatter-marking-role")
        self.second_marker = widgets.Dropdown(
            description="Second marker", style={"description_width": "initial"}, layout=wide()
        )
        self.second_marker.add_class("imatter-second-marker")
        self.share = widgets.BoundedIntText(
            value=20, min=1, max=100, description="Sample (%)", layout=widgets.Layout(width="220px")
        )
        self.ask = widgets.Button(
            description="Ask for a second marking", layout=widgets.Layout(width="auto")
        )
        self.compare_button = widgets.Button(
            description="Compare the marks", layout=widgets.Layout(width="auto")
        )
        self.learner = widgets.Dropdown(description="Learner", layout=wide())
        self.learner.add_class("imatter-disagreement-learner")
        self.keep_first = widgets.Button(
            description="Keep the first marks", layout=widgets.Layout(width="auto")
        )
        self.keep_second = widgets.Button(
            description="Keep the second marks", layout=widgets.Layout(width="auto")
        )
        self.status = widgets.HTML()
        self.status.add_class("imatter-moderation")
        self.ask.on_click(lambda _b: self.ask_for_sample())
        self.compare_button.on_click(lambda _b: self.compare())
        self.keep_first.on_click(lambda _b: self.resolve(FIRST))
        self.keep_second.on_click(lambda _b: self.resolve(SECOND))
        self.learner.layout.display = self.keep_first.layout.display = "none"
        self.keep_second.layout.display = "none"
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    "<h4>Moderation</h4><p class='muted'>When you have marked, ask a colleague "
                    "to second-mark a sample. They open their own dashboard, choose "
                    "<b>second marker</b> above and mark. Then compare the marks and settle "
                    "any disagreement before you return feedback.</p>"
                ),
                widgets.HBox([self.second_marker, self.share, self.ask]),
                widgets.HBox([self.compare_button]),
                self.status,
                widgets.HBox([self.learner, self.keep_first, self.keep_second]),
            ]
        )

    def set_colleagues(self, names: list[str]) -> None:
        self.second_marker.options = names
        self.second_marker.value = names[0] if names else None
        self.ask.disabled = not names

    def ask_for_sample(self) -> None:
        from ..assess.moderate import select_sample

        if self.second_marker.value is None:
            return
        try:
            course, assessment_id = self.course()
            chosen = select_sample(
                course,
                assessment_id,
                self.store,
                second_marker=self.second_marker.value,
                selected_by=self.me(),
                fraction=self.share.value / 100,
            )
        except ImatterError as err:
            self.status.value = note(f"No sample: {err.message}", "error")
            return
        self.status.value = note(
            f"Asked {self.second_marker.value} to second-mark the work of "
            f"{', '.join(chosen)}; they choose 'second marker' in their own dashboard."
        )

    def compare(self) -> None:
        from ..assess.moderate import compare, unresolved

        try:
            course, assessment_id = self.course()
            report = compare(course, assessment_id, self.store)
            still = {
                (d.student, d.criterion) for d in unresolved(course, assessment_id, self.store)
            }
        except ImatterError as err:
            self.status.value = note(f"Cannot compare: {err.message}", "error")
            return
        parts = [
            note(
                f"Sample: {len(report.sampled)}; second-marked: {len(report.second_marked)}; "
                f"criteria agreed: {report.agreed}.",
                "",
            )
        ]
        if report.waiting:
            parts.append(note(f"Still to second-mark: {', '.join(report.waiting)}.", "warn"))
        parts.append(
            table(
                ["Learner", "Criterion", "First marker", "Second marker", ""],
                [
                    (
                        d.student,
                        d.criterion,
                        d.first,
                        d.second,
                        "to settle" if (d.student, d.criterion) in still else "settled",
                    )
                    for d in report.disagreements
                ],
                empty="No disagreements: the two markers agree.",
            )
        )
        if report.disagreements and not still:
            parts.append(note("Every disagreement is settled: return feedback so it matches."))
        for student, first, second in report.outcome_changes:
            if any(s == student for s, _c in still):
                parts.append(
                    note(f"{student}: the outcome would change from {first} to {second}.", "warn")
                )
        self.status.value = "".join(parts)
        open_ones = sorted({student for student, _c in still})
        self.learner.options = open_ones
        self.learner.value = open_ones[0] if open_ones else None
        shown = "flex" if open_ones else "none"
        self.learner.layout.display = shown
        self.keep_first.layout.display = self.keep_second.layout.display = shown

    def resolve(self, keep: str) -> None:
        from ..assess.moderate import resolve

        student = self.learner.value
        if student is None:
            return
        try:
            course, assessment_id = self.course()
            done = resolve(course, assessment_id, self.store, student, keep=keep, by=self.me())
        except ImatterError as err:
            self.status.value = note(f"Not resolved: {err.message}", "error")
            return
        self.compare()
        self.status.value = (
            note(
                f"Resolved {len(done)} disagreement(s) over {student}'s work: kept the {keep} "
                "marks. Return feedback again so that it matches."
            )
            + self.status.value
        )
