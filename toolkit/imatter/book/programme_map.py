"""The programme map: every course in the catalogue and the routes between them, as an SVG.

Laid out in Python and drawn by a Jinja2 template (`templates/book/programme_map.svg.j2`, text
escaped), with no JavaScript and no fonts to fetch, so the offline book shows it as is.
Courses with no prerequisites and no follow-on courses stand in a column on the left ("start
anywhere"); the rest are laid out in rows by how many courses come before them, each placed
under the courses it follows. Colour marks the level (and the legend says so in words); a
dashed border marks a course run in person that has no pages in the book.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..programme import LEVELS, Course

# Light tints of the Okabe-Ito palette (safe for colour-blind readers), dark text on all.
LEVEL_FILL = {
    "introduction": "#fde9c4",
    "foundation": "#d3ecfa",
    "intermediate": "#d5f0e6",
    "link": "#fbe0d0",
    "lead": "#f2dcea",
}
LEVEL_STROKE = {
    "introduction": "#b07a00",
    "foundation": "#2a6f97",
    "intermediate": "#1f7a5a",
    "link": "#b3541e",
    "lead": "#8c4a75",
}
AUDIENCE_SHORT = {
    "professionals": "professionals",
    "parents": "parents and carers",
    "both": "parents and professionals",
}

BOX_W = 250
GAP_X, GAP_Y = 36, 44
MARGIN = 20
LEGEND_H = 64
LABEL_CHARS, SUB_CHARS = 28, 34  # what fits a line of the box at 14 px bold / 12.5 px
LABEL_STEP, SUB_STEP = 18, 16


@dataclass(frozen=True)
class Placed:
    """A course placed on the programme map."""

    course: Course
    x: float
    y: float


def split_title(title: str) -> tuple[str, str]:
    """'Foundation A: relationships ...' -> ('Foundation A', 'relationships ...')."""
    label, sep, rest = title.partition(":")
    if not sep:
        return title.strip(), ""
    return label.strip(), rest.strip()


def _depths(courses: Mapping[str, Course]) -> dict[str, int]:
    depth: dict[str, int] = {}

    def visit(cid: str) -> int:
        if cid not in depth:
            pres = [p for p in courses[cid].prerequisites if p in courses]
            depth[cid] = 1 + max((visit(p) for p in pres), default=-1)
        return depth[cid]

    for cid in courses:
        visit(cid)
    return depth


def _lines(course: Course) -> tuple[list[str], list[str]]:
    label, sub = split_title(course.title)
    return (
        textwrap.wrap(label, LABEL_CHARS, max_lines=2, placeholder=" ..."),
        textwrap.wrap(sub, SUB_CHARS, max_lines=2, placeholder=" ..."),
    )


def box_height(courses: Mapping[str, Course]) -> int:
    """One height for every box: enough for the longest title, plus the hours line."""
    most = max(
        (len(a) * LABEL_STEP + len(b) * SUB_STEP for a, b in map(_lines, courses.values())),
        default=LABEL_STEP,
    )
    return 22 + most + 20


def layout(courses: Mapping[str, Course]) -> tuple[list[Placed], float, float]:
    """Positions (top-left corners) for every course, and the drawing's width and height."""
    box_h = box_height(courses)
    followers = {cid: [c.id for c in courses.values() if cid in c.prerequisites] for cid in courses}
    standalone = [cid for cid, c in courses.items() if not c.prerequisites and not followers[cid]]
    routed = [cid for cid in courses if cid not in standalone]
    depth = _depths({cid: courses[cid] for cid in routed})
    step_x, step_y = BOX_W + GAP_X, box_h + GAP_Y

    # The routed courses: row by depth, each row placed under its courses' prerequisites.
    order = {cid: i for i, cid in enumerate(courses)}
    x_of: dict[str, float] = {}
    rows: dict[int, list[str]] = {}
    for cid in routed:
        rows.setdefault(depth[cid], []).append(cid)
    for level in sorted(rows):
        row = rows[level]
        if level == 0:
            for i, cid in enumerate(sorted(row, key=order.__getitem__)):
                x_of[cid] = i * step_x
            continue
        wanted = {
            cid: sum(x_of[p] for p in courses[cid].prerequisites if p in x_of)
            / max(1, len([p for p in courses[cid].prerequisites if p in x_of]))
            for cid in row
        }
        row.sort(key=lambda c: (wanted[c], order[c]))
        packed: list[float] = []
        for cid in row:
            packed.append(max(wanted[cid], packed[-1] + step_x) if packed else wanted[cid])
        # Centre the packed row on where its courses wanted to be.
        shift = sum(wanted[c] for c in row) / len(row) - sum(packed) / len(packed)
        for cid, x in zip(row, packed, strict=True):
            x_of[cid] = x + shift
    if x_of:
        least = min(x_of.values())
        for cid in x_of:
            x_of[cid] -= least

    left = MARGIN + (step_x if standalone else 0)
    top = MARGIN + LEGEND_H
    placed = [Placed(courses[cid], MARGIN, top + i * step_y) for i, cid in enumerate(standalone)]
    placed += [Placed(courses[cid], left + x_of[cid], top + depth[cid] * step_y) for cid in routed]
    width = max(p.x for p in placed) + BOX_W + MARGIN if placed else 2 * MARGIN
    height = max(p.y for p in placed) + box_h + MARGIN if placed else 2 * MARGIN
    width = max(width, MARGIN * 2 + len(LEVELS) * 130)
    return placed, width, height


