"""The eligibility engine for one person or one setting, with reasons in plain English.

Pure functions of (programme, records, date): no files, no database, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..programme import (
    AllOf,
    AnyOf,
    Application,
    Cases,
    Completed,
    Held,
    Holds,
    InSetting,
    Position,
    Programme,
    Requirement,
)
from .dates import add_months, add_years, months_between
from .facts import AwardFact, PersonRecords, SettingRecords, setting_licence_problem
from .reasons import (
    NeedsApplication,
    NeedsCases,
    NeedsCourse,
    NeedsHeld,
    NeedsPosition,
    NeedsRole,
    NotInSetting,
    OneOf,
    Reason,
    Revoked,
    workable,
)


@dataclass(frozen=True)
class Outcome:
    """Whether a requirement is met on a date; if not, what is missing and when it could be."""

    met: bool
    reasons: tuple[Reason, ...] = ()
    steps: int = 0  # how many separate things are still missing
    eligible_from: dt.date | None = None  # the date it will be met if nothing else is needed


@dataclass(frozen=True)
class RoleResult:
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
    setting: str
    met: bool
    licensed: bool
    missing: tuple[str, ...]
    details: tuple[str, ...] = field(default=())


def short_title(title: str) -> str:
    """'Foundation A: relationships ...' -> 'Foundation A'."""
    return title.split(":")[0].strip()


_MET = Outcome(True)


class _Evaluator:
    def __init__(self, programme: Programme, person: PersonRecords, on: dt.date) -> None:
        self.programme = programme
        self.person = person
        self.on = on
        self.courses_done = {c.course for c in person.completions if c.on <= on}
        self.current_settings = [s for s in person.settings if s.member_on(on)]

    def evaluate(self, req: Requirement) -> Outcome:
        method = getattr(self, f"_{type(req).__name__.lower()}")
        return method(req)

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

    def _completed(self, req: Completed) -> Outcome:
        if req.course in self.courses_done:
            return _MET
        title = short_title(self.programme.course(req.course).title)
        return Outcome(False, (NeedsCourse(req.course, title),), 1)

    def _role_title(self, role_id: str) -> str:
        return self.programme.roles[role_id].title

    def _holds(self, req: Holds) -> Outcome:
        if any(a.role in req.roles and a.current_on(self.on) for a in self.person.awards):
            return _MET
        titles = tuple(self._role_title(r) for r in req.roles)
        return Outcome(False, (NeedsRole(tuple(req.roles), titles),), 1)

    def _held(self, req: Held) -> Outcome:
        titles = tuple(self._role_title(r) for r in req.roles)
        best: tuple[int, AwardFact] | None = None
        lapsed: str | None = None
        for award in self.person.awards:
            if award.role not in req.roles or award.valid_from > self.on:
                continue
            if award.revoked_by(self.on):
                continue  # a revoked award counts for nothing, not even the years before
            start = award.clock_start(self.on)
            anniversary = add_years(start, req.years)
            ended = award.ends_on(self.on)
            if anniversary <= self.on and (ended is None or ended >= anniversary):
                return _MET  # held for the full term (a licence's lapses do not count)
            if ended is not None and ended < self.on:
                continue  # expired before the term was served
            months = months_between(start, self.on)
            if best is None or months > best[0]:
                best, lapsed = (months, award), award.lapse(self.on)
        roles = tuple(req.roles)
        if best is None:
            return Outcome(False, (NeedsHeld(roles, titles, req.years),), 1)
        months, award = best
        licence = self.programme.roles[award.role].kind == "licence"
        when = None if lapsed else add_years(award.clock_start(self.on), req.years)
        reason = NeedsHeld(roles, titles, req.years, months, licence, when, lapsed)
        return Outcome(False, (reason,), 1, when)

    def _insetting(self, req: InSetting) -> Outcome:
        if not self.current_settings:
            return Outcome(False, (NotInSetting(None, "is not a member of any setting"),), 1)
        if not req.licensed:
            return _MET
        reasons = []
        for s in self.current_settings:
            problem = setting_licence_problem(s, self.on)
            if problem is None:
                return _MET
            reasons.append(NotInSetting(s.id, problem))
        return Outcome(False, tuple(reasons), 1)

    def _cases(self, req: Cases) -> Outcome:
        done, pending = 0, []
        for case in self.person.cases:
            if case.started_on > self.on:
                continue
            followed_to = min(case.last_reviewed_on or self.on, self.on)
            if months_between(case.started_on, followed_to) >= req.over_months:
                done += 1
            elif case.last_reviewed_on is None or case.last_reviewed_on >= self.on:
                pending.append(add_months(case.started_on, req.over_months))
        if done >= req.at_least:
            return _MET
        short = req.at_least - done
        pending.sort()
        when = pending[short - 1] if len(pending) >= short else None
        return Outcome(False, (NeedsCases(done, req.at_least, req.over_months, when),), 1, when)

    def _position(self, req: Position) -> Outcome:
        if any(s.position in req.positions for s in self.current_settings):
            return _MET
        titles = tuple(self.programme.positions[p] for p in req.positions)
        return Outcome(False, (NeedsPosition(tuple(req.positions), titles),), 1)

    def _application(self, req: Application) -> Outcome:
        apps = [
            a for a in self.person.applications if a.role == req.role and a.submitted_on <= self.on
        ]
        title = self._role_title(req.role)
        if any(
            a.status == "approved" and (a.decided_on or a.submitted_on) <= self.on for a in apps
        ):
            return _MET
        if not apps:
            return Outcome(False, (NeedsApplication(req.role, title),), 1)
        latest = max(apps, key=lambda a: a.submitted_on)
        if latest.status == "refused":
            reason = NeedsApplication(req.role, title, "refused", latest.decided_on, latest.reason)
        else:
            reason = NeedsApplication(req.role, title, "submitted", latest.submitted_on)
        return Outcome(False, (reason,), 1)


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
    held = any(a.current_on(on) for a in mine)
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


def next_steps(results: dict[str, RoleResult]) -> tuple[NextStep, ...]:
    """What a person could do next, computed once for every view: each role they meet but do
    not hold, then the open roles they can work towards (no position they lack) that are the
    fewest steps away, if that is at most NEXT_STEPS_AT_MOST."""
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
