"""The record-keeping timestamp (when a row was written). Rules never use it."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, in UTC, to the second, without tzinfo (stored as-is in every database)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
