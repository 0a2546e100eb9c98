"""Imports at scale: rows per second, against a plain executemany of the same rows.

For 1k, 10k and 100k rows, times each import through the real path: reading the file(s),
checking every row, access, the writes and the audit chain:

- `person import`: a staff list into one setting (`import_people`);
- `complete import`: one completion per person (`import_completions`);
- `attendance import`: registers of study groups, 50 sessions each (`import_attendance`);
- `impact collect`: questionnaire answers files, 4 answers (rows) each (`collect_answers`).

The anchor, measured in the same run, is a plain `executemany` of the same rows into the same
tables and indexes (no checks, no audit; the completion summary kept as the import keeps it,
in one statement). Each figure is the median of the rounds, each round on a fresh database.

    python benchmarks/imports.py [--sizes 1000 10000 100000] [--rounds 3] [--kinds ...]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from measure import machine

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
    """The anchor for completions; the per-person summary is kept in one statement, as the
    import keeps it (`store.bulk.completion_summary_in_batch`), not by its per-row trigger."""
    from imatter.store.bulk import completion_summary_in_batch

    now = "2026-11-28 09:00:00.000000"
    with ws.store.read() as conn:
        top = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM completions").scalar()
    rows = [
        (top + i + 1, i + 1, "awareness", "2026-10-01", "imported", "bench", now, 0)
        for i in range(n)
    ]
    log = _log_rows(ws, [("completions", top + i + 1) for i in range(n)]) if with_log else None
    start, cpu = time.perf_counter(), time.process_time()
    with ws.store.write() as conn:
        _drop_audit_triggers(conn)
        cur = conn.connection.dbapi_connection.cursor()
        _write_log(cur, log)
        with completion_summary_in_batch(conn, top + 1, top + n):
            cur.executemany(
                "INSERT INTO completions (id, person_id, course_id, completed_on, evidence, "
                "recorded_by, recorded_at, withdrawn) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )
    return time.perf_counter() - start, time.process_time() - cpu


SESSIONS = 50  # per study group in the attendance import
ATTENDANCE_ON = dt.date(2026, 9, 1)


def _attendance_world(ws, n: int) -> list[tuple[int, int, str]]:  # type: ignore[no-untyped-def]
    """Study groups at brook with their learners enrolled and SESSIONS sessions each, through
    the API; returns the (group, session, email) of every mark to import (n of them)."""
    import json

    from imatter.delivery import groups
    from imatter.records import add_membership, import_people
    from imatter.store import schema as t

    learners = max(1, n // SESSIONS)
    staff = ws.path / "staff.csv"
    with staff.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "email", "setting", "position"])
        writer.writerow(["Lena Lead", "lead@example.org", "brook", "teacher"])
        writer.writerows(
            [f"Learner {i}", f"l{i}@example.org", "brook", "teacher"] for i in range(learners)
        )
    import_people(ws.store, ws.programme, staff)
    add_membership(ws.store, ws.programme, "brook", ATTENDANCE_ON, recorded_by="bench")
    with ws.store.write() as conn:
        lead = conn.exec_driver_sql(
            "SELECT id FROM people WHERE email = 'lead@example.org'"
        ).scalar()
        conn.execute(
            t.setting_licences.insert().values(
                setting_id="brook",
                valid_from=ATTENDANCE_ON,
                granted_by="bench",
                granted_at=dt.datetime(2026, 9, 1),
            )
        )
        conn.execute(
            t.awards.insert().values(
                id="bench-lead",
                person_id=lead,
                role_id="school-lead",
                kind="role",
                setting_id="brook",
                valid_from=dt.date(2025, 9, 1),
                granted_by="bench",
                granted_at=dt.datetime(2025, 9, 1),
                evidence=json.dumps([]),
            )
        )
    marks: list[tuple[int, int, str]] = []
    per_group = 1000
    for first in range(0, learners, per_group):
        gid = groups.create_group(
            ws.store,
            ws.programme,
            course_id="foundation-a",
            term="2026-27-t1",
            leader=lead,
            setting="brook",
            on=ATTENDANCE_ON,
        )
        emails = [f"l{i}@example.org" for i in range(first, min(learners, first + per_group))]
        groups.enrol(ws.store, ws.programme, gid, emails, ATTENDANCE_ON)
        days = [ATTENDANCE_ON + dt.timedelta(days=k + 1) for k in range(SESSIONS)]
        groups.schedule_sessions(ws.store, gid, days)
        marks += [(gid, k, e) for k in range(SESSIONS) for e in emails]
    return marks[:n]


def _attendance_csv(path: Path, marks: list[tuple[int, int, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["group", "date", "person", "present"])
        writer.writerows(
            (gid, (ATTENDANCE_ON + dt.timedelta(days=k + 1)).isoformat(), email, "yes")
            for gid, k, email in marks
        )
    return path


def _plain_attendance(ws, n: int, with_log: bool = False) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The anchor for attendance: the same marks into `attendance`, one executemany."""
    with ws.store.read() as conn:
        sessions = conn.exec_driver_sql("SELECT id, group_id FROM group_sessions").all()
        members = conn.exec_driver_sql("SELECT group_id, person_id FROM group_members").all()
    by_group: dict[int, list[int]] = {}
    for gid, pid in members:
        by_group.setdefault(gid, []).append(pid)
    now = "2026-11-28 09:00:00.000000"
    rows = [(sid, pid, 1, 1, now) for sid, gid in sessions for pid in by_group[gid]][:n]
    log = _log_rows(ws, [("attendance", f"{s}/{p}") for s, p, *_ in rows]) if with_log else None
    start, cpu = time.perf_counter(), time.process_time()
    with ws.store.write() as conn:
        _drop_audit_triggers(conn)
        cur = conn.connection.dbapi_connection.cursor()
        _write_log(cur, log)
        cur.executemany(
            "INSERT INTO attendance (session_id, person_id, present, recorded_by_id,"
            " recorded_at) VALUES (?,?,?,?,?)",
            rows,
        )
    return time.perf_counter() - start, time.process_time() - cpu


