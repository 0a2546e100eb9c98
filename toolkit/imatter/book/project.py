"""Where the book lives, and each course's teaching material read against the catalogue.

A book project is a folder with `_config.yml` (Jupyter Book 1), `modules/programme.yml` (the
catalogue: the one place a course's id, title, level, audience, hours and prerequisites are
written), `modules/<course id>/` (course.yml and session notebooks) and `book/` (front matter).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ImatterError, NotFound
from ..programme import Course, Programme, load_programme

CONFIG_FILE = "_config.yml"
TOC_FILE = "_toc.yml"
BOOK_DIR = "book"
# Written by `imatter book build` from the catalogue on every build: never edit by hand.
CATALOGUE_DIR = "book/catalogue"
# Pages that other toolkit commands write (the directory, status lists): the book includes them.
GENERATED_DIR = "book/generated"
# Hand-written front matter, in reading order (a page that does not exist is left out).
FRONT_MATTER = (
    "book/how-to-use/learners",
    "book/how-to-use/lead-professionals",
    "book/how-to-use/lead-term",
    "book/how-to-use/authors",
    "book/take-stock",
    "book/how-to-use/keeping-records-safe",
    "book/how-to-use/hosting",
)
WELCOME = "book/welcome"
PAGE_SUFFIXES = (".md", ".ipynb")
LEVEL_NAMES = {
    "introduction": "Introduction",
    "foundation": "Foundation",
    "intermediate": "Intermediate",
    "link": "Link Professional",
    "lead": "Lead Professional training",
}


@dataclass(frozen=True)
class BookProject:
    """The folders of one book: its root, the programme file and what they imply."""

    root: Path
    programme_path: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def toc_path(self) -> Path:
        return self.root / TOC_FILE

    @property
    def modules_dir(self) -> Path:
        return self.programme_path.parent

    @property
    def book_dir(self) -> Path:
        return self.root / BOOK_DIR

    @property
    def catalogue_dir(self) -> Path:
        return self.root / CATALOGUE_DIR

    @property
    def generated_dir(self) -> Path:
        return self.root / GENERATED_DIR

    @property
    def build_dir(self) -> Path:
        return self.root / "_build"

    @property
    def html_dir(self) -> Path:
        return self.build_dir / "html"

    @property
    def cache_dir(self) -> Path:
        """The jupyter-cache that MyST-NB reads (its default: next to the html folder)."""
        return self.build_dir / ".jupyter_cache"

    def docname(self, path: Path) -> str:
        """The Sphinx document name of a source file: its root-relative path, no suffix."""
        return path.resolve().relative_to(self.root.resolve()).with_suffix("").as_posix()

    def programme(self) -> Programme:
        return load_programme(self.programme_path)


def find_project(
    root: str | Path | None = None, programme: str | Path | None = None
) -> BookProject:
    """The book project at `root`, else the nearest folder above the current one with
    `_config.yml`; the programme is `programme`, else `<root>/modules/programme.yml`."""
    if root is not None:
        folder = Path(root)
        if not (folder / CONFIG_FILE).is_file():
            raise NotFound(f"{folder}: no {CONFIG_FILE} here; pass the book's root folder")
    else:
        here = Path.cwd()
        found = next((p for p in [here, *here.parents] if (p / CONFIG_FILE).is_file()), None)
        if found is None:
            raise NotFound(
                f"no {CONFIG_FILE} in {here} or any folder above it; run this inside the "
                "project or pass --root"
            )
        folder = found
    folder = folder.resolve()
    programme_path = (
        Path(programme).resolve() if programme else folder / "modules" / "programme.yml"
    )
    if not programme_path.is_file():
        raise NotFound(f"{programme_path}: programme file not found; pass --programme FILE")
    return BookProject(folder, programme_path)


# ---------------------------------------------------------------- course material
@dataclass(frozen=True)
class CourseMaterial:
    """One course's teaching material: the catalogue entry plus its folder's contents."""

    course: Course
    folder: Path
    description: str
    outcomes: tuple[str, ...]
    sessions: tuple[Path, ...]


def session_notebooks(folder: Path) -> tuple[Path, ...]:
    """The session notebooks of a course folder, in file-name order (01-..., 02-...)."""
    return tuple(
        sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.name.startswith("."))
    )


def read_course_yml(path: Path) -> dict[str, Any]:
    """course.yml as a mapping; ImatterError names the file when it cannot be read."""

    from ..yamlfile import YAML_FAILURES, read_text, safe_load
    from ..yamlfile import problem as yaml_problem

    text = read_text(path)
    try:
        data = safe_load(text)
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        raise ImatterError(
            f"{path}:{line}: not valid YAML ({problem}); run `imatter module lint`"
        ) from None
    return data if isinstance(data, dict) else {}


def course_materials(project: BookProject, programme: Programme) -> list[CourseMaterial]:
    """Every catalogue course that belongs in the book (book: true) and has a folder with a
    course.yml, in catalogue order."""
    found = []
    for course in programme.courses.values():
        folder = project.modules_dir / course.id
        if not course.book or not (folder / "course.yml").is_file():
            continue
        data = read_course_yml(folder / "course.yml")
        outcomes = data.get("outcomes") or []
        found.append(
            CourseMaterial(
                course=course,
                folder=folder,
                description=" ".join(str(data.get("description") or "").split()),
                outcomes=tuple(" ".join(str(o).split()) for o in outcomes if o),
                sessions=session_notebooks(folder),
            )
        )
    return found


def read_notebook_json(path: Path) -> dict[str, Any]:
    """A notebook as plain JSON (fast: no nbformat validation)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ImatterError(f"{path}: not a readable notebook ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ImatterError(f"{path}: not a notebook (no cells)")
    return data


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_title(path: Path) -> str:
    """The first `# ` heading of a notebook, or its file name."""
    for cell in read_notebook_json(path)["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        for line in cell_source(cell).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return path.stem


def relpath(path: Path, start: Path) -> str:
    """`path` relative to `start`, with forward slashes (for links in generated pages)."""
    return Path(os.path.relpath(path, start)).as_posix()


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` unless the file already holds it (so Sphinx sees no change); True if
    written."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def pages_in(folder: Path) -> list[Path]:
    """Markdown and notebook pages under `folder` (recursively), sorted, hidden ones and
    README files left out."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix in PAGE_SUFFIXES
        and p.is_file()
        and p.name.lower() != "readme.md"
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )
