"""The bulk engine agrees with the single-person engine, person by person, role by role."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa
from imatter import records as r
from imatter.eligibility import evaluate_person
from imatter.records.columns import bulk_eligibility

ON = dt.date(2026, 11, 28)
COURSES = [
    "awareness",
    "intensive",
    "foundation-a",
    "foundation-b",
    "intermediate-a",
    "intermediate-b",
    "link-professional",
    "lead-y1-t1",
    "lead-y1-t2",
    "lead-y1-t3",
    "lead-y2",
]
POSITIONS = ["teacher", "parent", "headteacher", "delegated-senior", "school-nurse"]


def _populate(ws, seed: int, people: int = 25) -> None:
    rng = random.Random(seed)
    store, prog = ws.store, ws.programme
    r.add_setting(store, "licensed", "Licensed School", pupils_on_roll=200)
    r.add_setting(store, "lapsed", "Lapsed School", pupils_on_roll=90)
    r.add_setting(store, "plain", "Plain School", pupils_on_roll=400)
    with store.write() as conn:
        from imatter.store import schema as t

        conn.execute(
            t.memberships.insert(),
            [
                dict(
                    setting_id="licensed",
                    starts_on=dt.date(2026, 1, 1),
                    ends_on=dt.date(2026, 12, 31),
                    fee=1,
                    currency="GBP",
                    recorded_by="t",
                    recorded_at=dt.datetime(2026, 1, 1),
                ),
                dict(  # then a gap from 2024-07-01: a trainee licence's clock stops in it
                    setting_id="lapsed",
                    starts_on=dt.date(2022, 1, 1),
                    ends_on=dt.date(2024, 6, 30),
                    fee=1,
                    currency="GBP",
                    recorded_by="t",
                    recorded_at=dt.datetime(2026, 1, 1),
                ),
                dict(
                    setting_id="lapsed",
                    starts_on=dt.date(2025, 1, 1),
                    ends_on=ON - dt.timedelta(days=1),
                    fee=1,
                    currency="GBP",
                    recorded_by="t",
                    recorded_at=dt.datetime(2026, 1, 1),
                ),
            ],
        )
        conn.execute(
            t.setting_licences.insert(),
            [
                dict(
                    setting_id=s,
                    valid_from=dt.date(2023, 1, 1),
                    granted_by="t",
                    granted_at=dt.datetime(2023, 1, 1),
                )
                for s in ("licensed", "lapsed")
            ],
        )
        for pid in range(1, people + 1):
            conn.execute(
                t.people.insert().values(id=pid, name=f"P{pid}", created_at=dt.datetime(2026, 1, 1))
            )
            for setting in rng.sample(["licensed", "lapsed", "plain"], rng.randint(0, 2)):
                conn.execute(
                    t.affiliations.insert().values(
                        person_id=pid, setting_id=setting, position=rng.choice(POSITIONS)
                    )
                )
            for course in rng.sample(COURSES, rng.randint(0, len(COURSES))):
                day = ON - dt.timedelta(days=rng.randint(-30, 1500))  # some after ON
                conn.execute(
                    t.completions.insert().values(
                        person_id=pid,
                        course_id=course,
                        completed_on=day,
                        evidence="",
                        recorded_by="t",
                        recorded_at=dt.datetime(2026, 1, 1),
                    )
                )
            for role in rng.sample(
                ["link-professional", "trainee-lead", "school-lead"], rng.randint(0, 2)
            ):
                start = ON - dt.timedelta(days=rng.randint(-10, 1200))
                licence = role == "trainee-lead"
                until = start + dt.timedelta(days=730) if licence else None
                conn.execute(
                    t.awards.insert().values(
                        id=f"a{pid}{role}",
                        person_id=pid,
                        role_id=role,
                        kind="licence" if licence else "role",
                        setting_id=rng.choice(["licensed", "lapsed", None]) if licence else None,
                        valid_from=start,
                        valid_until=until,
                        granted_by="t",
                        granted_at=dt.datetime(2026, 1, 1),
                    )
                )
                if rng.random() < 0.2:
                    conn.execute(
                        t.award_revocations.insert().values(
                            award_id=f"a{pid}{role}",
                            revoked_on=start + dt.timedelta(days=100),
                            reason="test",
                            revoked_by="t",
                            revoked_at=dt.datetime(2026, 1, 1),
                        )
                    )
            for role in rng.sample(
                ["trainee-lead", "trainer", "school-lead", "link-professional"], rng.randint(0, 3)
            ):
                # some decided after a revocation: a new decision makes the role open again
                decided = ON - dt.timedelta(days=rng.randint(-20, 900))
                conn.execute(
                    t.applications.insert().values(
                        person_id=pid,
                        role_id=role,
                        submitted_on=decided - dt.timedelta(days=30),
                        status=rng.choice(["approved", "approved", "refused", "submitted"]),
                        decided_on=decided,
                    )
                )
            for k in range(rng.randint(0, 4)):
                conn.execute(
                    t.documented_cases.insert().values(
                        person_id=pid,
                        reference=f"FAM-{pid}{k}",
                        started_on=ON - dt.timedelta(days=rng.randint(0, 400)),
                        last_reviewed_on=None
                        if rng.random() < 0.5
                        else ON - dt.timedelta(days=rng.randint(0, 30)),
                        recorded_by="t",
                        recorded_at=dt.datetime(2026, 1, 1),
                    )
                )
    # a few corrections, which the bulk engine must honour
    from imatter.store import schema as t

    with store.read() as conn:
        ids = (
            conn.execute(
                sa.select(t.completions.c.id).where(t.completions.c.completed_on <= ON).limit(3)
            )
            .scalars()
            .all()
        )
    for cid in ids:
        r.correct_completion(
            store, prog, cid, reason="test", recorded_by="t", today=ON, withdraw=True
        )


def _compare(ws, on):
    table = bulk_eligibility(ws.store, ws.programme, on)
    with ws.store.read() as conn:
        facts = r.people_records(conn, [int(i) for i in table.index])
    mismatches = []
    for pid, person in facts.items():
        if table.loc[pid, "name"] != person.name:
            mismatches.append((pid, "name", table.loc[pid, "name"], person.name))
        results = evaluate_person(ws.programme, person, on)
        for rid, result in results.items():
            row = table.loc[pid]
            if (bool(row[rid]), bool(row[f"{rid}_held"])) != (result.met, result.held):
                mismatches.append((pid, rid, bool(row[rid]), result.met, result.missing))
            elif not result.met and int(row[f"{rid}_steps"]) != result.steps:
                mismatches.append((pid, rid, "steps", int(row[f"{rid}_steps"]), result.steps))
    return table, mismatches


@pytest.mark.parametrize(("seed", "stale_limit"), [(1, 1000), (2, 1000), (3, 0), (4, 0)])
def test_bulk_matches_explain_on_random_populations(ws, seed, stale_limit, monkeypatch):
    """stale_limit 0 makes the loader scan every completion instead of using the summary."""
    from imatter.records import columns

    monkeypatch.setattr(columns, "STALE_LIMIT", stale_limit)
    _populate(ws, seed)
    for on in (ON - dt.timedelta(days=700), ON - dt.timedelta(days=400), ON):
        table, mismatches = _compare(ws, on)
        assert len(table) == 25
        assert mismatches == []
    assert table[list(ws.programme.roles)].to_numpy().any()  # the test is not vacuous


def _eligible_both_ways(ws, monkeypatch) -> list[tuple]:
    """`eligible_for_role` for every role (and one setting's people), on three dates, through
    the single-person engine and through the bulk engine: the answers that differ."""
    from imatter import api

    differ = []
    for on in (ON - dt.timedelta(days=700), ON - dt.timedelta(days=400), ON):
        for role in ws.programme.roles:
            for setting in (None, "licensed"):
                monkeypatch.setattr(api, "PER_PERSON_LIMIT", 10**9)
                one = api.eligible_for_role(ws, role, on, setting=setting)
                monkeypatch.setattr(api, "PER_PERSON_LIMIT", -1)
                bulk = api.eligible_for_role(ws, role, on, setting=setting)
                if bulk != one:
                    differ.append((on, role, setting, one, bulk))
    return differ


@pytest.mark.parametrize("seed", [1, 6])
def test_eligible_through_the_bulk_engine_answers_as_person_by_person(ws, seed, monkeypatch):
    """Who is eligible now and who is one step away (with why), for a role: the columns for
    that role alone give what the single-person engine gives."""
    from imatter import api

    _populate(ws, seed)
    assert _eligible_both_ways(ws, monkeypatch) == []
    found = [api.eligible_for_role(ws, role, ON) for role in ws.programme.roles]
    assert any(f["eligible"] for f in found) and any(f["one_step"] for f in found)


def test_course_bits_remapped_as_one_bit_at_a_time_would():
    """The summary numbers courses as first seen; the byte tables translate exactly."""
    import numpy as np
    from imatter.records.columns import _remap_bits

    def one_at_a_time(masks, db_bits, courses):
        out = np.zeros(len(masks), dtype=np.int64)
        for course, bit in db_bits.items():
            if course in courses and bit < 63:
                out |= ((masks >> np.int64(bit)) & 1) << np.int64(courses[course])
        return out

    rng = random.Random(5)
    values = np.random.default_rng(5)
    for _ in range(40):
        names = [f"c{i}" for i in range(rng.randint(1, 40))]
        db_bits = {n: i for i, n in enumerate(rng.sample(names, len(names)))}
        kept = rng.sample(names, rng.randint(0, len(names)))
        courses = {n: i for i, n in enumerate(kept)}
        masks = values.integers(0, 2 ** len(names), 500, dtype=np.int64)
        assert (
            _remap_bits(masks, db_bits, courses) == one_at_a_time(masks, db_bits, courses)
        ).all()
    same = {n: i for i, n in enumerate(names)}
    assert (_remap_bits(masks, same, same) == masks).all()


@pytest.mark.parametrize("ids", [[3, 4, 5, 6], [2, 9, 40, 10_000_000]])
def test_rows_found_by_id_whether_ids_run_without_gaps_or_not(ids):
    """Dense ids use a lookup table, sparse ones a binary search: the same answers."""
    import numpy as np
    from imatter.eligibility.bulk import Columns, _Vector
    from imatter.programme import load_programme

    empty = np.zeros(0, dtype=np.int64)
    cols = Columns(np.array(ids, dtype=np.int64), None, *([empty] * 17))
    vec = _Vector(load_programme(), cols, ON)
    asked = np.array([ids[2], 7, ids[0], -1, ids[3], 10**12], dtype=np.int64)
    found = [ids.index(i) if i in ids else -1 for i in asked.tolist()]
    assert vec.rows_of(asked).tolist() == found
    assert vec.flag(asked).tolist() == [True, False, True, True]


def test_rows_by_subtraction_only_when_every_id_is_in_range():
    import numpy as np
    from imatter.records.columns import _rows

    people = np.arange(10, 20, dtype=np.int64)
    assert _rows(people, np.array([10, 19, 15])).tolist() == [0, 9, 5]
    gaps = np.array([1, 5, 9], dtype=np.int64)
    assert _rows(gaps, np.array([9, 1])).tolist() == [2, 0]


def _differing(a, b) -> list[str]:
    """The names of the fields in which two `Columns` differ (NaT equal to NaT)."""
    import dataclasses

    import numpy as np

    out = []
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if x is None or y is None:
            same = x is y
        else:
            same = np.array_equal(x, y, equal_nan=x.dtype.kind == "M")
        if not same:
            out.append(field.name)
    return out


def test_loader_shortcuts_read_what_plain_reads_read(ws, monkeypatch):
    """Rows packed into one number, licensed affiliations found in the index on setting_id,
    person ids from the index: the same columns as reading every row and value plainly, with
    ids in a run and (after a far person and affiliation) with gaps."""
    import numpy as np
    from imatter.records import columns
    from imatter.store import schema as t

    _populate(ws, 5)

    def both():
        fast = columns.load_columns(ws, ws.programme, ON, names=False)
        with monkeypatch.context() as plain:
            plain.setattr(columns, "_packing", lambda *widths, check: None)
            plain.setattr(columns, "_among", lambda values, found: np.isin(values, found))
            plain.setattr(columns._Reader, "ids_in_a_run", lambda self: None)
            slow = columns.load_columns(ws.store, ws.programme, ON, names=False)
        return fast, slow

    fast, slow = both()
    assert _differing(fast, slow) == []
    assert fast.licensed.any() and fast.position_mask.any() and fast.course_mask.any()
    with ws.store.write() as conn:
        conn.execute(
            t.people.insert().values(id=10**7, name="Far", created_at=dt.datetime(2026, 1, 1))
        )
        conn.execute(
            t.affiliations.insert().values(
                id=10**9, person_id=10**7, setting_id="licensed", position="teacher"
            )
        )
    fast, slow = both()
    assert _differing(fast, slow) == []
    assert fast.person_ids[-1] == 10**7 and fast.licensed[-1] and len(fast.person_ids) == 26
    table, mismatches = _compare(ws, ON)  # and the engine still agrees with the explanations
    assert mismatches == []


def test_packing_only_when_every_column_fits():
    from imatter.records.columns import _packing

    assert _packing((1, 1_000_000), 4, (7, 3_000_000)).bits == (20, 4, 22)
    assert _packing((0, 0), 1, check="x < 2") == ((1, 1), "x < 2")
    assert _packing((-1, 5), 4) is None  # a negative value would spill into its neighbour
    assert _packing((0, 2**40), 4, (0, 2**20)) is None  # 41 + 4 + 21 bits: more than 63


@pytest.mark.parametrize("found", [[2, 5, 9], [2, 5, 10**12], [-3, 5]])
def test_among_as_isin_whether_ids_are_dense_or_not(found):
    import numpy as np
    from imatter.records.columns import _among

    values = np.array([1, 2, 3, 5, 9, 10**12, -3], dtype=np.int64)
    found = np.array(found, dtype=np.int64)
    assert _among(values, found).tolist() == np.isin(values, found).tolist()


def test_packed_rows_read_plainly_when_a_value_may_not_fit(tmp_path):
    """A packed read whose check fails (a value that would spill into its neighbour) reads
    the rows as they are."""
    import sqlite3

    from imatter.records.columns import Packing, _SqliteReader

    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, 2), (300, 3), (5, 0)])
    sql = "SELECT a AS c0, b AS c1 FROM t"
    reader = _SqliteReader(path)
    try:
        fits = reader.ints(sql, {}, 2, Packing((9, 2), "(SELECT MAX(a) FROM t) < 512"))
        spills = reader.ints(sql, {}, 2, Packing((8, 2), "(SELECT MAX(a) FROM t) < 256"))
        unchecked = reader.ints(sql, {}, 2, Packing((4, 2)))  # a wrong packing, unchecked
    finally:
        reader.close()
    assert fits.tolist() == spills.tolist() == [[1, 2], [300, 3], [5, 0]]
    assert unchecked.tolist() != fits.tolist()  # so the check is what saves it


def test_loader_reads_a_sqlite_file_directly_from_a_workspace_or_a_store(ws):
    """A Workspace's plain SQLite URL needs no Store; another URL form asks the Store for its
    file; either way the file is read directly, not through SQLAlchemy."""
    import dataclasses

    from imatter.records.columns import _reader, _SqliteReader

    plain = dataclasses.replace(ws)  # a Workspace that has not opened its Store
    other_form = dataclasses.replace(ws, db_url=ws.db_url + "?timeout=20")
    for source in (plain, ws.store, other_form):
        reader, is_sqlite = _reader(source)
        reader.close()
        assert isinstance(reader, _SqliteReader) and is_sqlite
    assert "store" not in vars(plain) and "store" in vars(other_form)
