"""One clock: the toolkit asks `imatter.clock` what now is, and nowhere else."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "toolkit" / "imatter"
# Parameters that let a caller (or a test) pass its own clock are allowed: they default to it.
ALLOWED = {"impact/widget.py", "assess/collect.py"}


def test_only_the_clock_module_reads_the_system_clock():
    readers = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "clock.py" and str(path.relative_to(PACKAGE)) not in ALLOWED
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"datetime\.now\(|date\.today\(|datetime\.utcnow\(", line)
    ]
    assert readers == []


def test_the_clock_says_utc_to_the_second_and_stamps_with_z():
    from imatter import clock

    stored = clock.utcnow()
    assert stored.tzinfo is None and stored.microsecond == 0
    moment = dt.datetime(2026, 12, 6, 14, 5, 9, 123456, tzinfo=dt.UTC)
    assert clock.stamp(moment) == "2026-12-06T14:05:09Z"
    assert clock.stamp(moment, millis=True) == "2026-12-06T14:05:09.123Z"
