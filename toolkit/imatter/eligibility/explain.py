"""The eligibility engine for one person or one setting, with reasons as data.

Pure functions of (programme, records, date): no files, no database, no clock. Each kind of
requirement explains itself from the table in `kinds`; this module combines them (`all`,
`any`), applies revocation and lapse to a role, and computes the next steps once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..programme import (
    AllOf,
    AnyOf,
    Programme,
    Requirement,
)
from .facts import AwardFact, PersonRecords, SettingRecords, setting_licence_problem
from .kinds import _MET, KINDS, Outcome, short_title
from .reasons import (
    OneOf,
    Reason,
    Revoked,
    workable,
)


@dataclass(frozen=True)
class RoleResult:
    """Whether a person meets a role's requirement, and what is missing if not."""

    role: str
    title: str
    met: bool
    held: bool
    reasons: tuple[Reason, ...]
    steps: int
    eligible_from: dt.date | None
    advice: tuple[str, ...] = ()
    lapsed: str | None = None  # a licence not held only because its setting lapsed: why

    @property
    def missing(self) -> tuple[str, ...]:
        """The reasons as text."""
        return tuple(r.text for r in self.reasons)

    @property
    def state(self) -> str:
        """held, lapsed, eligible or not yet."""
        if self.held:
            return "held"
        if self.lapsed:
            return "lapsed"
        return "eligible" if self.met else "not yet"

    @property
    def summary(self) -> str:
        if self.held:
            return "held"
        if self.lapsed:
            return self.lapsed
        if self.met:
            return "eligible now"
        return "; ".join(self.missing)


@dataclass(frozen=True)
class LicenceResult:
    """Whether a setting meets the school licence rule, and what is missing if not."""

    setting: str
    met: bool
    licensed: bool
    missing: tuple[str, ...]
    details: tuple[str, ...] = field(default=())


class _Evaluator:
    def __init__(self, programme: Programme, person: PersonRecords, on: dt.date) -> None:
        self.programme = programme
        self.person = person
        self.on = on
        self.courses_done = {c.course for c in person.completions if c.on <= on}
        self.current_settings = [s for s in person.settings if s.member_on(on)]

    def evaluate(self, req: Requirement) -> Outcome:
        if isinstance(req, AllOf):
            return self._allof(req)
        if isinstance(req, AnyOf):
            return self._anyof(req)
        return KINDS[type(req)].explain(self, req)

    def role_title(self, role_id: str) -> str:
        return self.programme.roles[role_id].title

    def _allof(self, req: AllOf) -> Outcome:
        outcomes = [self.evaluate(part) for part in req.parts]
        unmet = [o for o in outcomes if not o.met]
        if not unmet:
            return _MET
        dates = [o.eligible_from for o in unmet]
        when = max(dates) if all(d is not None for d in dates) else None  # type: ignore[type-var]
        return Outcome(
            False,
            tuple(m for o in unmet for m in o.reasons),
            sum(o.steps for o in unmet),
            when,
        )

    def _anyof(self, req: AnyOf) -> Outcome:
        outcomes = [self.evaluate(part) for part in req.parts]
        if any(o.met for o in outcomes):
            return _MET
        closest = min(outcomes, key=lambda o: o.steps)
        dates = [o.eligible_from for o in outcomes if o.eligible_from is not None]
        options = tuple(o.reasons for o in outcomes)
        return Outcome(False, (OneOf(options),), closest.steps, min(dates) if dates else None)


def revoked_award(person: PersonRecords, role_id: str, on: dt.date) -> AwardFact | None:
    """The person's latest award of the role revoked by this date, unless an application for
    the role was approved on or after that revocation (a new decision); None otherwise."""
    revoked = [a for a in person.awards if a.role == role_id and a.revoked_by(on)]
    if not revoked:
        return None
    latest = max(revoked, key=lambda a: a.revoked_on)  # type: ignore[arg-type, return-value]
    for app in person.applications:
        decided = app.decided_on or app.submitted_on
        if (
            app.role == role_id and app.status == "approved" and latest.revoked_on <= decided <= on  # type: ignore[operator]
        ):
            return None
    return latest


