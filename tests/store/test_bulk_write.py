"""Bulk inserts store exactly what single inserts store, and the audit records match them.

`insert_audited` writes a table's rows as one INSERT ... SELECT over a JSON text while a second
thread hashes; awkward values (quotes, backslashes, control characters, JSON-looking text,
non-ASCII, NULLs, booleans, big and negative integers, NUL) must come out of the database as
they went in, with the same types, and `audit verify` (which recomputes every row's digest from
the database) must agree with the records the batch wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest
import sqlalchemy as sa
from imatter.store import bulk
from imatter.store import schema as t
from imatter.trust.audit import verify

AWKWARD = [
    'Zoë "Z" Ng',
    "Ann O'Hara",
    "back\\slash",
    "tab\there",
    "new\nline",
    "[1, 2]",
    '{"a": 1}',
    "emoji 🙂 and 中文",
    "",
    "null",
    "\x01 control",
    "percent %s and ?",
]


def _stored(ws, table: sa.Table) -> list[tuple]:
    """Every row with each value's SQLite type, in key order."""
    columns = ", ".join(f"{c.name}, typeof({c.name})" for c in table.columns)
    keys = ", ".join(c.name for c in table.primary_key.columns)
    with ws.store.read() as conn:
        return [
            tuple(row)
            for row in conn.exec_driver_sql(f"SELECT {columns} FROM {table.name} ORDER BY {keys}")
        ]


def _people_columns(names: list[str], first_id: int) -> tuple:
    n = len(names)
    ids = list(range(first_id, first_id + n))
    emails = [f"p{i}@example.org" for i in range(n)]
    areas = [None if i % 3 else f"area {i}" for i in range(n)]
    return ids, names, emails, areas, bulk.Same(dt.datetime(2026, 11, 28, 9, 30))


PEOPLE_COLUMNS = ("id", "name", "email", "area", "created_at")


def _people_rows(*values) -> bulk.Rows:  # type: ignore[no-untyped-def]
    """The people batch for `_people_columns`' values, keyed by id."""
    return bulk.Rows(t.people, PEOPLE_COLUMNS, values, values[0])


def _two_workspaces(tmp_path):
    from imatter.records import add_setting
    from imatter.workspace import init_workspace

    from ..conftest import PROGRAMME_FILE

    pair = [init_workspace(tmp_path / name, programme=PROGRAMME_FILE) for name in ("a", "b")]
    for ws in pair:
        add_setting(ws.store, "oak", "Oak Primary", pupils_on_roll=100)
    return pair


@pytest.mark.parametrize(
    ("extra", "times"),
    [([], 1), (["has a NUL \x00 inside"], 1), ([], 3)],
    ids=["json", "fallback", "repeated"],
)
def test_awkward_values_are_stored_as_single_inserts_store_them(
    tmp_path, monkeypatch, extra, times
):
    """(`repeated`: each name on three rows, so each is written as JSON once.) The rows are
    hashed and turned into JSON five at a time, as large parts are 2,048 at a time."""
    monkeypatch.setattr(bulk, "STEP", 5)
    batch_ws, single_ws = _two_workspaces(tmp_path)
    names = [*AWKWARD, *extra] * times
    ids, names, emails, areas, when = _people_columns(names, 1)
    with batch_ws.store.write() as conn, bulk.insert_triggers_off(conn, [t.people]):
        bulk.insert_audited(conn, [_people_rows(ids, names, emails, areas, when)])
    with single_ws.store.write() as conn:
        for row in zip(ids, names, emails, areas, strict=True):
            values = dict(zip(PEOPLE_COLUMNS, (*row, when.value), strict=True))
            conn.execute(t.people.insert().values(values))
    assert _stored(batch_ws, t.people) == _stored(single_ws, t.people)
    assert [r[2] for r in _stored(batch_ws, t.people)] == names
    report = verify(batch_ws)
    assert report.problem is None, report.problem


