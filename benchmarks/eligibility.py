"""Bulk eligibility against a naive per-person loop, on a synthetic population, in one run.

    python benchmarks/eligibility.py                 # 100k people, 1M completions
    python benchmarks/eligibility.py --large         # 1M people, 10M completions

Prints, each beside its goal: the bulk engine's time to build the eligibility table from the
store and the naive loop's time over the same store (a dict of sets per person, the same rules),
measured in A/B pairs in fresh processes, as medians of rounds, wall and CPU; their ratio (goal
>= 10x); the peak memory of each as the whole process tree's PSS (sampled from /proc); the
whole `imatter eligible --role trainee-lead` command, cold (goal <= 2 s and <= 500 MB at 1M /
10M); and the time to explain one person. All data is synthetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import sqlite3
import statistics
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


# ------------------------------------------------------------------------ timing (this file's
# half; `build` above makes the store)
GOAL_RATIO = 10.0  # bulk at least this many times faster than the naive loop
GOAL_SECONDS = 2.0  # the whole command at 1M people / 10M completions
GOAL_MB = 500.0  # its process tree's peak PSS
ROLE = "trainee-lead"  # the role `imatter eligible` is timed for


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process, from /proc (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


class TreePss:
    """Samples the peak PSS of a process and all its descendants: PSS every 10 ms, the list of
    descendants every 100 ms (finding them walks all of /proc, which would cost more)."""

    def __init__(self, pid: int, every: float = 0.01, tree_every: int = 10) -> None:
        import threading

        self.pid, self.every, self.tree_every, self.peak_kb = pid, every, tree_every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        import psutil

        try:
            return [self.pid, *(c.pid for c in psutil.Process(self.pid).children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def _run(self) -> None:
        tick, pids = 0, [self.pid]
        while not self._stop.is_set():
            if tick % self.tree_every == 0:
                pids = self._tree()
            tick += 1
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in pids))
            self._stop.wait(self.every)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def _children_cpu() -> float:
    """CPU seconds of this process's finished child processes (and theirs)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _tree_cpu() -> float:
    """CPU seconds of this process (all its threads) and of its finished child processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _child(kind: str, path: str, conn) -> None:
    """One timed run in a fresh process; imports, the programme and the store are opened
    first (for both kinds), so the timer covers reading the store and evaluating only."""
    import pandas  # noqa: F401  (the bulk table is a DataFrame)
    from imatter.programme import load_programme
    from imatter.records.columns import bulk_eligibility
    from imatter.store import Store

    programme = load_programme()
    store = Store.for_file(path, migrate=False)
    base_mb = _pss_kb(os.getpid()) / 1024
    wall, cpu = time.perf_counter(), _tree_cpu()
    if kind == "bulk":
        table = bulk_eligibility(store, programme, ON)
        result = int(table[list(programme.roles)].to_numpy().sum())
    else:
        result = naive(Path(path), ON)
    conn.send((time.perf_counter() - wall, _tree_cpu() - cpu, base_mb, result))
    conn.close()


def measure(kind: str, path: Path) -> dict:
    """Seconds (wall and CPU), peak process-tree PSS, and the roles met, for one run."""
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(kind, str(path), theirs))
    proc.start()
    pss = TreePss(proc.pid)
    while not ours.poll(1):
        if not proc.is_alive():
            pss.stop()
            raise SystemExit(f"the {kind} run failed (exit code {proc.exitcode}); see above")
    seconds, cpu, base_mb, result = ours.recv()
    proc.join()
    return {"s": seconds, "cpu": cpu, "mb": pss.stop(), "base": base_mb, "met": result}


def measure_command(path: Path, pycache: Path, role: str = ROLE) -> dict:
    """The whole `imatter eligible --role ROLE` over the store, in a fresh process: start-up,
    imports, reading, evaluating, explaining who is one step away, and printing.

    Compiled bytecode is kept in `pycache` between runs, as an installed package has its own
    (pip compiles it at install): without it, a checkout run with PYTHONDONTWRITEBYTECODE set
    (as this machine's sessions are) compiles every imatter module on every run."""
    import shutil
    import subprocess

    folder = Path(tempfile.mkdtemp())
    (folder / "workspace.yml").write_text(f"db: sqlite:///{path.resolve()}\n", encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "toolkit"),
        "PYTHONPYCACHEPREFIX": str(pycache),  # nothing written into the checkout
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # the imatter beside this Python (the venv's), as a user runs it
    imatter = Path(sys.executable).with_name("imatter")
    found = str(imatter) if imatter.exists() else shutil.which("imatter") or "imatter"
    cmd = [found, "--workspace", str(folder), "eligible", "--role", role]
    cmd += ["--as-of", ON.isoformat()]
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    pss = TreePss(proc.pid)
    out, err = proc.communicate()
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    mb = pss.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-500:]}")
    shutil.rmtree(folder)
    return {"s": seconds, "cpu": cpu, "mb": mb, "lines": out.count(b"\n")}


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
    return statistics.median(timings)


