"""What the audit trail costs: a CSV import with and without the audit triggers, in one run.

Also times `verify` over the whole chain. Prints seconds and ratios; the machine is shared, so
compare the ratios printed together, not figures from different runs.

    python benchmarks/audit.py [--rows 20000]
    python benchmarks/audit.py --verify-records 1250000   # memory of `imatter audit verify`

`--verify-records N` builds a store with N audit records (people added through the audit
triggers, about 3 minutes for 1.25M here) and runs the real `imatter audit verify` and
`audit verify --chain-only` (the anchor) on it in rounds, printing the median wall time and the
peak memory of the whole process tree (RSS sampled every 20 ms) beside the 200 MB goal.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path


def _world(folder: Path, rows: int):  # type: ignore[no-untyped-def]
    from imatter.records import add_setting, import_people
    from imatter.workspace import init_workspace

    ws = init_workspace(folder / "ws")
    add_setting(ws.store, "brook", "Brook Primary", pupils_on_roll=500)
    people = folder / "people.csv"
    n_people = rows // 4 + 1
    with people.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "email", "setting", "position"])
        for i in range(n_people):
            writer.writerow([f"Person {i}", f"p{i}@example.org", "brook", "staff"])
    import_people(ws.store, ws.programme, people)
    courses = ["awareness", "intensive", "foundation-a", "foundation-b"]
    completions = folder / "completions.csv"
    with completions.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["person", "course", "date"])
        for i in range(rows):
            writer.writerow([f"p{i // 4}@example.org", courses[i % 4], "2026-10-01"])
    return ws, completions


def _drop_triggers(ws) -> None:  # type: ignore[no-untyped-def]
    with ws.store.write() as conn:
        names = (
            conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_%'"
            )
            .scalars()
            .all()
        )
        for name in names:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")


def _import(ws, path: Path) -> float:  # type: ignore[no-untyped-def]
    from imatter.records import import_completions

    start = time.perf_counter()
    import_completions(
        ws.store, ws.programme, path, recorded_by="bench", today=dt.date(2026, 11, 28)
    )
    return time.perf_counter() - start


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


def verify_memory(records: int, repeat: int) -> None:
    """Peak memory and time of the real `imatter audit verify` over `records` records."""
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
    for label, got in runs.items():
        wall = statistics.median(w for w, _ in got)
        peak = statistics.median(p for _, p in got) / mb
        goal = "  (goal <= 200 MB, flat in the log's size)" if label == "full" else "  (anchor)"
        print(f"  {label:<11} {wall:7.1f} s  peak {peak:6.0f} MB{goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--verify-records",
        type=int,
        metavar="N",
        help="only measure `audit verify` (time, peak memory) over about N audit records",
    )
    args = parser.parse_args()
    if args.verify_records:
        verify_memory(args.verify_records, args.repeat)
        return
    from imatter.trust.audit import verify

    with_audit, without = [], []
    verify_s: list[float] = []
    records = 0
    for _ in range(args.repeat):
        for audited in (True, False):
            with tempfile.TemporaryDirectory() as tmp:
                ws, path = _world(Path(tmp), args.rows)
                if not audited:
                    _drop_triggers(ws)
                (with_audit if audited else without).append(_import(ws, path))
                if audited:
                    start = time.perf_counter()
                    report = verify(ws)
                    verify_s.append(time.perf_counter() - start)
                    records = report.records
                    assert report.ok, report.problem
                ws.store.dispose()
    a, b = statistics.median(with_audit), statistics.median(without)
    print(f"import of {args.rows} completions (median of {args.repeat}):")
    print(f"  with the audit trail    {a:6.2f} s")
    print(f"  without it              {b:6.2f} s")
    print(f"  ratio                   {a / b:6.2f}x")
    v = statistics.median(verify_s)
    print(f"verify {records} records   {v:6.2f} s ({records / v:,.0f} records/s)")


if __name__ == "__main__":
    main()
