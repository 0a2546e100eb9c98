"""Preview the built book on this computer.

- `make_server`: a small static file server for `_build/html` (tests and `--no-reload`).
- `serve_live`: the same site with live reload, built from sphinx-autobuild's parts: it
  watches the book's sources (modules, book pages, `_config.yml`), runs `imatter book build`
  when one changes (only the work the change needs), and tells open pages to reload.

A port that is already in use gives one clear line (`PortBusy`), not a traceback.
"""

from __future__ import annotations

import errno
import functools
import socket
from collections.abc import Callable, Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..errors import ImatterError, NotFound


class PortBusy(ImatterError):
    """The port asked for is in use by another program."""


def _busy(host: str, port: int) -> PortBusy:
    return PortBusy(
        f"port {port} on {host} is already in use (is another `imatter book serve` running?); "
        f"stop it, or choose another port with --port"
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging each request, and asks the browser not to cache them
    (so a rebuilt page shows at once)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def make_server(html_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for the built site (port 0 picks a free port: see `server.server_address`).

    :raises PortBusy: the port is in use.
    """
    if not (html_dir / "index.html").is_file():
        raise NotFound(f"{html_dir}: no built book here; run `imatter book build` first")
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise _busy(host, port) from None
        raise ImatterError(f"cannot serve on {host}:{port} ({err.strerror})") from None
    server.daemon_threads = True
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return url(host, port)


def url(host: str, port: int) -> str:
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    return f"http://{shown}:{port}/"


def check_port(host: str, port: int) -> None:
    """Raise PortBusy if nothing can listen on host:port now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise _busy(host, port) from None
            raise ImatterError(f"cannot serve on {host}:{port} ({err.strerror})") from None


def rebuild(root: str, programme: str | None = None, changed_paths: Sequence[Path] = ()) -> None:
    """Build the book after a change (runs in a worker process; errors are printed, so a
    mistake in a page does not stop the preview)."""
    from .build import build_book
    from .project import find_project

    try:
        result = build_book(find_project(root, programme), echo=print)
    except ImatterError as err:
        print(f"Not rebuilt: {err.message}")
        for detail in err.details:
            print(f"  {detail}")
        return
    if not result.skipped:
        print(f"Rebuilt in {result.seconds:.1f} s; the open pages reload.")


def live_app(project: Any, host: str, port: int, programme: str | None = None) -> Any:
    """A Starlette app serving the built site with sphinx-autobuild's reload script, and a
    watcher that rebuilds when a source changes."""
    from sphinx_autobuild.filter import IgnoreFilter
    from sphinx_autobuild.middleware import JavascriptInjectorMiddleware
    from sphinx_autobuild.server import RebuildServer
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    root = project.root.resolve()
    watched = [
        p for p in (project.modules_dir, project.book_dir, project.config_path) if p.exists()
    ]
    generated = [project.build_dir, project.catalogue_dir, project.toc_path]
    ignore = IgnoreFilter([str(p) for p in generated], [r".*\.ipynb_checkpoints.*", r".*/\..*"])
    callback: Callable[..., None] = functools.partial(rebuild, str(root), programme)
    watcher = RebuildServer(watched, ignore, change_callback=callback)
    return Starlette(
        routes=[
            WebSocketRoute("/websocket-reload", watcher, name="reload"),
            Mount("/", app=StaticFiles(directory=project.html_dir, html=True), name="static"),
        ],
        middleware=[Middleware(JavascriptInjectorMiddleware, ws_url=f"{host}:{port}")],
        lifespan=watcher.lifespan,
    )


def serve_live(
    project: Any, host: str, port: int, programme: str | None = None, echo=print
) -> None:
    """Serve the built book with live reload until Ctrl+C.

    :raises PortBusy: the port is in use.
    """
    import uvicorn

    if not (project.html_dir / "index.html").is_file():
        raise NotFound(f"{project.html_dir}: no built book here; run `imatter book build` first")
    check_port(host, port)
    echo(f"Serving {project.html_dir} at {url(host, port)} (reloads on changes; Ctrl+C to stop)")
    uvicorn.run(live_app(project, host, port, programme), host=host, port=port, log_level="warning")
