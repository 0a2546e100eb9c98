"""Fixtures for report, impact and export tests: the hand-computed world (read-only, built
once per session) and fresh workspaces for tests that write."""

from __future__ import annotations

from pathlib import Path

import pytest

from .world import PROGRAMME, build_world

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def world_ws(tmp_path_factory):
    """A workspace holding world.py's records. Tests must not change it."""
    from imatter.workspace import init_workspace

    ws = init_workspace(tmp_path_factory.mktemp("world") / "ws", programme=PROGRAMME)
    ws.ids = build_world(ws)
    return ws


@pytest.fixture
def fresh_ws(tmp_path):
    from imatter.workspace import init_workspace

    return init_workspace(tmp_path / "ws", programme=PROGRAMME)


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run `imatter ARGS` in-process against a given workspace; returns (code, out, err)."""
    from imatter.cli import main

    monkeypatch.setenv("IMATTER_PROGRAMME", str(PROGRAMME))
    monkeypatch.setenv("IMATTER_USER", "tester")
    monkeypatch.delenv("IMATTER_DB", raising=False)

    def run(ws, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("IMATTER_WORKSPACE", str(ws.path))
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
