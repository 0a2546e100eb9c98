"""`imatter module lint`: check course modules against the conventions in modules/README.md.

Errors (the command exits 1):

- `programme`: programme.yml does not match schemas/programme.schema.json, or names a role or
  position that does not exist (the same words and line as every other tool, from
  `imatter.programme_parse`);
- `prerequisite`: a course in programme.yml needs a course that does not exist;
- `unknown-course`: a folder in modules/ that is not a course in the catalogue;
- `course-yml` / `schema`: course.yml missing, or not valid against course.schema.json;
- `single-source`: course.yml repeats something that lives in programme.yml (its title, level
  ...): every fact about a course is written in one place;
- `metadata`: a notebook's `imatter` metadata is not valid against session.schema.json;
- `session-number`: file order, file name and `imatter.session` disagree;
- `outcomes`: no course outcomes, or a session without a `## Learning outcomes` list;
- `image-alt`: an image with no alt text;
- `heading-order`: the first heading is not `#`, more than one `#`, or a level skipped;
- `outputs`: outputs or widget state committed (cells marked NBVAL_CHECK_OUTPUT may keep
  theirs on purpose);
- `readability`: a page of a parents' course (audience parents or both) below Flesch 60;
- `link`: a link or image to a file that does not exist;
- `placeholder`: TODO (or `{{ }}`) text left in: the book would publish it;
- `code-shown`: a code cell whose code would show in the book (readers see no code);
- `made-up`: a case story (`## A story ...`) that does not say it is made up;
- `words-per-hour`: under 500 words of teaching text per hour stated in programme.yml;
- `facilitator-notes`: a course with no `## Facilitator notes` for a Lead running it.

Warnings: `structure` (a section the house pattern expects is missing), `kernel` (not the
python3 kernel), `sessions` (not 2 to 6 sessions), `long-sentence` (over 40 words).

Each finding names the file, the cell (or line) and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .findings import ERROR, WARNING, Finding, LintFailed, format_finding, schema_findings
from .lint_notebook import PLACEHOLDER, lint_notebook, strip_notebooks

__all__ = ["Finding", "LintFailed", "format_finding", "lint_modules", "strip_notebooks"]

CATALOGUE_KEYS = {
    "id",
    "title",
    "name",
    "level",
    "audience",
    "delivery",
    "hours",
    "duration",
    "prerequisites",
    "assessment",
    "attendance",
    "book",
    "runs_group",
}


# ---------------------------------------------------------------- the catalogue, leniently
@dataclass(frozen=True)
class _CatalogueCourse:
    """A course as the catalogue lists it, with the line it is on."""

    id: str
    title: str
    level: str
    audience: str
    book: bool
    line: int
    hours: float | None = None


def _read_catalogue(programme: Path) -> tuple[dict[str, _CatalogueCourse], list[Finding]]:
    """The courses of programme.yml, with a finding for every problem the programme parser
    (`imatter.programme_parse`, the one every tool uses) finds in it. The courses are read
    from the parsed tree leniently, so that one mistake does not hide the course folders."""
    from ..programme_parse import parse

    parsed = parse(programme)
    findings = [
        Finding(
            ERROR,
            problem.code,
            programme,
            f"{problem.where}: {problem.message}" if problem.where else problem.message,
            problem.hint or "correct programme.yml (it is the catalogue every tool reads)",
            line=problem.line,
        )
        for problem in parsed.problems
    ]
    data = parsed.data
    raw = data.get("courses") if isinstance(data, dict) else None
    courses: dict[str, _CatalogueCourse] = {}
    for cid, body in raw.items() if isinstance(raw, dict) else ():
        fields = body if isinstance(body, dict) else {}

        def text(name: str, fields: dict = fields) -> str:
            value = fields.get(name)
            return value if isinstance(value, str) else ""

        hours = fields.get("hours")
        courses[str(cid)] = _CatalogueCourse(
            str(cid),
            text("title"),
            text("level"),
            text("audience"),
            fields.get("book") is not False,
            getattr(raw, "key_lines", {}).get(str(cid), 0),
            float(hours)
            if isinstance(hours, int | float) and not isinstance(hours, bool)
            else None,
        )
    return courses, findings


# ---------------------------------------------------------------- course folders
def lint_modules(
    modules_dir: Path, programme: Path, *, only: Iterable[str] | None = None
) -> list[Finding]:
    """Every finding for the catalogue and the course folders in `modules_dir` (or only the
    courses named)."""
    modules_dir, programme = Path(modules_dir), Path(programme)
    catalogue, findings = _read_catalogue(programme)
    wanted = set(only) if only else None
    if wanted:
        unknown = sorted(wanted - set(catalogue))
        for cid in unknown:
            findings.append(
                Finding(
                    ERROR,
                    "unknown-course",
                    programme,
                    f"no course '{cid}' in the catalogue",
                    f"use one of: {', '.join(catalogue)}",
                )
            )
    folders = (
        sorted(p for p in modules_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
        if modules_dir.is_dir()
        else []
    )
    for folder in folders:
        if wanted is not None and folder.name not in wanted:
            continue
        course = catalogue.get(folder.name)
        if course is None:
            close = difflib.get_close_matches(folder.name, list(catalogue), n=1)
            hint = f"rename it to '{close[0]}', or " if close else ""
            findings.append(
                Finding(
                    ERROR,
                    "unknown-course",
                    folder,
                    f"folder modules/{folder.name}/ is not a course in programme.yml",
                    f"{hint}add course '{folder.name}' to programme.yml first",
                )
            )
            continue
        findings += lint_course(folder, course, modules_dir.parent)
    return sorted(findings, key=lambda f: (str(f.path), f.cell or 0, f.line or 0))


def lint_course(folder: Path, course: _CatalogueCourse, root: Path) -> list[Finding]:
    findings = _lint_course_yml(folder / "course.yml", course)
    if not course.book:
        findings.append(
            Finding(
                WARNING,
                "structure",
                folder,
                f"course '{course.id}' has book: false, so these pages are not in the book",
                "set book: true in programme.yml, or remove the folder",
            )
        )
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not 2 <= len(notebooks) <= 6:
        findings.append(
            Finding(
                WARNING,
                "sessions",
                folder,
                f"{len(notebooks)} session notebook(s); a course has 2 to 6",
                "split or merge sessions (imatter module new adds a course with --sessions N)",
            )
        )
    for position, path in enumerate(notebooks, start=1):
        findings += lint_notebook(path, course, position, root)
    if notebooks and course.book:
        findings += _teaching_time(folder, course, notebooks)
    return findings


WORDS_PER_HOUR = 500
FACILITATOR_HEADING = "## facilitator notes"


def _teaching_time(folder: Path, course: _CatalogueCourse, notebooks: list[Path]) -> list[Finding]:
    """Errors: under WORDS_PER_HOUR words of teaching text per stated hour, or no
    `## Facilitator notes` section in the course."""
    import json

    from .markdown import headings, prose
    from .project import cell_source
    from .readability import _words

    words = 0
    notes = False
    for path in notebooks:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue
        for cell in cells if isinstance(cells, list) else []:
            if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
                continue
            source = cell_source(cell)
            words += len(_words(prose(source)))
            notes = notes or any(
                h.level == 2 and h.text.lower().startswith("facilitator notes")
                for h in headings(source)
            )
    findings = []
    if course.hours:
        needed = int(WORDS_PER_HOUR * course.hours)
        if words < needed:
            findings.append(
                Finding(
                    ERROR,
                    "words-per-hour",
                    folder,
                    f"{words} words of teaching text for {course.hours:g} hour(s) in "
                    f"programme.yml; a course needs at least {WORDS_PER_HOUR} per hour "
                    f"({needed})",
                    "write the missing teaching text, or correct the hours in programme.yml",
                )
            )
    if not notes:
        findings.append(
            Finding(
                ERROR,
                "facilitator-notes",
                folder,
                "no session has a '## Facilitator notes' section",
                "add ## Facilitator notes (timings, an opening and a closing, discussion "
                "prompts, strong feelings and disclosures, what to prepare, catching up)",
            )
        )
    return findings


def _lint_course_yml(path: Path, course: _CatalogueCourse) -> list[Finding]:
    import yaml

    if not path.is_file():
        return [
            Finding(
                ERROR,
                "course-yml",
                path,
                "course.yml is missing",
                f"create it with schema: 1, description: and outcomes: (or run "
                f"`imatter module new {course.id}`)",
            )
        ]
    from ..yamlfile import YAML_FAILURES, safe_load
    from ..yamlfile import compose as compose_yaml
    from ..yamlfile import problem as yaml_problem

    try:
        text = path.read_text(encoding="utf-8")
    except ValueError:
        return [Finding(ERROR, "course-yml", path, "not UTF-8 text", "save the file as UTF-8")]
    try:
        node = compose_yaml(text)
        data = safe_load(text)
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        return [
            Finding(
                ERROR,
                "course-yml",
                path,
                f"not valid YAML: {problem}",
                "fix the YAML syntax",
                line=line,
            )
        ]
    if not isinstance(data, dict):
        return [
            Finding(
                ERROR,
                "course-yml",
                path,
                "course.yml must be a mapping of fields",
                "write schema:, description: and outcomes: as keys",
            )
        ]
    lines = (
        {str(k.value): k.start_mark.line + 1 for k, _v in node.value}
        if isinstance(node, yaml.MappingNode)
        else {}
    )
    findings = []
    for key in sorted(set(data) & CATALOGUE_KEYS):
        findings.append(
            Finding(
                ERROR,
                "single-source",
                path,
                f"'{key}' is written in modules/programme.yml, the one place for it",
                f"remove '{key}' from course.yml (edit programme.yml if it needs to change)",
                line=lines.get(key),
            )
        )
    rest = {k: v for k, v in data.items() if k not in CATALOGUE_KEYS}
    against_schema = schema_findings(rest, "course", path, "schema", lines=lines, what="course.yml")
    if not data.get("outcomes"):
        # One clear finding for missing outcomes rather than the schema's wording as well.
        against_schema = [f for f in against_schema if "outcomes" not in f.message]
    findings += against_schema
    if not data.get("outcomes"):
        findings.append(
            Finding(
                ERROR,
                "outcomes",
                path,
                "the course has no learning outcomes",
                "add outcomes: with one item per outcome ('By the end of this "
                "course you will be able to ...')",
                line=lines.get("outcomes"),
            )
        )
    if PLACEHOLDER.search(text):
        findings.append(
            Finding(
                WARNING,
                "placeholder",
                path,
                "placeholder text left in",
                "replace the TODO text with the real description and outcomes",
            )
        )
    if course.title and course.title.lower() in text.lower():
        findings.append(
            Finding(
                ERROR,
                "single-source",
                path,
                f"the course title '{course.title}' is repeated here",
                "leave the title to programme.yml; the book shows it on the course page",
            )
        )
    return findings
