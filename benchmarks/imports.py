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


def _log_rows(ws, pairs: list[tuple[str, int]]) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Audit records of the same size as the import writes (hashes made up), after the log."""
    with ws.store.read() as conn:
        seq = conn.exec_driver_sql("SELECT COALESCE(MAX(seq), 0) FROM audit_log").scalar()
    h = "ab" * 32
    at = "2026-11-28T09:00:00.000Z"
    return [
        (seq + i + 1, at, "local:bench", "insert", tbl, str(key), h, h, h)
        for i, (tbl, key) in enumerate(pairs)
    ]


def _write_log(cur, log: list[tuple] | None) -> None:  # type: ignore[no-untyped-def]
    if log:
        cur.executemany(
            "INSERT INTO audit_log (seq, at, actor, action, tbl, row_key, data_sha256, "
            "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
            log,
        )


def _plain_people(ws, n: int, with_log: bool = False) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The anchor: the same rows into people and affiliations, one executemany each (and,
    `with_log`, as many audit records as the import writes, made up beforehand)."""
    now = "2026-11-28 09:00:00.000000"
    people = [(i + 1, f"Person {i}", f"p{i}@example.org", None, now) for i in range(n)]
    links = [(i + 1, i + 1, "brook", "teacher", "2024-09-01") for i in range(n)]
    log = (
        _log_rows(ws, [(t, i + 1) for i in range(n) for t in ("people", "affiliations")])
        if with_log
        else None
    )
    start, cpu = time.perf_counter(), time.process_time()
    with ws.store.write() as conn:
        _drop_audit_triggers(conn)
        cur = conn.connection.dbapi_connection.cursor()
        _write_log(cur, log)
        cur.executemany(
            "INSERT INTO people (id, name, email, area, created_at) VALUES (?,?,?,?,?)", people
        )
        cur.executemany(
            "INSERT INTO affiliations (id, person_id, setting_id, position, since)"
            " VALUES (?,?,?,?,?)",
            links,
        )
    return time.perf_counter() - start, time.process_time() - cpu


def _plain_completions(ws, n: int, with_log: bool = False) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    now = "2026-11-28 09:00:00.000000"
    rows = [
        (i + 1, i + 1, "awareness", "2026-10-01", "imported", "bench", now, 0) for i in range(n)
    ]
    log = _log_rows(ws, [("completions", i + 1) for i in range(n)]) if with_log else None
    start, cpu = time.perf_counter(), time.process_time()
    with ws.store.write() as conn:
        _drop_audit_triggers(conn)
        cur = conn.connection.dbapi_connection.cursor()
        _write_log(cur, log)
        cur.executemany(
            "INSERT INTO completions (id, person_id, course_id, completed_on, evidence, "
            "recorded_by, recorded_at, withdrawn) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
    return time.perf_counter() - start, time.process_time() - cpu


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


def _timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process) for one call."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def measure(n: int, rounds: int, folder: Path, template: Path) -> dict[str, list[float]]:
    """{workload: medians of [import wall s, import CPU s, plain wall s, plain CPU s, plain
    with the audit records wall s]}."""
    from imatter.records import import_completions, import_people

    people_csv = _people_csv(folder / f"people-{n}.csv", n)
    done_csv = _completions_csv(folder / f"completions-{n}.csv", n)
    runs: dict[str, list[tuple[float, ...]]] = {"person import": [], "complete import": []}
    for _ in range(rounds):
        ws = _copy(template, folder, "round")
        people = _timed(partial(import_people, ws.store, ws.programme, people_csv))
        done = _timed(
            partial(
                import_completions,
                ws.store,
                ws.programme,
                done_csv,
                recorded_by="bench",
                today=TODAY,
            )
        )
        ws.store.dispose()
        ws = _copy(template, folder, "plain")
        plain_people, plain_done = _plain_people(ws, n), _plain_completions(ws, n)
        ws.store.dispose()
        ws = _copy(template, folder, "plain")
        logged_people = _plain_people(ws, n, with_log=True)
        logged_done = _plain_completions(ws, n, with_log=True)
        ws.store.dispose()
        runs["person import"].append((*people, *plain_people, logged_people[0]))
        runs["complete import"].append((*done, *plain_done, logged_done[0]))
    return {k: [statistics.median(col) for col in zip(*v, strict=True)] for k, v in runs.items()}


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"CSV imports, median of {args.rounds} rounds (SQLite file, checks and audit chain "
        "included); goals at 100k rows"
    )
    print(
        "executemany: the same rows into the same tables and indexes, no checks, no audit; "
        "'+log': also as many (made-up) audit records as the import writes"
    )
    print(
        f"{'workload':<16}{'rows':>8}{'rows/s':>9}{'CPU rows/s':>12}{'executemany':>13}"
        f"{'ratio':>8}{'CPU ratio':>11}{'ratio +log':>12}  goal"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = _template(folder)
        for n in args.sizes:
            for workload, (wall, cpu, plain, plain_cpu, logged) in measure(
                n, args.rounds, folder, template
            ).items():
                rate, ratio = n / wall, wall / plain
                goal = ""
                if n >= 100_000:
                    goal = (
                        f">= {GOAL_RATE:,} rows/s {_mark(rate >= GOAL_RATE)}, "
                        f"<= {GOAL_RATIO:.0f}x {_mark(ratio <= GOAL_RATIO)}"
                    )
                print(
                    f"{workload:<16}{n:>8,}{rate:>9,.0f}{n / cpu:>12,.0f}{n / plain:>13,.0f}"
                    f"{ratio:>7.2f}x{cpu / plain_cpu:>10.2f}x{wall / logged:>11.2f}x  {goal}"
                )


if __name__ == "__main__":
    main()
