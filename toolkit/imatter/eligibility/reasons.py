"""Why a requirement is not met, as data: one frozen dataclass per kind of requirement.

The engine returns these; every view renders from them (`text` for people, `as_dict` for
`--json` and other programs, with a `kind`). Nothing decides behaviour by matching the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from .dates import describe_months


@dataclass(frozen=True)
class Reason:
    """One unmet requirement."""

    kind: ClassVar[str] = ""

    @property
    def text(self) -> str:
        raise NotImplementedError

    def as_dict(self) -> dict[str, Any]:
        data = {key: _plain(value) for key, value in asdict(self).items()}
        return {"kind": self.kind, **data, "text": self.text}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _years(n: int) -> str:
    return f"{n} year{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class NeedsCourse(Reason):
    """A course still to complete."""

    kind: ClassVar[str] = "course"
    course: str
    title: str

    @property
    def text(self) -> str:
        return f"needs {self.title}"


@dataclass(frozen=True)
class NeedsRole(Reason):
    """A role still to hold (any one of `roles`)."""

    kind: ClassVar[str] = "holds"
    roles: tuple[str, ...]
    titles: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"needs to hold {' or '.join(self.titles)}"


@dataclass(frozen=True)
class NeedsHeld(Reason):
    """A role (or licence) held for N years: not at all, or for `months` so far."""

    kind: ClassVar[str] = "held"
    roles: tuple[str, ...]
    titles: tuple[str, ...]
    years: int
    months: int | None = None  # held so far (None: no award that can still count)
    licence: bool = False
    eligible_from: dt.date | None = None
    lapsed: str | None = None  # a licence whose setting lapsed: its clock is stopped

    @property
    def text(self) -> str:
        if self.months is None:
            return f"needs {' or '.join(self.titles)} held for {_years(self.years)}"
        kind = "licence" if self.licence else "role"
        text = f"{kind} held {describe_months(self.months)} of {_years(self.years)}"
        if self.lapsed:
            return f"{text}; {self.lapsed}: the clock stops until it is renewed"
        return f"{text}: eligible from {self.eligible_from.isoformat()}"  # type: ignore[union-attr]


@dataclass(frozen=True)
class NotInSetting(Reason):
    """Not a member of any setting (`setting` None), or a setting not licensed and current."""

    kind: ClassVar[str] = "setting"
    setting: str | None
    problem: str

    @property
    def text(self) -> str:
        return self.problem


@dataclass(frozen=True)
class NeedsCases(Reason):
    """More cases to support in the period."""

    kind: ClassVar[str] = "cases"
    done: int
    at_least: int
    over_months: int
    eligible_from: dt.date | None = None

    @property
    def text(self) -> str:
        text = (
            f"{self.done} of {self.at_least} documented cases followed for "
            f"{self.over_months} months"
        )
        if self.eligible_from:
            text += f": eligible from {self.eligible_from.isoformat()} if the open cases continue"
        return text


@dataclass(frozen=True)
class NeedsPosition(Reason):
    """A position (headteacher, ...): not something a person can work towards."""

    kind: ClassVar[str] = "position"
    positions: tuple[str, ...]
    titles: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"needs the position: {' or '.join(self.titles)}"


@dataclass(frozen=True)
class NeedsApplication(Reason):
    """An application still to make, or awaiting or refused a decision."""

    kind: ClassVar[str] = "application"
    role: str
    title: str
    status: str = "none"  # none | submitted | refused
    on: dt.date | None = None  # submitted or refused on
    why: str | None = None  # a refusal's reason

    @property
    def text(self) -> str:
        if self.status == "refused":
            why = f": {self.why}" if self.why else ""
            return f"application for {self.title} refused on {self.on}{why}"
        if self.status == "submitted":
            return f"application for {self.title} submitted on {self.on}, awaiting decision"
        return f"needs an approved application for {self.title}"


@dataclass(frozen=True)
class OneOf(Reason):
    """Any one of several alternatives, each with its own reasons."""

    kind: ClassVar[str] = "any"
    options: tuple[tuple[Reason, ...], ...]

    @property
    def text(self) -> str:
        return "one of: " + " or ".join("; ".join(r.text for r in o) for o in self.options)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "options": [[r.as_dict() for r in o] for o in self.options],
            "text": self.text,
        }


@dataclass(frozen=True)
class Revoked(Reason):
    """The role was revoked: open again only after an application approved since."""

    kind: ClassVar[str] = "revoked"
    role: str
    title: str
    revoked_on: dt.date

    @property
    def text(self) -> str:
        return (
            f"{self.title} was revoked on {self.revoked_on.isoformat()}: needs an application "
            "for it approved after that date"
        )


def workable(reasons: tuple[Reason, ...]) -> bool:
    """Whether a person can work towards these (a position is not worked towards)."""
    return not any(isinstance(r, NeedsPosition) for r in reasons)
