"""Bulk eligibility against a naive per-person loop, on a synthetic population, in one run.

    python benchmarks/eligibility.py                 # 100k people, 1M completions
    python benchmarks/eligibility.py --large         # 1M people, 10M completions

Prints: time to build the table from the store (the bulk engine), the naive loop's time over
the same store (a dict of sets per person, the same rules), their ratio, the peak memory of
each (tracemalloc-free: measured as peak RSS growth in a child process), and the time to explain
one person. All data is synthetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "toolkit"))

ON = dt.date(2026, 11, 28)
POSITIONS = [
    "staff",
    "teacher",
    "teaching-assistant",
    "parent",
    "headteacher",
    "delegated-senior",
    "school-nurse",
    "gp-safeguarding-lead",
]


def build(path: Path, people: int, completions: int, seed: int = 7) -> None:
    """A synthetic store: settings, people, affiliations, completions, awards, cases."""
    from imatter.programme import load_programme
    from imatter.store import Store

    programme = load_programme()
    Store.for_file(path).dispose()  # create the schema through the real migrations
    rng = random.Random(seed)
    courses = list(programme.courses)
    db = sqlite3.connect(path)
    # The synthetic records are written through the audit triggers like any other change.
    from imatter.store.audit import register_functions

    register_functions(db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    now = "2026-11-01 00:00:00"
    n_settings = max(10, people // 500)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO settings (id, name, kind, pupils_on_roll, created_at) VALUES (?,?,?,?,?)",
        ((f"s{i}", f"Setting {i}", "school", 100 + i % 900, now) for i in range(n_settings)),
    )
    db.executemany(
        "INSERT INTO memberships (setting_id, starts_on, ends_on, fee, currency, recorded_by,"
        " recorded_at) VALUES (?,?,?,?,?,?,?)",
        (
            (
                f"s{i}",
                "2026-09-01",
                "2027-08-31" if i % 5 else "2026-08-31",
                500,
                "GBP",
                "bench",
                now,
            )
            for i in range(n_settings)
        ),
    )
    db.executemany(
        "INSERT INTO setting_licences (setting_id, valid_from, granted_by, granted_at)"
        " VALUES (?,?,?,?)",
        ((f"s{i}", "2024-01-01", "bench", now) for i in range(0, n_settings, 2)),
    )
    db.executemany(
        "INSERT INTO people (id, name, email, created_at) VALUES (?,?,?,?)",
        ((i, f"Person {i}", None, now) for i in range(1, people + 1)),
    )
    db.executemany(
        "INSERT INTO affiliations (person_id, setting_id, position) VALUES (?,?,?)",
        ((i, f"s{i % n_settings}", POSITIONS[i % len(POSITIONS)]) for i in range(1, people + 1)),
    )
    per_person = completions // people
    start = dt.date(2020, 1, 1).toordinal()

    def rows():
        for pid in range(1, people + 1):
            for course in rng.sample(courses, min(per_person, len(courses))):
                day = dt.date.fromordinal(start + rng.randrange(2500)).isoformat()
                yield (pid, course, day, "", "bench", now)

    db.executemany(
        "INSERT INTO completions (person_id, course_id, completed_on, evidence, recorded_by,"
        " recorded_at) VALUES (?,?,?,?,?,?)",
        rows(),
    )
    award_rows = []
    for pid in range(1, people + 1, 7):
        award_rows.append((f"l{pid}", pid, "link-professional", "role", "2023-01-01", None))
    for pid in range(1, people + 1, 11):
        award_rows.append(
            (
                f"t{pid}",
                pid,
                "trainee-lead",
                "licence",
                (dt.date(2024, 11, 1) + dt.timedelta(days=pid % 60)).isoformat(),
                "2026-12-31",
            )
        )
    for pid in range(1, people + 1, 97):
        award_rows.append((f"s{pid}", pid, "school-lead", "role", "2024-06-01", None))
    db.executemany(
        "INSERT INTO awards (id, person_id, role_id, kind, valid_from, valid_until, granted_by,"
        " granted_at, evidence, withdrawn) VALUES (?,?,?,?,?,?,'bench',?, '[]', 0)",
        ((*row, now) for row in award_rows),
    )
    db.executemany(
        "INSERT INTO applications (person_id, role_id, submitted_on, status, decided_on)"
        " VALUES (?,?,?,?,?)",
        (
            (pid, "trainee-lead", "2024-09-01", "approved", "2024-10-01")
            for pid in range(1, people + 1, 5)
        ),
    )
    db.executemany(
        "INSERT INTO documented_cases (person_id, reference, started_on, recorded_by,"
        " recorded_at) VALUES (?,?,?,?,?)",
        (
            (pid, f"FAM-{k:04d}", f"2025-0{k + 1}-01", "bench", now)
            for pid in range(1, people + 1, 97)
            for k in range(3)
        ),
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def naive(path: Path, on: dt.date) -> int:
    """The baseline: load every person's records into dicts of sets, loop in Python."""
    from imatter.eligibility.dates import add_years
    from imatter.programme import (
        AllOf,
        AnyOf,
        Application,
        Cases,
        Completed,
        Held,
        Holds,
        InSetting,
        Position,
        load_programme,
    )

    programme = load_programme()
    db = sqlite3.connect(path)
    day = on.isoformat()
    done: dict[int, set[str]] = {}
    for pid, course in db.execute(
        "SELECT person_id, course_id FROM completions WHERE completed_on <= ?", (day,)
    ):
        done.setdefault(pid, set()).add(course)
    awards: dict[int, list[tuple]] = {}
    for pid, role, start, until in db.execute(
        "SELECT person_id, role_id, valid_from, valid_until FROM awards"
    ):
        awards.setdefault(pid, []).append(
            (role, dt.date.fromisoformat(start), dt.date.fromisoformat(until) if until else None)
        )
    licensed = {
        r[0]
        for r in db.execute("SELECT setting_id FROM setting_licences WHERE valid_from <= ?", (day,))
    } & {
        r[0]
        for r in db.execute(
            "SELECT setting_id FROM memberships WHERE starts_on <= ? AND ends_on >= ?", (day, day)
        )
    }
    settings: dict[int, list[tuple[str, str]]] = {}
    for pid, sid, pos in db.execute("SELECT person_id, setting_id, position FROM affiliations"):
        settings.setdefault(pid, []).append((sid, pos))
    approved: dict[int, set[str]] = {}
    for pid, role in db.execute(
        "SELECT person_id, role_id FROM applications WHERE status='approved'"
    ):
        approved.setdefault(pid, set()).add(role)
    cases: dict[int, list[dt.date]] = {}
    for pid, start in db.execute("SELECT person_id, started_on FROM documented_cases"):
        cases.setdefault(pid, []).append(dt.date.fromisoformat(start))
    people = [r[0] for r in db.execute("SELECT id FROM people")]

    def ok(req, pid) -> bool:
        if isinstance(req, AllOf):
            return all(ok(p, pid) for p in req.parts)
        if isinstance(req, AnyOf):
            return any(ok(p, pid) for p in req.parts)
        if isinstance(req, Completed):
            return req.course in done.get(pid, ())
        if isinstance(req, Holds):
            return any(
                r in req.roles and s <= on and (u is None or u >= on)
                for r, s, u in awards.get(pid, ())
            )
        if isinstance(req, Held):
            return any(
                r in req.roles
                and add_years(s, req.years) <= on
                and (u is None or u >= add_years(s, req.years))
                for r, s, u in awards.get(pid, ())
            )
        if isinstance(req, InSetting):
            return any((not req.licensed) or sid in licensed for sid, _ in settings.get(pid, ()))
        if isinstance(req, Position):
            return any(pos in req.positions for _, pos in settings.get(pid, ()))
        if isinstance(req, Application):
            return req.role in approved.get(pid, ())
        if isinstance(req, Cases):
            return (
                sum(1 for s in cases.get(pid, ()) if (on - s).days >= req.over_months * 30)
                >= req.at_least
            )
        raise TypeError(req)

    met = 0
    for pid in people:
        for role in programme.roles.values():
            met += ok(role.requires, pid)
    return met


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, path: str, queue: mp.Queue) -> None:
    from imatter.programme import load_programme
    from imatter.records.columns import bulk_eligibility
    from imatter.store import Store

    base = _peak_mb()
    programme = load_programme()
    store = Store.for_file(path, migrate=False)
    start = time.perf_counter()
    if kind == "bulk":
        table = bulk_eligibility(store, programme, ON)
        result = int(table[list(programme.roles)].to_numpy().sum())
    else:
        result = naive(Path(path), ON)
    seconds = time.perf_counter() - start
    # the bulk engine reads with two worker processes: count the larger of them too
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put((seconds, _peak_mb() - base, _peak_mb() + children, result))


