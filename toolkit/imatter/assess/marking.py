"""Mark reflections against the rubric: one reflection at a time, a level per criterion.

`Marking` is the API under the marking widget (and under the tests and the CLI). For the first
marker, each mark goes into the nbgrader gradebook exactly as the formgrader writes it (the
grade's ``manual_score`` and ``needs_manual_grade``, the comment's ``manual_comment``) and the
levels chosen go into the store. A second marker (moderation) writes to the store only, so the
learner's result is untouched.

The learner's answer is read to be shown to the marker. It is never logged, and the store keeps
only its sha256 (so that a resubmitted answer shows as needing marking again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, InvalidValue, NotFound
from ..records.clock import utcnow
from ..store import schema as t
from .course_dir import CourseDir, gradebook, person_of
from .results import ROLES, LearnerResult, answers, fingerprint, learner_results
from .rubric import Criterion, Rubric, load_checked


@dataclass(frozen=True)
class MarkItem:
    """One learner's answer to one reflection, with the criteria to mark it against."""

    student: str
    person_id: int
    name: str
    cell: str
    title: str
    prompt: str
    answer: str
    blank: bool
    criteria: tuple[Criterion, ...]
    levels: Mapping[str, str] | None
    comment: str | None
    stale: str | None

    @property
    def marked(self) -> bool:
        return self.levels is not None


def same_person(a: str | None, b: str | None) -> bool:
    """Whether two marker names are the same person's (case and spacing aside)."""
    return bool(a and b and " ".join(a.split()).casefold() == " ".join(b.split()).casefold())


def first_markers(
    conn: sa.Connection, course: CourseDir, assessment_id: str
) -> dict[int, set[str]]:
    """Who first-marked each learner's work, by person id."""
    m = t.assessment_marks
    found: dict[int, set[str]] = {}
    for person, marker in conn.execute(
        sa.select(m.c.person_id, m.c.marker).where(
            m.c.nbgrader_course == course.course_id,
            m.c.assessment_id == assessment_id,
            m.c.role == "first",
        )
    ):
        found.setdefault(person, set()).add(marker)
    return found


def moderation_sample(conn: sa.Connection, course: CourseDir, assessment_id: str) -> set[int]:
    md = t.assessment_moderations
    return set(
        conn.execute(
            sa.select(md.c.person_id).where(
                md.c.nbgrader_course == course.course_id, md.c.assessment_id == assessment_id
            )
        ).scalars()
    )


