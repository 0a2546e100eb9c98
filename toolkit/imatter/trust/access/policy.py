"""The permission matrix: actor x action x scope, read from `data/permissions.yml` (pure).

Scopes say where the record acted on lies relative to the actor: `own` (one of the actor's
settings, or for a learner their own record), `other` (another setting or person) and `none`
(tied to no setting, or the organisation as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from ...errors import ImatterError
from ...yamlfile import safe_load

SCOPES = ("own", "other", "none")


class PolicyError(ImatterError):
    """The permissions file is malformed."""


@dataclass(frozen=True)
class Policy:
    """Which actors may do which actions in which scopes."""

    actors: dict[str, str]  # actor -> description
    actions: dict[str, str]  # action -> description
    allowed: frozenset[tuple[str, str, str]]  # (actor, action, scope)
    # CLI command path ("keys rotate") -> action, `open` or `self:ACTION`
    commands: dict[str, str] = field(default_factory=dict)
    # public API function ("imatter.delivery.takestock.review_history") -> action, `open` or
    # `self:ACTION`
    api: dict[str, str] = field(default_factory=dict)

    def allows(self, actor: str, action: str, scope: str) -> bool:
        if action not in self.actions:
            raise PolicyError(f"unknown action '{action}'; see imatter/data/permissions.yml")
        return (actor, action, scope) in self.allowed

    def scopes(self, actor: str, action: str) -> set[str]:
        """The scopes where `actor` may do `action`."""
        return {s for s in SCOPES if (actor, action, s) in self.allowed}

    def cells(self) -> list[tuple[str, str, str, bool]]:
        """Every (actor, action, scope, allowed) cell of the matrix."""
        return [
            (actor, action, scope, (actor, action, scope) in self.allowed)
            for actor in self.actors
            for action in self.actions
            for scope in SCOPES
        ]


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(f"{key}:"):
            return number
    return 1


def parse_policy(text: str, source: str) -> Policy:
    """A Policy from the YAML text of a permissions file; PolicyError names file:line."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise PolicyError(f"{source}:{mark.line + 1 if mark else 1}: not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("actors"), dict):
        raise PolicyError(f"{source}:1: expected `actors:` and `actions:` mappings")
    actors = {str(k): str(v) for k, v in data["actors"].items()}
    actions: dict[str, str] = {}
    allowed: set[tuple[str, str, str]] = set()
    for action, spec in (data.get("actions") or {}).items():
        line = _line_of(text, action)
        if not isinstance(spec, dict) or not isinstance(spec.get("description"), str):
            raise PolicyError(f"{source}:{line}: action '{action}' needs a description")
        actions[action] = spec["description"]
        for actor, scopes in spec.items():
            if actor == "description":
                continue
            if actor not in actors:
                raise PolicyError(f"{source}:{line}: '{action}' names unknown actor '{actor}'")
            if not isinstance(scopes, list) or not set(scopes) <= set(SCOPES):
                raise PolicyError(
                    f"{source}:{line}: '{action}' for {actor} must list scopes from "
                    f"{', '.join(SCOPES)}"
                )
            allowed |= {(actor, action, scope) for scope in scopes}
    named = {
        section: _named_actions(data, section, text, source, actions)
        for section in ("commands", "api")
    }
    return Policy(actors, actions, frozenset(allowed), named["commands"], named["api"])


OPEN = "open"
SELF = "self:"


def _named_actions(
    data: dict, section: str, text: str, source: str, actions: dict[str, str]
) -> dict[str, str]:
    """The `commands:` or `api:` section: each entry names an action, `open` or `self:ACTION`."""
    entries = data.get(section) or {}
    if not isinstance(entries, dict):
        raise PolicyError(f"{source}:{_line_of(text, section)}: `{section}:` must be a mapping")
    found: dict[str, str] = {}
    for name, value in entries.items():
        action = str(value).removeprefix(SELF)
        if value != OPEN and action not in actions:
            raise PolicyError(
                f"{source}:{_line_of(text, str(name))}: {section} '{name}' names unknown action "
                f"'{value}'; use an action above, `open` or `self:ACTION`"
            )
        found[str(name)] = str(value)
    return found


def policy_path() -> Path:
    return Path(str(resources.files("imatter") / "data" / "permissions.yml"))


@cache
def default_policy() -> Policy:
    """The permissions shipped with the toolkit."""
    path = policy_path()
    return parse_policy(path.read_text(encoding="utf-8"), str(path))