def test_integers_booleans_and_repeated_values_keep_their_types(tmp_path):
    """Completions: consecutive ids, people ids with gaps, one course for all, a boolean, and
    one recorder for all whose name has format marks in it."""
    batch_ws, single_ws = _two_workspaces(tmp_path)
    people = list(range(1, 8))
    for ws in (batch_ws, single_ws):
        ids, names, emails, areas, when = _people_columns([f"P {i}" for i in people], 1)
        with ws.store.write() as conn:
            for row in zip(ids, names, emails, areas, strict=True):
                conn.execute(
                    t.people.insert().values(
                        id=row[0], name=row[1], email=row[2], area=row[3], created_at=when.value
                    )
                )
    n = 5
    ids = list(range(1, n + 1))
    values = (
        ids,
        [7, 1, 3, 3, 5],
        bulk.Same("awareness"),
        [dt.date(2026, 10, d) for d in (1, 2, 2, 3, 4)],
        ["", "register", "x" * 300, "line\nbreak", "[]"],
        bulk.Same("lead 100% %s %d"),
        bulk.Same(dt.datetime(2026, 11, 28, 9, 30)),
        [False, True, False, False, True],
    )
    columns = (
        "id",
        "person_id",
        "course_id",
        "completed_on",
        "evidence",
        "recorded_by",
        "recorded_at",
        "withdrawn",
    )
    with batch_ws.store.write() as conn, bulk.insert_triggers_off(conn, [t.completions]):
        bulk.insert_audited(conn, [bulk.Rows(t.completions, columns, values, ids)])
    with single_ws.store.write() as conn:
        for i in range(n):
            row = [v.value if isinstance(v, bulk.Same) else v[i] for v in values]
            conn.execute(t.completions.insert().values(dict(zip(columns, row, strict=True))))
    stored = _stored(batch_ws, t.completions)
    assert stored == _stored(single_ws, t.completions)
    assert {r[1] for r in stored} == {"integer"}  # ids stay integers, not text
    report = verify(batch_ws)
    assert report.problem is None, report.problem


def test_a_failed_bulk_insert_leaves_nothing_behind(tmp_path):
    """A duplicate email in the batch: the whole transaction rolls back, log included."""
    ws, _ = _two_workspaces(tmp_path)
    with ws.store.read() as conn:
        log_before = conn.exec_driver_sql("SELECT COUNT(*) FROM audit_log").scalar()
    ids, names, emails, areas, when = _people_columns(["A", "B", "C"], 1)
    emails[2] = emails[0]
    with pytest.raises((sa.exc.IntegrityError, sqlite3.IntegrityError)):
        with ws.store.write() as conn, bulk.insert_triggers_off(conn, [t.people]):
            bulk.insert_audited(conn, [_people_rows(ids, names, emails, areas, when)])
    assert _stored(ws, t.people) == []
    with ws.store.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM audit_log").scalar() == log_before
        triggers = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars()
        )
    assert "audit_people_insert" in triggers  # never left off
    assert verify(ws).problem is None


def test_one_varying_column_is_stored_as_single_inserts_store_it(tmp_path):
    """Only the email differs from row to row (the ids run on, the rest is shared)."""
    batch_ws, single_ws = _two_workspaces(tmp_path)
    emails = ["o'hara@example.org", '"q"@example.org', "zoë@example.org", "back\\s@example.org"]
    ids = list(range(10, 10 + len(emails)))
    values = (ids, ["Same Name"] * 4, emails, [None] * 4, bulk.Same(dt.datetime(2026, 1, 2)))
    with batch_ws.store.write() as conn, bulk.insert_triggers_off(conn, [t.people]):
        bulk.insert_audited(conn, [_people_rows(*values)])
    with single_ws.store.write() as conn:
        for i, email in zip(ids, emails, strict=True):
            conn.execute(
                t.people.insert().values(
                    id=i,
                    name="Same Name",
                    email=email,
                    area=None,
                    created_at=dt.datetime(2026, 1, 2),
                )
            )
    assert _stored(batch_ws, t.people) == _stored(single_ws, t.people)
    assert verify(batch_ws).problem is None


def _log(ws, since: int) -> list[tuple]:
    with ws.store.read() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT seq, action, tbl, row_key, data_sha256, typeof(hash), length(hash),"
                " typeof(prev_hash) FROM audit_log WHERE seq > ? ORDER BY seq",
                (since,),
            )
        ]


@pytest.mark.parametrize("awkward_part", [None, 1], ids=["all-hashed-here", "one-part-by-db"])
def test_rows_written_part_by_part_keep_the_row_at_a_time_log(tmp_path, monkeypatch, awkward_part):
    """Seven people and their affiliations in parts of three; in one case the second part
    has a name whose digest only the database computes (a tab). The records come out in
    row-at-a-time order, as the triggers would have written them, and the chain verifies."""
    monkeypatch.setattr(bulk, "ROWS_AT_ONCE", 3)
    monkeypatch.setattr(bulk, "STEP", 2)
    batch_ws, single_ws = _two_workspaces(tmp_path)
    names = [f"Person {i}" for i in range(7)]
    if awkward_part is not None:
        names[3 * awkward_part + 1] = "Tab\tName"
    ids, names, emails, areas, when = _people_columns(names, 1)
    links = list(range(1, 8))
    with batch_ws.store.read() as conn:
        since = conn.exec_driver_sql("SELECT MAX(seq) FROM audit_log").scalar()
    with batch_ws.store.write() as conn, bulk.insert_triggers_off(conn, [t.people, t.affiliations]):
        bulk.insert_audited(
            conn,
            [
                _people_rows(ids, names, emails, areas, when),
                bulk.Rows(
                    t.affiliations,
                    ("id", "person_id", "setting_id", "position", "since"),
                    (links, ids, bulk.Same("oak"), ["teacher"] * 7, bulk.Same(None)),
                    links,
                ),
            ],
        )
    with single_ws.store.write() as conn:
        for i in range(7):
            conn.execute(
                t.people.insert().values(
                    id=ids[i], name=names[i], email=emails[i], area=areas[i], created_at=when.value
                )
            )
            conn.execute(
                t.affiliations.insert().values(
                    id=links[i], person_id=ids[i], setting_id="oak", position="teacher"
                )
            )
    batch_log, single_log = _log(batch_ws, since), _log(single_ws, since)
    assert [r[1:3] for r in batch_log] == [("insert", "people"), ("insert", "affiliations")] * 7
    assert batch_log == single_log
    assert {r[5:] for r in batch_log} == {("text", 64, "text")}
    for ws in (batch_ws, single_ws):
        report = verify(ws)
        assert report.problem is None, report.problem


