"""The record-keeping timestamp (when a row was written): see `imatter.clock`."""

from __future__ import annotations

from ..clock import utcnow

__all__ = ["utcnow"]
