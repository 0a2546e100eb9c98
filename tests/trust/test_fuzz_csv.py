"""Fuzzing the CSV imports: people, completions and attendance registers.

Any file gives either a full import (every row) or an ImportRowError naming the file and each
bad row's line, with the database byte for byte as it was. Near-valid files (a real header and
rows with a few mutations) check both halves: an untouched file imports every row, and one with
a row that is surely bad imports nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ..delivery.world import build_world
from .test_fuzz_common import (
    BOM,
    Snapshots,
    assert_clear,
    assert_cli_failed,
    count_rows,
    db_dump,
    fresh,
    fuzz,
    junk_bytes,
    prefixed,
)

TODAY = dt.date(2026, 11, 28)
D = dt.date
SESSION_DAYS = [D(2026, 10, 1) + dt.timedelta(days=7 * i) for i in range(5)]
SETTINGS = ["oakfield", "elm", "riverside-gp"]
COURSES = ["awareness", "foundation-a", "foundation-b", "intermediate-a", "lead-y2", "parents"]
YES = ["yes", "Y", "1", "TRUE", "present", "p", "x", " Yes "]
NO = ["no", "N", "0", "false", "Absent", "a", ""]


# ---------------------------------------------------------------------- the world
@pytest.fixture
def world(ws, tmp_path):
    """The delivery fixture world plus a Foundation A group (ann, ben, cat; five sessions),
    saved as a template database that each example copies."""
    from imatter.delivery import groups

    w = build_world(ws)
    w.group = groups.create_group(
        w.store,
        w.programme,
        course_id="foundation-a",
        term="2026-27-t1",
        leader=w.lead,
        setting="oakfield",
        on=D(2026, 9, 20),
    )
    groups.enrol(w.store, w.programme, w.group, [w.ann, w.ben, w.cat], D(2026, 9, 20))
    groups.schedule_sessions(w.store, w.group, SESSION_DAYS)
    w.snaps = Snapshots(w.store, tmp_path)
    w.dir = tmp_path
    return w


def _import(kind: str, world, path, db):  # type: ignore[no-untyped-def]
    from imatter.delivery.groups import import_attendance
    from imatter.records import import_completions, import_people

    store = world.snaps.store(db)
    try:
        if kind == "people":
            return import_people(store, world.programme, path).added
        if kind == "completions":
            return import_completions(store, world.programme, path, recorded_by="fuzz", today=TODAY)
        return import_attendance(
            store, world.programme, path, recorded_by=world.lead, today=TODAY
        ).marks
    finally:
        store.dispose()


TABLE = {"people": "people", "completions": "completions", "attendance": "attendance"}


def row_start_lines(data: bytes) -> set[int] | None:
    """The line each data row starts on, as a spreadsheet user counts them (None: the file
    cannot be read as CSV at all, so no row can be named)."""
    try:
        text = data.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""))
        starts, previous = set(), 0
        for _ in reader:
            starts.add(previous + 1)
            previous = reader.line_num
    except (UnicodeDecodeError, csv.Error):
        return None
    return starts - {1}  # line 1 is the header


def assert_rows_named_where_they_start(err, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """Every `line N:` in the error's details is a line on which a data row starts."""
    named = [int(n) for n in re.findall(r"^line (\d+):", "\n".join(err.details), re.M)]
    if not named:
        return
    starts = row_start_lines(data)
    assert starts is not None, ("rows named in a file that is not CSV", err.details)
    assert set(named) <= starts, (named, sorted(starts), err.details)


def test_the_row_check_catches_a_wrong_line():
    """The check above is not a formality: naming a line no row starts on fails it."""
    from imatter.errors import ImportRowError

    data = b'name,email\nAnn,"a\nb"\nBen,b@x.org\n'  # rows start on lines 2 and 4
    assert row_start_lines(data) == {2, 4}
    assert_rows_named_where_they_start(ImportRowError("x", details=["line 4: bad"]), data)
    for wrong in ("line 3: bad", "line 1: bad", "line 9: bad"):
        with pytest.raises(AssertionError):
            assert_rows_named_where_they_start(ImportRowError("x", details=[wrong]), data)


