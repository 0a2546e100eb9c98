"""Plain, frozen facts about one person: what the eligibility engine reads.

The store builds these (records.person_records); the engine never touches a database.
A licence (a role of kind `licence`, e.g. the trainee licence) carries the setting it runs in:
it counts only while that setting is licensed with a current membership, and its clock (the
years it has been held, and its end date) stops while it does not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class CompletionFact:
    """A course the person completed, and the day."""

    course: str
    on: dt.date


@dataclass(frozen=True)
class AwardFact:
    """A role or licence awarded to the person: from when, until when, and any revocation."""

    role: str
    valid_from: dt.date
    valid_until: dt.date | None = None  # last valid day, inclusive (before any pause)
    revoked_on: dt.date | None = None
    setting: SettingFact | None = None  # a licence's setting; None for other awards

    def revoked_by(self, day: dt.date) -> bool:
        """Revoked on or before this day: from then on the award counts for nothing."""
        return self.revoked_on is not None and self.revoked_on <= day

    def lapse(self, day: dt.date) -> str | None:
        """For a licence whose setting is not licensed with a current membership on this day,
        the words every view uses ("licence lapsed: ..."); None otherwise."""
        if self.setting is None or day < self.valid_from:
            return None
        problem = setting_licence_problem(self.setting, day)
        return None if problem is None else f"licence lapsed: {problem}"

    def paused_days(self, day: dt.date) -> int:
        """Days from the start to this day (inclusive) on which a licence did not count."""
        if self.setting is None or day < self.valid_from:
            return 0
        stop = _plus(day, 1)
        covered = _overlap(_covered(self.setting), self.valid_from, stop)
        return (stop - self.valid_from).days - covered

    def clock_start(self, day: dt.date) -> dt.date:
        """The start of the award as its held-years clock sees it on this day: a licence's
        start moves on by the days it was lapsed."""
        return _plus(self.valid_from, self.paused_days(day))

    def ends_on(self, day: dt.date) -> dt.date | None:
        """The last valid day as seen on this day: expiry, moved on by any lapse, or the day
        before revocation."""
        ends = []
        if self.valid_until is not None:
            ends.append(_plus(self.valid_until, self.paused_days(day)))
        if self.revoked_on is not None:
            ends.append(_plus(self.revoked_on, -1))
        return min(ends) if ends else None

    def current_on(self, day: dt.date) -> bool:
        """Held on this day: started, not expired, not revoked, and (a licence) not lapsed."""
        if day < self.valid_from or self.revoked_by(day):
            return False
        if self.lapse(day) is not None:
            return False
        end = self.ends_on(day)
        return end is None or day <= end


ONE_DAY = dt.timedelta(days=1)


def _plus(day: dt.date, days: int) -> dt.date:
    """`day` moved by `days`, held at the first or last date Python has (a record may be dated
    0001-01-01 or 9999-12-31: the rules must still answer, not overflow)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end` (inclusive), cut short by a revocation."""

    start: dt.date
    end: dt.date | None  # inclusive; None is open-ended
    revoked_on: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        if day < self.start or (self.end is not None and day > self.end):
            return False
        return self.revoked_on is None or day < self.revoked_on


@dataclass(frozen=True)
class SettingFact:
    """A setting the person belongs to, with their position there."""

    id: str
    name: str
    position: str
    since: dt.date | None = None
    until: dt.date | None = None
    licences: tuple[Period, ...] = ()
    memberships: tuple[Period, ...] = ()

    def member_on(self, day: dt.date) -> bool:
        return (self.since is None or self.since <= day) and (
            self.until is None or day <= self.until
        )


@dataclass(frozen=True)
class ApplicationFact:
    """An application for a role, and what the training organisation decided."""

    role: str
    status: str  # submitted | approved | refused
    submitted_on: dt.date
    decided_on: dt.date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CaseFact:
    """A case the person has supported, by its reference (never a child's name)."""

    reference: str
    started_on: dt.date
    last_reviewed_on: dt.date | None = None


@dataclass(frozen=True)
class PersonRecords:
    """Everything the rules need to know about one person."""

    person_id: int
    name: str
    completions: tuple[CompletionFact, ...] = ()
    awards: tuple[AwardFact, ...] = ()
    settings: tuple[SettingFact, ...] = ()
    applications: tuple[ApplicationFact, ...] = ()
    cases: tuple[CaseFact, ...] = ()

    def holds(self, role_id: str, day: dt.date) -> bool:
        """Holds the role on this day (an award current then): `evaluate_role(...).held`."""
        return any(a.role == role_id and a.current_on(day) for a in self.awards)


@dataclass(frozen=True)
class MemberFacts:
    """A member of a setting as the school licence rule sees them."""

    person_id: int
    name: str
    position: str
    records: PersonRecords


@dataclass(frozen=True)
class SettingRecords:
    """Everything the school licence rule needs about one setting."""

    id: str
    name: str
    kind: str
    pupils_on_roll: int | None
    members: tuple[MemberFacts, ...] = ()
    active_action_plans: int = 0
    licences: tuple[Period, ...] = ()
    memberships: tuple[Period, ...] = ()


def setting_licence_problem(setting: SettingFact | SettingRecords, on: dt.date) -> str | None:
    """Why a setting is not licensed with a current membership on this date (None if it is)."""
    if not any(p.covers(on) for p in setting.licences):
        past = [p for p in setting.licences if p.start <= on]
        if past:
            return f"{setting.name}'s school licence is not current"
        return f"{setting.name} is not a licensed setting"
    if any(p.covers(on) for p in setting.memberships):
        return None
    ended = [p.end for p in setting.memberships if p.end is not None and p.end < on]
    if ended:
        return f"{setting.name}'s membership ended on {max(ended).isoformat()}"
    return f"{setting.name} has no current membership"


def _spans(periods: tuple[Period, ...]) -> list[tuple[dt.date, dt.date | None]]:
    """Periods as merged half-open spans [start, stop); stop None is open-ended."""
    spans = []
    for p in periods:
        stops = [d for d in (_plus(p.end, 1) if p.end else None, p.revoked_on) if d is not None]
        stop = min(stops) if stops else None
        if stop is None or stop > p.start:
            spans.append((p.start, stop))
    spans.sort(key=lambda s: s[0])
    merged: list[tuple[dt.date, dt.date | None]] = []
    for start, stop in spans:
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last = merged[-1][1]
            merged[-1] = (merged[-1][0], None if last is None or stop is None else max(last, stop))
        else:
            merged.append((start, stop))
    return merged


def _covered(setting: SettingFact) -> list[tuple[dt.date, dt.date | None]]:
    """Spans on which the setting is licensed and has a current membership."""
    out = []
    for a_start, a_stop in _spans(setting.licences):
        for b_start, b_stop in _spans(setting.memberships):
            start = max(a_start, b_start)
            stops = [d for d in (a_stop, b_stop) if d is not None]
            stop = min(stops) if stops else None
            if stop is None or stop > start:
                out.append((start, stop))
    return out


def _overlap(spans: list[tuple[dt.date, dt.date | None]], start: dt.date, stop: dt.date) -> int:
    """Days of [start, stop) inside the (disjoint) spans."""
    total = 0
    for a, b in spans:
        lo, hi = max(a, start), min(b, stop) if b is not None else stop
        total += max((hi - lo).days, 0)
    return total
