"""The records store: completions are never edited, imports are all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from imatter import records as r
from imatter.errors import Duplicate, ImportRowError, InvalidValue, NotEligible
from imatter.store import schema as t

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def school(ws):
    r.add_setting(ws.store, "brook-primary", "Brook Primary", pupils_on_roll=240)
    return ws


def _person(ws, name="Alex Test", email="alex@example.org", position="teacher"):
    return r.add_person(
        ws.store, ws.programme, name, email=email, setting="brook-primary", position=position
    )


def test_the_database_is_a_wal_sqlite_file(school):
    path = school.store.sqlite_path
    assert path.exists() and path.parent == school.path
    with school.store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_recording_the_same_completion_twice_is_reported_not_duplicated(school):
    pid = _person(school)
    first = r.record_completion(
        school.store,
        school.programme,
        pid,
        "foundation-a",
        dt.date(2026, 10, 1),
        recorded_by="lead",
        today=TODAY,
    )
    with pytest.raises(
        Duplicate, match=f"already completed foundation-a on 2026-10-01 \\(record {first}\\)"
    ):
        r.record_completion(
            school.store,
            school.programme,
            pid,
            "foundation-a",
            dt.date(2026, 10, 1),
            recorded_by="lead",
            today=TODAY,
        )
    with school.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.completions)).scalar() == 1


def test_future_completion_is_refused(school):
    pid = _person(school)
    with pytest.raises(InvalidValue, match="in the future"):
        r.record_completion(
            school.store,
            school.programme,
            pid,
            "foundation-a",
            TODAY + dt.timedelta(days=1),
            recorded_by="lead",
            today=TODAY,
        )


def test_a_correction_supersedes_and_both_stay_in_history(school):
    pid = _person(school)
    old = r.record_completion(
        school.store,
        school.programme,
        pid,
        "foundation-a",
        dt.date(2026, 10, 1),
        recorded_by="lead",
        today=TODAY,
    )
    new = r.correct_completion(
        school.store,
        school.programme,
        old,
        reason="wrong course",
        recorded_by="admin",
        today=TODAY,
        course_id="foundation-b",
    )
    history = r.completion_history(school.store, pid)
    assert [(h.id, h.course_id, h.state) for h in history] == [
        (old, "foundation-a", f"superseded by {new}"),
        (new, "foundation-b", "current"),
    ]
    assert history[1].recorded_by == "admin" and history[1].reason == "wrong course"
    with school.store.read() as conn:
        facts = r.person_records(conn, pid)
    assert [c.course for c in facts.completions] == ["foundation-b"]
    with pytest.raises(Duplicate, match=f"already superseded by {new}"):
        r.correct_completion(
            school.store, school.programme, old, reason="again", recorded_by="admin", today=TODAY
        )


def test_a_withdrawal_removes_the_completion_from_the_rules(school):
    pid = _person(school)
    old = r.record_completion(
        school.store,
        school.programme,
        pid,
        "foundation-a",
        dt.date(2026, 10, 1),
        recorded_by="lead",
        today=TODAY,
    )
    r.correct_completion(
        school.store,
        school.programme,
        old,
        reason="recorded in error",
        recorded_by="admin",
        today=TODAY,
        withdraw=True,
    )
    with school.store.read() as conn:
        assert r.person_records(conn, pid).completions == ()
    # the course can now be recorded afresh
    r.record_completion(
        school.store,
        school.programme,
        pid,
        "foundation-a",
        dt.date(2026, 11, 1),
        recorded_by="lead",
        today=TODAY,
    )


def test_award_refused_with_reason_then_granted(school):
    pid = _person(school)
    with pytest.raises(
        NotEligible,
        match="does not yet meet Link Professional: needs Foundation A; needs Foundation B",
    ):
        r.award_role(school, pid, "link-professional", TODAY, granted_by="org")
    for course in ("foundation-a", "foundation-b"):
        r.record_completion(
            school.store,
            school.programme,
            pid,
            course,
            dt.date(2026, 10, 1),
            recorded_by="lead",
            today=TODAY,
        )
    result = r.award_role(school, pid, "link-professional", TODAY, granted_by="org")
    assert result.role_title == "Link Professional" and result.valid_until is None
    with pytest.raises(Duplicate, match="already holds Link Professional"):
        r.award_role(school, pid, "link-professional", TODAY, granted_by="org")
    awards = r.list_awards(school.store, person=pid)
    assert len(awards) == 1 and awards[0].granted_by == "org"
    assert len(__import__("json").loads(awards[0].evidence)) == 2


def test_case_references_must_be_anonymised(school):
    pid = _person(school)
    with pytest.raises(InvalidValue, match="anonymised code"):
        r.add_case(school.store, pid, "Jamie Smith", dt.date(2026, 1, 1), recorded_by="lead")
    with pytest.raises(InvalidValue, match="anonymised code"):
        r.add_case(school.store, pid, "Jamie", dt.date(2026, 1, 1), recorded_by="lead")
    r.add_case(school.store, pid, "FAM-0007", dt.date(2026, 1, 1), recorded_by="lead")


def test_membership_is_priced_from_bands_and_cannot_overlap(school):
    result = r.add_membership(
        school.store, school.programme, "brook-primary", dt.date(2026, 9, 1), recorded_by="org"
    )
    assert result.fee == 500 and result.ends_on == dt.date(2027, 8, 31)
    with pytest.raises(Duplicate, match="start the renewal on 2027-09-01"):
        r.add_membership(
            school.store, school.programme, "brook-primary", dt.date(2027, 1, 1), recorded_by="org"
        )


def test_licence_grant_refused_until_rule_met(school):
    with pytest.raises(Exception, match="does not meet the school licence rule: needs senior"):
        r.grant_setting_licence(
            school.store, school.programme, "brook-primary", TODAY, granted_by="org"
        )
    with school.store.read() as conn:
        assert conn.execute(sa.select(t.setting_licences)).first() is None


# --------------------------------------------------------------------------- CSV imports
def _write(tmp_path, text: str, name="people.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _count(ws, table) -> int:
    with ws.store.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def test_people_import(school, tmp_path):
    path = _write(
        tmp_path,
        "name,email,setting,position\nA One,a@x.org,brook-primary,teacher\n"
        "B Two,,brook-primary,parent\n",
    )
    assert r.import_people(school.store, school.programme, path).added == 2
    assert _count(school, t.people) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,email,setting\nA,a@x.org,brook-primary\n", "missing column(s) position"),
        ("", "the file is empty"),
        ("name,email,setting,position\n", "no rows under the header"),
        (
            "name,email,setting,position\nA,a@x.org,nowhere,teacher\n",
            "line 2: no setting 'nowhere'",
        ),
        (
            "name,email,setting,position\nA,a@x.org,brook-primary,wizard\n",
            "line 2: unknown position 'wizard'",
        ),
        (
            "name,email,setting,position\nA,a@x.org,brook-primary,teacher\n"
            "B,a@x.org,brook-primary,teacher\n",
            "line 3: duplicate of line 2",
        ),
        ("name,email,setting,position\n,a@x.org,brook-primary,teacher\n", "line 2: name is empty"),
    ],
)
def test_people_import_errors_import_nothing(school, tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ImportRowError) as err:
        r.import_people(school.store, school.programme, path)
    assert expected in " ".join([err.value.message, *err.value.details])
    assert _count(school, t.people) == 0


def test_wrong_encoding_is_reported(school, tmp_path):
    path = _write(
        tmp_path,
        "name,email,setting,position\nZoë,z@x.org,brook-primary,teacher\n",
        encoding="latin-1",
    )
    with pytest.raises(ImportRowError, match=r"people.csv:2: not UTF-8"):
        r.import_people(school.store, school.programme, path)


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8", "\t"), ("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-16-be", "\t")],
    ids=["tabs", "semicolons", "excel-unicode-text", "utf16-big-endian"],
)
def test_a_staff_list_saved_as_text_or_with_semicolons_imports_like_a_csv(
    school, tmp_path, encoding, sep
):
    """A MIS text export (tabs), Excel's "Unicode Text" (UTF-16, tabs) and a continental
    Excel's CSV (semicolons): the same people, names and positions as from a comma file."""
    rows = [
        ["Forename", "Surname", "Email Address", "Job Title", "Start Date"],
        ["Zoë", "Brontë", "zoe@x.org", "Class Teacher", "01/09/2024"],
        ["Amy", "Lee, Jr", "amy@x.org", "TA", "02/09/2024"],  # a comma inside a value
    ]
    text = "".join(sep.join(row) + "\r\n" for row in rows)
    if encoding == "utf-16-be":  # with its byte-order mark, as Windows writes it
        path = tmp_path / "staff.txt"
        path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    else:
        path = _write(tmp_path, text, name="staff.txt", encoding=encoding)
    done = r.import_people(school.store, school.programme, path, setting="brook-primary")
    assert (done.added, done.flagged) == (2, ())
    people = {p.email: p for p in r.list_people(school.store)}
    assert people["zoe@x.org"].name == "Zoë Brontë"
    assert people["amy@x.org"].name == "Amy Lee, Jr"
    assert people["zoe@x.org"].settings == ("brook-primary (teacher)",)
    assert people["amy@x.org"].settings == ("brook-primary (teaching-assistant)",)