def _verdict(ok: bool) -> str:
    return "meets goal" if ok else "MISSES goal"


def time_engine(path: Path, rounds: int) -> bool:
    """Bulk and naive in A/B pairs, medians of `rounds`; whether the ratio meets its goal."""
    measure("bulk", path)  # warm the OS file cache; not counted
    bulk, naive_runs = [], []
    for _ in range(rounds):
        bulk.append(measure("bulk", path))
        naive_runs.append(measure("naive", path))
    med = {
        key: {f: statistics.median(r[f] for r in runs) for f in ("s", "cpu", "mb", "base")}
        for key, runs in (("bulk", bulk), ("naive", naive_runs))
    }
    b, n = med["bulk"], med["naive"]
    ratio, cpu_ratio = n["s"] / b["s"], n["cpu"] / b["cpu"]
    print(f"rounds: {rounds} A/B pairs (bulk, naive), medians; each run in a fresh process")
    print("  bulk runs:  " + ", ".join(f"{r['s']:.2f} s" for r in bulk))
    print("  naive runs: " + ", ".join(f"{r['s']:.2f} s" for r in naive_runs))
    for name, m in (("bulk engine (store -> table, every role)", b), ("naive loop", n)):
        print(
            f"{name:42s} {m['s']:6.2f} s wall, {m['cpu']:6.2f} s CPU (process tree), "
            f"peak process-tree PSS {m['mb']:.0f} MB ({m['base']:.0f} MB before the timer)"
        )
    ok = ratio >= GOAL_RATIO
    print(f"ratio naive/bulk, wall: {ratio:.1f}x (goal >= {GOAL_RATIO:.0f}x: {_verdict(ok)})")
    print(
        f"ratio naive/bulk, CPU:  {cpu_ratio:.1f}x (goal >= {GOAL_RATIO:.0f}x: "
        f"{_verdict(cpu_ratio >= GOAL_RATIO)})"
    )
    ok &= cpu_ratio >= GOAL_RATIO
    met = {r["met"] for r in bulk} | {r["met"] for r in naive_runs}
    print(
        f"roles met, bulk vs naive: {bulk[0]['met']} vs {naive_runs[0]['met']}"
        + ("" if len(met) == 1 else "  MISMATCH")
    )
    ok &= len(met) == 1
    return ok


def time_all(path: Path, rounds: int, *, engine: bool = True, command: bool = True) -> bool:
    """Bulk and naive in A/B pairs (medians of `rounds`), then the whole command; prints each
    figure beside its goal and returns whether every goal is met."""
    ok = True
    if engine:
        ok = time_engine(path, rounds)
    if command:
        import shutil

        pycache = Path(tempfile.mkdtemp(prefix="pycache-"))
        measure_command(path, pycache)  # warm: the OS file cache, and the bytecode compiled
        runs = [measure_command(path, pycache) for _ in range(rounds)]
        shutil.rmtree(pycache)
        s = statistics.median(r["s"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        mb = statistics.median(r["mb"] for r in runs)
        print(
            f"`imatter eligible --role {ROLE}` (whole command, {runs[0]['lines']} lines out): "
            + ", ".join(f"{r['s']:.2f} s" for r in runs)
        )
        print(
            f"  median {s:.2f} s (goal <= {GOAL_SECONDS:.0f} s at 1M/10M: "
            f"{_verdict(s <= GOAL_SECONDS)}); {cpu:.2f} s CPU; peak process-tree PSS {mb:.0f} MB "
            f"(goal <= {GOAL_MB:.0f} MB: {_verdict(mb <= GOAL_MB)})"
        )
        ok &= s <= GOAL_SECONDS and mb <= GOAL_MB
    print(f"explain one person (median of 50): {explain_one(path) * 1000:.1f} ms")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="1M people and 10M completions")
    parser.add_argument("--people", type=int)
    parser.add_argument("--completions", type=int)
    parser.add_argument("--rounds", type=int, default=3, help="A/B pairs (default 3)")
    parser.add_argument("--no-command", action="store_true", help="skip the whole-command timing")
    parser.add_argument("--no-engine", action="store_true", help="skip bulk against naive")
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
    ok = time_all(path, args.rounds, engine=not args.no_engine, command=not args.no_command)
    print("every goal above met" if ok else "some goal above MISSED (see each line)")


if __name__ == "__main__":
    main()
