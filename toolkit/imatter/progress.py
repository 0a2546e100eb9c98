"""Progress bars for long jobs (large reports, exports): tqdm on stderr, only when useful.

A bar is shown when asked (`enabled=True`), or by default (`enabled=None`) only when stderr is
a terminal, so that pipes, CI logs and notebooks stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def wants_progress(enabled: bool | None) -> bool:
    """True when asked, or (when not said) when stderr is attached to a terminal."""
    if enabled is not None:
        return enabled
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(
    items: Iterable[T],
    *,
    desc: str,
    total: int | None = None,
    unit: str = "it",
    enabled: bool | None = None,
) -> Iterator[T]:
    """Iterate over `items`, drawing a tqdm bar on stderr when `wants_progress(enabled)`."""
    if not wants_progress(enabled):
        yield from items
        return
    from tqdm import tqdm

    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False) as bar:
        yield from bar