def evaluate_role(
    programme: Programme, person: PersonRecords, role_id: str, on: dt.date
) -> RoleResult:
    """One role for one person on a date: met or not, and why."""
    role = programme.role(role_id)
    outcome = _Evaluator(programme, person, on).evaluate(role.requires)
    mine = [a for a in person.awards if a.role == role_id]
    held = person.holds(role_id, on)
    lapsed = None
    for award in [] if held else mine:
        text, end = award.lapse(on), award.ends_on(on)
        if text and not award.revoked_by(on) and (end is None or end >= on):
            lapsed = text
    done = {c.course for c in person.completions if c.on <= on}
    advice = tuple(
        f"recommended: {short_title(programme.courses[c].title)}"
        for c in role.recommended
        if c not in done and not held
    )
    reasons, steps, met = outcome.reasons, outcome.steps, outcome.met
    revoked = None if held else revoked_award(person, role_id, on)
    if revoked is not None:
        reasons = (Revoked(role_id, role.title, revoked.revoked_on), *reasons)  # type: ignore[arg-type]
        steps, met = steps + 1, False
    return RoleResult(
        role=role_id,
        title=role.title,
        met=met,
        held=held,
        reasons=reasons,
        steps=steps,
        eligible_from=outcome.eligible_from if revoked is None else None,
        advice=advice,
        lapsed=lapsed if revoked is None else None,
    )


def evaluate_person(
    programme: Programme, person: PersonRecords, on: dt.date
) -> dict[str, RoleResult]:
    """Every role in the programme for one person on a date."""
    return {rid: evaluate_role(programme, person, rid, on) for rid in programme.roles}


NEXT_STEPS_AT_MOST = 2  # open roles further away than this are not offered as next steps


@dataclass(frozen=True)
class NextStep:
    """A role a person could go for next: eligible now, or the fewest steps away."""

    role: str
    title: str
    state: str  # eligible now | one step away | N steps away
    steps: int
    reasons: tuple[Reason, ...] = ()

    @property
    def text(self) -> str:
        if not self.steps:
            return f"{self.title}: ready to be awarded"
        return f"{self.title}: {'; '.join(r.text for r in self.reasons)}"

    def as_dict(self) -> dict:
        return {
            "role": self.role,
            "title": self.title,
            "state": self.state,
            "steps": self.steps,
            "reasons": [r.as_dict() for r in self.reasons],
            "text": self.text,
        }


def next_steps(
    results: dict[str, RoleResult], programme: Programme | None = None
) -> tuple[NextStep, ...]:
    """What a person could do next, computed once for every view: each role they meet but do
    not hold, then the open roles they can work towards (no position they lack) that are the
    fewest steps away, if that is at most NEXT_STEPS_AT_MOST. With the programme, a role the
    person has outgrown (they hold a role built on it: a School Lead and the trainee licence)
    is never offered."""
    held = {rid for rid, r in results.items() if r.held}
    if programme is not None and held:
        from ..programme import roles_beyond

        results = {rid: r for rid, r in results.items() if not held & roles_beyond(programme, rid)}
    ready = [
        NextStep(r.role, r.title, "eligible now", 0)
        for r in results.values()
        if r.state == "eligible"
    ]
    near = [r for r in results.values() if r.state == "not yet" and workable(r.reasons)]
    closest = min((r.steps for r in near), default=0)
    return tuple(ready) + tuple(
        NextStep(
            r.role,
            r.title,
            "one step away" if r.steps == 1 else f"{r.steps} steps away",
            r.steps,
            r.reasons,
        )
        for r in near
        if r.steps == closest and closest <= NEXT_STEPS_AT_MOST
    )


def evaluate_setting_licence(
    programme: Programme, setting: SettingRecords, on: dt.date
) -> LicenceResult:
    """The school licence rule for one setting: senior support, trained staff, an action plan."""
    rule = programme.school_licence
    missing: list[str] = []
    details: list[str] = []
    seniors = [
        m.name
        for m in setting.members
        for rid in rule.senior_support
        if evaluate_role(programme, m.records, rid, on).met
    ]
    if seniors:
        details.append(f"senior support: {', '.join(sorted(set(seniors)))}")
    else:
        titles = " or ".join(programme.roles[r].title for r in rule.senior_support)
        missing.append(f"needs senior leadership support (a {titles} who meets the minimum)")
    trained = sorted(
        {
            m.name
            for m in setting.members
            if m.position != "parent"
            and set(rule.trained_staff_courses)
            <= {c.course for c in m.records.completions if c.on <= on}
        }
    )
    details.append(f"trained staff: {', '.join(trained) if trained else 'none'}")
    if len(trained) < rule.trained_staff_at_least:
        names = ", ".join(
            short_title(programme.courses[c].title) for c in rule.trained_staff_courses
        )
        missing.append(
            f"{len(trained)} of {rule.trained_staff_at_least} staff have completed {names}"
        )
    if rule.action_plan and setting.active_action_plans == 0:
        missing.append("needs an active action plan (take stock, then plan)")
    licensed = setting_licence_problem(setting, on) is None
    return LicenceResult(setting.id, not missing, licensed, tuple(missing), tuple(details))