def test_a_staff_list_without_a_position_column_says_which_columns_it_has_and_how_to_map(
    school, tmp_path
):
    path = _write(tmp_path, "Forename,Surname,Email,Staff Type\nAmy,Lee,amy@x.org,TA\n")
    with pytest.raises(ImportRowError) as err:
        r.import_people(school.store, school.programme, path, setting="brook-primary")
    message = err.value.message
    assert message.startswith(f"{path}:1: missing column(s) position")
    assert "its other columns: Staff Type" in message
    assert "\n" not in message
    assert [h for h in err.value.hints if '--map "YOUR HEADER=FIELD"' in h]
    assert _count(school, t.people) == 0
    # ... and the mapping it suggests works
    done = r.import_people(
        school.store, school.programme, path, setting="brook-primary",
        mapping=["Staff Type=position"],
    )  # fmt: skip
    assert done.added == 1


def _workbook(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_an_excel_workbook_imports_as_excel_shows_it_and_never_takes_a_formula(school, tmp_path):
    """The first sheet of an .xlsx: date cells, numbers and a line break inside a cell read as
    Excel shows them; a formula is never taken as text (only its computed value is)."""
    rows = [
        ["Forename", "Surname", "Email", "Job Title", "Start Date", "Payroll"],
        ["Zoë", "Brontë", "zoe@x.org", "Teacher", dt.date(2024, 9, 1), 1234.0],
        ["Amy", "Lee\nJones", "amy@x.org", "TA", dt.datetime(2023, 1, 5), 77],
    ]
    path = _workbook(tmp_path / "Staff export.xlsx", rows)
    done = r.import_people(school.store, school.programme, path, setting="brook-primary")
    assert (done.added, done.flagged) == (2, ())
    people = {p.email: p for p in r.list_people(school.store)}
    assert people["zoe@x.org"].name == "Zoë Brontë"
    assert people["amy@x.org"].name == "Amy Lee Jones"
    assert people["zoe@x.org"].settings == ("brook-primary (teacher)",)

    rows.append(['=CONCAT("Ev","e")', "Evans", "eve@x.org", "Teacher", None, None])
    path = _workbook(tmp_path / "Next term.xlsx", rows)
    done = r.import_people(school.store, school.programme, path, setting="brook-primary")
    assert (done.added, done.unchanged) == (1, 2)
    names = {p.email: p.name for p in r.list_people(school.store)}
    assert names["eve@x.org"] == "Evans"  # the formula's (uncomputed) value: nothing
    assert not any("CONCAT" in name for name in names.values())


def test_completions_in_an_excel_workbook_keep_their_dates(school, tmp_path):
    _person(school, "A One", "a@x.org")
    path = _workbook(
        tmp_path / "done.xlsx",
        [["Email", "Course", "Completion Date"], ["a@x.org", "Foundation A", dt.date(2026, 3, 4)]],
    )
    done = r.import_completions(
        school.store, school.programme, path, recorded_by="t", today=dt.date(2026, 11, 28)
    )
    assert done == 1
    with school.store.read() as conn:
        got = conn.execute(sa.select(t.completions.c.course_id, t.completions.c.completed_on)).all()
    assert [tuple(row) for row in got] == [("foundation-a", dt.date(2026, 3, 4))]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04not really a workbook", "cannot be read as an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an old Excel (.xls) file"),
    ],
    ids=["damaged-xlsx", "old-xls"],
)
def test_a_workbook_that_cannot_be_read_is_refused_with_what_to_do(
    school, tmp_path, content, expected
):
    path = tmp_path / "staff.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportRowError) as err:
        r.import_people(school.store, school.programme, path, setting="brook-primary")
    assert err.value.message.startswith(f"{path}: {expected}")
    assert "'CSV UTF-8'" in err.value.message and "nothing was imported" in err.value.message
    assert _count(school, t.people) == 0


