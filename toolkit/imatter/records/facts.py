"""Plain, frozen facts about one person: what the eligibility engine reads.

The store builds these (records.person_records); the engine never touches a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class CompletionFact:
    course: str
    on: dt.date


@dataclass(frozen=True)
class AwardFact:
    role: str
    valid_from: dt.date
    valid_until: dt.date | None = None  # last valid day, inclusive
    revoked_on: dt.date | None = None

    def current_on(self, day: dt.date) -> bool:
        """Held on this day: started, not expired, not revoked."""
        if day < self.valid_from:
            return False
        if self.valid_until is not None and day > self.valid_until:
            return False
        return self.revoked_on is None or day < self.revoked_on


@dataclass(frozen=True)
class Period:
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
    role: str
    status: str  # submitted | approved | refused
    submitted_on: dt.date
    decided_on: dt.date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CaseFact:
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
