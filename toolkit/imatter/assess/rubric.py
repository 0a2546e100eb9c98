"""Rubrics: criteria, levels and a pass mark, kept as YAML beside each assessment notebook.

A rubric is validated twice: against the JSON schema shipped in the package
(``schemas/assess-rubric.schema.json``), then for sense (unique ids, rising points, a pass
level that exists) and for fit with its notebook (each reflection names a manually graded
answer cell whose points are the top levels of its criteria added up). Every error names the
file, the line and the field.

`judge` decides pass or not yet from plain data: it opens nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import RubricError
from ..yamlfile import YAML_FAILURES, read_text, safe_load
from ..yamlfile import compose as compose_yaml
from ..yamlfile import problem as yaml_problem

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Level:
    """One level of a criterion (e.g. secure), its points and what it looks like."""

    id: str
    title: str
    points: float
    descriptor: str


@dataclass(frozen=True)
class Criterion:
    """What a reflection is judged on, its levels, and the level needed to pass."""

    id: str
    title: str
    pass_level: str
    levels: tuple[Level, ...]
    description: str = ""

    @property
    def max_points(self) -> float:
        return max(level.points for level in self.levels)

    def level(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise RubricError(
            f"criterion '{self.id}' has no level '{level_id}'; "
            f"use one of: {', '.join(lv.id for lv in self.levels)}"
        )

    def meets(self, level_id: str) -> bool:
        """Whether this level is at or above the criterion's pass level."""
        return self.level(level_id).points >= self.level(self.pass_level).points


@dataclass(frozen=True)
class Reflection:
    """A reflection cell of the notebook and the criteria it is marked against."""

    cell: str
    title: str
    criteria: tuple[Criterion, ...]

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.criteria)


@dataclass(frozen=True)
class Rubric:
    """How an assessment is marked: its reflections, their criteria and the pass mark."""

    assessment: str
    title: str
    pass_mark: float
    reflections: tuple[Reflection, ...]
    source: Path

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for r in self.reflections for c in r.criteria)

    def reflection(self, cell: str) -> Reflection:
        for reflection in self.reflections:
            if reflection.cell == cell:
                return reflection
        raise RubricError(
            f"{self.source}: no reflection for cell '{cell}'; "
            f"the rubric marks: {', '.join(r.cell for r in self.reflections)}"
        )

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise RubricError(f"{self.source}: no criterion '{criterion_id}'")

    def points_for(self, cell: str, levels: Mapping[str, str]) -> float:
        """The points of a reflection marked at these levels (one per criterion, all given)."""
        reflection = self.reflection(cell)
        given = set(levels)
        wanted = {c.id for c in reflection.criteria}
        if given != wanted:
            missing = sorted(wanted - given)
            extra = sorted(given - wanted)
            parts = []
            if missing:
                parts.append(f"choose a level for: {', '.join(missing)}")
            if extra:
                parts.append(f"not criteria of this reflection: {', '.join(extra)}")
            raise RubricError(f"reflection '{cell}': " + "; ".join(parts))
        return float(sum(c.level(levels[c.id]).points for c in reflection.criteria))


# ---------------------------------------------------------------------- judging
@dataclass(frozen=True)
class Outcome:
    """Pass or not yet, with the reasons in words a learner can read."""

    complete: bool  # every criterion has a level
    passed: bool
    score: float
    max_score: float
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        if not self.complete:
            return "not marked yet"
        return "pass" if self.passed else "not yet"


def judge(rubric: Rubric, levels: Mapping[str, str], score: float, max_score: float) -> Outcome:
    """Pass: every criterion at or above its pass level, and score at least the pass mark.

    `levels` maps criterion id to level id (criteria not yet marked are simply absent);
    `score` and `max_score` cover the whole assessment (knowledge check and reflections).
    """
    reasons: list[str] = []
    unmarked = [c.title for c in rubric.criteria if c.id not in levels]
    if unmarked:
        reasons.append(f"not marked yet: {', '.join(unmarked)}")
        return Outcome(False, False, score, max_score, tuple(reasons))
    for criterion in rubric.criteria:
        if not criterion.meets(levels[criterion.id]):
            need = criterion.level(criterion.pass_level).title
            got = criterion.level(levels[criterion.id]).title
            reasons.append(f"{criterion.title}: {got} (needs {need} or above)")
    if score < rubric.pass_mark:
        reasons.append(points_needed(score, rubric.pass_mark))
    return Outcome(True, not reasons, score, max_score, tuple(reasons))


