"""On a JupyterHub, the acting person is the hub's signed-in user, not whatever the CLI is told.

Inside a server the hub started, ``JUPYTERHUB_API_TOKEN`` and ``JUPYTERHUB_API_URL`` are set.
The hub is asked who owns the token (``GET /user``) and its answer is trusted, not
``JUPYTERHUB_USER`` or ``IMATTER_USER``, which anyone can change in their own server. That name
is then mapped to grants like any other identity. ``--as`` is refused there, except for a hub
admin, whose impersonation the audit chain records.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from ...errors import PermissionDenied

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .actors import Actor

TIMEOUT = 10  # seconds to wait for the hub's answer


@dataclass(frozen=True)
class HubUser:
    """The hub's answer about the owner of this server's token."""

    name: str
    admin: bool = False
    groups: tuple[str, ...] = ()


def on_hub() -> bool:
    """True inside a server (or service) that a JupyterHub started."""
    return bool(os.environ.get("JUPYTERHUB_API_TOKEN") and os.environ.get("JUPYTERHUB_API_URL"))


@cache
def hub_user() -> HubUser | None:
    """Who the hub says this server's token belongs to (asked once per process); None off a hub.

    Raises PermissionDenied when the hub cannot confirm it: nothing runs as a guessed person.
    """
    if not on_hub():
        return None
    import json
    import urllib.error
    import urllib.request

    url = os.environ["JUPYTERHUB_API_URL"].rstrip("/") + "/user"
    request = urllib.request.Request(
        url, headers={"Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = json.load(response)
    except urllib.error.HTTPError as err:
        raise PermissionDenied(
            f"the hub at {url} did not accept this server's token (HTTP {err.code}); "
            "stop and start your server from the hub's home page"
        ) from None
    except (OSError, ValueError) as err:
        reason = getattr(err, "reason", err)  # a URLError wraps the socket's error
        raise PermissionDenied(
            f"cannot confirm who you are with the hub at {url} ({type(reason).__name__}); "
            "try again, or ask whoever runs the hub"
        ) from None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        raise PermissionDenied(f"the hub at {url} did not say who owns this server's token")
    groups = body.get("groups") or ()
    return HubUser(name, body.get("admin") is True, tuple(str(g) for g in groups))


def acting_name(asked: str | None) -> str | None:
    """The identity to act as on a hub (None off a hub): the hub's user, or for a hub admin the
    name given with ``--as``. Anyone else's ``--as`` is refused."""
    user = hub_user()
    if user is None:
        return None
    if asked and asked.strip().lower() != user.name.lower():
        if not user.admin:
            raise PermissionDenied(
                f"--as {asked}: on the hub you act as yourself ({user.name}); only a hub admin "
                "may act as someone else"
            )
        return asked.strip()
    return user.name


_recorded: set[tuple[str, str]] = set()


def mark_impersonation(conn: sa.Connection, actor: Actor) -> Actor:
    """The actor, its audit reference naming the hub admin acting as them (if any); the first
    time in a process, an event in the audit chain records that the admin took this identity."""
    user = hub_user()
    if user is None or user.name.lower() == actor.identity.lower():
        return actor
    from ...store import audit

    admin = f"hub-admin:{user.name.replace('|', '_')[:60]}"
    key = (str(conn.engine.url), actor.ref)
    if key not in _recorded:
        with audit.recording_as(admin):
            audit.append_event(conn, "access_grants", f"impersonate:{actor.ref}", admin)
        _recorded.add(key)
    return dataclasses.replace(actor, ref=f"{actor.ref}<{admin}"[:200])