def _hours(hours: float) -> str:
    value = f"{hours:g}"
    return f"{value} hour" if value == "1" else f"{value} hours"


def _box(p: Placed, href: str | None, box_h: int) -> dict[str, Any]:
    """Where one course's box and its words go (drawn by the template)."""
    c = p.course
    lines, sub_lines = _lines(c)
    texts = []
    y = p.y + 22
    for line in lines:
        texts.append({"y": f"{y:.0f}", "bold": True, "text": line})
        y += LABEL_STEP
    for line in sub_lines:
        texts.append({"y": f"{y:.0f}", "bold": False, "text": line})
        y += SUB_STEP
    return {
        "href": href,
        "title": c.title,
        "x": f"{p.x:.0f}",
        "y": f"{p.y:.0f}",
        "width": BOX_W,
        "height": box_h,
        "fill": LEVEL_FILL[c.level],
        "stroke": LEVEL_STROKE[c.level],
        "dashed": not c.book,
        "text_x": f"{p.x + 12:.0f}",
        "texts": texts,
        "meta_y": f"{p.y + box_h - 10:.0f}",
        "meta": f"{_hours(c.hours)} · {AUDIENCE_SHORT[c.audience]}",
    }


def _arrow(src: Placed, dst: Placed, box_h: int) -> str:
    """The path of the arrow from a course to one that needs it first."""
    x1, y1 = src.x + BOX_W / 2, src.y + box_h
    x2, y2 = dst.x + BOX_W / 2, dst.y - 4
    mid = (y1 + y2) / 2
    return f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"


def render_svg(
    courses: Mapping[str, Course],
    href_for: Callable[[Course], str | None],
    level_names: Mapping[str, str],
    *,
    title: str = "Programme map",
) -> str:
    """The map as one line-broken SVG element with no blank lines (safe inside raw HTML)."""
    placed, width, height = layout(courses)
    box_h = box_height(courses)
    by_id = {p.course.id: p for p in placed}
    described = (
        "Each box is a course; an arrow leads from a course to one that needs it first. "
        "Courses on the left need no other course first. A dashed box is run in person "
        "and has no pages in this book."
    )
    legend = []
    x: float = MARGIN
    for level in LEVELS:  # one swatch per level, in words as well as colour
        legend.append(
            {
                "x": x,
                "fill": LEVEL_FILL[level],
                "stroke": LEVEL_STROKE[level],
                "text_x": x + 22,
                "text_y": MARGIN + 13,
                "name": level_names[level],
            }
        )
        x += 30 + 7.2 * len(level_names[level])
    from ..templates import render

    return render(
        "book/programme_map.svg.j2",
        width=f"{width:.0f}",
        height=f"{height:.0f}",
        title=title,
        described=described,
        margin=MARGIN,
        note_y=MARGIN + 38,
        legend=legend,
        arrows=[
            _arrow(by_id[pre], p, box_h)
            for p in placed
            for pre in p.course.prerequisites
            if pre in by_id
        ],
        boxes=[_box(p, href_for(p.course), box_h) for p in placed],
    ).rstrip("\n")
