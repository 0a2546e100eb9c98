"""`imatter audit verify` in constant memory: its peak at two sizes of the log, in one run.

    python benchmarks/audit.py                                 # 100k and 1M records
    python benchmarks/audit.py --verify-records 1250000 12500000 [--repeat 3]

For each size it builds a store whose audit log holds about N records (people added through
the audit triggers, so every record is real and chained: about 3 minutes for 1.25M here), then
runs the real `imatter audit verify` and `audit verify --chain-only` (the anchor: the chain
alone) on it in alternating rounds. It prints the median wall time and the median peak memory
of the whole process tree (RSS sampled every 20 ms), and, beside their goals (issue 16):

- the peak at the largest size, goal at most 200 MB;
- the peak at the largest size over the peak at the smallest, goal at most 1.25x (flat: the
  memory does not grow with the log).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _audited_store(folder: Path, records: int):  # type: ignore[no-untyped-def]
    """A workspace whose audit log holds about `records` records: people added in one
    transaction through the audit triggers (so every record is real and chained)."""
    from imatter.workspace import init_workspace

    ws = init_workspace(folder / "ws")
    with ws.store.write() as conn:
        start = conn.exec_driver_sql("SELECT COUNT(*) FROM audit_log").scalar_one()
        step = 50_000
        for first in range(1, max(0, records - start) + 1, step):
            last = min(first + step, records - start + 1)
            conn.exec_driver_sql(
                "INSERT INTO people (id, name, created_at) VALUES (?, ?, ?)",
                [(i, f"Person {i}", "2026-01-01 00:00:00") for i in range(first, last)],
            )
    ws.store.dispose()
    return ws


def _peak_tree_rss(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes of the process and all its children (sampled), and
    the output of one command, which must succeed."""
    import subprocess

    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    top = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [top, *top.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.02)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[-3:])} failed: {(err or out).strip()[-300:]}")
    return wall, peak, out.strip()


def verify_memory(records: int, repeat: int) -> float:
    """Peak memory (MB, the median of the rounds) and time of the real `imatter audit verify`
    over about `records` records, printed beside the anchor's; the peak is returned."""
    import os
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        ws = _audited_store(Path(tmp), records)
        print(f"built {records:,} audit records in {time.perf_counter() - started:.0f} s")
        env = {**os.environ, "IMATTER_WORKSPACE": str(ws.path), "IMATTER_USER": "benchmark"}
        base = [sys.executable, "-c", "from imatter.cli import run; run()", "audit", "verify"]
        runs: dict[str, list[tuple[float, int]]] = {"full": [], "chain-only": []}
        for _ in range(repeat):
            for label, extra in (("full", []), ("chain-only", ["--chain-only"])):
                wall, peak, out = _peak_tree_rss(base + extra, env)
                assert out.startswith("Audit log intact"), out
                runs[label].append((wall, peak))
    mb = 1024 * 1024
    print(f"`imatter audit verify` over {records:,} records (median of {repeat}, process tree):")
    peaks = {}
    for label, got in runs.items():
        wall = statistics.median(w for w, _ in got)
        peaks[label] = statistics.median(p for _, p in got) / mb
        note = "" if label == "full" else "  (anchor: the chain alone)"
        print(f"  {label:<11} {wall:7.1f} s  peak {peaks[label]:6.0f} MB{note}")
    return peaks["full"]


GOAL_MB = 200  # peak of the whole process tree, at the largest size
GOAL_FLAT = 1.25  # the largest size's peak over the smallest's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--verify-records",
        type=int,
        nargs="+",
        metavar="N",
        default=[100_000, 1_000_000],
        help="sizes of the log to measure (default 100000 1000000)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(args.verify_records)
    peaks = [verify_memory(n, args.repeat) for n in sizes]
    largest, flat = peaks[-1], peaks[-1] / peaks[0]
    print(
        f"peak at {sizes[-1]:,} records: {largest:.0f} MB "
        f"(goal <= {GOAL_MB} MB: {'meets' if largest <= GOAL_MB else 'misses'} the goal)"
    )
    if len(sizes) > 1:
        print(
            f"peak at {sizes[-1]:,} over peak at {sizes[0]:,} records: {flat:.2f}x "
            f"(goal <= {GOAL_FLAT}x: {'meets' if flat <= GOAL_FLAT else 'misses'} the goal)"
        )


if __name__ == "__main__":
    main()
