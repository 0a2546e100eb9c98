"""Fixtures for dashboard tests: the delivery tests' `world` (settings, people, awards)."""

from __future__ import annotations

import pytest

from ..delivery.world import build_world


@pytest.fixture
def world(ws):
    return build_world(ws)
