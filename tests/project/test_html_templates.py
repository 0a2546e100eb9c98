"""HTML is made one way: Jinja2 templates with autoescaping (`imatter.templates`), never
`html.escape` and f-strings. A name that holds markup shows as text on every page and widget."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "toolkit" / "imatter"
NASTY = "<script>alert('x')</script> & Co"
ESCAPED = "&lt;script&gt;"

#: Files allowed to hold an f-string with a tag in it, and why.
ALLOWED = {
    "book/offline.py": "its check messages quote the <link>/<script> tag a built page loads",
}

TAGS = (
    "a|b|br|code|dd|div|dl|dt|em|g|h[1-6]|i|img|input|label|li|link|ol|p|path|pre|rect|script|"
    "section|small|span|strong|style|svg|table|tbody|td|text|th|thead|title|tr|ul|desc|defs|marker"
)
TAG = re.compile(rf"</?(?:{TAGS})(?=[\s>/])")


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "html":
            found.append(f"line {node.lineno}: from html import ...")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "escape"
            and isinstance(node.value, ast.Name)
            and node.value.id == "html"
        ):
            found.append(f"line {node.lineno}: html.escape")
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value
                for part in node.values
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
            if TAG.search(text):
                found.append(f"line {node.lineno}: an f-string building HTML: {text[:50]!r}")
    return found


def test_no_html_is_built_in_python_strings():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "templates.py" or name in ALLOWED:
            continue
        problems = _problems(path)
        if problems:
            found[name] = problems
    assert found == {}, "make HTML with a template (imatter.templates), not in Python"


def test_the_scan_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import html\nfrom html import escape\n"
        "a = f'<td>{html.escape(x)}</td>'\n"
        "b = f'expected p<person id>_{y}.ipynb'\n",  # not HTML: stays allowed
        encoding="utf-8",
    )
    assert [p.split(":")[0] for p in _problems(sample)] == ["line 2", "line 3", "line 3"]
    assert set(ALLOWED) <= {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")}


# ---------------------------------------------------------------- markup in names is text
def test_dashboard_pieces_escape_names():
    from imatter.dashboards.common import heading, note, table
    from imatter.templates import fragment

    for html in (
        table(["Name"], [(NASTY,)], css_class=NASTY),
        table(["Name"], [], empty=NASTY),
        note(NASTY, NASTY),
        heading(NASTY).value,
        fragment("bullets", [NASTY]),
        fragment("group_summary", NASTY, NASTY, "staff", NASTY, NASTY, 80, None),
        fragment("headline", NASTY, NASTY, NASTY, "2026-09-01"),
        fragment("download", NASTY, "AAAA"),
        fragment(
            "attendance_table",
            [{"title": NASTY, "label": NASTY}],
            [
                {
                    "person": 1,
                    "name": NASTY,
                    "cells": [{"session": 2, "text": "✓"}],
                    "attended": "1 of 1 (needs 1)",
                    "state_kind": "warn",
                    "state": NASTY,
                }
            ],
        ),
    ):
        assert "<script" not in html and ESCAPED in html, html


def test_a_table_keeps_the_exact_markup_it_had():
    from imatter.dashboards.common import note, table

    assert table(["A", "B"], [("1", None)], css_class="x") == (
        "<table class='imatter-table x'><thead><tr><th>A</th><th>B</th></tr></thead>"
        "<tbody><tr><td>1</td><td></td></tr></tbody></table>"
    )
    assert table(["A"], []) == "<p class='muted'>Nothing to show.</p>"
    assert note("Saved.") == "<p class='ok'>Saved.</p>"


def test_the_glance_card_escapes_names():
    from imatter.notebook.glance import glance_card_html

    text = f"{NASTY}\nFor: staff {NASTY}\nTime: 2 hours\nNext: Foundation B\n"
    html = glance_card_html(text)
    assert html is not None
    assert html.startswith('<section class="imatter-glance" aria-label="Course at a glance">')
    assert "<script" not in html and html.count(ESCAPED) == 2


def test_the_questionnaire_message_escapes_what_it_echoes(tmp_path):
    from imatter.impact import questionnaire

    widget = questionnaire("foundation-a", "post", folder=tmp_path)
    scores = {"confidence": 1, "understanding": 2, "wellbeing": 3, "practice": 4}
    for code in (NASTY, "owl-7"):
        status = widget.save(code, scores)
        assert status.startswith('<div class="imatter-note imatter-')
        assert "<script" not in status
