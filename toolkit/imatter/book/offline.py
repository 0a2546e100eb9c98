"""Check that a built book asks no other host for anything.

Scans the built site's HTML pages and stylesheets and lists each place where a browser would
fetch something from another host: script, stylesheet, image, frame, media and font
addresses, CSS `url()` and `@import`, and addresses written inside inline scripts. Links that
a reader follows (`<a href>`) are not requests and are allowed. Regular expressions rather than
a full HTML parser keep this fast on pages that carry large widget states.
"""

from __future__ import annotations

import re
from pathlib import Path

EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
# Addresses that only name an XML namespace; no browser fetches them.
NAMESPACES = ("http://www.w3.org/", "https://www.w3.org/")
FETCHING_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "prefetch",
    "icon",
    "manifest",
    "preconnect",
    "dns-prefetch",
    "apple-touch-icon",
    "shortcut",
}
SRC_ATTRS = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
TAG = re.compile(r"<(" + "|".join([*SRC_ATTRS, "link"]) + r")\b([^>]*)>", re.IGNORECASE)
ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)
STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", re.IGNORECASE)
SCRIPT_URL = re.compile(r"""['"`]((?:https?:)?//[^'"`\s]+)""", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _external(url: str) -> bool:
    return bool(EXTERNAL.match(url)) and not url.strip().startswith(NAMESPACES)


def _attrs(text: str) -> dict[str, str]:
    return {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) or ""
        for m in ATTR.finditer(text)
    }


def _css_problems(text: str, where: str) -> list[str]:
    return [
        f"{where} url({url})"
        for url in CSS_URL.findall(CSS_COMMENT.sub("", text))
        if _external(url)
    ]


def audit_page(text: str) -> list[str]:
    """The requests to other hosts that one HTML page would make."""
    problems: list[str] = []
    for match in TAG.finditer(text):
        tag, values = match.group(1).lower(), _attrs(match.group(2))
        for attr in SRC_ATTRS.get(tag, ()):
            if attr not in values:
                continue
            value = values[attr]
            urls = (
                [p.strip().split()[0] for p in value.split(",") if p.strip()]
                if attr == "srcset"
                else [value]
            )
            problems += [f"<{tag} {attr}={url}>" for url in urls if _external(url)]
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            if rels & FETCHING_RELS and _external(values.get("href", "")):
                problems.append(f"<link rel={values.get('rel')} href={values['href']}>")
    for match in STYLE_ATTR.finditer(text):
        problems += _css_problems(match.group(1) or match.group(2) or "", "style attribute")
    for body in STYLE_BLOCK.findall(text):
        problems += _css_problems(body, "<style>")
    for attrs, body in INLINE_SCRIPT.findall(text):
        if "src=" in attrs.lower():
            continue
        kind = _attrs(attrs).get("type", "text/javascript").lower()
        if "javascript" not in kind and "module" not in kind:
            continue  # data blocks (widget state, thebe config) are not run
        problems += [
            f"inline <script> names {url}" for url in SCRIPT_URL.findall(body) if _external(url)
        ]
    return problems


def audit_offline(html_dir: Path, since: float | None = None) -> list[str]:
    """Every request a built page or stylesheet would make to another host, as `file: what`;
    an empty list means the site is self-contained. With `since`, only files modified at or
    after that time are read."""
    problems: list[str] = []
    for path in sorted(html_dir.rglob("*")):
        if path.suffix not in (".html", ".htm", ".css") or not path.is_file():
            continue
        if since is not None and path.stat().st_mtime < since:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found = audit_page(text) if path.suffix != ".css" else _css_problems(text, "stylesheet")
        problems += [f"{path.relative_to(html_dir)}: {p}" for p in found]
    return problems
