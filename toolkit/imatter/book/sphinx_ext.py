"""A Sphinx extension for the learner's book: listed in `_config.yml` so that a plain
`jupyter-book build` makes the same book as `imatter book build`.

- Offline widgets (DECISIONS 5 and 11): MyST-NB's `nb_ipywidgets_js` lists the shipped
  require.js, a small script that points require.js at files beside it, and the widget manager
  (`embed-amd.js`). anywidget's front end is copied at build time from the installed pip
  package into `_static/widgets/anywidget/`, so the book and Jupyter run one version, and the
  activities (`imatter.notebook`) answer with no kernel.
- sphinx-thebe, which Jupyter Book always loads, would put a CDN address for thebe on every
  notebook page; its page hooks are disconnected (the book has no live-code button).
- The course-at-a-glance printout becomes a styled card (`imatter.notebook.glance`).
- The theme: light mode by default (no console error for an empty mode), a local fix for its
  sidebar buttons (`static/imatter-book.js`, pydata-sphinx-theme issue 2451), a favicon, and a
  print stylesheet (`static/imatter.css`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"
WIDGETS_JS: dict[str, dict[str, str]] = {
    "widgets/require.js": {},
    "widgets/imatter-widgets.js": {},
    "widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "_static/widgets/modules/"},
}
ANYWIDGET_TARGET = Path("_static") / "widgets" / "anywidget" / "index.js"
# Font Awesome 4 files that the widget manager's stylesheet asks for relative to the page
# (`<page folder>/@jupyter-widgets/<file>`): shipped there, so no page logs a 404.
PAGE_FONTS = ("1551f4f60c37af51121f.woff2", "eeccf4f66002c6f2ba24.woff", "be9ee23c0c6390141475.ttf")
WIDGET_STATE = b"application/vnd.jupyter.widget-state+json"


def anywidget_front_end() -> Path:
    """anywidget's AMD front end from the installed pip package (same as its npm dist)."""
    import anywidget

    return Path(anywidget.__file__).resolve().parent / "nbextension" / "index.js"


def _configure(app: Any, config: Any) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    config.nb_ipywidgets_js = {path: dict(attrs) for path, attrs in WIDGETS_JS.items()}
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "light")
    config.html_context = context
    if not config.html_favicon:
        config.html_favicon = str(STATIC / "favicon.svg")


def _drop_thebe(app: Any) -> None:
    for name, listeners in list(app.events.listeners.items()):
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                if name != "builder-inited":
                    app.disconnect(listener.id)


def _glance_cards(app: Any, doctree: Any) -> None:
    """Replace each course-at-a-glance printout (a stream output) with its HTML card."""
    from docutils import nodes

    from ..notebook.glance import glance_card_html

    for block in list(doctree.findall(nodes.literal_block)):
        if "stream" not in block.get("classes", []) and "output" not in block.get("classes", []):
            continue
        card = glance_card_html(block.astext())
        if card is not None:
            block.replace_self(nodes.raw("", card, format="html"))


def _copy_anywidget(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    target = outdir / ANYWIDGET_TARGET
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(anywidget_front_end(), target)
    folders = set()
    for page in outdir.rglob("*.html"):
        if page.parent not in folders and WIDGET_STATE in page.read_bytes():
            folders.add(page.parent)
    for folder in folders:
        fonts = folder / "@jupyter-widgets"
        fonts.mkdir(exist_ok=True)
        for name in PAGE_FONTS:
            if not (fonts / name).is_file():
                shutil.copyfile(STATIC / "widgets" / name, fonts / name)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _configure, priority=400)
    app.connect("builder-inited", _drop_thebe)
    app.connect("doctree-read", _glance_cards)
    app.connect("build-finished", _copy_anywidget)
    app.add_css_file("imatter.css")
    app.add_js_file("imatter-book.js")
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