def _answers_folder(folder: Path, n: int) -> Path:
    """n / 4 answers files (4 answers each), one per learner's returned folder."""
    from imatter.impact.answers import write_answers_file
    from imatter.impact.items import ITEM_IDS

    root = folder / f"answers-{n}"
    if not root.exists():
        when = dt.datetime(2026, 10, 1, 9, 30)
        for i in range(max(1, n // len(ITEM_IDS))):
            scores = {item: 1 + (i + k) % 5 for k, item in enumerate(ITEM_IDS)}
            write_answers_file(
                root / f"learner-{i:06d}", "foundation-a", "pre", f"L{i}-X", scores, when
            )
    return root


def _plain_impact(ws, n: int, with_log: bool = False) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The anchor for impact answers: the same rows into `impact_responses`, one executemany."""
    from imatter.impact.items import ITEM_IDS

    now = "2026-11-28 09:00:00.000000"
    files = max(1, n // len(ITEM_IDS))
    rows = [
        (
            f"L{i}-X",
            "foundation-a",
            "default",
            "pre",
            item,
            3,
            "2026-10-01",
            f"/tmp/answers/learner-{i:06d}/imatter-answers/foundation-a-pre.json",
            "ab" * 32,
            "bench",
            now,
        )
        for i in range(files)
        for item in ITEM_IDS
    ]
    log = (
        _log_rows(ws, [("impact_responses", i + 1) for i in range(len(rows))]) if with_log else None
    )
    start, cpu = time.perf_counter(), time.process_time()
    with ws.store.write() as conn:
        _drop_audit_triggers(conn)
        cur = conn.connection.dbapi_connection.cursor()
        _write_log(cur, log)
        cur.executemany(
            "INSERT INTO impact_responses (pseudonym, course_id, cohort, stage, item, score,"
            " answered_on, source, source_sha256, collected_by, collected_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (`impact collect`
    walks the folder in a child process)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process and its children) for one call."""
    start, cpu = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - start, _cpu() - cpu


KINDS = ("person import", "complete import", "attendance import", "impact collect")


def measure(
    n: int, rounds: int, folder: Path, template: Path, kinds: tuple[str, ...] = KINDS
) -> dict[str, list[float]]:
    """{workload: medians of [import wall s, import CPU s, plain wall s, plain CPU s, plain
    with the audit records wall s]}."""
    from imatter.delivery.groups import import_attendance
    from imatter.impact import collect_answers
    from imatter.records import import_completions, import_people

    people_csv = _people_csv(folder / f"people-{n}.csv", n)
    done_csv = _completions_csv(folder / f"completions-{n}.csv", n)
    runs: dict[str, list[tuple[float, ...]]] = {k: [] for k in kinds}
    register = None
    if "attendance import" in kinds:  # a template with the groups, built once
        ws = _copy(template, folder, f"groups-{n}")
        register = _attendance_csv(folder / f"register-{n}.csv", _attendance_world(ws, n))
        ws.store.dispose()
    answers = _answers_folder(folder, n) if "impact collect" in kinds else None
    for _ in range(rounds):
        if "person import" in kinds or "complete import" in kinds:
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
            if "person import" in kinds:
                runs["person import"].append((*people, *plain_people, logged_people[0]))
            if "complete import" in kinds:
                runs["complete import"].append((*done, *plain_done, logged_done[0]))
        if register is not None:
            groups_template = folder / f"groups-{n}"
            ws = _copy(groups_template, folder, "round")
            lead = _lead(ws)
            marks = _timed(
                partial(
                    import_attendance,
                    ws.store,
                    ws.programme,
                    register,
                    recorded_by=lead,
                    today=TODAY,
                )
            )
            ws.store.dispose()
            plain = _fresh_plain(groups_template, folder, _plain_attendance, n)
            logged = _fresh_plain(groups_template, folder, _plain_attendance, n, True)
            runs["attendance import"].append((*marks, *plain, logged[0]))
        if answers is not None:
            ws = _copy(template, folder, "round")
            collected = _timed(
                partial(
                    collect_answers,
                    ws.store,
                    ws.programme,
                    answers,
                    collected_by="bench",
                    collected_at=dt.datetime(2026, 11, 28, 9),
                    progress=False,
                )
            )
            ws.store.dispose()
            plain = _fresh_plain(template, folder, _plain_impact, n)
            logged = _fresh_plain(template, folder, _plain_impact, n, True)
            runs["impact collect"].append((*collected, *plain, logged[0]))
    return {k: [statistics.median(col) for col in zip(*v, strict=True)] for k, v in runs.items()}


def _lead(ws) -> int:  # type: ignore[no-untyped-def]
    with ws.store.read() as conn:
        return int(
            conn.exec_driver_sql("SELECT id FROM people WHERE email = 'lead@example.org'").scalar()
        )


def _fresh_plain(template: Path, folder: Path, plain, n: int, with_log: bool = False):  # type: ignore[no-untyped-def]
    ws = _copy(template, folder, "plain")
    try:
        return plain(ws, n, with_log)
    finally:
        ws.store.dispose()


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
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
        f"{'workload':<18}{'rows':>8}{'rows/s':>9}{'CPU rows/s':>12}{'executemany':>13}"
        f"{'ratio':>8}{'CPU ratio':>11}{'ratio +log':>12}  goal"
    )
    before, own = machine(), _cpu()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = _template(folder)
        for n in args.sizes:
            for workload, (wall, cpu, plain, plain_cpu, logged) in measure(
                n, args.rounds, folder, template, tuple(args.kinds)
            ).items():
                rate, ratio = n / wall, wall / plain
                goal = ""
                if n >= 100_000:
                    goal = (
                        f">= {GOAL_RATE:,} rows/s {_mark(rate >= GOAL_RATE)}, "
                        f"<= {GOAL_RATIO:.0f}x {_mark(ratio <= GOAL_RATIO)}"
                    )
                print(
                    f"{workload:<18}{n:>8,}{rate:>9,.0f}{n / cpu:>12,.0f}{n / plain:>13,.0f}"
                    f"{ratio:>7.2f}x{cpu / plain_cpu:>10.2f}x{wall / logged:>11.2f}x  {goal}"
                )
    after = machine()
    if before and after:  # (the imports run in this process: its CPU time is theirs)
        other = (after[0] - before[0] - (_cpu() - own)) / (after[1] - before[1])
        print(f"other work on the machine meanwhile: {max(other, 0):.0%} of its cores")


if __name__ == "__main__":
    main()
