"""Fixtures for delivery tests: `world` is a small workspace with settings, people and awards
(see world.py); `ws` comes from tests/conftest.py."""

from __future__ import annotations

import pytest

from .world import build_world


@pytest.fixture
def world(ws):
    return build_world(ws)
