"""Preview the built book on this computer: a small static file server for `_build/html`."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..errors import NotFound


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging each request, and asks the browser not to cache them
    (so a rebuilt page shows at once)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def make_server(html_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for the built site (port 0 picks a free port: see `server.server_address`)."""
    if not (html_dir / "index.html").is_file():
        raise NotFound(f"{html_dir}: no built book here; run `imatter book build` first")
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    return f"http://{shown}:{port}/"
