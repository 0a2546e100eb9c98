"""The module linter's checks of one session notebook, and `imatter module strip`.

See `lint` for the list of finding codes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ..errors import ImatterError
from . import markdown as md
from .findings import ERROR, WARNING, Finding, schema_findings
from .project import cell_source

SESSION_FILE = re.compile(r"^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$")
SESSION_TITLE = re.compile(r"^Session (\d+): \S")
CHECK_OUTPUT_MARKERS = ("NBVAL_CHECK_OUTPUT",)
CHECK_OUTPUT_TAGS = ("nbval-check-output",)
EXPECTED_SECTIONS = (
    ("A story from practice", "## A story from practice: a short, clearly fictional vignette"),
    ("Activity", "## Activity: ... with a code cell that calls imatter.activities"),
    ("Reflection", "## Reflection with two to four private prompts"),
    ("Summary", "## Summary with the key points as a short list"),
    ("References", "## References listing the sources cited in the text"),
)
FACILITATOR = (
    "Facilitator notes",
    "## Facilitator notes in a MyST {admonition} with :class: dropdown",
)
PLACEHOLDER = re.compile(r"\bTODO\b|\{\{[^}]*\}\}")
LONG_SENTENCE = 40  # words
STORY_HEADING = ("a story", "case story", "a case story")
MADE_UP = re.compile(
    r"\b(made[ -]up|fictional|fictitious|invented|imagined|not (?:a )?real)\b", re.IGNORECASE
)


class CourseFacts(Protocol):
    """What the notebook checks need to know about the course (from the catalogue)."""

    @property
    def id(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def audience(self) -> str: ...


# ---------------------------------------------------------------- notebooks
def shape_problem(nb: Any) -> str | None:
    """What makes this JSON something no notebook tool can read (None for a notebook's shape):
    checked before any cell is looked at, so a damaged file gives a finding, not a crash."""
    if not isinstance(nb, dict):
        return "the file holds JSON but not a notebook (no mapping at the top)"
    if not isinstance(nb.get("cells"), list):
        return "it has no list of cells"
    if not isinstance(nb.get("metadata", {}), dict):
        return "its metadata is not a mapping"
    for number, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict):
            return f"cell {number} is not a cell (not a mapping)"
        if not isinstance(cell.get("metadata", {}), dict):
            return f"cell {number}'s metadata is not a mapping"
        source = cell.get("source", "")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(line, str) for line in source)
        ):
            return f"cell {number}'s source is not text"
        if not isinstance(cell.get("outputs", []), list):
            return f"cell {number}'s outputs are not a list"
    return None


def _check_output(cell: dict[str, Any]) -> bool:
    """nbval checks this cell's output: a comment line that is exactly `# NBVAL_CHECK_OUTPUT`
    (nbval's own rule), or the `nbval-check-output` tag."""
    tags = cell.get("metadata", {}).get("tags", [])
    if not isinstance(tags, list):
        tags = []
    comments = (
        line.strip().lstrip("#").strip()
        for line in cell_source(cell).splitlines()
        if line.strip().startswith("#")
    )
    return any(c in CHECK_OUTPUT_MARKERS for c in comments) or any(
        t in tags for t in CHECK_OUTPUT_TAGS
    )


def book_removes_code(root: Path) -> bool | None:
    """The book's `nb_remove_code_source` from `<root>/_config.yml` (None: no book here)."""
    import yaml

    from ..yamlfile import safe_load

    config = root / "_config.yml"
    try:
        data = safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, yaml.YAMLError):
        return None
    sphinx = (data.get("sphinx") or {}) if isinstance(data, dict) else {}
    settings = (sphinx.get("config") or {}) if isinstance(sphinx, dict) else {}
    if not isinstance(settings, dict):
        return False
    return bool(settings.get("nb_remove_code_source", False))


def shows_code(cell: dict[str, Any], nb: dict[str, Any], removes_code: bool | None) -> bool:
    """Would MyST-NB render this code cell's input? (cell > notebook > book, as MyST-NB
    decides; a `remove-input` or `remove-cell` tag always hides it.)"""
    if removes_code is None:
        return False
    tags = cell.get("metadata", {}).get("tags", [])
    if isinstance(tags, list) and any(
        t in ("remove-input", "remove_input", "remove-cell", "remove_cell") for t in tags
    ):
        return False
    for meta in (cell.get("metadata", {}), nb.get("metadata", {})):
        own = meta.get("mystnb") if isinstance(meta, dict) else None
        if isinstance(own, dict) and "remove_code_source" in own:
            return not own["remove_code_source"]
    return not removes_code


def _long_sentences(path: Path, number: int, source: str) -> list[Finding]:
    from .readability import _words

    found = []
    for sentence in md.split_sentences(md.prose(source)):
        words = _words(sentence)
        if len(words) > LONG_SENTENCE:
            start = " ".join(sentence.split()[:8])
            found.append(
                Finding(
                    WARNING,
                    "long-sentence",
                    path,
                    f'a sentence of {len(words)} words ("{start} ...")',
                    f"split it: keep sentences under {LONG_SENTENCE} words (aim for 20)",
                    cell=number,
                )
            )
    return found


def _stories(path: Path, cells: list[tuple[int, str]]) -> list[Finding]:
    """Every case story section says that it is made up (fictional, invented ...)."""
    findings = []
    story: tuple[int, str] | None = None
    text: list[str] = []

    def close() -> None:
        if story is not None and not MADE_UP.search(" ".join(text)):
            findings.append(
                Finding(
                    ERROR,
                    "made-up",
                    path,
                    f"the story '{story[1]}' does not say that it is made up",
                    "begin it with *This story is made up.* (every case story is fictional)",
                    cell=story[0],
                )
            )

    for number, source in cells:
        heads = {h.line: h for h in md.headings(source)}
        for line in md.lines(source):
            head = heads.get(line.number)
            if head is not None and head.level <= 2:
                close()
                story, text = None, []
                if head.level == 2 and head.text.lower().startswith(STORY_HEADING):
                    story = (number, head.text)
            elif story is not None:
                text.append(line.text)
    close()
    return findings


def lint_notebook(path: Path, course: CourseFacts, position: int, root: Path) -> list[Finding]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        problem = shape_problem(nb)
    except UnicodeDecodeError:
        problem = "it is not UTF-8 text"
    except (OSError, ValueError) as err:
        problem = f"not valid JSON ({err})"
    if problem:
        return [
            Finding(
                ERROR,
                "metadata",
                path,
                f"not a readable notebook: {problem}",
                "open and save it in Jupyter",
            )
        ]
    cells = nb["cells"]
    findings: list[Finding] = []
    meta = nb.get("metadata", {})
    imatter = meta.get("imatter")
    if imatter is None:
        findings.append(
            Finding(
                ERROR,
                "metadata",
                path,
                "no 'imatter' notebook metadata",
                'add "imatter": {"schema": 1, "session": N, "minutes": M} to the notebook metadata',
            )
        )
        imatter = {}
    else:
        findings += schema_findings(imatter, "session", path, "metadata", what="metadata.imatter")
    kernel = meta.get("kernelspec")
    if not isinstance(kernel, dict) or kernel.get("name") != "python3":
        findings.append(
            Finding(
                WARNING,
                "kernel",
                path,
                "the kernel is not python3",
                "choose the Python 3 (ipykernel) kernel and save",
            )
        )
    session = imatter.get("session") if isinstance(imatter, dict) else None
    name = SESSION_FILE.match(path.name)
    if not name:
        findings.append(
            Finding(
                ERROR,
                "session-number",
                path,
                f"'{path.name}' is not named NN-slug.ipynb",
                f"rename it like {position:02d}-short-title.ipynb",
            )
        )
    elif int(name.group(1)) != position or (isinstance(session, int) and session != position):
        findings.append(
            Finding(
                ERROR,
                "session-number",
                path,
                f"this is notebook {position} in file order, its name says {int(name.group(1))} "
                f"and its metadata says session {session}",
                "number the files 01, 02, ... in order and set imatter.session to match",
            )
        )
    if widgets_state(nb):
        findings.append(
            Finding(
                ERROR,
                "outputs",
                path,
                "saved widget state in the metadata",
                f"run `imatter module strip {path}`",
            )
        )

    markdown_cells: list[tuple[int, str]] = []
    all_heads: list[tuple[int, md.Heading]] = []
    removes_code = book_removes_code(root)
    for number, cell in enumerate(cells, start=1):
        source = cell_source(cell)
        kind = cell.get("cell_type")
        if PLACEHOLDER.search(source):
            findings.append(
                Finding(
                    ERROR,
                    "placeholder",
                    path,
                    "placeholder text left in (the book would publish it)",
                    "replace the TODO text with the real content",
                    cell=number,
                )
            )
        if kind == "code":
            if shows_code(cell, nb, removes_code):
                findings.append(
                    Finding(
                        ERROR,
                        "code-shown",
                        path,
                        "this code cell would show its code in the book",
                        "remove `remove_code_source: false` from the cell's or notebook's "
                        "mystnb metadata (the book leaves code out: nb_remove_code_source in "
                        "_config.yml)",
                        cell=number,
                    )
                )
            if (cell.get("outputs") or cell.get("execution_count") is not None) and not (
                _check_output(cell)
            ):
                findings.append(
                    Finding(
                        ERROR,
                        "outputs",
                        path,
                        "outputs are committed",
                        f"run `imatter module strip {path}` (or mark the cell "
                        "# NBVAL_CHECK_OUTPUT if its output is a deliberate test reference)",
                        cell=number,
                    )
                )
            continue
        if kind != "markdown":
            continue
        markdown_cells.append((number, source))
        all_heads += [(number, h) for h in md.headings(source)]
        findings += _images(path, number, source, root)
        findings += _links(path, number, source, root)
        findings += _long_sentences(path, number, source)

    findings += _headings(path, all_heads, session)
    findings += _outcomes(path, markdown_cells)
    findings += _stories(path, markdown_cells)
    expected = list(EXPECTED_SECTIONS)
    if course.level in ("link", "lead"):
        expected.insert(4, FACILITATOR)
    titles = [h.text.lower() for _n, h in all_heads if h.level == 2]
    for title, fix in expected:
        if not any(t.startswith(title.lower()) for t in titles):
            findings.append(
                Finding(WARNING, "structure", path, f"no '## {title}' section", f"add {fix}")
            )
    if course.audience in ("parents", "both"):
        findings += _readability(path, markdown_cells)
    return findings


def widgets_state(nb: dict[str, Any]) -> bool:
    return bool((nb.get("metadata") or {}).get("widgets"))


def _headings(path: Path, heads: list[tuple[int, md.Heading]], session: Any) -> list[Finding]:
    findings = []
    if not heads:
        return [
            Finding(
                ERROR,
                "heading-order",
                path,
                "the notebook has no headings",
                "start the first cell with '# Session N: title'",
                cell=1,
            )
        ]
    first_cell, first = heads[0]
    if first.level != 1:
        findings.append(
            Finding(
                ERROR,
                "heading-order",
                path,
                f"the first heading '{first.text}' is level {first.level}",
                "start the notebook with '# Session N: title'",
                cell=first_cell,
                line=first.line,
            )
        )
    else:
        match = SESSION_TITLE.match(first.text)
        if not match:
            findings.append(
                Finding(
                    ERROR,
                    "heading-order",
                    path,
                    f"the title '{first.text}' is not 'Session N: title'",
                    "write the first heading as '# Session N: title'",
                    cell=first_cell,
                    line=first.line,
                )
            )
        elif isinstance(session, int) and int(match.group(1)) != session:
            findings.append(
                Finding(
                    ERROR,
                    "session-number",
                    path,
                    f"the title says session {match.group(1)}, the metadata says {session}",
                    "make them agree",
                    cell=first_cell,
                    line=first.line,
                )
            )
    previous = 0
    for number, head in heads:
        if head.level == 1 and (number, head) != heads[0]:
            findings.append(
                Finding(
                    ERROR,
                    "heading-order",
                    path,
                    f"a second top-level heading '# {head.text}'",
                    f"make it '## {head.text}'",
                    cell=number,
                    line=head.line,
                )
            )
        elif previous and head.level > previous + 1:
            findings.append(
                Finding(
                    ERROR,
                    "heading-order",
                    path,
                    f"'{head.text}' jumps from level {previous} to level {head.level}",
                    f"make it {'#' * (previous + 1)} {head.text}",
                    cell=number,
                    line=head.line,
                )
            )
        previous = head.level
    return findings


def _outcomes(path: Path, cells: list[tuple[int, str]]) -> list[Finding]:
    for number, source in cells:
        heads = md.headings(source)
        for i, head in enumerate(heads):
            if head.text.lower().startswith("learning outcomes"):
                end = heads[i + 1].line if i + 1 < len(heads) else 10**9
                body = [
                    line.text
                    for line in md.lines(source)
                    if head.line < line.number < end and not line.code
                ]
                if any(re.match(r"^\s*(?:[-*+]|\d+[.)])\s+\S", t) for t in body):
                    return []
                return [
                    Finding(
                        ERROR,
                        "outcomes",
                        path,
                        "'## Learning outcomes' has no list",
                        "list the session's outcomes as bullets under the heading",
                        cell=number,
                        line=head.line,
                    )
                ]
    return [
        Finding(
            ERROR,
            "outcomes",
            path,
            "no '## Learning outcomes' section",
            "add '## Learning outcomes' and a bulleted list to the first cell",
            cell=cells[0][0] if cells else None,
        )
    ]


def _is_local(target: str) -> bool:
    return bool(target) and not re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", target, re.I)


def _resolve(path: Path, target: str, root: Path) -> Path:
    target = target.split("#", 1)[0].split("?", 1)[0]
    return (root / target.lstrip("/")) if target.startswith("/") else (path.parent / target)


def _exists(candidate: Path) -> bool:
    if candidate.exists():
        return True
    stem = (
        candidate.with_suffix("") if candidate.suffix in (".html", ".md", ".ipynb") else candidate
    )
    return any(stem.with_suffix(s).exists() for s in (".md", ".ipynb"))


def _images(path: Path, number: int, source: str, root: Path) -> list[Finding]:
    findings = []
    for image in md.images(source):
        if not image.alt:
            example = (
                f"![A short description of the picture]({image.source})"
                if image.kind == "markdown"
                else ":alt: A short description of the picture"
                if image.kind == "directive"
                else 'alt="A short description of the picture"'
            )
            findings.append(
                Finding(
                    ERROR,
                    "image-alt",
                    path,
                    f"the image '{image.source}' has no alt text",
                    f"say what the picture shows, for readers who cannot see it: {example}",
                    cell=number,
                    line=image.line,
                )
            )
        if _is_local(image.source) and not _resolve(path, image.source, root).exists():
            findings.append(
                Finding(
                    ERROR,
                    "link",
                    path,
                    f"the image '{image.source}' does not exist",
                    "put the file in the course's images/ folder or correct the path",
                    cell=number,
                    line=image.line,
                )
            )
    return findings


def _links(path: Path, number: int, source: str, root: Path) -> list[Finding]:
    findings = []
    for link in md.links(source):
        target = link.target
        if link.kind == "doc":
            if target.startswith("/"):
                candidate = root / target.lstrip("/")
            else:
                candidate = path.parent / target
            ok = any(
                candidate.with_name(candidate.name + s).exists() for s in ("", ".md", ".ipynb")
            )
        else:
            if not _is_local(target):
                continue
            ok = _exists(_resolve(path, target, root))
        if not ok:
            findings.append(
                Finding(
                    ERROR,
                    "link",
                    path,
                    f"the link '{target}' leads nowhere",
                    "correct the path (relative to this notebook, or starting "
                    "with / from the project root), or remove the link",
                    cell=number,
                    line=link.line,
                )
            )
    return findings


def _readability(path: Path, cells: list[tuple[int, str]]) -> list[Finding]:
    from .readability import PARENT_MINIMUM, measure

    result = measure(cells)
    if result is None or result.score >= PARENT_MINIMUM:
        return []
    cell = result.worst_cell
    hardest = (
        f" The hardest cell scores {result.worst_cell_score:.0f}."
        if result.worst_cell_score is not None
        else ""
    )
    sentence = result.longest_sentence
    if len(sentence) > 120:
        sentence = sentence[:117] + "..."
    words = f" Swap long words such as {', '.join(result.long_words)}." if result.long_words else ""
    return [
        Finding(
            ERROR,
            "readability",
            path,
            f"this page is for parents but reads at Flesch {result.score:.0f} "
            "(it needs 60 or more)."
            f"{hardest}",
            f"use shorter sentences (aim for under 20 words) and everyday words. The longest "
            f'sentence has {result.longest_words} words: "{sentence}".{words}',
            cell=cell,
        )
    ]


# ---------------------------------------------------------------- strip outputs
def strip_notebook(nb: dict[str, Any]) -> bool:
    """Remove outputs, execution counts and widget state (cells marked NBVAL_CHECK_OUTPUT
    keep their outputs). True if anything changed."""
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("metadata", {}).pop("execution", None) is not None:
            changed = True
        if _check_output(cell):
            continue
        if cell.get("outputs"):
            cell["outputs"] = []
            changed = True
        if cell.get("execution_count") is not None:
            cell["execution_count"] = None
            changed = True
    if nb.get("metadata", {}).pop("widgets", None) is not None:
        changed = True
    return changed


def strip_notebooks(modules_dir: Path, targets: Iterable[str] = ()) -> list[Path]:
    """Strip the notebooks named (paths or course ids; default: every course folder).
    Returns the notebooks changed."""
    paths: list[Path] = []
    for target in targets or [p.name for p in sorted(modules_dir.iterdir()) if p.is_dir()]:
        candidate = Path(target)
        if candidate.suffix == ".ipynb":
            paths.append(candidate)
        else:
            folder = candidate if candidate.is_dir() else modules_dir / target
            paths += sorted(folder.glob("*.ipynb"))
    changed = []
    for path in paths:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            problem = shape_problem(nb)
        except FileNotFoundError:
            raise ImatterError(f"{path}: no such notebook") from None
        except UnicodeDecodeError:
            problem = "it is not UTF-8 text"
        except ValueError as err:
            problem = f"not valid JSON ({err})"
        if problem:
            raise ImatterError(
                f"{path}: not a readable notebook: {problem}; open and save it in Jupyter, "
                "then strip it again"
            )
        if strip_notebook(nb):
            # Written beside it, then renamed over it: never a half-written notebook.
            tmp = path.with_name(f".{path.name}.strip-tmp")
            tmp.write_text(
                json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            tmp.replace(path)
            changed.append(path)
    return changed