def measure(kind: str, path: Path) -> tuple[float, float, float, int]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(kind, str(path), queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def explain_one(path: Path, repeats: int = 50) -> float:
    from imatter.eligibility import evaluate_person
    from imatter.programme import load_programme
    from imatter.records import person_records
    from imatter.store import Store

    programme = load_programme()
    store = Store.for_file(path, migrate=False)
    timings = []
    for i in range(repeats):
        start = time.perf_counter()
        with store.read() as conn:
            facts = person_records(conn, 1 + i * 97)
        evaluate_person(programme, facts, ON)
        timings.append(time.perf_counter() - start)
    timings.sort()
    return timings[len(timings) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="1M people and 10M completions")
    parser.add_argument("--people", type=int)
    parser.add_argument("--completions", type=int)
    parser.add_argument("--db", help="reuse (or keep) the synthetic database at this path")
    args = parser.parse_args()
    people = args.people or (1_000_000 if args.large else 100_000)
    completions = args.completions or people * 10
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "bench.db"
    if not path.exists():
        start = time.perf_counter()
        build(path, people, completions)
        print(
            f"built {people:,} people / {completions:,} completions "
            f"in {time.perf_counter() - start:.1f} s ({path})"
        )
    # the bulk engine three times (the first also warms the OS file cache); the median counts
    bulk_runs = sorted((measure("bulk", path) for _ in range(3)), key=lambda r: r[0])
    bulk_s, bulk_mb, bulk_peak, bulk_result = bulk_runs[1]
    print("bulk engine runs: " + ", ".join(f"{r[0]:.2f} s" for r in bulk_runs))
    naive_s, naive_mb, naive_peak, naive_result = measure("naive", path)
    one_ms = explain_one(path) * 1000
    print(
        f"bulk engine (store -> table, every role): {bulk_s:.2f} s, "
        f"peak RSS {bulk_peak:.0f} MB (+{bulk_mb:.0f} MB)"
    )
    print(
        f"naive per-person loop (dict of sets):      {naive_s:.2f} s, "
        f"peak RSS {naive_peak:.0f} MB (+{naive_mb:.0f} MB)"
    )
    print(f"ratio naive/bulk: {naive_s / bulk_s:.1f}x")
    print(f"explain one person (median of 50): {one_ms:.1f} ms")
    print(f"roles met, bulk vs naive: {bulk_result} vs {naive_result}")


if __name__ == "__main__":
    main()