class Marking:
    """A marking session: one assessment in one course directory, one marker, one role."""

    def __init__(
        self,
        course: CourseDir,
        assessment_id: str,
        store: Any,
        *,
        marker: str,
        role: str = "first",
        rubric: Rubric | None = None,
    ) -> None:
        if role not in ROLES:
            raise InvalidValue(f"role must be one of: {', '.join(ROLES)}")
        if not marker or not marker.strip():
            raise InvalidValue("say who is marking (a name for the record)")
        from .guard import require_course

        require_course(store, course, "assess.mark")
        self.course = course
        self.assessment_id = assessment_id
        self.store = store
        self.marker = " ".join(marker.split())
        self.role = role
        self.rubric = rubric or load_checked(course.source(assessment_id), assessment_id)

    # ------------------------------------------------------------------ reading
    def students(self) -> list[str]:
        """Whose work this session marks: autograded learners (a second marker: the sample)."""
        graded = self.course.autograded_students(self.assessment_id)
        if self.role == "first":
            return graded
        with self.store.read() as conn:
            sample = moderation_sample(conn, self.course, self.assessment_id)
        return [s for s in graded if person_of(s) in sample]

    def results(self, only: str | None = None) -> list[LearnerResult]:
        """Results of this session's learners (or of the one learner `only`, if theirs)."""
        students = self.students()
        if only is not None:
            students = [s for s in students if s == only]
        return learner_results(
            self.course,
            self.assessment_id,
            self.store,
            self.rubric,
            role=self.role,
            students=students,
        )

    def items(self, only: str | None = None) -> list[MarkItem]:
        """Every reflection to mark, learner by learner, in rubric order (`only`: one
        learner's)."""
        found = []
        for result in self.results(only):
            notebook = (
                self.course.autograded(result.student, self.assessment_id)
                / f"{self.assessment_id}.ipynb"
            )
            texts = answers(notebook)
            for reflection, rr in zip(self.rubric.reflections, result.reflections, strict=True):
                found.append(
                    MarkItem(
                        result.student,
                        result.person_id,
                        result.name,
                        reflection.cell,
                        reflection.title,
                        rr.prompt,
                        texts.get(reflection.cell, ""),
                        rr.blank,
                        reflection.criteria,
                        rr.levels,
                        rr.comment,
                        rr.stale,
                    )
                )
        return found

    def queue(self) -> list[MarkItem]:
        """The reflections still to mark (never marked, or changed since)."""
        return [item for item in self.items() if not item.marked]

    def item(self, student: str, cell: str) -> MarkItem:
        for item in self.items(student):
            if item.student == student and item.cell == cell:
                return item
        raise NotFound(
            f"no reflection '{cell}' to mark for {student} in {self.assessment_id} "
            f"({'not autograded yet' if self.role == 'first' else 'not in the moderation sample'}?)"
        )

    # ------------------------------------------------------------------ writing
    def mark(
        self, student: str, cell: str, levels: Mapping[str, str], comment: str | None = ""
    ) -> MarkItem:
        """Record a level per criterion and a comment for one learner's reflection."""
        person = person_of(student)
        if person is None:
            raise NotFound(f"'{student}' is not a learner id (p<person id>)")
        from .guard import require_learner

        with self.store.read() as conn:
            require_learner(conn, "assess.mark", person)
        points = self.rubric.points_for(cell, dict(levels))
        notebook = self.course.autograded(student, self.assessment_id) / (
            f"{self.assessment_id}.ipynb"
        )
        if not notebook.is_file():
            raise NotFound(f"{student} has no autograded {self.assessment_id}; autograde first")
        sha = fingerprint(answers(notebook).get(cell, ""))
        text = (comment or "").strip() or None
        m = t.assessment_marks
        key = (
            m.c.nbgrader_course == self.course.course_id,
            m.c.assessment_id == self.assessment_id,
            m.c.person_id == person,
            m.c.cell_id == cell,
            m.c.role == self.role,
        )
        values = {
            "levels": json.dumps(dict(sorted(levels.items()))),
            "points": points,
            "comment": text if self.role == "second" else None,
            "answer_sha256": sha,
            "marker": self.marker,
            "marked_at": utcnow(),
        }
        with self.store.write() as conn:
            if not conn.execute(sa.select(t.people.c.id).where(t.people.c.id == person)).first():
                raise NotFound(f"no person {person} in the records (learner {student})")
            if self.role == "second" and person not in moderation_sample(
                conn, self.course, self.assessment_id
            ):
                raise Conflict(f"{student} is not in the moderation sample")
            if self.role == "second":
                firsts = first_markers(conn, self.course, self.assessment_id).get(person, set())
                if any(same_person(self.marker, f) for f in firsts):
                    raise Conflict(
                        f"{self.marker} first-marked {student}'s {self.assessment_id}: "
                        "the second marker must be someone else"
                    )
            if conn.execute(sa.select(m.c.id).where(*key)).first():
                conn.execute(m.update().where(*key).values(**values))
            else:
                conn.execute(
                    m.insert().values(
                        nbgrader_course=self.course.course_id,
                        assessment_id=self.assessment_id,
                        person_id=person,
                        cell_id=cell,
                        role=self.role,
                        **values,
                    )
                )
            if self.role == "first":
                self._write_gradebook(student, cell, points, text)
        return self.item(student, cell)

    def _write_gradebook(self, student: str, cell: str, points: float, comment: str | None) -> None:
        """As nbgrader's formgrader does (its GradeHandler and CommentHandler PUTs)."""
        from nbgrader.api import MissingEntry

        with gradebook(self.course) as gb:
            try:
                grade = gb.find_grade(cell, self.assessment_id, self.assessment_id, student)
                note = gb.find_comment(cell, self.assessment_id, self.assessment_id, student)
            except MissingEntry:
                raise NotFound(
                    f"the gradebook has no '{cell}' for {student}; autograde first"
                ) from None
            grade.manual_score = points
            grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
            note.manual_comment = comment
            gb.db.commit()
