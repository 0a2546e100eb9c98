"""A Sphinx extension that keeps the book offline: listed in `_config.yml` so that a plain
`jupyter-book build` makes the same book as `imatter book build`.

- MyST-NB's `nb_ipywidgets_js` points at require.js and the widget manager shipped in
  `static/widgets/` (copied to `_static/widgets/`), not at the CDNs it uses by default.
- The widget manager's fallback for widget libraries it does not bundle points at this site,
  never at a CDN (the toolkit's activities use only the bundled core widgets).
- sphinx-thebe, which Jupyter Book always loads, would put a CDN address for thebe on every
  notebook page; its page hooks are disconnected (the book has no live-code button).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"
WIDGETS_JS: dict[str, dict[str, str]] = {
    "widgets/require.js": {},
    "widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "_static/widgets/modules/"},
}


def _configure(app: Any, config: Any) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    config.nb_ipywidgets_js = {path: dict(attrs) for path, attrs in WIDGETS_JS.items()}


def _drop_thebe(app: Any) -> None:
    for name, listeners in list(app.events.listeners.items()):
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                if name != "builder-inited":
                    app.disconnect(listener.id)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _configure, priority=400)
    app.connect("builder-inited", _drop_thebe)
    app.add_css_file("imatter.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
