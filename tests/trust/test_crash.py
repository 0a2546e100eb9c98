"""Crash safety: an import killed with SIGKILL at any moment leaves all of it or none of it.

A child process imports a people CSV through the real API (one transaction for the whole file)
into a real SQLite file in WAL mode, and is killed at a moment drawn over the whole import.
After each kill the database opens (WAL recovery), passes `PRAGMA integrity_check`, and holds
either none or all of that import's rows. Both outcomes must occur, or the test proves nothing.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import random
import sqlite3
import time
from pathlib import Path

import pytest
from imatter import records as r
from imatter.store import Store

pytestmark = pytest.mark.slow  # processes racing for minutes

TRIALS = 60
TARGET_SECONDS = 0.35  # how long one import should take (N is chosen to fit)


def _import_child(db: str, csv_file: str, programme, seconds=None) -> None:  # type: ignore[no-untyped-def]
    """Runs in the forked child: its own Store, never a connection made by the parent."""
    gc.freeze()  # collections would otherwise walk (and copy) all of pytest's inherited heap
    store = Store.for_file(db, migrate=False)
    start = time.perf_counter()
    r.import_people(store, programme, csv_file)
    if seconds is not None:
        seconds.value = time.perf_counter() - start
    store.dispose()


def _write_csv(folder: Path, tag: str, n: int) -> Path:
    path = folder / f"{tag}.csv"
    lines = ["name,email,setting,position"]
    lines += [f"Crash {tag} {i},{tag}-{i}@example.org,brook-primary,teacher" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _timed_import(ctx, db: Path, csv_file: Path, programme) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(seconds from start to exit of the child, seconds of the import call in it)."""
    seconds = ctx.Value("d", 0.0)
    start = time.perf_counter()
    child = ctx.Process(target=_import_child, args=(str(db), str(csv_file), programme, seconds))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    return time.perf_counter() - start, seconds.value


def _rows(db: Path, tag: str) -> tuple[int, int]:
    """(people, affiliations) of one import, read after the store has reopened the file."""
    store = Store.for_file(db)  # the first open after the kill: WAL recovery happens here
    with store.read() as conn:
        people = conn.exec_driver_sql(
            "SELECT count(*) FROM people WHERE email LIKE ?", (f"{tag}-%",)
        ).scalar()
        affiliations = conn.exec_driver_sql(
            "SELECT count(*) FROM affiliations a JOIN people p ON p.id = a.person_id "
            "WHERE p.email LIKE ?",
            (f"{tag}-%",),
        ).scalar()
    store.dispose()  # nothing open when the next child is forked
    return int(people), int(affiliations)


def _integrity(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def test_an_import_killed_at_any_moment_is_all_or_nothing(tmp_path, programme):
    db = tmp_path / "crash.db"
    store = Store.for_file(db)
    r.add_setting(store, "brook-primary", "Brook Primary", pupils_on_roll=240)
    store.dispose()
    ctx = mp.get_context("fork")

    # Size the import so that one takes about TARGET_SECONDS here, then time unkilled ones
    # (start of the child to its exit; the longest of three, as the machine may be busy).
    _, calibration = _timed_import(ctx, db, _write_csv(tmp_path, "calibrate", 20), programme)
    n = max(20, min(3000, round(20 * TARGET_SECONDS / calibration)))
    durations = []
    for run in range(3):
        durations.append(
            _timed_import(ctx, db, _write_csv(tmp_path, f"unkilled{run}", n), programme)[0]
        )
        assert _rows(db, f"unkilled{run}") == (n, n)
    duration = max(durations)
    committed = 20 + 3 * n

    # Kill points cover [0, 1.2 x duration]: one uniform draw in each of TRIALS equal slices,
    # shuffled, so every part of the import (start-up, rows, commit, exit) is hit.
    rng = random.Random()
    delays = [1.2 * duration * (i + rng.random()) / TRIALS for i in range(TRIALS)]
    rng.shuffle(delays)
    outcomes = {0: 0, n: 0}
    started = time.perf_counter()
    for trial, delay in enumerate(delays):
        tag = f"t{trial}"
        csv_file = _write_csv(tmp_path, tag, n)
        child = ctx.Process(target=_import_child, args=(str(db), str(csv_file), programme))
        child.start()
        time.sleep(delay)
        child.kill()  # SIGKILL, unless it has already finished
        child.join(60)
        assert child.exitcode in (0, -9), f"trial {trial}: child exit code {child.exitcode}"

        people, affiliations = _rows(db, tag)
        assert people in (0, n), f"trial {trial} (kill after {delay:.3f}s): {people} of {n}"
        assert affiliations == people, f"trial {trial}: {affiliations} affiliations"
        assert _integrity(db) == ["ok"], f"trial {trial} (kill after {delay:.3f}s)"
        outcomes[people] += 1
        committed += people
        csv_file.unlink()

    assert _integrity(db) == ["ok"]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM people").fetchone() == (committed,)
    conn.close()
    # Both outcomes occurred: kills landed before the commit and after it.
    assert outcomes[0] > 0 and outcomes[n] > 0, outcomes
    print(
        f"\ncrash test: {TRIALS} kills of a {n}-row import lasting {duration:.3f}s "
        f"(longest of {', '.join(f'{d:.3f}' for d in durations)}): {outcomes[0]} left nothing, "
        f"{outcomes[n]} left all {n} rows; {time.perf_counter() - started:.1f}s"
    )