def test_a_broken_utf16_file_is_refused_naming_its_line(school, tmp_path):
    text = "name\tsetting\tposition\r\nA One\tbrook-primary\tteacher\r\n"
    path = tmp_path / "staff.txt"
    path.write_bytes(
        text.encode("utf-16") + "B".encode("utf-16-le") + b"\x00\xd8"
    )  # lone surrogate
    with pytest.raises(ImportRowError, match=r"staff.txt:3: not UTF-16 text; save the file as"):
        r.import_people(school.store, school.programme, path)
    assert _count(school, t.people) == 0


def test_completion_import_lists_every_bad_row_and_imports_nothing(school, tmp_path):
    _person(school, "A One", "a@x.org")
    _person(school, "B Two", "b@x.org")
    path = _write(
        tmp_path,
        "person,course,date\n"
        "a@x.org,foundation-a,2026-10-01\n"  # fine
        "a@x.org,foundation-c,2026-10-01\n"  # unknown course
        "b@x.org,foundation-a,31/02/2026\n"  # bad date
        "b@x.org,foundation-b,2027-01-01\n"  # future
        "nobody@x.org,foundation-a,2026-10-01\n"  # unknown person
        "a@x.org,foundation-a,2026-10-02\n",  # duplicate of line 2
        name="completions.csv",
    )
    with pytest.raises(ImportRowError) as err:
        r.import_completions(school.store, school.programme, path, recorded_by="lead", today=TODAY)
    details = err.value.details
    assert err.value.message.startswith(f"{path}: 5 bad row(s); nothing was imported")
    assert details[0].startswith("line 3: unknown course 'foundation-c'")
    assert (
        details[1]
        == "line 4: date '31/02/2026' is not a date; write it as 31/12/2026 or 2026-12-31"
    )
    assert details[2].startswith("line 5: completion date 2027-01-01 is in the future")
    assert details[3].startswith("line 6: no person 'nobody@x.org'")
    assert details[4].startswith("line 7: duplicate of line 2")
    assert _count(school, t.completions) == 0


