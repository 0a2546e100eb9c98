"""The programme catalogue: courses, roles, the school licence rule and membership bands.

Loaded from one declarative YAML file into frozen dataclasses. The file is read and checked by
`programme_parse` (against the shipped `schemas/programme.schema.json`), so that a mistake
names the file, the line and the field. Nothing here knows about any database.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ProgrammeError

# The same lists as the enums in schemas/programme.schema.json (a test keeps them equal).
AUDIENCES = ("professionals", "parents", "both")
DELIVERIES = ("rolling", "annual-cohort", "in-house", "trainer-led")
LEVELS = ("introduction", "foundation", "intermediate", "link", "lead")
ROLE_KINDS = ("role", "licence")
DEFAULT_EARLIEST = dt.date(2000, 1, 1)  # no record is dated before this unless the file says


# ---------------------------------------------------------------- requirement expressions
@dataclass(frozen=True)
class AllOf:
    """Every part must be met."""

    parts: tuple[Requirement, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part must be met."""

    parts: tuple[Requirement, ...]


@dataclass(frozen=True)
class Completed:
    """The course must have been completed."""

    course: str


@dataclass(frozen=True)
class Holds:
    """One of the roles must be held now."""

    roles: tuple[str, ...]


@dataclass(frozen=True)
class Held:
    """One of the roles must have been held for at least `years` years."""

    roles: tuple[str, ...]
    years: int


@dataclass(frozen=True)
class InSetting:
    """The person must belong to a setting (a licensed one, if `licensed`)."""

    licensed: bool


@dataclass(frozen=True)
class Cases:
    """At least `at_least` cases recorded over the last `over_months` months."""

    at_least: int
    over_months: int


@dataclass(frozen=True)
class Position:
    """The person must hold one of the positions (headteacher, school nurse, ...)."""

    positions: tuple[str, ...]


@dataclass(frozen=True)
class Application:
    """An application for the role must have been approved by the training organisation."""

    role: str


Requirement = AllOf | AnyOf | Completed | Holds | Held | InSetting | Cases | Position | Application


# ---------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class CatchUp:
    """How many missed sessions a learner may catch up, and how (shown to the Lead)."""

    sessions: int
    how: str


@dataclass(frozen=True)
class Course:
    """A course of the catalogue: its level, audience, delivery, hours and rules."""

    id: str
    title: str
    level: str
    audience: str
    delivery: str
    hours: float
    prerequisites: tuple[str, ...]
    assessment: str | None
    attendance: float
    book: bool = True
    runs_group: str | None = None
    earliest_date: dt.date = DEFAULT_EARLIEST  # no record of this course is dated before it
    catch_up: CatchUp | None = None

    def rule(self) -> str:
        """What completes the course, in words ("at least 80% of sessions and a passed
        assessment")."""
        return (
            f"at least {round(self.attendance * 100)}% of sessions"
            + (" and a passed assessment" if self.assessment else "")
            + (f" and leading a {self.runs_group} group that runs" if self.runs_group else "")
        )


@dataclass(frozen=True)
class Role:
    """A role or licence, and the requirement that qualifies a person for it."""

    id: str
    title: str
    description: str
    requires: Requirement
    kind: str = "role"
    valid_years: int | None = None
    recommended: tuple[str, ...] = ()


@dataclass(frozen=True)
class SchoolLicenceRule:
    """What a school needs to be licensed: senior support, trained staff, an action plan."""

    description: str
    senior_support: tuple[str, ...]
    trained_staff_at_least: int
    trained_staff_courses: tuple[str, ...]
    action_plan: bool


@dataclass(frozen=True)
class MembershipBand:
    """The annual fee for settings with up to `up_to` pupils on roll (None: any roll)."""

    up_to: int | None
    fee: float


@dataclass(frozen=True)
class MembershipRule:
    """Membership fees: bands by pupils on roll for schools, one fee for services."""

    period_months: int
    currency: str
    bands: tuple[MembershipBand, ...]
    service_fee: float

    def fee_for(self, pupils_on_roll: int | None) -> float:
        """The annual fee for a setting: a school by its roll, a service (no roll) flat."""
        if pupils_on_roll is None:
            return self.service_fee
        for band in self.bands:
            if band.up_to is None or pupils_on_roll <= band.up_to:
                return band.fee
        raise ProgrammeError(f"no membership band covers a roll of {pupils_on_roll}")