def test_a_bad_row_is_named_by_the_line_it_starts_on(world):
    """Exactly the bad row's line, even after a row spanning two lines."""
    data = (
        b"name,email,setting,position\n"
        b'"Ann\nAnn",ann2@example.org,oakfield,staff\n'  # lines 2-3
        b",x@example.org,oakfield,staff\n"  # line 4: no name
    )
    path = world.dir / "people.csv"
    path.write_bytes(data)
    from imatter.errors import ImportRowError
    from imatter.records import import_people

    with pytest.raises(ImportRowError) as err:
        import_people(world.store, world.programme, path)
    assert [d.split(":")[0] for d in err.value.details] == ["line 4"]


def check_import(kind: str, world, data: bytes, expect: str | None = None) -> int | None:  # type: ignore[no-untyped-def]
    """Import `data`; on failure a clear error and an unchanged database, on success every
    row. `expect` is "ok" or "fail" when the test knows which; returns the count or None."""
    path = fresh(world.dir, kind).with_suffix(".csv")
    path.write_bytes(data)
    db = world.snaps.copy()
    before = world.snaps.before
    try:
        count = _import(kind, world, path, db)
    except Exception as err:  # noqa: BLE001 - any exception is checked to be a clear one
        assert_clear(err, path, line_details=True)
        assert_rows_named_where_they_start(err, data)
        assert db_dump(db) == before, "a failed import changed the database"
        assert expect != "ok", f"a valid file was refused: {err.message} {err.details}"
        return None
    assert expect != "fail", f"a file with a bad row imported {count} row(s)"
    table = TABLE[kind]
    assert count_rows(db_dump(db), table) - count_rows(before, table) == count
    return count


# ---------------------------------------------------------------------- near-valid files
def _render(header, rows, *, terminator: str, bom: bool, quoting: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=terminator, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return ((BOM if bom else "") + buffer.getvalue()).encode("utf-8")


@st.composite
def _header(draw, required, optional):  # type: ignore[no-untyped-def]
    chosen = list(required) + [c for c in optional if draw(st.booleans())]
    chosen = draw(st.permutations(chosen))
    styled = [draw(st.sampled_from([c, c.upper(), c.title(), f" {c}", f"{c} "])) for c in chosen]
    return list(chosen), styled


# Values no import accepts, per column.
SURELY_BAD = {
    "people": {
        "name": ["", "   "],
        "email": ["not-an-email", "a@b", "x@@y.org"],
        "setting": ["no-such-school"],
        "position": ["astronaut"],
        "since": ["31/13/2020", "2026-13-01", "yesterday"],
    },
    "completions": {
        "person": ["", "nobody@nowhere.example", "999999", "0"],
        "course": ["no-such-course", "", "Foundation-A"],
        "date": ["2026-02-30", "32/10/2026", "2027-01-01", ""],
    },
    "attendance": {
        "group": ["99", "one", "", "-1", "1.0"],
        "date": ["2026-10-02", "bad", ""],
        "person": ["pat@home.example", "nobody@x.org", ""],
        "present": ["maybe", "2"],
    },
}
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "\x00",
            '"',
            '""',
            "a,b",
            "line\nbreak",
            "\r",
            "\u00b2",
            "\u0663",
            "9" * 30,
            "１２",
            "=cmd|' /C calc'!A0",
            "x" * 5000,
            "\ud7ff",
            "\u202e",
        ]
    ),
)


@st.composite
def people_file(draw, world):  # type: ignore[no-untyped-def]
    from imatter.records.csv_import import PEOPLE_COLUMNS, PEOPLE_OPTIONAL

    columns, header = draw(_header(PEOPLE_COLUMNS, PEOPLE_OPTIONAL))
    n = draw(st.integers(1, 6))
    positions = sorted(world.programme.positions)
    rows = []
    for i in range(n):
        value = {
            "name": draw(st.text("abcdefghijklmnopqrstuvwxyz '-", min_size=1, max_size=20)).strip()
            or "Sam",
            "email": draw(st.sampled_from([f"new{i}@ex.org", f" NEW{i}@Ex.Org ", ""])),
            "setting": draw(st.sampled_from(SETTINGS)),
            "position": draw(st.sampled_from(positions)),
            "since": draw(st.one_of(st.just(""), st.dates(D(1990, 1, 1), TODAY).map(str))),
            "area": draw(st.text(max_size=10).map(lambda s: s.replace("\x00", ""))),
        }
        rows.append(value)
    return columns, header, rows


