"""Just enough MyST Markdown reading for the module linter: lines outside code, headings,
images, links, and the plain prose of a page (for readability scores).

Fenced code (```` ``` ```` or `~~~`, and `{code-cell}`-style directives) is never prose and
never holds headings. Other directive fences (```` ```{admonition} ````, `:::{note}`) hold
Markdown, so their body is read, without the fence and option lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(\{[^}]*\})?\s*(.*)$")
CODE_DIRECTIVES = {
    "{code}",
    "{code-block}",
    "{code-cell}",
    "{sourcecode}",
    "{literalinclude}",
    "{raw}",
    "{math}",
    "{eval-rst}",
    "{mermaid}",
    "{glue:}",
}
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
HTML_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
HTML_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
MD_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
HTML_LINK = re.compile(r"""<a\b[^>]*\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
DOC_ROLE = re.compile(r"\{doc\}`([^`]*)`")
OPTION = re.compile(r"^\s*:[\w-]+:")


@dataclass(frozen=True)
class Line:
    """A line of a markdown cell, and whether it is code or a directive."""

    number: int  # 1-based, within the cell
    text: str
    code: bool  # inside fenced code: not Markdown
    directive: str | None  # the innermost directive fence around it, e.g. "{admonition}"


def lines(text: str) -> Iterator[Line]:
    """Every line of a Markdown cell, marked as code or Markdown."""
    stack: list[tuple[str, str | None, bool]] = []  # (fence, directive, is_code)
    for number, raw in enumerate(text.splitlines(), start=1):
        match = FENCE.match(raw)
        in_code = any(code for _f, _d, code in stack)
        if match:
            fence, directive = match.group(2), match.group(3)
            if (
                stack
                and fence[0] == stack[-1][0][0]
                and len(fence) >= len(stack[-1][0])
                and not directive
                and not match.group(4)
            ):
                stack.pop()
                yield Line(number, raw, True, None)
                continue
            if not in_code:
                is_code = directive is None or directive in CODE_DIRECTIVES
                if fence[0] == ":" and directive is None:
                    is_code = False
                stack.append((fence, directive, is_code))
                yield Line(number, raw, True, directive)
                continue
        directive = next((d for _f, d, _c in reversed(stack) if d), None)
        yield Line(number, raw, in_code, directive)


@dataclass(frozen=True)
class Heading:
    """A markdown heading and its line."""

    level: int
    text: str
    line: int


def headings(text: str) -> list[Heading]:
    """`#` headings outside code and outside directives."""
    found = []
    for line in lines(text):
        if line.code or line.directive:
            continue
        match = HEADING.match(line.text)
        if match:
            found.append(Heading(len(match.group(1)), match.group(2).strip(), line.number))
    return found


@dataclass(frozen=True)
class Image:
    """An image a cell shows: its source, alternative text and line."""

    source: str
    alt: str
    line: int
    kind: str  # "markdown", "html" or "directive"


def images(text: str) -> list[Image]:
    """Images in Markdown, HTML and `{image}`/`{figure}` directive form, with their alt text."""
    found: list[Image] = []
    all_lines = list(lines(text))
    for i, line in enumerate(all_lines):
        match = FENCE.match(line.text)
        if line.code and match and match.group(3) in ("{image}", "{figure}"):
            alt = ""
            for later in all_lines[i + 1 :]:
                opt = re.match(r"^\s*:alt:\s*(.*)$", later.text)
                if opt:
                    alt = opt.group(1).strip()
                if not OPTION.match(later.text):
                    break
            found.append(Image(match.group(4).strip(), alt, line.number, "directive"))
            continue
        if line.code:
            continue
        for m in MD_IMAGE.finditer(line.text):
            found.append(Image(m.group(2), m.group(1).strip(), line.number, "markdown"))
        for m in HTML_IMG.finditer(line.text):
            alt_match = HTML_ALT.search(m.group(1))
            src_match = HTML_SRC.search(m.group(1))
            alt = next((g for g in alt_match.groups() if g is not None), "") if alt_match else ""
            src = next((g for g in src_match.groups() if g is not None), "") if src_match else ""
            found.append(Image(src, alt.strip(), line.number, "html"))
    return found


@dataclass(frozen=True)
class Link:
    """A link in a cell: its target, line and kind."""

    target: str
    line: int
    kind: str  # "markdown", "html" or "doc"


def links(text: str) -> list[Link]:
    """Links (not images) in Markdown, HTML `<a href>` and `{doc}` role form."""
    found: list[Link] = []
    for line in lines(text):
        if line.code:
            continue
        for m in MD_LINK.finditer(line.text):
            found.append(Link(m.group(2), line.number, "markdown"))
        for m in HTML_LINK.finditer(line.text):
            found.append(Link(m.group(1) or m.group(2) or "", line.number, "html"))
        for m in DOC_ROLE.finditer(line.text):
            inner = m.group(1)
            target = re.search(r"<([^>]*)>\s*$", inner)
            found.append(Link((target.group(1) if target else inner).strip(), line.number, "doc"))
    return found


# ---------------------------------------------------------------- prose
_ROLE = re.compile(r"\{[\w:-]+\}`([^`]*)`")
_CITATION = re.compile(r"\s*\((?:[^()]*?\b(?:1[89]|20)\d\d[a-z]?)(?:[^()]*)\)")
_INLINE_CODE = re.compile(r"`[^`]*`")
_HTML_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"https?://\S+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_(?=\w)|(?<=\w)_)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_ENDS_SENTENCE = re.compile(r"[.!?]['\"”’)]*$")


def prose(text: str) -> str:
    """The plain prose of a Markdown cell: no code, headings, tables, images, markup or
    citations; every paragraph and list item ends as a sentence."""
    blocks: list[str] = []
    current: list[str] = []

    def end_block() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for line in lines(text):
        raw = line.text
        if line.code or OPTION.match(raw) and line.directive:
            end_block()
            continue
        stripped = raw.strip()
        if (
            not stripped
            or HEADING.match(stripped)
            or stripped.startswith("|")
            or stripped.startswith("%")
            or re.match(r"^\(.*\)=$", stripped)
        ):
            end_block()
            continue
        stripped = re.sub(r"^(>\s*)+", "", stripped)
        if _LIST_ITEM.match(stripped):
            end_block()
            stripped = _LIST_ITEM.sub("", stripped)
        current.append(stripped)
    end_block()
    sentences = []
    for block in blocks:
        block = MD_IMAGE.sub(" ", block)
        block = MD_LINK.sub(lambda m: m.group(1), block)
        block = _ROLE.sub(lambda m: re.sub(r"\s*<[^>]*>\s*$", "", m.group(1)), block)
        block = _INLINE_CODE.sub(" ", block)
        block = _HTML_TAG.sub(" ", block)
        block = _URL.sub(" ", block)
        block = _CITATION.sub("", block)
        block = _EMPHASIS.sub("", block)
        block = " ".join(block.split())
        if not block:
            continue
        if block.endswith((":", ";", ",")):
            block = block[:-1] + "."
        elif not _ENDS_SENTENCE.search(block):
            block += "."
        sentences.append(block)
    return "\n".join(sentences)


def split_sentences(text: str) -> list[str]:
    """Sentences of prose, split after . ! or ? followed by a space or the end."""
    parts = re.findall(r"[^.!?]+(?:[.!?]+['\"”’)]*|$)", text)
    return [p.strip() for p in parts if p.strip()]
