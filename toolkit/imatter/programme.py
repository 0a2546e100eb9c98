"""The programme catalogue: courses, roles, the school licence rule and membership bands.

Loaded from one declarative YAML file into frozen dataclasses, and validated so that a mistake
names the file, the line and the field. Nothing here knows about any database.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .errors import ProgrammeError

AUDIENCES = ("professionals", "parents", "both")
DELIVERIES = ("rolling", "annual-cohort", "in-house", "trainer-led")
LEVELS = ("introduction", "foundation", "intermediate", "link", "lead")
ROLE_KINDS = ("role", "licence")
DEFAULT_EARLIEST = dt.date(2000, 1, 1)  # no record is dated before this unless the file says


# ---------------------------------------------------------------- requirement expressions
@dataclass(frozen=True)
class AllOf:
    parts: tuple[Requirement, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Requirement, ...]


@dataclass(frozen=True)
class Completed:
    course: str


@dataclass(frozen=True)
class Holds:
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Held:
    roles: tuple[str, ...]
    years: int


@dataclass(frozen=True)
class InSetting:
    licensed: bool


@dataclass(frozen=True)
class Cases:
    at_least: int
    over_months: int


@dataclass(frozen=True)
class Position:
    positions: tuple[str, ...]


@dataclass(frozen=True)
class Application:
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


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    description: str
    requires: Requirement
    kind: str = "role"
    valid_years: int | None = None
    recommended: tuple[str, ...] = ()


@dataclass(frozen=True)
class SchoolLicenceRule:
    description: str
    senior_support: tuple[str, ...]
    trained_staff_at_least: int
    trained_staff_courses: tuple[str, ...]
    action_plan: bool


@dataclass(frozen=True)
class MembershipBand:
    up_to: int | None
    fee: float


@dataclass(frozen=True)
class MembershipRule:
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
        raise ProgrammeError("no membership band covers a roll of {pupils_on_roll}")


@dataclass(frozen=True)
class Programme:
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

    def role(self, role_id: str) -> Role:
        """The role with this id, or NotFound naming the known ids."""
        from .errors import NotFound

        try:
            return self.roles[role_id]
        except KeyError:
            raise NotFound(
                f"unknown role '{role_id}'; known roles: {', '.join(self.roles)}"
            ) from None


# ---------------------------------------------------------------- loading with line numbers
class _LineDict(dict):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _LineList(list):
    line: int = 0
    item_lines: list[int]


class _Reader:
    """Reads fields out of the parsed YAML, raising errors that name file:line and field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, line: int, where: str, problem: str) -> ProgrammeError:
        return ProgrammeError(f"{self.path}:{line}: {where}: {problem}")

    def mapping(self, value: Any, line: int, where: str) -> _LineDict:
        if not isinstance(value, dict):
            raise self.fail(line, where, f"expected a mapping of fields, got {_kind(value)}")
        return value  # type: ignore[return-value]

    def line_of(self, parent: Any, key: str) -> int:
        return getattr(parent, "key_lines", {}).get(key, getattr(parent, "line", 0))

    def get(
        self,
        parent: _LineDict,
        key: str,
        where: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = True,
        default: Any = None,
    ) -> Any:
        path = f"{where}.{key}" if where else key
        if key not in parent:
            if required:
                raise self.fail(parent.line, path, "this field is missing; add it")
            return default
        value = parent[key]
        if value is None and not required:
            return default
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if bool in [type(value)] and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            wanted = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            raise self.fail(
                self.line_of(parent, key), path, f"expected {wanted}, got {_kind(value)}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(
                self.line_of(parent, key), path, f"expected a finite number, got {value}"
            )
        return value

    def only(self, parent: _LineDict, allowed: set[str], where: str) -> None:
        for key in parent:
            if key not in allowed:
                raise self.fail(
                    self.line_of(parent, str(key)),
                    f"{where}.{key}" if where else str(key),
                    f"unknown field; expected one of: {', '.join(sorted(allowed))}",
                )

    def choice(self, parent: _LineDict, key: str, where: str, choices: tuple[str, ...]) -> str:
        value = self.get(parent, key, where, str)
        if value not in choices:
            raise self.fail(
                self.line_of(parent, key),
                f"{where}.{key}",
                f"'{value}' is not one of: {', '.join(choices)}",
            )
        return value

    def date(self, parent: _LineDict, key: str, where: str) -> dt.date:
        value = parent.get(key)
        line = self.line_of(parent, key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if value is None:
            raise self.fail(parent.line, f"{where}.{key}", "this date is missing; add YYYY-MM-DD")
        raise self.fail(line, f"{where}.{key}", f"'{value}' is not a date; write YYYY-MM-DD")


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{value}' (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"'{value}'"


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
    """Load and validate a programme file; ProgrammeError names file:line and the field."""
    # YAML is imported only to parse: a read command gets the programme from its cache.
    from .programme_yaml import ExactLoader, Loader
    from .yamlfile import YAML_FAILURES, read_text
    from .yamlfile import load as load_yaml
    from .yamlfile import problem as yaml_problem

    path = Path(path) if path is not None else default_programme_path()
    try:
        text = read_text(path, ProgrammeError)
    except FileNotFoundError:
        raise ProgrammeError(f"{path}: programme file not found; pass --programme FILE") from None
    except OSError as err:
        raise ProgrammeError(f"{path}: cannot read the programme file ({err.strerror})") from None
    try:
        data = load_yaml(text, Loader, ExactLoader)
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        raise ProgrammeError(f"{path}:{line}: not valid YAML: {problem}") from None
    return _build(_Reader(path), data)


def _build(r: _Reader, data: Any) -> Programme:
    top = r.mapping(data, 1, "programme")
    r.only(
        top,
        {
            "schema",
            "name",
            "version",
            "effective_from",
            "issuer",
            "positions",
            "courses",
            "roles",
            "trainer_led",
            "school_licence",
            "membership",
            "earliest_date",
        },
        "",
    )
    earliest = (
        r.date(top, "earliest_date", "programme") if "earliest_date" in top else DEFAULT_EARLIEST
    )
    schema = r.get(top, "schema", "", int)
    if schema != 1:
        raise r.fail(r.line_of(top, "schema"), "schema", f"unsupported schema {schema}; use 1")
    issuer = r.mapping(r.get(top, "issuer", "", dict), r.line_of(top, "issuer"), "issuer")
    r.only(issuer, {"name", "url"}, "issuer")
    positions_raw = r.get(top, "positions", "", dict)
    positions = {}
    for key, title in positions_raw.items():
        if not isinstance(title, str):
            raise r.fail(r.line_of(positions_raw, key), f"positions.{key}", "expected text")
        positions[str(key)] = title

    courses_raw = r.get(top, "courses", "", dict)
    courses = {
        str(cid): _course(r, str(cid), body, courses_raw, earliest)
        for cid, body in courses_raw.items()
    }
    for course in courses.values():
        for pre in course.prerequisites:
            if pre not in courses:
                raise r.fail(
                    r.line_of(courses_raw[course.id], "prerequisites"),
                    f"courses.{course.id}.prerequisites",
                    f"unknown course '{pre}'",
                )
    _check_cycles(r, courses_raw, {c.id: c.prerequisites for c in courses.values()}, "courses")

    roles_raw = r.get(top, "roles", "", dict)
    roles: dict[str, Role] = {}
    for rid, body in roles_raw.items():
        roles[str(rid)] = _role(r, str(rid), body, roles_raw, courses, roles_raw, positions)
    _check_cycles(
        r,
        roles_raw,
        {rid: tuple(_roles_named(role.requires)) for rid, role in roles.items()},
        "roles",
    )

    trainer_led = r.get(top, "trainer_led", "", dict, required=False, default=None)
    trainer_role = "trainer"
    if trainer_led is not None:
        r.only(trainer_led, {"recorded_by_role"}, "trainer_led")
        trainer_role = r.get(trainer_led, "recorded_by_role", "trainer_led", str)
        if trainer_role not in roles:
            raise r.fail(
                r.line_of(trainer_led, "recorded_by_role"),
                "trainer_led.recorded_by_role",
                f"unknown role '{trainer_role}'",
            )

    return Programme(
        name=r.get(top, "name", "", str),
        version=str(r.get(top, "version", "", (str, int, float))),
        effective_from=r.date(top, "effective_from", "programme"),
        issuer_name=r.get(issuer, "name", "issuer", str),
        issuer_url=r.get(issuer, "url", "issuer", str),
        positions=positions,
        courses=courses,
        roles=roles,
        school_licence=_licence(r, r.get(top, "school_licence", "", dict), courses, roles),
        membership=_membership(r, r.get(top, "membership", "", dict)),
        trainer_role=trainer_role,
        source=r.path,
        earliest_date=earliest,
    )


def _course(r: _Reader, cid: str, body: Any, parent: _LineDict, earliest: dt.date) -> Course:
    where = f"courses.{cid}"
    body = r.mapping(body, r.line_of(parent, cid), where)
    r.only(
        body,
        {
            "title",
            "level",
            "audience",
            "delivery",
            "hours",
            "prerequisites",
            "assessment",
            "attendance",
            "book",
            "runs_group",
            "earliest_date",
            "catch_up",
        },
        where,
    )
    prereqs = r.get(body, "prerequisites", where, list, required=False, default=[])
    for i, pre in enumerate(prereqs):
        if not isinstance(pre, str):
            raise r.fail(
                prereqs.item_lines[i], f"{where}.prerequisites[{i}]", "expected a course id"
            )
    hours = r.get(body, "hours", where, (int, float))
    if hours <= 0:
        raise r.fail(r.line_of(body, "hours"), f"{where}.hours", "must be more than 0")
    attendance = r.get(body, "attendance", where, (int, float), required=False, default=0.8)
    if not 0 <= attendance <= 1:
        raise r.fail(
            r.line_of(body, "attendance"), f"{where}.attendance", "must be a share from 0 to 1"
        )
    runs_group = r.get(body, "runs_group", where, str, required=False, default=None)
    if runs_group not in (None, "staff", "parents"):
        raise r.fail(r.line_of(body, "runs_group"), f"{where}.runs_group", "use staff or parents")
    return Course(
        id=cid,
        title=r.get(body, "title", where, str),
        level=r.choice(body, "level", where, LEVELS),
        audience=r.choice(body, "audience", where, AUDIENCES),
        delivery=r.choice(body, "delivery", where, DELIVERIES),
        hours=float(hours),
        prerequisites=tuple(prereqs),
        assessment=r.get(body, "assessment", where, str, required=False, default=None),
        attendance=float(attendance),
        book=r.get(body, "book", where, bool, required=False, default=True),
        runs_group=runs_group,
        earliest_date=r.date(body, "earliest_date", where) if "earliest_date" in body else earliest,
        catch_up=_catch_up(r, body, where),
    )


def _catch_up(r: _Reader, body: Any, where: str) -> CatchUp | None:
    """A course's `catch_up: {sessions: N, how: TEXT}` (None when the course has none)."""
    if "catch_up" not in body:
        return None
    where = f"{where}.catch_up"
    spec = r.mapping(body["catch_up"], r.line_of(body, "catch_up"), where)
    r.only(spec, {"sessions", "how"}, where)
    sessions = r.get(spec, "sessions", where, int)
    if isinstance(sessions, bool) or sessions < 1:
        raise r.fail(
            r.line_of(spec, "sessions"), f"{where}.sessions", "must be a whole number, 1 or more"
        )
    how = r.get(spec, "how", where, str).strip()
    if not how:
        raise r.fail(r.line_of(spec, "how"), f"{where}.how", "say how a learner catches up")
    return CatchUp(sessions, how)


def _role(
    r: _Reader,
    rid: str,
    body: Any,
    parent: _LineDict,
    courses: Mapping[str, Course],
    roles_raw: Mapping[str, Any],
    positions: Mapping[str, str],
) -> Role:
    where = f"roles.{rid}"
    body = r.mapping(body, r.line_of(parent, rid), where)
    r.only(body, {"title", "description", "requires", "kind", "valid_years", "recommended"}, where)
    kind = r.choice(body, "kind", where, ROLE_KINDS) if "kind" in body else "role"
    valid_years = r.get(body, "valid_years", where, int, required=False, default=None)
    if valid_years is not None and valid_years < 1:
        raise r.fail(r.line_of(body, "valid_years"), f"{where}.valid_years", "must be 1 or more")
    recommended = r.get(body, "recommended", where, list, required=False, default=[])
    for i, cid in enumerate(recommended):
        if not isinstance(cid, str) or cid not in courses:
            raise r.fail(
                recommended.item_lines[i], f"{where}.recommended[{i}]", f"unknown course '{cid}'"
            )
    if "requires" not in body:
        raise r.fail(body.line, f"{where}.requires", "this field is missing; add it")
    ctx = _ExprContext(r, courses, roles_raw, positions)
    requires = ctx.parse(body["requires"], r.line_of(body, "requires"), f"{where}.requires")
    return Role(
        id=rid,
        title=r.get(body, "title", where, str),
        description=" ".join(r.get(body, "description", where, str).split()),
        requires=requires,
        kind=kind,
        valid_years=valid_years,
        recommended=tuple(recommended),
    )


@dataclass
class _ExprContext:
    r: _Reader
    courses: Mapping[str, Course]
    roles: Mapping[str, Any]
    positions: Mapping[str, str]

    def parse(self, node: Any, line: int, where: str) -> Requirement:
        r = self.r
        node = r.mapping(node, line, where)
        if len(node) != 1:
            raise r.fail(
                node.line, where, "each requirement has exactly one kind (all, any, completed, ...)"
            )
        ((kind, value),) = node.items()
        line = r.line_of(node, kind)
        here = f"{where}.{kind}"
        if kind in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise r.fail(line, here, "expected a non-empty list of requirements")
            parts = tuple(
                self.parse(item, cast(_LineList, value).item_lines[i], f"{here}[{i}]")
                for i, item in enumerate(value)
            )
            return AllOf(parts) if kind == "all" else AnyOf(parts)
        if kind == "completed":
            return Completed(self._id(value, self.courses, line, here, "course"))
        if kind == "holds":
            return Holds(self._ids(value, self.roles, line, here, "role"))
        if kind == "held":
            body = r.mapping(value, line, here)
            r.only(body, {"role", "years"}, here)
            years = r.get(body, "years", here, int)
            if years < 1:
                raise r.fail(r.line_of(body, "years"), f"{here}.years", "must be 1 or more")
            return Held(
                self._ids(body.get("role"), self.roles, line, f"{here}.role", "role"), years
            )
        if kind == "setting":
            if value not in ("member", "licensed"):
                raise r.fail(line, here, f"'{value}' is not one of: member, licensed")
            return InSetting(licensed=value == "licensed")
        if kind == "cases":
            body = r.mapping(value, line, here)
            r.only(body, {"at_least", "over_months"}, here)
            return Cases(r.get(body, "at_least", here, int), r.get(body, "over_months", here, int))
        if kind == "position":
            return Position(self._ids(value, self.positions, line, here, "position"))
        if kind == "application":
            return Application(self._id(value, self.roles, line, here, "role"))
        raise r.fail(
            line,
            here,
            "unknown requirement; use all, any, completed, holds, held, setting, cases, "
            "position or application",
        )

    def _id(self, value: Any, known: Mapping[str, Any], line: int, where: str, what: str) -> str:
        if not isinstance(value, str):
            raise self.r.fail(line, where, f"expected a {what} id, got {_kind(value)}")
        if value not in known:
            raise self.r.fail(line, where, f"unknown {what} '{value}'")
        return value

    def _ids(
        self, value: Any, known: Mapping[str, Any], line: int, where: str, what: str
    ) -> tuple[str, ...]:
        values = value if isinstance(value, list) else [value]
        return tuple(self._id(v, known, line, where, what) for v in values)


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


def _check_cycles(
    r: _Reader, raw: _LineDict, edges: Mapping[str, tuple[str, ...]], what: str
) -> None:
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " -> ".join([*trail[trail.index(node) :], node])
            raise r.fail(r.line_of(raw, node), f"{what}.{node}", f"depends on itself: {cycle}")
        state[node] = 1
        for nxt in edges.get(node, ()):
            visit(nxt, [*trail, node])
        state[node] = 2

    for node in edges:
        visit(node, [])


def _licence(
    r: _Reader, body: _LineDict, courses: Mapping[str, Course], roles: Mapping[str, Role]
) -> SchoolLicenceRule:
    where = "school_licence"
    r.only(body, {"description", "senior_support", "trained_staff", "action_plan"}, where)
    senior = r.get(body, "senior_support", where, list)
    for i, rid in enumerate(senior):
        if not isinstance(rid, str) or rid not in roles:
            raise r.fail(
                senior.item_lines[i], f"{where}.senior_support[{i}]", f"unknown role '{rid}'"
            )
    staff = r.get(body, "trained_staff", where, dict)
    r.only(staff, {"at_least", "courses"}, f"{where}.trained_staff")
    staff_courses = r.get(staff, "courses", f"{where}.trained_staff", list)
    for i, cid in enumerate(staff_courses):
        if not isinstance(cid, str) or cid not in courses:
            raise r.fail(
                staff_courses.item_lines[i],
                f"{where}.trained_staff.courses[{i}]",
                f"unknown course '{cid}'",
            )
    return SchoolLicenceRule(
        description=" ".join(r.get(body, "description", where, str).split()),
        senior_support=tuple(senior),
        trained_staff_at_least=r.get(staff, "at_least", f"{where}.trained_staff", int),
        trained_staff_courses=tuple(staff_courses),
        action_plan=r.get(body, "action_plan", where, bool),
    )


def _membership(r: _Reader, body: _LineDict) -> MembershipRule:
    where = "membership"
    r.only(body, {"period_months", "currency", "bands", "service_fee"}, where)
    bands_raw = r.get(body, "bands", where, list)
    bands: list[MembershipBand] = []
    previous = -1
    for i, item in enumerate(bands_raw):
        here = f"{where}.bands[{i}]"
        item = r.mapping(item, bands_raw.item_lines[i], here)
        r.only(item, {"up_to", "fee"}, here)
        up_to = r.get(item, "up_to", here, int, required=False, default=None)
        fee = r.get(item, "fee", here, (int, float))
        if up_to is not None and up_to <= previous:
            raise r.fail(item.line, f"{here}.up_to", "bands must rise: each up_to above the last")
        if up_to is None and i != len(bands_raw) - 1:
            raise r.fail(item.line, f"{here}.up_to", "only the last band may be open (up_to: null)")
        previous = up_to if up_to is not None else previous
        bands.append(MembershipBand(up_to, float(fee)))
    if not bands:
        raise r.fail(bands_raw.line, f"{where}.bands", "add at least one band")
    return MembershipRule(
        period_months=r.get(body, "period_months", where, int),
        currency=r.get(body, "currency", where, str),
        bands=tuple(bands),
        service_fee=float(r.get(body, "service_fee", where, (int, float))),
    )


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
