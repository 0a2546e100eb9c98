"""CSV imports at scale: rows per second, against a plain executemany of the same rows.

For 1k, 10k and 100k rows, times `import_people` (a staff list into one setting) and
`import_completions` (one completion per person) through the real path: reading the CSV,
checking every row, access, the writes and the audit chain. The anchor, measured in the same
run, is a plain `executemany` of the same rows into the same tables and indexes (no checks, no
audit). Each figure is the median of the rounds, each round on a fresh database.

    python benchmarks/imports.py [--sizes 1000 10000 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

GOAL_RATE = 50_000  # rows/s at 100k rows (issue 16)
GOAL_RATIO = 3.0  # at most this many times the plain executemany, at 100k rows
TODAY = dt.date(2026, 11, 28)


def _people_csv(path: Path, n: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "email", "setting", "position", "since"])
        for i in range(n):
            writer.writerow([f"Person {i}", f"p{i}@example.org", "brook", "teacher", "01/09/2024"])
    return path


def _completions_csv(path: Path, n: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["person", "course", "date"])
        for i in range(n):
            writer.writerow([f"p{i}@example.org", "awareness", "2026-10-01"])
    return path


def _template(folder: Path):  # type: ignore[no-untyped-def]
    """A workspace with one setting, closed, to copy for each round."""
    from imatter.records import add_setting
    from imatter.workspace import init_workspace

    ws = init_workspace(folder / "template")
    add_setting(ws.store, "brook", "Brook Primary", pupils_on_roll=500)
    ws.store.dispose()
    return folder / "template"


def _copy(template: Path, folder: Path, name: str):  # type: ignore[no-untyped-def]
    from imatter.workspace import open_workspace

    target = folder / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template, target)
    return open_workspace(target)


def _plain_people(ws, n: int) -> float:  # type: ignore[no-untyped-def]
    """The anchor: the same rows into people and affiliations, one executemany each."""
    now = "2026-11-28 09:00:00.000000"
    people = [(i + 1, f"Person {i}", f"p{i}@example.org", None, now) for i in range(n)]
    links = [(i + 1, i + 1, "brook", "teacher", "2024-09-01") for i in range(n)]
    start = time.perf_counter()
    with ws.store.write() as conn:
        _drop_audit_triggers(conn)
        cur = conn.connection.dbapi_connection.cursor()
        cur.executemany(
            "INSERT INTO people (id, name, email, area, created_at) VALUES (?,?,?,?,?)", people
        )
        cur.executemany(
            "INSERT INTO affiliations (id, person_id, setting_id, position, since)"
            " VALUES (?,?,?,?,?)",
            links,
        )
    return time.perf_counter() - start


def _plain_completions(ws, n: int) -> float:  # type: ignore[no-untyped-def]
    now = "2026-11-28 09:00:00.000000"
    rows = [
        (i + 1, i + 1, "awareness", "2026-10-01", "imported", "bench", now, 0) for i in range(n)
    ]
    start = time.perf_counter()
    with ws.store.write() as conn:
        _drop_audit_triggers(conn)
        cur = conn.connection.dbapi_connection.cursor()
        cur.executemany(
            "INSERT INTO completions (id, person_id, course_id, completed_on, evidence, "
            "recorded_by, recorded_at, withdrawn) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
    return time.perf_counter() - start


def _drop_audit_triggers(conn) -> None:  # type: ignore[no-untyped-def]
    names = (
        conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_%'"
        )
        .scalars()
        .all()
    )
    for name in names:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(n: int, rounds: int, folder: Path, template: Path) -> dict[str, tuple[float, float]]:
    """{workload: (import seconds, plain executemany seconds)}, medians of the rounds."""
    from imatter.records import import_completions, import_people

    people_csv = _people_csv(folder / f"people-{n}.csv", n)
    done_csv = _completions_csv(folder / f"completions-{n}.csv", n)
    times: dict[str, list[float]] = {"person import": [], "complete import": []}
    anchors: dict[str, list[float]] = {"person import": [], "complete import": []}
    for _ in range(rounds):
        ws = _copy(template, folder, "round")
        times["person import"].append(
            _timed(partial(import_people, ws.store, ws.programme, people_csv))
        )
        times["complete import"].append(
            _timed(
                partial(
                    import_completions,
                    ws.store,
                    ws.programme,
                    done_csv,
                    recorded_by="bench",
                    today=TODAY,
                )
            )
        )
        ws.store.dispose()
        ws = _copy(template, folder, "plain")
        anchors["person import"].append(_plain_people(ws, n))
        anchors["complete import"].append(_plain_completions(ws, n))
        ws.store.dispose()
    return {k: (statistics.median(times[k]), statistics.median(anchors[k])) for k in times}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"CSV imports, median of {args.rounds} rounds (SQLite file, audit chain included)")
    print(
        f"{'workload':<16}{'rows':>8}{'rows/s':>10}  {'goal':<12}{'executemany':>12}"
        f"{'ratio':>8}  goal"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = _template(folder)
        for n in args.sizes:
            for workload, (took, plain) in measure(n, args.rounds, folder, template).items():
                rate, ratio = n / took, took / plain
                at_scale = n >= 100_000
                rate_goal = f">= {GOAL_RATE // 1000}k" + (" ok" if rate >= GOAL_RATE else " MISS")
                ratio_goal = f"<= {GOAL_RATIO:.0f}x" + (" ok" if ratio <= GOAL_RATIO else " MISS")
                print(
                    f"{workload:<16}{n:>8,}{rate:>10,.0f}  "
                    f"{rate_goal if at_scale else '(at 100k)':<12}{n / plain:>12,.0f}"
                    f"{ratio:>7.2f}x  {ratio_goal if at_scale else '(at 100k)'}"
                )


if __name__ == "__main__":
    main()