def _num(value: float) -> str:
    return f"{value:g}"


def points_needed(score: float, pass_mark: float) -> str:
    """How far a score is from the pass mark, in words a learner can read."""
    gap = pass_mark - score
    unit = "point" if gap == 1 else "points"
    return f"{_num(gap)} more {unit} needed to reach the pass mark of {_num(pass_mark)}"


# ---------------------------------------------------------------------- loading
@cache
def rubric_schema() -> dict:
    """The JSON schema for rubric files, shipped in the package."""
    from .. import jsonschemas

    return jsonschemas.load("assess-rubric")


def _field(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class _Lines:
    """The line (1-based) of every field of a YAML document, by its path."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.lines: dict[tuple, int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, key.value)
                self.lines[child] = key.start_mark.line + 1
                self._walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def of(self, path: Sequence[Any]) -> int:
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def load_rubric(path: str | Path, *, assessment_id: str | None = None) -> Rubric:
    """Read and validate a rubric file; RubricError names file:line and field."""
    path = Path(path)
    try:
        text = read_text(path, RubricError)
    except FileNotFoundError:
        raise RubricError(f"{path}: no rubric here; every assessment needs a rubric.yml") from None
    try:
        data = safe_load(text)
        lines = _Lines(compose_yaml(text))
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        raise RubricError(f"{path}:{line}: not valid YAML ({problem})") from None

    from .. import jsonschemas

    found = sorted(
        (_located(e) for e in jsonschemas.validator("assess-rubric").iter_errors(data)),
        key=lambda item: (lines.of(item[0]), _field(item[0])),
    )
    if found:
        messages = [f"{path}:{lines.of(where)}: {_field(where)}: {text}" for where, text in found]
        raise RubricError(messages[0], details=messages[1:])

    def fail(where: Sequence[Any], problem: str) -> RubricError:
        return RubricError(f"{path}:{lines.of(where)}: {_field(where)}: {problem}")

    if assessment_id is not None and data["assessment"] != assessment_id:
        raise fail(
            ["assessment"],
            f"'{data['assessment']}' does not match the assessment '{assessment_id}'",
        )
    reflections = []
    seen_cells: set[str] = set()
    seen_criteria: set[str] = set()
    for i, raw in enumerate(data["reflections"]):
        here: list[Any] = ["reflections", i]
        if raw["cell"] in seen_cells:
            raise fail([*here, "cell"], f"cell '{raw['cell']}' has two reflections")
        seen_cells.add(raw["cell"])
        criteria = []
        for j, rc in enumerate(raw["criteria"]):
            cpath = [*here, "criteria", j]
            if rc["id"] in seen_criteria:
                raise fail([*cpath, "id"], f"criterion id '{rc['id']}' is used twice")
            seen_criteria.add(rc["id"])
            levels = []
            seen_levels: set[str] = set()
            previous = None
            for k, rl in enumerate(rc["levels"]):
                lpath = [*cpath, "levels", k]
                if rl["id"] in seen_levels:
                    raise fail([*lpath, "id"], f"level id '{rl['id']}' is used twice")
                seen_levels.add(rl["id"])
                if previous is not None and rl["points"] <= previous:
                    raise fail(
                        [*lpath, "points"],
                        "levels go from lowest to highest: points must rise "
                        f"({rl['points']} follows {previous})",
                    )
                previous = rl["points"]
                levels.append(
                    Level(
                        rl["id"],
                        rl["title"],
                        float(rl["points"]),
                        " ".join(rl["descriptor"].split()),
                    )
                )
            if rc["pass_level"] not in seen_levels:
                raise fail(
                    [*cpath, "pass_level"],
                    f"'{rc['pass_level']}' is not one of its levels: {', '.join(seen_levels)}",
                )
            criteria.append(
                Criterion(
                    rc["id"],
                    rc["title"],
                    rc["pass_level"],
                    tuple(levels),
                    " ".join(rc.get("description", "").split()),
                )
            )
        reflections.append(Reflection(raw["cell"], raw["title"], tuple(criteria)))
    return Rubric(
        assessment=data["assessment"],
        title=data["title"],
        pass_mark=float(data["pass_mark"]),
        reflections=tuple(reflections),
        source=path,
    )


def _located(error: Any) -> tuple[list[Any], str]:
    """A schema error as (the path of the field at fault, a message without its content)."""
    where = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return where, f"'{missing}' is missing; add it"
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed)
        return [*where, extra[0]] if extra else where, (
            f"unknown field; expected one of: {', '.join(sorted(allowed))}"
        )
    if error.validator == "const":
        return where, f"must be {error.validator_value!r}"
    if error.validator == "pattern":
        return where, f"'{error.instance}' is not a valid id (lower-case letters, digits and -)"
    if error.validator == "type":
        got = "nothing" if error.instance is None else type(error.instance).__name__
        return where, f"expected {error.validator_value}, got {got}"
    if error.validator == "minItems":
        return where, f"needs at least {error.validator_value} item(s)"
    return where, error.message


# ---------------------------------------------------------------------- fit with the notebook
@dataclass(frozen=True)
class GradedCell:
    """A cell of an assessment notebook that carries points."""

    grade_id: str
    cell_type: str
    points: float
    manual: bool  # a manually graded answer (a reflection), not an autograded test


def graded_cells(nb: Any) -> list[GradedCell]:
    """The grade cells of a notebook (a dict or NotebookNode), in order."""
    found = []
    for cell in nb.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("grade"):
            found.append(
                GradedCell(
                    str(meta.get("grade_id")),
                    cell.get("cell_type", ""),
                    float(meta.get("points", 0)),
                    bool(meta.get("solution")),
                )
            )
    return found


def check_fits(rubric: Rubric, notebook_path: str | Path) -> None:
    """Check that the rubric marks exactly the notebook's reflection cells, with their points."""
    notebook_path = Path(notebook_path)
    try:
        nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RubricError(f"{notebook_path}: cannot read the notebook ({err})") from None
    lines = _Lines(compose_yaml(rubric.source.read_text(encoding="utf-8")))
    cells = {c.grade_id: c for c in graded_cells(nb)}
    manual = [c for c in cells.values() if c.manual]
    for i, reflection in enumerate(rubric.reflections):
        where = ["reflections", i, "cell"]
        cell = cells.get(reflection.cell)
        if cell is None or not cell.manual or cell.cell_type != "markdown":
            raise RubricError(
                f"{rubric.source}:{lines.of(where)}: {_field(where)}: '{reflection.cell}' is not "
                f"a manually graded markdown answer cell in {notebook_path.name}"
            )
        if cell.points != reflection.max_points:
            raise RubricError(
                f"{rubric.source}:{lines.of(where)}: {_field(where)}: its criteria add up to "
                f"{_num(reflection.max_points)} points but the cell '{cell.grade_id}' in "
                f"{notebook_path.name} has {_num(cell.points)}; make them equal"
            )
    marked = {r.cell for r in rubric.reflections}
    unmarked = [c.grade_id for c in manual if c.grade_id not in marked]
    if unmarked:
        raise RubricError(
            f"{rubric.source}:{lines.of(['reflections'])}: reflections: no rubric for the "
            f"answer cell(s) {', '.join(unmarked)} in {notebook_path.name}"
        )
    total = sum(c.points for c in cells.values())
    if rubric.pass_mark > total:
        raise RubricError(
            f"{rubric.source}:{lines.of(['pass_mark'])}: pass_mark: {_num(rubric.pass_mark)} is "
            f"more than the {_num(total)} points the notebook has"
        )


def load_checked(folder: str | Path, assessment_id: str) -> Rubric:
    """The rubric of an assessment folder, validated and checked against its notebook."""
    folder = Path(folder)
    rubric = load_rubric(folder / "rubric.yml", assessment_id=assessment_id)
    check_fits(rubric, folder / f"{assessment_id}.ipynb")
    return rubric
