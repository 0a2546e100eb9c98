"""One declarative table of requirement kinds: each kind explains itself for one person,
computes itself as a column for everyone, and says itself in words for a credential's
criteria, side by side, so adding a kind is one class here.

Both engines walk a requirement tree the same way (`all` and `any` combine; every other node
is looked up in `KINDS`): `explain._Evaluator` with a person's facts, `bulk._Vector` with the
columns. The randomised test (tests/eligibility/test_bulk.py) keeps the two halves in step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..programme import (
    Application,
    Cases,
    Completed,
    Held,
    Holds,
    InSetting,
    Position,
    Programme,
)
from .dates import add_months, add_years, months_between
from .facts import AwardFact, setting_licence_problem
from .reasons import (
    NeedsApplication,
    NeedsCases,
    NeedsCourse,
    NeedsHeld,
    NeedsPosition,
    NeedsRole,
    NotInSetting,
    Reason,
)

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Outcome:
    """Whether a requirement is met on a date; if not, why and when it could be."""

    met: bool
    reasons: tuple[Reason, ...] = ()
    steps: int = 0  # how many separate things are still missing
    eligible_from: dt.date | None = None  # the date it will be met if nothing else is needed


_MET = Outcome(True)


def _role_titles(role_ids: tuple[str, ...], programme: Programme) -> str:
    return " or ".join(programme.roles[r].title if r in programme.roles else r for r in role_ids)


def short_title(title: str) -> str:
    """'Foundation A: relationships ...' -> 'Foundation A'."""
    return title.split(":")[0].strip()


class _CompletedKind:
    """`completed: COURSE`: a current completion of the course."""

    def criterion(self, req: Completed, programme: Programme) -> str:
        course = programme.courses.get(req.course)
        return f"completed {course.title if course else req.course}"

    def explain(self, ev: Any, req: Completed) -> Outcome:
        if req.course in ev.courses_done:
            return _MET
        title = short_title(ev.programme.course(req.course).title)
        return Outcome(False, (NeedsCourse(req.course, title),), 1)

    def column(self, vec: Any, req: Completed) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        bit = np.int64(1) << np.int64(vec.courses[req.course])
        return vec.leaf((vec.cols.course_mask & bit) != 0)


class _HoldsKind:
    """`holds: ROLE`: a current (unexpired, unrevoked, not lapsed) award of the role."""

    def criterion(self, req: Holds, programme: Programme) -> str:
        return "holds " + _role_titles(req.roles, programme)

    def explain(self, ev: Any, req: Holds) -> Outcome:
        if any(a.role in req.roles and a.current_on(ev.on) for a in ev.person.awards):
            return _MET
        titles = tuple(ev.role_title(r) for r in req.roles)
        return Outcome(False, (NeedsRole(tuple(req.roles), titles),), 1)

    def column(self, vec: Any, req: Holds) -> tuple[np.ndarray, np.ndarray]:

        return vec.leaf(vec.current(req.roles))


class _HeldKind:
    """`held: {role, years}`: an award held for N years (a revoked one counts for nothing; a
    licence's clock stops while its setting has lapsed)."""

    def criterion(self, req: Held, programme: Programme) -> str:
        years = "year" if req.years == 1 else "years"
        return f"has held {_role_titles(req.roles, programme)} for at least {req.years} {years}"

    def explain(self, ev: Any, req: Held) -> Outcome:
        titles = tuple(ev.role_title(r) for r in req.roles)
        best: tuple[int, AwardFact] | None = None
        lapsed: str | None = None
        for award in ev.person.awards:
            if award.role not in req.roles or award.valid_from > ev.on:
                continue
            if award.revoked_by(ev.on):
                continue  # a revoked award counts for nothing, not even the years before
            start = award.clock_start(ev.on)
            anniversary = add_years(start, req.years)
            ended = award.ends_on(ev.on)
            if anniversary <= ev.on and (ended is None or ended >= anniversary):
                return _MET  # held for the full term (a licence's lapses do not count)
            if ended is not None and ended < ev.on:
                continue  # expired before the term was served
            months = months_between(start, ev.on)
            if best is None or months > best[0]:
                best, lapsed = (months, award), award.lapse(ev.on)
        roles = tuple(req.roles)
        if best is None:
            return Outcome(False, (NeedsHeld(roles, titles, req.years),), 1)
        months, award = best
        licence = ev.programme.roles[award.role].kind == "licence"
        when = None if lapsed else add_years(award.clock_start(ev.on), req.years)
        reason = NeedsHeld(roles, titles, req.years, months, licence, when, lapsed)
        return Outcome(False, (reason,), 1, when)

    def column(self, vec: Any, req: Held) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        from .bulk import add_months_np

        c = vec.cols
        # A revoked award counts for nothing, not even the years before its revocation.
        rows = (
            vec.role_rows(req.roles)
            & (c.award_from <= vec.on)
            & (np.isnat(c.award_revoked) | (c.award_revoked > vec.on))
        )
        paused = vec.paused()[rows]
        until = c.award_until[rows] + paused
        anniversary = add_months_np(c.award_from[rows] + paused, 12 * req.years)
        ok = (anniversary <= vec.on) & (np.isnat(until) | (until >= anniversary))
        return vec.leaf(vec.flag(c.award_person[rows][ok]))


class _InSettingKind:
    """`setting: member | licensed`: belongs to a setting (licensed, with a current
    membership)."""

    def criterion(self, req: InSetting, programme: Programme) -> str:
        if req.licensed:
            return "works in a licensed I Matter setting with a current annual membership"
        return "works in a setting with a current annual membership"

    def explain(self, ev: Any, req: InSetting) -> Outcome:
        if not ev.current_settings:
            return Outcome(False, (NotInSetting(None, "is not a member of any setting"),), 1)
        if not req.licensed:
            return _MET
        reasons = []
        for s in ev.current_settings:
            problem = setting_licence_problem(s, ev.on)
            if problem is None:
                return _MET
            reasons.append(NotInSetting(s.id, problem))
        return Outcome(False, tuple(reasons), 1)

    def column(self, vec: Any, req: InSetting) -> tuple[np.ndarray, np.ndarray]:

        return vec.leaf((vec.cols.licensed if req.licensed else vec.cols.member).copy())


class _CasesKind:
    """`cases: {at_least, over_months}`: documented cases, each followed for M months."""

    def criterion(self, req: Cases, programme: Programme) -> str:
        return (
            f"has documented the support of at least {req.at_least} vulnerable children and "
            f"families over {req.over_months} months"
        )

    def explain(self, ev: Any, req: Cases) -> Outcome:
        done, pending = 0, []
        for case in ev.person.cases:
            if case.started_on > ev.on:
                continue
            followed_to = min(case.last_reviewed_on or ev.on, ev.on)
            if months_between(case.started_on, followed_to) >= req.over_months:
                done += 1
            elif case.last_reviewed_on is None or case.last_reviewed_on >= ev.on:
                pending.append(add_months(case.started_on, req.over_months))
        if done >= req.at_least:
            return _MET
        short = req.at_least - done
        pending.sort()
        when = pending[short - 1] if len(pending) >= short else None
        return Outcome(False, (NeedsCases(done, req.at_least, req.over_months, when),), 1, when)

    def column(self, vec: Any, req: Cases) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        from .bulk import months_between_np

        c = vec.cols
        if len(c.case_person) == 0:
            return vec.leaf(np.zeros(vec.n, dtype=bool))
        end = np.where(np.isnat(c.case_end), vec.on, np.minimum(c.case_end, vec.on))
        long_enough = months_between_np(c.case_start, end) >= req.over_months
        people, counts = np.unique(c.case_person[long_enough], return_counts=True)
        return vec.leaf(vec.flag(people[counts >= req.at_least]))


class _PositionKind:
    """`position: POSITION`: holds the position in one of their current settings."""

    def criterion(self, req: Position, programme: Programme) -> str:
        titles = [programme.positions.get(p, p) for p in req.positions]
        return "is a " + " or ".join(t[:1].lower() + t[1:] for t in titles)

    def explain(self, ev: Any, req: Position) -> Outcome:
        if any(s.position in req.positions for s in ev.current_settings):
            return _MET
        titles = tuple(ev.programme.positions[p] for p in req.positions)
        return Outcome(False, (NeedsPosition(tuple(req.positions), titles),), 1)

    def column(self, vec: Any, req: Position) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        bits = np.int64(0)
        for p in req.positions:
            bits |= np.int64(1) << np.int64(vec.positions[p])
        return vec.leaf((vec.cols.position_mask & bits) != 0)


class _ApplicationKind:
    """`application: ROLE`: an application for the role approved by the date."""

    def criterion(self, req: Application, programme: Programme) -> str:
        role = programme.roles.get(req.role)
        return f"has an approved application to become {role.title if role else req.role}"

    def explain(self, ev: Any, req: Application) -> Outcome:
        apps = [a for a in ev.person.applications if a.role == req.role and a.submitted_on <= ev.on]
        title = ev.role_title(req.role)
        if any(a.status == "approved" and (a.decided_on or a.submitted_on) <= ev.on for a in apps):
            return _MET
        if not apps:
            return Outcome(False, (NeedsApplication(req.role, title),), 1)
        latest = max(apps, key=lambda a: a.submitted_on)
        if latest.status == "refused":
            reason = NeedsApplication(req.role, title, "refused", latest.decided_on, latest.reason)
        else:
            reason = NeedsApplication(req.role, title, "submitted", latest.submitted_on)
        return Outcome(False, (reason,), 1)

    def column(self, vec: Any, req: Application) -> tuple[np.ndarray, np.ndarray]:

        c = vec.cols
        return vec.leaf(vec.flag(c.approved_person[c.approved_role == vec.roles[req.role]]))


KINDS: dict[type, Any] = {
    Completed: _CompletedKind(),
    Holds: _HoldsKind(),
    Held: _HeldKind(),
    InSetting: _InSettingKind(),
    Cases: _CasesKind(),
    Position: _PositionKind(),
    Application: _ApplicationKind(),
}
