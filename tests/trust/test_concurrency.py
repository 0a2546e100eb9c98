"""Concurrency: four processes recording completions at once lose nothing and see no lock error.

Each process records 2,500 distinct (person, course) completions through the real API, one
transaction each, all four starting together. Exactly 10,000 rows result, on SQLite (writers
wait their turn: `BEGIN IMMEDIATE` with a busy timeout) and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import time

import pytest
from imatter import records as r
from imatter.records.people import insert_person
from imatter.store import Store

from ..conftest import TODAY

pytestmark = pytest.mark.slow  # processes racing for minutes

PROCESSES = 4
EACH = 2_500
PEOPLE = 800  # 800 people x 13 courses = 10,400 possible pairs
ON = dt.date(2026, 10, 1)


def _recorder(url, programme, index, pairs, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """A forked child: its own Store; every exception is reported, none is swallowed."""
    gc.freeze()  # collections would otherwise walk (and copy) all of pytest's inherited heap
    errors: list[str] = []
    done = 0
    try:
        store = Store(url, migrate=False)
        barrier.wait(120)
        for person_id, course in pairs:
            try:
                r.record_completion(
                    store,
                    programme,
                    person_id,
                    course,
                    ON,
                    recorded_by=f"recorder-{index}",
                    today=TODAY,
                )
                done += 1
            except Exception as err:  # reported to the parent, which asserts there are none
                errors.append(f"{person_id}/{course}: {type(err).__name__}: {err}")
        store.dispose()
    except BaseException as err:  # noqa: B036 - the parent must hear of anything at all
        errors.append(f"process {index}: {type(err).__name__}: {err}")
    results.put((index, done, len(errors), errors[:10]))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_ws(request):
    return request.getfixturevalue("ws" if request.param == "sqlite" else "pg_ws")


def test_four_processes_record_10000_completions_at_once(any_ws):
    ws = any_ws
    programme = ws.programme
    r.add_setting(ws.store, "brook-primary", "Brook Primary", pupils_on_roll=240)
    with ws.store.write() as conn:
        people = [
            insert_person(
                conn,
                programme,
                f"Concurrent {i}",
                email=f"c{i}@example.org",
                setting="brook-primary",
                position="teacher",
            )
            for i in range(PEOPLE)
        ]
    courses = list(programme.courses)
    pairs = [(p, c) for p in people for c in courses][: PROCESSES * EACH]
    # Interleaved shares: the processes write the same people's records at the same time.
    shares = [pairs[k::PROCESSES] for k in range(PROCESSES)]
    assert all(len(share) == EACH for share in shares)
    ws.store.dispose()  # no connection crosses fork()

    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES + 1), ctx.Queue()
    children = [
        ctx.Process(target=_recorder, args=(ws.db_url, programme, k, shares[k], barrier, results))
        for k in range(PROCESSES)
    ]
    for child in children:
        child.start()
    barrier.wait(120)  # all four are ready: go
    started = time.perf_counter()
    reports = sorted(results.get(timeout=600) for _ in children)
    wall = time.perf_counter() - started
    for child in children:
        child.join(60)

    assert [child.exitcode for child in children] == [0] * PROCESSES
    assert [(index, done, failed) for index, done, failed, _ in reports] == [
        (k, EACH, 0) for k in range(PROCESSES)
    ], [errors for *_, errors in reports]
    with ws.store.read() as conn:
        total, distinct = conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT person_id || '/' || course_id) FROM completions"
        ).one()
        by_recorder = dict(
            conn.exec_driver_sql(
                "SELECT recorded_by, count(*) FROM completions GROUP BY recorded_by"
            ).all()
        )
    assert (total, distinct) == (PROCESSES * EACH, PROCESSES * EACH)
    assert by_recorder == {f"recorder-{k}": EACH for k in range(PROCESSES)}
    # Every one of them is in the audit chain, which is still one unbroken chain.
    from imatter.trust.audit import verify

    report = verify(ws)
    assert report.ok, report.problem
    with ws.store.read() as conn:
        audited = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_log WHERE tbl = 'completions' AND action = 'insert'"
        ).scalar()
    assert audited == PROCESSES * EACH
    if ws.store.is_sqlite:
        import sqlite3

        check = sqlite3.connect(ws.store.sqlite_path)
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        check.close()
    print(
        f"\nconcurrency ({ws.store.engine.dialect.name}): {PROCESSES} processes x {EACH} "
        f"completions, one transaction each: {wall:.1f}s wall, "
        f"{PROCESSES * EACH / wall:.0f} commits/s"
    )
