"""The permission matrix: actor x action x scope, read from `data/permissions.yml` (pure).

Scopes say where the record acted on lies relative to the actor: `own` (one of the actor's
settings, or for a learner their own record), `other` (another setting or person) and `none`
(tied to no setting, or the organisation as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ImatterError

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


class _LineOf:
    """The line of `key:` in `text`, looked up when it is formatted into a message."""

    def __init__(self, text: str, key: str) -> None:
        self.text, self.key = text, key

    def __str__(self) -> str:
        return str(_line_of(self.text, self.key))


def parse_policy(text: str, source: str) -> Policy:
    """A Policy from the YAML text of a permissions file; PolicyError names file:line."""
    return _build_policy(_parse_yaml(text, source), text, source)


def _parse_yaml(text: str, source: str) -> object:
    import yaml

    from ...yamlfile import safe_load

    try:
        return safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise PolicyError(f"{source}:{mark.line + 1 if mark else 1}: not valid YAML") from None


def _build_policy(data: object, text: str, source: str) -> Policy:
    if not isinstance(data, dict) or not isinstance(data.get("actors"), dict):
        raise PolicyError(f"{source}:1: expected `actors:` and `actions:` mappings")
    actors = {str(k): str(v) for k, v in data["actors"].items()}
    actions: dict[str, str] = {}
    allowed: set[tuple[str, str, str]] = set()
    for action, spec in (data.get("actions") or {}).items():
        line = _LineOf(text, action)  # found only if a problem is reported
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
    return Path(__file__).resolve().parents[2] / "data" / "permissions.yml"


_default: list[Policy] = []
_cache_folder: list[Path] = []
_parsed: list[tuple[str, object]] = []  # (text, parsed data) of the permissions file


def cache_in(folder: Path) -> None:
    """Keep the parsed permissions in `folder` (a workspace's cache; see `imatter.textcache`)."""
    _cache_folder[:] = [folder]
    if _parsed and not (folder / "permissions.marshal").exists():
        from ...textcache import store

        store(folder, "permissions", *_parsed[0])  # parsed before this workspace was opened


def default_policy() -> Policy:
    """The permissions shipped with the toolkit (parsed once per process, and kept parsed in
    the workspace's cache when `cache_in` named one)."""
    if _default:
        return _default[0]
    from ...textcache import cached, store

    path = policy_path()
    text = path.read_text(encoding="utf-8")
    folder = _cache_folder[0] if _cache_folder else None
    data = cached(folder, "permissions", text)
    if data is None:
        data = _parse_yaml(text, str(path))
        store(folder, "permissions", text, data)
    _parsed.append((text, data))
    _default.append(_build_policy(data, text, str(path)))
    return _default[0]
