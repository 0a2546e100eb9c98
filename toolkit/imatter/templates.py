"""HTML pages and fragments the toolkit writes, made one way: Jinja2 templates shipped in
`imatter/templates/`, with autoescaping on, so that no name or reflection can become markup."""

from __future__ import annotations

from functools import cache
from typing import Any


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