def _register(ws, people: list[int], sessions: list[int]) -> None:
    """People, a study group and its sessions with the given ids, one at a time."""
    when = dt.datetime(2026, 9, 1, 9)
    with ws.store.write() as conn:
        for pid in people:
            conn.execute(
                t.people.insert().values(
                    id=pid, name=f"P {pid}", email=f"{pid}@example.org", created_at=when
                )
            )
        conn.execute(
            t.study_groups.insert().values(
                id=1,
                name="Staff group",
                course_id="awareness",
                audience="staff",
                setting_id="oak",
                term="2026-27-t1",
                leader_id=people[0],
                created_by="test",
                created_at=when,
            )
        )
        for k, sid in enumerate(sessions):
            conn.execute(
                t.group_sessions.insert().values(
                    id=sid, group_id=1, held_on=dt.date(2026, 9, 2 + k)
                )
            )


@pytest.mark.parametrize(
    "ids", ["small", "wide", "negative"], ids=["packed", "too-wide-to-pack", "negative"]
)
def test_small_integer_columns_and_derived_keys_keep_the_row_at_a_time_log(
    tmp_path, monkeypatch, ids
):
    """Attendance marks (two ids and a flag per row, keyed by session/person) in parts of
    three, with no keys given: the ids and flags packed into one integer per row (or, ids
    too big to pack together or below zero, read one by one) come back as the integers
    single inserts store, and the log equals the row-at-a-time log."""
    monkeypatch.setattr(bulk, "ROWS_AT_ONCE", 3)
    wide = ids != "small"
    people = [1, 2, 3, {"small": 4, "wide": 2**40, "negative": -4}[ids]]
    sessions = [5, 2**30 if ids == "wide" else 6]
    batch_ws, single_ws = _two_workspaces(tmp_path)
    for ws in (batch_ws, single_ws):
        _register(ws, people, sessions)
    marks = [(s, p, (s + p) % 3 == 0) for s in sessions for p in people]
    session_ids, person_ids, presents = (list(c) for c in zip(*marks, strict=True))
    now = dt.datetime(2026, 11, 28, 9, 30)
    names = ("session_id", "person_id", "present", "recorded_by_id", "recorded_at")
    values = (session_ids, person_ids, presents, bulk.Same(1), bulk.Same(now))
    statement = bulk._insert_statement(t.attendance, names, values, len(marks))
    assert statement is not None and (">>" in statement.sql) is not wide
    with batch_ws.store.read() as conn:
        since = conn.exec_driver_sql("SELECT MAX(seq) FROM audit_log").scalar()
    with batch_ws.store.write() as conn, bulk.insert_triggers_off(conn, [t.attendance]):
        bulk.insert_audited(conn, [bulk.Rows(t.attendance, names, values)])
    with single_ws.store.write() as conn:
        for sid, pid, present in marks:
            conn.execute(
                t.attendance.insert().values(
                    session_id=sid,
                    person_id=pid,
                    present=present,
                    recorded_by_id=1,
                    recorded_at=now,
                )
            )
    stored = _stored(batch_ws, t.attendance)
    assert stored == _stored(single_ws, t.attendance)
    assert [(r[0], r[2], r[4]) for r in stored] == sorted((s, p, int(m)) for s, p, m in marks)
    assert {r[1:9:2] for r in stored} == {("integer",) * 4}  # ids and flags stay integers
    batch_log = _log(batch_ws, since)
    assert batch_log == _log(single_ws, since)
    assert [r[3] for r in batch_log] == [f"{s}/{p}" for s, p, _ in marks]
    assert verify(batch_ws).problem is None