@dataclass(frozen=True)
class Programme:
    """The whole programme, as read from `programme.yml`."""

    name: str
    version: str
    effective_from: dt.date
    issuer_name: str
    issuer_url: str
    positions: Mapping[str, str]
    courses: Mapping[str, Course]
    roles: Mapping[str, Role]
    school_licence: SchoolLicenceRule
    membership: MembershipRule
    trainer_role: str
    source: Path = field(compare=False)
    earliest_date: dt.date = DEFAULT_EARLIEST  # no record is dated before it

    def check_date(self, on: dt.date, *, course_id: str | None = None, what: str = "date") -> None:
        """Refuse a date before the earliest the programme (or the course) allows.

        :raises InvalidValue: one line naming the date, the limit and how to change it.
        """
        from .errors import InvalidValue

        course = self.courses.get(course_id) if course_id else None
        earliest = course.earliest_date if course else self.earliest_date
        if on < earliest:
            whose = f"course {course.id}" if course else "the programme"
            raise InvalidValue(
                f"{what} {on.isoformat()} is before {earliest.isoformat()}, the earliest date "
                f"{whose} allows; check the year (earliest_date in the programme file sets it)"
            )

    def course(self, course_id: str) -> Course:
        """The course with this id, or NotFound naming the known ids."""
        from .errors import NotFound

        try:
            return self.courses[course_id]
        except KeyError:
            raise NotFound(
                f"unknown course '{course_id}'; known courses: {', '.join(self.courses)}"
            ) from None

    def course_id(self, text: str) -> str | None:
        """The id of the course `text` names: its id, or its id or title (the part before any
        ':') written loosely, as a spreadsheet may have it ("Foundation A", "FOUNDATION_A");
        None when it names no course."""
        if text in self.courses:
            return text
        key = _loose(text)
        for course in self.courses.values():
            if key in (course.id, _loose(course.title.split(":")[0])):
                return course.id
        return None

    def role(self, role_id: str) -> Role:
        """The role with this id, or NotFound naming the known ids."""
        from .errors import NotFound

        try:
            return self.roles[role_id]
        except KeyError:
            raise NotFound(
                f"unknown role '{role_id}'; known roles: {', '.join(self.roles)}"
            ) from None


def _loose(text: str) -> str:
    """A name as an id would write it: case, spacing, '_' and '-' do not matter."""
    return "-".join(text.casefold().replace("_", " ").replace("-", " ").split())


# ---------------------------------------------------------------- loading
def default_programme_path() -> Path:
    """The programme file: $IMATTER_PROGRAMME, else the project's modules/programme.yml."""
    env = os.environ.get("IMATTER_PROGRAMME")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2] / "modules" / "programme.yml"
    if here.exists():
        return here
    for parent in [Path.cwd(), *Path.cwd().parents]:
        candidate = parent / "modules" / "programme.yml"
        if candidate.exists():
            return candidate
    return here


def load_programme(path: str | Path | None = None) -> Programme:
    """Load and check a programme file; ProgrammeError names file:line and the field.

    The file is read and checked by `imatter.programme_parse` (the one parser, which
    `imatter module lint` uses too): the first problem it finds is raised.
    """
    from . import programme_parse

    parsed = programme_parse.parse(Path(path) if path is not None else default_programme_path())
    programme_parse.raise_first(parsed)
    return build(parsed.data, parsed.path)