@st.composite
def completions_file(draw, world):  # type: ignore[no-untyped-def]
    from imatter.records.csv_import import COMPLETION_COLUMNS, COMPLETION_OPTIONAL

    columns, header = draw(_header(COMPLETION_COLUMNS, COMPLETION_OPTIONAL))
    people = {
        world.ann: "ann@oak.example",
        world.ben: "ben@oak.example",
        world.cat: "cat@oak.example",
        world.lead: "lena@oak.example",
    }
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(sorted(people)), st.sampled_from(COURSES)),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    rows = []
    for pid, course in pairs:
        ref = draw(st.sampled_from([str(pid), people[pid], f" {people[pid].upper()} "]))
        rows.append(
            {
                "person": ref,
                "course": course,
                "date": str(draw(st.dates(D(2020, 1, 1), TODAY))),
                "evidence": draw(st.text(max_size=15).map(lambda s: s.replace("\x00", ""))),
            }
        )
    return columns, header, rows


@st.composite
def attendance_file(draw, world):  # type: ignore[no-untyped-def]
    from imatter.delivery.groups.attendance import ATTENDANCE_COLUMNS, ATTENDANCE_OPTIONAL

    columns, header = draw(_header(ATTENDANCE_COLUMNS, ATTENDANCE_OPTIONAL))
    learners = {world.ann: "ann@oak.example", world.ben: "ben@oak.example"}
    learners[world.cat] = "cat@oak.example"
    marks = draw(
        st.lists(
            st.tuples(st.sampled_from(SESSION_DAYS), st.sampled_from(sorted(learners))),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    rows = []
    for day, pid in marks:
        rows.append(
            {
                "group": str(world.group),
                "date": str(day),
                "person": draw(st.sampled_from([str(pid), learners[pid]])),
                "present": draw(st.sampled_from(YES + NO)),
                "name": draw(st.text(max_size=10).map(lambda s: s.replace("\x00", ""))),
            }
        )
    return columns, header, rows


FILES = {"people": people_file, "completions": completions_file, "attendance": attendance_file}


@st.composite
def near_valid(draw, kind, world):  # type: ignore[no-untyped-def]
    """(file bytes, number of data rows, "ok" | "fail" | None) for a mutated valid file."""
    columns, header, rows = draw(FILES[kind](world))
    table = [[row[c] for c in columns] for row in rows]
    outcome = "ok"
    for _ in range(draw(st.integers(0, 3))):
        what = draw(st.sampled_from(["bad value", "odd value", "duplicate", "extra", "short"]))
        i = draw(st.integers(0, len(table) - 1))
        if what in ("bad value", "odd value"):
            column = draw(
                st.sampled_from(sorted(SURELY_BAD[kind]) if what == "bad value" else columns)
            )
            if column not in columns or columns.index(column) >= len(table[i]):
                continue
            table[i] = list(table[i])
            if what == "odd value":
                table[i][columns.index(column)] = draw(ODD_TEXT)
                outcome = None
            else:
                table[i][columns.index(column)] = draw(st.sampled_from(SURELY_BAD[kind][column]))
                outcome = "fail" if outcome == "ok" else outcome
        elif what == "duplicate":
            twin = list(table[i])
            table.insert(draw(st.integers(0, len(table))), twin)
            # Every twin is refused: two rows with one email, or with one name and no email
            # (which would be matched to one person, so the import cannot tell them apart).
            outcome = "fail" if outcome == "ok" else outcome
        elif what == "extra":
            table[i] = [*table[i], draw(st.sampled_from(["", "x", "1"]))]
            outcome = "fail" if outcome == "ok" else outcome
        else:
            table[i] = table[i][: draw(st.integers(1, len(columns)))]
            outcome = None
    data = _render(
        header,
        table,
        terminator=draw(st.sampled_from(["\r\n", "\n"])),
        bom=draw(st.booleans()),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    )
    return data, len(table), outcome


def _near_valid_test(kind: str, world, data) -> None:  # type: ignore[no-untyped-def]
    content, n_rows, outcome = data.draw(near_valid(kind, world))
    count = check_import(kind, world, content, outcome)
    if count is not None and outcome == "ok":
        assert count == n_rows


@pytest.mark.parametrize("kind", ["people", "completions", "attendance"])
@fuzz(45)
@given(data=st.data())
def test_near_valid_files_import_every_row_or_none(kind, world, data):
    _near_valid_test(kind, world, data)


# ---------------------------------------------------------------------- anything at all
HEADS = {
    "people": "name,email,setting,position,since,area\n",
    "completions": "person,course,date,evidence\n",
    "attendance": "group,date,person,present,name\n",
}


@pytest.mark.parametrize("kind", ["people", "completions", "attendance"])
@fuzz(30)
@given(data=st.data())
@example(data=None)
def test_any_bytes_give_a_full_import_or_a_clear_error(kind, world, data):
    if data is None:  # the header alone, then a field longer than csv's limit
        content = HEADS[kind].encode() + b'"' + b"x" * 200_000 + b'",b,c,d\n'
    else:
        content = data.draw(st.one_of(junk_bytes(), prefixed(HEADS[kind])))
    check_import(kind, world, content)


FOUND = [
    ("people", b"name,email,setting,position\nAnn,\x00@x.org,oakfield,teacher\n"),
    ("people", b'name,email,setting,position\nAnn,a@x.org,"no\nwhere",teacher\n'),
    ("completions", b"person,course,date\n" + "\u00b2".encode() + b",awareness,2026-01-01\n"),
    ("completions", b"person,course,date\n" + b"9" * 30 + b",awareness,2026-01-01\n"),
    ("attendance", b"group,date,person,present\n" + "\u00b2".encode() + b",2026-10-01,1,y\n"),
    ("attendance", b"group,date,person,present\n" + b"9" * 30 + b",2026-10-01,1,y\n"),
    ("attendance", b"group,date,person,present\n1,2026-10-01," + b"9" * 30 + b",y\n"),
    ("people", b"\xef\xbb\xbf\xef\xbb\xbfname,email,setting,position\nA,,,\n"),
    ("people", b"name,email,setting,position\r\nA,,,\rB,,,\n"),
]


def test_inputs_found_by_fuzzing(world):
    """Inputs the fuzz tests found: each gives a clear error (or imports), nothing else."""
    for kind, content in FOUND:
        check_import(kind, world, content)


# ---------------------------------------------------------------------- the CLI
CLI = {
    "people": ("person", "import"),
    "completions": ("complete", "import"),
    "attendance": ("attendance", "import"),
}


@pytest.mark.parametrize("kind", ["people", "completions", "attendance"])
@fuzz(12)
@given(data=st.data())
def test_the_cli_exits_cleanly_and_changes_nothing_on_failure(kind, world, run_cli, data):
    if data.draw(st.booleans()):
        content, n_rows, outcome = data.draw(near_valid(kind, world))
    else:
        content = data.draw(st.one_of(junk_bytes(), prefixed(HEADS[kind])))
        n_rows, outcome = None, None
    path = fresh(world.dir, kind).with_suffix(".csv")
    path.write_bytes(content)
    db = world.snaps.copy()
    before = world.snaps.before
    args = [*CLI[kind], str(path)]
    if kind == "attendance":
        args += ["--by", "lena@oak.example"]
    code, out, err = run_cli("--db", f"sqlite:///{db}", *args)
    assert "Traceback" not in out + err
    if code == 0:
        added = count_rows(db_dump(db), TABLE[kind]) - count_rows(before, TABLE[kind])
        if kind == "people":
            assert re.match(rf"Imported people from .*: {added} added, ", out), out
        else:
            assert out.startswith(f"Imported {added} "), out
        if outcome == "ok":
            assert added == n_rows
    else:
        assert_cli_failed(code, out, err, path)
        assert db_dump(db) == before