def test_completion_import_of_an_existing_completion_is_a_bad_row(school, tmp_path):
    pid = _person(school, "A One", "a@x.org")
    r.record_completion(
        school.store,
        school.programme,
        pid,
        "foundation-a",
        dt.date(2026, 9, 1),
        recorded_by="lead",
        today=TODAY,
    )
    path = _write(
        tmp_path,
        "person,course,date\na@x.org,foundation-b,2026-10-01\na@x.org,foundation-a,2026-10-01\n",
        name="c.csv",
    )
    with pytest.raises(ImportRowError) as err:
        r.import_completions(school.store, school.programme, path, recorded_by="lead", today=TODAY)
    assert err.value.details[0].startswith("line 3: person 1 already completed foundation-a")
    assert _count(school, t.completions) == 1


def test_award_to_a_person_without_email_stands_without_a_credential(school):
    from imatter.credentials import issuer_ready
    from imatter.credentials.settings import settings_for

    settings_for(school).key_store().init(now=dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC))
    assert issuer_ready(school)
    pid = _person(school, "No Email", None)
    for course in ("foundation-a", "foundation-b"):
        r.record_completion(
            school.store,
            school.programme,
            pid,
            course,
            dt.date(2026, 10, 1),
            recorded_by="lead",
            today=TODAY,
        )
    result = r.award_role(school, pid, "link-professional", TODAY, granted_by="org")
    assert result.credential is None
    assert len(r.list_awards(school.store, person=pid)) == 1
    with_email = _person(school, "Has Email", "has@x.org")
    for course in ("foundation-a", "foundation-b"):
        r.record_completion(
            school.store,
            school.programme,
            with_email,
            course,
            dt.date(2026, 10, 1),
            recorded_by="lead",
            today=TODAY,
        )
    issued = r.award_role(school, with_email, "link-professional", TODAY, granted_by="org")
    assert str(issued.credential).startswith("urn:uuid:")
