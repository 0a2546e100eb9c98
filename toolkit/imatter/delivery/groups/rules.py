"""The completion rule for a learner in a study group: pure functions of plain facts.

A learner has completed a group's course when
1. they attended at least the course's `attendance` share of the group's sessions held while
   they were enrolled (cancelled sessions do not count; 80% of 6 sessions is 5),
2. where the course has an assessment, they have a passed assessment (the assessment engineer
   records a pass as a completion of the course whose evidence starts with "assessment"), and
3. where the course has `runs_group` (lead-y1-t2: staff, lead-y1-t3: parents), they led a
   study group of that audience which ran: every one of its sessions held, none left unheld.

No database and no clock here: the store layer (groups.completion) gathers the facts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ...programme import Course

ASSESSMENT_PREFIX = "assessment"


@dataclass(frozen=True, slots=True)
class SessionFact:
    """One scheduled session as the rule sees it."""

    id: int
    held_on: dt.date
    cancelled: bool = False
    registered: bool = False  # attendance was taken
    anyone_present: bool = False


@dataclass(frozen=True, slots=True)
class LedGroupFact:
    """A group the learner led, and the date of its last session if it ran."""

    group_id: int
    name: str
    audience: str
    first_on: dt.date | None
    ran_on: dt.date | None  # None: it has not (yet) run to its last session


@dataclass(frozen=True, slots=True)
class Progress:
    """Where one learner stands against the group's completion rule on a date."""

    person_id: int
    name: str
    sessions: int  # sessions counted for this learner (not cancelled, within their enrolment)
    held: int  # of those, sessions whose register has been taken
    attended: int
    required: int
    attendance_met_on: dt.date | None
    assessment: str | None  # the course's assessment id, None if it has none
    assessment_on: dt.date | None
    runs_group: str | None
    led_group: LedGroupFact | None
    completed_on: dt.date | None
    missing: tuple[str, ...]
    completion_id: int | None = None  # the current completion record of the course, if any
    completion_evidence: str | None = None

    @property
    def completed(self) -> bool:
        return self.completed_on is not None

    @property
    def attendance_met(self) -> bool:
        return self.attendance_met_on is not None

    @property
    def summary(self) -> str:
        if self.completed:
            return f"completed on {self.completed_on:%d/%m/%Y}"
        return "; ".join(self.missing)


def sessions_required(share: float, sessions: int) -> int:
    """How many of `sessions` a learner must attend for the share (0.8 of 6 is 5, 0.7 of 10 is 7:
    the product is rounded to 9 places first, as 0.7 * 10 is 7.000000000000001 in floats)."""
    if sessions <= 0:
        return 0
    return math.ceil(round(share * sessions, 9))


def sessions_for(
    sessions: list[SessionFact], enrolled_on: dt.date, left_on: dt.date | None
) -> list[SessionFact]:
    """The sessions that count for a learner: not cancelled and inside their enrolment."""
    return sorted(
        (
            s
            for s in sessions
            if not s.cancelled
            and s.held_on >= enrolled_on
            and (left_on is None or s.held_on <= left_on)
        ),
        key=lambda s: s.held_on,
    )


def group_ran_on(sessions: list[SessionFact], on: dt.date) -> dt.date | None:
    """The last session's date if every session was held by `on` with someone there, else None."""
    counted = [s for s in sessions if not s.cancelled]
    if not counted:
        return None
    if any(s.held_on > on or not s.anyone_present for s in counted):
        return None
    return max(s.held_on for s in counted)


