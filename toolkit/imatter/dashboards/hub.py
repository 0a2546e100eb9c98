"""The dashboards on a JupyterHub: served by each staff member's own server, as them.

A Jupyter server extension (setup-extensions.sh enables it for everyone's server). In a server
that holds the records (staff: the hub passes IMATTER_WORKSPACE and IMATTER_DB to them only) it
serves ``/user/<name>/imatter/dashboard/lead`` (and ``progress``, ``organisation``) with Voila,
behind the hub's sign-in. The dashboard acts as the server's owner, whom the toolkit confirms
with the hub (`imatter.trust.access.hub`), and only the owner may open it: the hub's other
users with access to the server (an admin) are refused, so the person clicking is always the
person acting. A learner's server holds no records and serves no dashboard.
"""

from __future__ import annotations

import os
from typing import Any

ROUTE = "imatter/dashboard"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "imatter.dashboards.hub"}]


def _signed_in_name(user: Any) -> str | None:
    """The hub user signed in to this request (jupyter_server's User, or the hub's dict)."""
    if user is None:
        return None
    name = getattr(user, "username", None) or getattr(user, "name", None)
    if name is None and isinstance(user, dict):
        name = user.get("name")
    return str(name) if name else None


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Add the dashboards' routes to a staff member's server (none to anyone else's)."""
    if not os.environ.get("IMATTER_WORKSPACE"):
        return
    from pathlib import Path

    import tornado.web
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from jupyter_server.utils import url_path_join
    from voila.configuration import VoilaConfiguration
    from voila.paths import _default_root_dirs, collect_template_paths
    from voila.tornado.handler import TornadoVoilaHandler

    from . import DASHBOARDS, notebook_folder

    owner = os.environ.get("JUPYTERHUB_USER", "")
    shipped = Path(__file__).resolve().parents[1] / "data" / "jupyter"
    templates = collect_template_paths(
        ["voila", "nbconvert"], "imatter", root_dirs=[str(shipped), *_default_root_dirs()]
    )
    voila = VoilaConfiguration(parent=server_app, template="imatter", strip_sources=True)
    # The notebooks are package data, outside the person's home: a read-only view of them.
    notebooks = FileContentsManager(root_dir=str(notebook_folder()), parent=server_app)

    class DashboardHandler(TornadoVoilaHandler):
        """Voila for one shipped dashboard, for the server's owner only."""

        @property
        def contents_manager(self) -> Any:
            return notebooks

        @tornado.web.authenticated
        async def get(self, path: str | None = None) -> None:
            name = _signed_in_name(self.current_user)
            if name != owner:
                raise tornado.web.HTTPError(
                    403, f"this dashboard acts as {owner}; open your own from your server"
                )
            await super().get(path=None)

    base = server_app.web_app.settings["base_url"]
    handlers = [
        (
            url_path_join(base, ROUTE, name),
            DashboardHandler,
            {
                "config": server_app.config,
                "template_paths": templates,
                "voila_configuration": voila,
                "notebook_path": file,
            },
        )
        for name, file in DASHBOARDS.items()
    ]
    server_app.web_app.add_handlers(".*$", handlers)
    server_app.log.info("imatter: dashboards at %s", url_path_join(base, ROUTE, "lead"))
