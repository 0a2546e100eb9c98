"""What the audit trail costs: a CSV import with and without the audit triggers, in one run.

Also times `verify` over the whole chain. Prints seconds and ratios; the machine is shared, so
compare the ratios printed together, not figures from different runs.

    python benchmarks/audit.py [--rows 20000]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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
