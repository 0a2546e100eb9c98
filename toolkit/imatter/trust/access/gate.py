"""The first check of every CLI command: the action it names in `permissions.yml`.

Before a command runs, an identity that holds the command's action in no scope (an unknown
identity, a learner asking for a Lead's or an admin's command) is refused. The API then checks
the scope of every record the command touches (`guard.require`). A command with no entry in
the matrix does not run at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import ImatterError, PermissionDenied
from .actors import Actor, current_actor
from .policy import OPEN, SELF, default_policy

if TYPE_CHECKING:
    import sqlalchemy as sa


def command_action(path: str) -> str:
    """The action a command names (`open`, an action, or `self:ACTION`); an error if none."""
    action = default_policy().commands.get(path)
    if action is None:
        raise ImatterError(
            f"`imatter {path}` names no permission in imatter/data/permissions.yml "
            "(commands:); it cannot run until it does"
        )
    return action


def may_attempt(actor: Actor, action: str) -> bool:
    """Whether the actor holds `action` in some scope (or, for `self:`, has a record)."""
    if action == OPEN:
        return True
    policy = default_policy()
    if action.startswith(SELF):
        if actor.person_id is not None:
            return True
        action = action.removeprefix(SELF)
    return any(policy.scopes(grant.role, action) for grant in actor.grants)


def require_command(conn: sa.Connection, path: str) -> Actor | None:
    """PermissionDenied unless the current actor may attempt the command at `path`."""
    action = command_action(path)
    if action == OPEN:
        return None
    actor = current_actor(conn)  # an identity with no access at all is refused here
    if not may_attempt(actor, action):
        description = default_policy().actions[action.removeprefix(SELF)]
        raise PermissionDenied(
            f"{actor.describe()} may not {description} (`imatter {path}`); ask an "
            "organisation admin if you need to"
        )
    return actor
