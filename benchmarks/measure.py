"""What the benchmarks share: timing a command in a child process, as wall-clock and CPU time,
and how busy the rest of the machine was meanwhile (so a noisy run can be told apart)."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Timed:
    """One run of a command: wall-clock and CPU seconds (all its processes), the share of the
    machine's cores other work used meanwhile (None where it cannot be read), and its output."""

    wall: float
    cpu: float
    others: float | None
    stdout: str


def children_cpu() -> float:
    """CPU seconds (user and system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def run(command: list[str], cwd: Path, env: dict[str, str]) -> Timed:
    """Run `command` to the end and time it; a failure stops the benchmark with its last lines."""
    cpu, before = children_cpu(), machine()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n" + "\n".join(tail))
    used = children_cpu() - cpu
    after = machine()
    others = None
    if before and after and after[1] > before[1]:
        others = max(0.0, (after[0] - before[0] - used) / (after[1] - before[1]))
    return Timed(wall, used, others, done.stdout)


def median(values: Iterable[float | None]) -> float:
    """The median of the values that are known (NaN when none is)."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else float("nan")