def test_keys_left_out_need_plain_primary_key_columns():
    """Keys are made only from integer or text key columns that are given."""
    rows = bulk.Rows(t.attendance, ("session_id", "person_id"), ((4, 5), bulk.Same(9)))
    assert bulk._keys(rows, rows.columns, None, 2) == ["4/9", "5/9"]
    with pytest.raises(ValueError, match="give the keys, or the session_id column"):
        bulk._keys(bulk.Rows(t.attendance, ("person_id",), ([1, 2],)), ([1, 2],), None, 2)
    dated = bulk.Rows(t.attendance, ("session_id", "person_id"), ((4, 5), (1.5, 2)))
    with pytest.raises(ValueError, match="person_id is not plain"):
        bulk._keys(dated, dated.columns, None, 2)


ANSWER_COLUMNS = tuple(c.name for c in t.impact_responses.columns)  # every one, in order


def _answers(shape: str) -> tuple[list, int]:
    """Questionnaire answers as `impact collect` writes them: 3 items a file, each file's
    code, path and digest on each of its rows (awkward text among them). `shape`:
    - answers: the items in the same order in every file, one score a row;
    - items-vary: one file lists its items in another order (two values a row);
    - same-scores: every file gives the same scores (nothing left a row);
    - uneven: the first file has two rows, so the rows come in no blocks."""
    codes = ["L1", 'Zoë "Z"', "O'Hara %s", "back\\slash", "emoji 🙂"]
    files = []
    for f, code in enumerate(codes):
        items = ["confidence", "understanding", "wellbeing"]
        if shape == "items-vary" and f == 1:
            items.reverse()
        scores = [1, 2, 3] if shape == "same-scores" else [(f + i) % 5 + 1 for i in range(3)]
        rows = list(zip(items, scores, strict=True))
        if shape == "uneven" and f == 0:
            rows = rows[:2]
        files.append((code, None if f % 2 else f + 1, f"/returned/{code}/answers.json", rows))
    columns: list[list] = [[] for _ in ANSWER_COLUMNS[:11]]  # (the last two are the same)
    for code, person, path, rows in files:
        digest = hashlib.sha256(path.encode()).hexdigest()
        for item, score in rows:
            day = dt.date(2026, 10, 1 + len(columns[1]) // 3)
            values = (code, person, "awareness", "default", "pre", item, score, day)
            for column, value in zip(columns[1:], (*values, path, digest), strict=True):
                column.append(value)
    count = len(columns[1])
    columns[0] = list(range(1, count + 1))
    return columns, count


@pytest.mark.parametrize("shape", ["answers", "items-vary", "same-scores", "uneven"])
def test_rows_in_blocks_sharing_values_keep_their_values_and_log(tmp_path, monkeypatch, shape):
    """A file's rows share its code, person and path: those go into the JSON once a block,
    items in the same order in every block go into the SQL, and what is left goes a row at a
    time. The rows, their types and the log equal single inserts', in parts of two files."""
    monkeypatch.setattr(bulk, "ROWS_AT_ONCE", 6)
    batch_ws, single_ws = _two_workspaces(tmp_path)
    for ws in (batch_ws, single_ws):
        _register(ws, [1, 3, 5], [1])
    columns, count = _answers(shape)
    when = dt.datetime(2026, 11, 28, 9)
    values = (*columns, bulk.Same("lead"), bulk.Same(when))
    with batch_ws.store.read() as conn:
        part = [c[:6] if isinstance(c, list) else c for c in values]
        first = bulk._insert_statement(
            t.impact_responses,
            ANSWER_COLUMNS,
            bulk._prepared(conn, t.impact_responses, ANSWER_COLUMNS, part)[0],
            6,
        )
    assert first is not None
    assert ("AS b" in first.sql) is (shape != "uneven")
    assert ("CASE r.key" in first.sql) is (shape in ("answers", "same-scores"))
    with batch_ws.store.read() as conn:
        since = conn.exec_driver_sql("SELECT MAX(seq) FROM audit_log").scalar()
    with batch_ws.store.write() as conn, bulk.insert_triggers_off(conn, [t.impact_responses]):
        bulk.insert_audited(conn, [bulk.Rows(t.impact_responses, ANSWER_COLUMNS, values)])
    with single_ws.store.write() as conn:
        for i in range(count):
            row = [c[i] for c in columns] + ["lead", when]
            conn.execute(
                t.impact_responses.insert().values(dict(zip(ANSWER_COLUMNS, row, strict=True)))
            )
    stored = _stored(batch_ws, t.impact_responses)
    assert stored == _stored(single_ws, t.impact_responses)
    assert [r[2] for r in stored] == columns[1]  # the codes, row by row
    assert [r[14] for r in stored] == columns[7]  # the scores
    assert _log(batch_ws, since) == _log(single_ws, since)
    assert verify(batch_ws).problem is None
