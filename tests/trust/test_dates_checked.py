"""Dates are checked: no record before the programme's (or the course's) earliest date, on
every recording path; programme numbers are finite."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from imatter.cli import main
from imatter.errors import ProgrammeError
from imatter.programme import load_programme
from imatter.store import schema as t

from ..conftest import PROGRAMME_FILE
from ..delivery.world import build_world

LIMIT = "the earliest date the programme allows; check the year (earliest_date in the programme file sets it)"  # noqa: E501


def course_limit(course: str, earliest: str = "2000-01-01") -> str:
    return (
        f"is before {earliest}, the earliest date course {course} allows; check the year "
        "(earliest_date in the programme file sets it)"
    )


@pytest.fixture
def world(ws):
    return build_world(ws)


@pytest.fixture
def run(world, capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["-w", str(world.ws.path), "--programme", str(PROGRAMME_FILE), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _group(run) -> None:
    code, out, err = run(
        "group", "create", "--course", "foundation-a", "--term", "2026-27-t1",
        "--leader", "lena@oak.example", "--setting", "oakfield", "--on", "2026-09-20",
    )  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["complete", "ann@oak.example", "foundation-a", "--on", "0001-01-01"],
            "completion date 0001-01-01 " + course_limit("foundation-a"),
        ),
        (
            ["complete", "ann@oak.example", "foundation-a", "--on", "1999-12-31"],
            "completion date 1999-12-31 " + course_limit("foundation-a"),
        ),
        (
            ["person", "add", "Old Timer", "--email", "old@oak.example", "--setting",
             "oakfield", "--position", "teacher", "--since", "0001-01-01"],
            f"start date ('since') 0001-01-01 is before 2000-01-01, {LIMIT}",
        ),
        (
            ["membership", "add", "elm", "--from", "0001-01-01"],
            f"membership start date 0001-01-01 is before 2000-01-01, {LIMIT}",
        ),
        (
            ["award", "ann@oak.example", "link-professional", "--on", "0001-01-01"],
            f"award date 0001-01-01 is before 2000-01-01, {LIMIT}",
        ),
        (
            ["apply", "add", "ann@oak.example", "trainee-lead", "--on", "0001-01-01"],
            f"application date 0001-01-01 is before 2000-01-01, {LIMIT}",
        ),
        (
            ["group", "create", "--course", "foundation-a", "--term", "2026-27-t1",
             "--leader", "lena@oak.example", "--setting", "oakfield", "--on", "0001-01-01"],
            "start date 0001-01-01 " + course_limit("foundation-a"),
        ),
    ],
)  # fmt: skip
def test_every_recording_path_refuses_a_date_before_the_earliest(run, args, message):
    code, out, err = run(*args)
    assert (code, out, err) == (1, "", f"Error: {message}\n")


def test_complete_import_names_the_line_of_an_impossible_date(run, tmp_path):
    path = tmp_path / "done.csv"
    path.write_text(
        "person,course,date\nann@oak.example,foundation-a,2026-10-01\n"
        "ben@oak.example,foundation-a,0001-01-01\n",
        encoding="utf-8",
    )
    code, out, err = run("complete", "import", str(path))
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {path}: 1 bad row(s); nothing was imported. Fix them and import again:\n"
        f"  line 3: completion date 0001-01-01 {course_limit('foundation-a')}\n"
    )


def test_correcting_to_an_impossible_date_is_refused(run, world):
    code, out, err = run("complete", "ann@oak.example", "foundation-a", "--on", "2026-10-01")
    assert code == 0, err
    code, out, err = run("complete", "correct", "1", "--reason", "typo", "--on", "0001-01-01")
    assert (code, err) == (1, f"Error: completion date 0001-01-01 {course_limit('foundation-a')}\n")


def test_sessions_and_enrolments_and_registers_refuse_impossible_dates(run, world):
    _group(run)
    code, _, err = run("group", "schedule", "1", "--date", "0001-01-01")
    assert (code, err) == (1, f"Error: session date 0001-01-01 {course_limit('foundation-a')}\n")
    code, _, err = run("group", "enrol", "1", "ann@oak.example", "--on", "0001-01-01")
    assert (code, err) == (
        1,
        f"Error: enrolment date 0001-01-01 {course_limit('foundation-a')}\n",
    )
    # A session that got into the store with an impossible date cannot take a register.
    code, _, err = run("group", "enrol", "1", "ann@oak.example", "--on", "2026-09-20")
    assert code == 0, err
    with world.store.write() as conn:
        conn.execute(t.group_sessions.insert().values(group_id=1, held_on=dt.date(1999, 1, 4)))
        conn.execute(
            t.group_members.update()
            .where(t.group_members.c.group_id == 1)
            .values(enrolled_on=dt.date(1990, 1, 1))
        )
    code, _, err = run(
        "attendance", "mark", "1", "--date", "1999-01-04", "--present", "ann@oak.example",
        "--by", "lena@oak.example",
    )  # fmt: skip
    assert (code, err) == (1, f"Error: session date 1999-01-04 {course_limit('foundation-a')}\n")


def _programme_with(tmp_path, old: str, new: str):
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "programme.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_earliest_date_is_set_in_the_programme_and_per_course(ws, tmp_path):
    from imatter import records

    path = _programme_with(
        tmp_path,
        '    title: "Foundation A:',
        '    earliest_date: 2020-09-01\n    title: "Foundation A:',
    )
    path.write_text(
        path.read_text().replace("earliest_date: 2000-01-01", "earliest_date: 2010-01-01"),
        encoding="utf-8",
    )
    programme = load_programme(path)
    assert programme.earliest_date == dt.date(2010, 1, 1)
    assert programme.courses["foundation-a"].earliest_date == dt.date(2020, 9, 1)
    assert programme.courses["foundation-b"].earliest_date == dt.date(2010, 1, 1)
    person = records.add_person(ws.store, programme, "Ann Able", email="ann@example.org")
    today = dt.date(2026, 11, 28)
    with pytest.raises(Exception) as err:
        records.record_completion(
            ws.store, programme, person, "foundation-a", dt.date(2020, 8, 31),
            recorded_by="t", today=today,
        )  # fmt: skip
    assert str(err.value) == "completion date 2020-08-31 " + course_limit(
        "foundation-a", "2020-09-01"
    )
    records.record_completion(
        ws.store, programme, person, "foundation-a", dt.date(2020, 9, 1),
        recorded_by="t", today=today,
    )  # fmt: skip
    with pytest.raises(Exception, match="before 2010-01-01, the earliest date course foundation-b"):
        records.record_completion(
            ws.store, programme, person, "foundation-b", dt.date(2009, 12, 31),
            recorded_by="t", today=today,
        )  # fmt: skip
    assert load_programme(PROGRAMME_FILE).earliest_date == dt.date(2000, 1, 1)


def test_a_bad_earliest_date_names_the_line(tmp_path):
    path = _programme_with(tmp_path, "earliest_date: 2000-01-01", "earliest_date: soon")
    with pytest.raises(ProgrammeError) as err:
        load_programme(path)
    line = path.read_text().splitlines().index("earliest_date: soon") + 1
    assert str(err.value) == (
        f"{path}:{line}: earliest_date: 'soon' is not a date; write YYYY-MM-DD"
    )


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf"])
def test_programme_numbers_must_be_finite(tmp_path, value):
    path = _programme_with(tmp_path, "    hours: 2\n", f"    hours: {value}\n")
    with pytest.raises(ProgrammeError) as err:
        load_programme(path)
    line = path.read_text().splitlines().index(f"    hours: {value}") + 1
    shown = {".nan": "nan", ".NaN": "nan", ".inf": "inf", "-.inf": "-inf"}[value]
    assert str(err.value) == (
        f"{path}:{line}: courses.awareness.hours: expected a finite number, got {shown}"
    )


def test_a_nan_fee_is_refused_too(tmp_path):
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    fee_line = next(line for line in text.splitlines() if line.strip().startswith("service_fee:"))
    path = _programme_with(tmp_path, fee_line, fee_line.split(":")[0] + ": .nan")
    with pytest.raises(ProgrammeError, match="membership.service_fee: expected a finite number"):
        load_programme(path)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["case", "add", "ann@oak.example", "FAM-0001", "--started", "2099-01-05"],
         "the case's start date"),
        (["case", "add", "ann@oak.example", "FAM-0002", "--started", "2026-01-05",
          "--reviewed", "05/01/2099"], "the case's last review"),
    ],
)  # fmt: skip
def test_things_that_have_happened_cannot_be_dated_in_the_future(run, args, what):
    code, out, err = run(*args)
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: {what} 05/01/2099 is in the future (today is ")
    assert err.endswith("); give the date it happened\n")


def test_a_revocation_cannot_take_effect_before_the_award(run, world):
    award = world.lead_award
    code, _, err = run("credential", "revoke", award, "--reason", "left", "--on", "2025-08-31")
    assert (code, err) == (
        1,
        f"Error: award {award} is valid from 01/09/2025; a revocation cannot take effect "
        "before that\n",
    )
    with world.store.read() as conn:
        assert conn.execute(t.award_revocations.select()).first() is None
    code, out, err = run("credential", "revoke", award, "--reason", "left", "--on", "01/10/2026")
    assert code == 0, err
    with world.store.read() as conn:
        assert conn.execute(sa.select(t.award_revocations.c.revoked_on)).scalar() == dt.date(
            2026, 10, 1
        )


def test_date_options_take_uk_dates_as_well_as_iso(run, world):
    code, out, err = run("complete", "ann@oak.example", "foundation-a", "--on", "01/10/2026")
    assert code == 0, err
    with world.store.read() as conn:
        assert conn.execute(sa.select(t.completions.c.completed_on)).scalar() == dt.date(
            2026, 10, 1
        )