def build(top: Mapping[str, Any], path: Path) -> Programme:
    """The Programme of a tree that `programme_parse` found no problem with."""
    from .programme_parse import as_date

    earliest = as_date(top["earliest_date"]) if "earliest_date" in top else DEFAULT_EARLIEST
    courses = {str(cid): _course(str(cid), body, earliest) for cid, body in top["courses"].items()}
    roles = {str(rid): _role(str(rid), body) for rid, body in top["roles"].items()}
    trainer_led = top.get("trainer_led")
    licence = top["school_licence"]
    membership = top["membership"]
    return Programme(
        name=top["name"],
        version=str(top["version"]),
        effective_from=as_date(top["effective_from"]),
        issuer_name=top["issuer"]["name"],
        issuer_url=top["issuer"]["url"],
        positions={str(key): title for key, title in top["positions"].items()},
        courses=courses,
        roles=roles,
        school_licence=SchoolLicenceRule(
            description=" ".join(licence["description"].split()),
            senior_support=tuple(licence["senior_support"]),
            trained_staff_at_least=int(licence["trained_staff"]["at_least"]),
            trained_staff_courses=tuple(licence["trained_staff"]["courses"]),
            action_plan=licence["action_plan"],
        ),
        membership=MembershipRule(
            period_months=int(membership["period_months"]),
            currency=membership["currency"],
            bands=tuple(
                MembershipBand(
                    None if band.get("up_to") is None else int(band["up_to"]), float(band["fee"])
                )
                for band in membership["bands"]
            ),
            service_fee=float(membership["service_fee"]),
        ),
        trainer_role=trainer_led["recorded_by_role"] if trainer_led else "trainer",
        source=path,
        earliest_date=earliest,
    )


def _course(cid: str, body: Mapping[str, Any], earliest: dt.date) -> Course:
    from .programme_parse import as_date

    def optional(key: str, default: Any) -> Any:
        value = body.get(key)
        return default if value is None else value

    catch_up = body.get("catch_up")
    return Course(
        id=cid,
        title=body["title"],
        level=body["level"],
        audience=body["audience"],
        delivery=body["delivery"],
        hours=float(body["hours"]),
        prerequisites=tuple(optional("prerequisites", ())),
        assessment=body.get("assessment"),
        attendance=float(optional("attendance", 0.8)),
        book=optional("book", True),
        runs_group=body.get("runs_group"),
        earliest_date=as_date(body["earliest_date"]) if "earliest_date" in body else earliest,
        catch_up=(
            CatchUp(int(catch_up["sessions"]), catch_up["how"].strip()) if catch_up else None
        ),
    )


def _role(rid: str, body: Mapping[str, Any]) -> Role:
    valid_years = body.get("valid_years")
    return Role(
        id=rid,
        title=body["title"],
        description=" ".join(body["description"].split()),
        requires=_requirement(body["requires"]),
        kind=body.get("kind", "role"),
        valid_years=None if valid_years is None else int(valid_years),
        recommended=tuple(body.get("recommended") or ()),
    )


def _ids(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _requirement(node: Mapping[str, Any]) -> Requirement:
    ((kind, value),) = node.items()
    if kind in ("all", "any"):
        parts = tuple(_requirement(part) for part in value)
        return AllOf(parts) if kind == "all" else AnyOf(parts)
    if kind == "completed":
        return Completed(value)
    if kind == "holds":
        return Holds(_ids(value))
    if kind == "held":
        return Held(_ids(value["role"]), int(value["years"]))
    if kind == "setting":
        return InSetting(licensed=value == "licensed")
    if kind == "cases":
        return Cases(int(value["at_least"]), int(value["over_months"]))
    if kind == "position":
        return Position(_ids(value))
    return Application(value)


def courses_required(req: Requirement) -> set[str]:
    """Every course a requirement names (in any branch)."""
    if isinstance(req, AllOf | AnyOf):
        return {c for part in req.parts for c in courses_required(part)}
    return {req.course} if isinstance(req, Completed) else set()


def _roles_named(req: Requirement) -> list[str]:
    if isinstance(req, AllOf | AnyOf):
        return [name for part in req.parts for name in _roles_named(part)]
    if isinstance(req, Holds | Held):
        return list(req.roles)
    if isinstance(req, Application):
        return []
    return []


def roles_beyond(programme: Programme, role_id: str) -> frozenset[str]:
    """The roles that build on `role_id` (they require holding or having held it, directly or
    through another role): a person holding one of them has outgrown `role_id`, so it is
    never offered to them as a next step (a School Lead is not 'eligible' for the trainee
    licence)."""
    built_on: dict[str, set[str]] = {}
    for rid, role in programme.roles.items():
        for named in _roles_named(role.requires):
            built_on.setdefault(named, set()).add(rid)
    found: set[str] = set()
    todo = [role_id]
    while todo:
        for nxt in built_on.get(todo.pop(), ()):
            if nxt not in found and nxt != role_id:
                found.add(nxt)
                todo.append(nxt)
    return frozenset(found)
