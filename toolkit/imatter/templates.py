"""HTML pages and fragments the toolkit writes, made one way: Jinja2 templates shipped in
`imatter/templates/`, with autoescaping on, so that no name or reflection can become markup.

Whole pages are templates (`render`); the small pieces that dashboards and notebook widgets
put together (a table, a note, a heading) are macros of `fragments.html.j2` (`fragment`).
A project test (tests/project/test_html_templates.py) keeps HTML out of Python strings.
"""

from __future__ import annotations

from functools import cache
from typing import Any

FRAGMENTS = "fragments.html.j2"


@cache
def environment() -> Any:
    """The shared Jinja2 environment (imported on first use: the CLI starts without it)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("imatter", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, /, **context: Any) -> str:
    """Render the template `name` (a path under imatter/templates/) with `context`."""
    return environment().get_template(name).render(**context)


@cache
def _fragments() -> Any:
    return environment().get_template(FRAGMENTS).module


def fragment(name: str, /, *args: Any, **kwargs: Any) -> str:
    """The HTML of the macro `name` of templates/fragments.html.j2, its text escaped."""
    return str(getattr(_fragments(), name)(*args, **kwargs))


def trusted(html: str) -> Any:
    """HTML made by a template (or a fragment), to put inside another without escaping it again."""
    from markupsafe import Markup

    return Markup(html)  # noqa: S704 - only for HTML a template made
