"""A workspace: the folder holding a setting's or organisation's database, keys and outputs.

Everything the CLI, notebooks and dashboards do starts from `open_workspace()`, which finds
the programme file and the records database and returns both together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ImatterError, NotFound
from .programme import default_programme_path

if TYPE_CHECKING:
    from .programme import Programme

DEFAULT_WORKSPACE = "imatter-workspace"
CONFIG_FILE = "workspace.yml"
CONFIG_KEYS = frozenset({"programme", "db", "credentials_url"})


@dataclass
class Workspace:
    """A folder with `workspace.yml`, the database (unless elsewhere) and generated files."""

    path: Path
    db_url: str
    programme_path: Path

    @cached_property
    def programme(self) -> Programme:
        from .programme_cache import cached_programme

        return cached_programme(self.programme_path, self.path)

    @cached_property
    def store(self):
        from .store import Store

        return Store(self.db_url)

    def reading(self):
        """A read-only snapshot of the records: on a SQLite file, without SQLAlchemy (see
        `store.reader`); otherwise (or to migrate the file first) through `store`."""
        from .store.reader import read_snapshot

        return read_snapshot(self.db_url, lambda: self.store)

    def folder(self, name: str) -> Path:
        """A subfolder of the workspace (keys, credentials, feedback ...), created if needed."""
        target = self.path / name
        target.mkdir(parents=True, exist_ok=True)
        return target


def workspace_path(path: str | Path | None = None) -> Path:
    """The workspace folder: the argument, else $IMATTER_WORKSPACE, else ./imatter-workspace."""
    return Path(path or os.environ.get("IMATTER_WORKSPACE") or DEFAULT_WORKSPACE)


def _db_url(path: Path, db: str | None, config: dict) -> str:
    url = db or os.environ.get("IMATTER_DB") or config.get("db")
    return url or f"sqlite:///{(path / 'imatter.db').resolve()}"


def init_workspace(
    path: str | Path | None = None, *, db: str | None = None, programme: str | Path | None = None
) -> Workspace:
    """Create (or reopen) a workspace: config file, database migrated to the current schema."""
    import yaml

    from .programme import load_programme

    folder = workspace_path(path)
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / CONFIG_FILE
    config = _read_config(config_path) if config_path.exists() else {}
    programme_path = Path(programme or config.get("programme") or default_programme_path())
    load_programme(programme_path)  # validate before writing anything
    config["programme"] = str(programme_path.resolve())
    if db:
        config["db"] = db
    config_path.write_text(yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
    ws = Workspace(folder, _db_url(folder, db, config), programme_path.resolve())
    ws.store  # noqa: B018 - creates and migrates the database
    return ws


def open_workspace(
    path: str | Path | None = None, *, db: str | None = None, programme: str | Path | None = None
) -> Workspace:
    """Open an existing workspace; NotFound tells the user to run `imatter init`."""
    folder = workspace_path(path)
    config_path = folder / CONFIG_FILE
    if not config_path.exists():
        raise NotFound(
            f"no workspace at {folder} (missing {CONFIG_FILE}); run `imatter init {folder}` "
            "or pass --workspace"
        )
    config = _read_config(config_path)
    from .trust.access.policy import cache_in

    cache_in(folder / "cache")
    programme_path = Path(
        programme
        or os.environ.get("IMATTER_PROGRAMME")
        or config.get("programme")
        or default_programme_path()
    )
    return Workspace(folder, _db_url(folder, db, config), programme_path)


def _read_config(path: Path) -> dict:
    from .textcache import cached, store
    from .yamlfile import read_text

    text = read_text(path)
    cache = path.parent / "cache"
    data = cached(cache, "workspace", text)
    if data is None:
        data = _parse_config(path, text)
        store(cache, "workspace", text, data)
    if not isinstance(data, dict):
        raise ImatterError(f"{path}:1: expected a mapping (programme:, db:)")
    return _check_config(path, text, data)


def _parse_config(path: Path, text: str) -> object:
    from .yamlfile import YAML_FAILURES, safe_load
    from .yamlfile import problem as yaml_problem

    try:
        return safe_load(text) or {}
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        raise ImatterError(
            f"{path}:{line}: not valid YAML ({problem}); fix or delete the file"
        ) from None


def _check_config(path: Path, text: str, data: dict) -> dict:
    for key in data:
        if key not in CONFIG_KEYS:
            line = next(
                (n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith(f"{key}:")), 1
            )
            known = ", ".join(sorted(CONFIG_KEYS))
            raise ImatterError(
                f"{path}:{line}: unknown setting {key!r} (known: {known}); fix or remove it"
            )
    for key, what in (("programme", "the programme file's path"), ("db", "a database URL")):
        if data.get(key) is not None and not isinstance(data[key], str):
            line = next(
                (n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith(f"{key}:")), 1
            )
            raise ImatterError(f"{path}:{line}: {key} must be text ({what}); fix or delete it")
    return data