def learner_progress(
    course: Course,
    *,
    person_id: int,
    name: str,
    sessions: list[SessionFact],
    present: set[int],
    assessment_on: dt.date | None,
    led_groups: list[LedGroupFact],
    on: dt.date,
    completion_id: int | None = None,
    completion_evidence: str | None = None,
    catch_ups_left: int = 0,
) -> Progress:
    """Apply the completion rule to one learner's facts (see the module docstring).

    `sessions` are the sessions that count for this learner (see `sessions_for`); `present` the
    ids of those they were marked present at (caught-up ones included); `catch_ups_left` how
    many more missed sessions the course lets them catch up.
    """
    counted = sessions
    required = sessions_required(course.attendance, len(counted))
    attended = sorted(s.held_on for s in counted if s.id in present and s.held_on <= on)
    held = sum(1 for s in counted if s.registered and s.held_on <= on)
    missing: list[str] = []

    met_on: dt.date | None = None
    if not counted:
        missing.append("no sessions scheduled for this learner yet")
    elif len(attended) >= required:
        met_on = attended[required - 1] if required else counted[0].held_on
    else:
        left = len(counted) - held
        text = (
            f"attended {len(attended)} of {len(counted)} sessions; needs {required} "
            f"({_percent(course.attendance)})"
        )
        if len(attended) + left < required:
            text += _short_by(counted, present, on, required - len(attended) - left, catch_ups_left)
        missing.append(text)

    if course.assessment is not None and assessment_on is None:
        missing.append("needs a passed assessment")

    led: LedGroupFact | None = None
    if course.runs_group is not None:
        ran = [g for g in led_groups if g.audience == course.runs_group and g.ran_on is not None]
        if ran:
            led = min(ran, key=lambda g: g.ran_on)  # type: ignore[arg-type, return-value]
        else:
            started = [g for g in led_groups if g.audience == course.runs_group]
            if started:
                missing.append(
                    f"needs the {course.runs_group} group they lead ({started[0].name}) "
                    "to run to its last session"
                )
            else:
                missing.append(f"needs to lead a {course.runs_group} study group that runs")

    completed_on: dt.date | None = None
    if not missing and met_on is not None:
        dates = [met_on]
        if assessment_on is not None:
            dates.append(assessment_on)
        if led is not None and led.ran_on is not None:
            dates.append(led.ran_on)
        completed_on = max(dates)
    return Progress(
        person_id=person_id,
        name=name,
        sessions=len(counted),
        held=held,
        attended=len(attended),
        required=required,
        attendance_met_on=met_on,
        assessment=course.assessment,
        assessment_on=assessment_on,
        runs_group=course.runs_group,
        led_group=led,
        completed_on=completed_on,
        missing=tuple(missing),
        completion_id=completion_id,
        completion_evidence=completion_evidence,
    )


def completion_evidence(group_id: int, progress: Progress) -> str:
    """The evidence text a group completion carries: the group, the attendance, the led group."""
    text = (
        f"group {group_id}: attended {progress.attended} of {progress.sessions} sessions "
        f"(needs {progress.required})"
    )
    g = progress.led_group
    if g is not None and g.ran_on is not None:
        start = f"{g.first_on.isoformat()} to " if g.first_on else ""
        text += f"; led {g.audience} group {g.group_id} (ran {start}{g.ran_on.isoformat()})"
    return text


def _short_by(
    counted: list[SessionFact], present: set[int], on: dt.date, short: int, catch_ups_left: int
) -> str:
    """What a learner `short` sessions short of the rule can still do: the catch-ups that
    would meet it (sessions numbered as in the group, 1 first), or nothing."""
    missed = [
        (number, s)
        for number, s in enumerate(counted, start=1)
        if s.registered and s.held_on <= on and s.id not in present
    ]
    if short > min(catch_ups_left, len(missed)):
        return ": can no longer meet the attendance rule in this group"
    days = [f"{n} ({s.held_on.day} {s.held_on:%B %Y})" for n, s in missed]
    if short == 1:
        return f": needs a catch-up for session {' or '.join(days)} to complete"
    return f": needs catch-ups for {short} of sessions {', '.join(days)} to complete"


def _percent(share: float) -> str:
    return f"{round(share * 100)}% of sessions"
