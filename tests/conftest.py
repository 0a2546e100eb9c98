"""Shared fixtures: the programme, a fresh workspace with its SQLite database, a CLI runner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAMME_FILE = ROOT / "modules" / "programme.yml"
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def programme():
    from imatter.programme import load_programme

    return load_programme(PROGRAMME_FILE)


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A fresh workspace (real SQLite file) with no records."""
    from imatter.workspace import init_workspace

    monkeypatch.delenv("IMATTER_DB", raising=False)
    monkeypatch.delenv("IMATTER_WORKSPACE", raising=False)
    monkeypatch.delenv("IMATTER_PROGRAMME", raising=False)
    return init_workspace(tmp_path / "ws", programme=PROGRAMME_FILE)


@pytest.fixture
def run_cli(tmp_path, monkeypatch, capsys):
    """Run `imatter ARGS` in-process against a workspace in tmp_path; returns (code, out, err)."""
    from imatter.cli import main

    monkeypatch.setenv("IMATTER_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("IMATTER_PROGRAMME", str(PROGRAMME_FILE))
    monkeypatch.setenv("IMATTER_USER", "tester")
    monkeypatch.delenv("IMATTER_DB", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
