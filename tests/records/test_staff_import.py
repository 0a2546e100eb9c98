"""`imatter person import FILE --setting S`: a school MIS export as it comes, re-imported as an
update, every problem in one pass; and the CSV quirks of issue 12."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
import sqlalchemy as sa
from imatter.store import schema as t

from . import mis


@pytest.fixture
def brook(run_cli):
    """A workspace with two schools (through the CLI); returns the runner."""
    assert run_cli("init")[0] == 0
    assert run_cli("setting", "add", "brook", "--name", "Brook Primary", "--pupils", "210")[0] == 0
    assert run_cli("setting", "add", "elm", "--name", "Elm Academy", "--pupils", "900")[0] == 0
    return run_cli


def _store(tmp_path):
    from imatter.store import Store

    return Store.for_file(tmp_path / "ws" / "imatter.db")


def _staff(tmp_path) -> dict[str, tuple]:
    """{name: (email, position, since, until)} at brook."""
    store = _store(tmp_path)
    p, a = t.people, t.affiliations
    with store.read() as conn:
        rows = conn.execute(
            sa.select(p.c.name, p.c.email, a.c.position, a.c.since, a.c.until)
            .select_from(p.join(a, a.c.person_id == p.c.id))
            .where(a.c.setting_id == "brook")
        ).all()
    store.dispose()
    return {r.name: (r.email, r.position, r.since, r.until) for r in rows}


def _count(tmp_path, table) -> int:
    store = _store(tmp_path)
    with store.read() as conn:
        found = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    store.dispose()
    return found


def test_a_messy_mis_export_imports_as_it_comes(brook, tmp_path):
    path = mis.write(tmp_path / "Staff export.csv", mis.AUTUMN)
    code, out, err = brook("person", "import", str(path), "--setting", "brook")
    assert (code, err) == (0, "")
    assert out == (
        f"Imported people from {path}: 8 added, 0 updated, 0 unchanged, 0 flagged\n"
        "Columns not used: Staff Code, Date of Birth\n"
    )
    staff = _staff(tmp_path)
    D = dt.date
    assert staff == {
        "Ada Okafor": ("ada.okafor@brook.sch.uk", "headteacher", D(2015, 9, 1), None),
        "Ben Price": ("ben.price@brook.sch.uk", "teacher", D(2019, 9, 1), None),
        "Zoë Marsh": (mis.NFC_ZOE, "teacher", D(2021, 1, 4), None),
        "Chen Li": ("c.li@brook.sch.uk", "teaching-assistant", D(2022, 1, 3), None),
        "Dai Hughes": ("d.hughes@brook.sch.uk", "teaching-assistant", D(2023, 9, 5), None),
        "Esther Nwosu": ("e.nwosu@brook.sch.uk", "teaching-assistant", D(2017, 9, 4), None),
        "Fiona Roberts": ("f.roberts@brook.sch.uk", "delegated-senior", D(2012, 9, 1), None),
        "Ghada Bakr": (None, "staff", D(2020, 1, 6), None),
    }


def test_next_terms_export_updates_and_never_duplicates(brook, tmp_path):
    brook(
        "person",
        "import",
        str(mis.write(tmp_path / "autumn.csv", mis.AUTUMN)),
        "--setting",
        "brook",
    )
    path = mis.write(tmp_path / "spring.csv", mis.SPRING)
    code, out, err = brook("person", "import", str(path), "--setting", "brook")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"Imported people from {path}: 1 added, 1 updated, 6 unchanged, 1 flagged",
        "Columns not used: Staff Code, Date of Birth",
        "Check these rows (matched by name, as they have no email):",
        "  line 9: no email; matched to person 8 (Ghada Bakr at brook) by name: check it is "
        "the same person",
    ]
    staff = _staff(tmp_path)
    assert len(staff) == 9 and _count(tmp_path, t.people) == 9
    assert staff["Dai Hughes"][1] == "teacher"
    assert staff["Harry Sethi"][:3] == (
        "h.sethi@brook.sch.uk",
        "teaching-assistant",
        dt.date(2026, 11, 2),
    )
    # The same file again changes nothing.
    code, out, _ = brook("person", "import", str(path), "--setting", "brook")
    assert out.splitlines()[0].endswith(": 0 added, 0 updated, 8 unchanged, 1 flagged")


def test_every_problem_on_every_row_in_one_pass(brook, tmp_path):
    rows = [
        "AOK,Okafor,Adaeze,Ada,ada.okafor@brook.sch.uk,Cleaner,31/02/2015,",  # position, date
        "BPR,Price,Benjamin,Ben,ben.price@brook.sch.uk,Class Teacher,1/9/2019,",
        "CPR,Price,Carol,,BEN.PRICE@brook.sch.uk,Site Manager Lead,13/13/2013,",  # all three
        "DXX,,,,not-an-email,Teacher,,",  # no name, bad email
        "EXX,Ng,Eve,,e.ng@brook.sch.uk,Cleaner,2019-09-01,",
    ]
    path = mis.write(tmp_path / "bad.csv", rows)
    code, out, err = brook("person", "import", str(path), "--setting", "brook")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"Error: {path}: 4 bad row(s); nothing was imported. Fix them and import again:",
        "  line 2: unknown position 'Cleaner' (see below); start date '31/02/2015' is not a "
        "date; write it as 31/12/2026 or 2026-12-31",
        "  line 4: duplicate of line 3 (same email ben.price@brook.sch.uk); keep one of them; "
        "unknown position 'Site Manager Lead' (see below); start date '13/13/2013' is not a "
        "date; write it as 31/12/2026 or 2026-12-31",
        "  line 5: name is empty; every person needs a name; 'not-an-email' is not an email "
        "address; correct it or leave it empty",
        "  line 6: unknown position 'Cleaner' (see below)",
        "Positions not known: 'Cleaner' (2 rows), 'Site Manager Lead' (1 row). Use one of "
        "headteacher, delegated-senior, staff, teaching-assistant, teacher, governor, parent, "
        "gp-safeguarding-lead, gp, school-nurse, health-visitor, paediatrician, social-worker, "
        "community-practitioner, police-officer, or a common name (TA, HLTA, Head, SENCo ...), "
        'or save a mapping for the setting with --map "LABEL=POSITION" (e.g. --map "Site '
        'Manager=staff").',
    ]
    assert _count(tmp_path, t.people) == 0


def test_a_mapping_is_saved_for_the_setting(brook, tmp_path):
    header = "Surname,Forename,Work E-mail,Staff Type,Employment Start"
    rows = ["Okafor,Ada,ada@brook.sch.uk,Head,01/09/2015", "Bakr,Ghada,g@brook.sch.uk,Cleaner,"]
    path = mis.write(tmp_path / "arbor.csv", rows, header)
    code, out, err = brook(
        "person",
        "import",
        str(path),
        "--setting",
        "brook",
        "--map",
        "Staff Type=position",
        "--map",
        "Employment Start=since",
        "--map",
        "Work E-mail=email",
        "--map",
        "Cleaner=staff",
    )
    assert (code, err) == (0, "")
    assert out == (
        f"Imported people from {path}: 2 added, 0 updated, 0 unchanged, 0 flagged\n"
        "Saved 4 mapping(s) for brook's next imports\n"
    )
    # Next time the setting's own names are known without --map; another setting's are not.
    code, out, _ = brook("person", "import", str(path), "--setting", "brook")
    assert out == f"Imported people from {path}: 0 added, 0 updated, 2 unchanged, 0 flagged\n"
    code, _, err = brook("person", "import", str(path), "--setting", "elm")
    assert code == 1
    assert err.splitlines()[0] == (
        f"Error: {path}:1: missing column(s) position; the header must include position "
        "(optional: email, setting, since, area, name, forename, preferred forename, surname, "
        "preferred surname); its other columns: Work E-mail, Staff Type, Employment Start; "
        "nothing was imported"
    )
    assert err.splitlines()[1] == (
        'To read one of your columns as a field, give --setting and --map "YOUR HEADER=FIELD" '
        '(e.g. --map "Staff Type=position"); it is saved for the setting.'
    )


def test_a_mapping_needs_a_known_field_or_position(brook, tmp_path):
    path = mis.write(tmp_path / "x.csv", mis.AUTUMN[:1])
    code, _, err = brook("person", "import", str(path), "--setting", "brook", "--map", "Job=boss")
    assert code == 1
    assert err.startswith("Error: --map 'Job=boss': 'boss' is neither a column (name, ")


# ------------------------------------------------------------------ issue 12: CSV quirks
def test_an_unterminated_quote_is_an_error_naming_its_line(brook, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        'name,email,setting,position\nAnn Ash,ann@x.org,brook,teacher\n"Ben Bell,ben@x.org,brook,'
        "teacher\nCat Cole,cat@x.org,brook,teacher\n",
        encoding="utf-8",
    )
    code, out, err = brook("person", "import", str(path))
    assert (code, out) == (1, "")
    assert err == (
        f'Error: {path}:3: a quote (") opened on line 3 is never closed; close it or remove '
        "it, and import again; nothing was imported\n"
    )
    assert _count(tmp_path, t.people) == 0


def test_emails_are_one_person_in_nfc_and_nfd(brook, tmp_path):
    nfc, nfd = (unicodedata.normalize(f, "zoë@x.org") for f in ("NFC", "NFD"))
    assert nfc != nfd
    first = tmp_path / "a.csv"
    first.write_text(f"name,email,setting,position\nZoë,{nfc},brook,teacher\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(
        f"name,email,setting,position\nZoë,{nfd.upper()},brook,teacher\n", encoding="utf-8"
    )
    assert brook("person", "import", str(first))[0] == 0
    code, out, _ = brook("person", "import", str(second))
    assert out == f"Imported people from {second}: 0 added, 0 updated, 1 unchanged, 0 flagged\n"
    both = tmp_path / "both.csv"
    both.write_text(
        f"name,email,setting,position\nZoë,{nfc},elm,teacher\nZoe,{nfd},elm,staff\n",
        encoding="utf-8",
    )
    code, _, err = brook("person", "import", str(both))
    assert code == 1
    assert (
        err.splitlines()[1] == f"  line 3: duplicate of line 2 (same email {nfc}); keep one of them"
    )
    assert _count(tmp_path, t.people) == 1


def test_control_characters_in_a_name_are_refused(brook, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        b"name,email,setting,position\nAnn\x00Ash,ann@x.org,brook,teacher\n"
        b"Ben\x1bBell,ben@x.org,brook,teacher\nCat\xe2\x80\xaeCole,cat@x.org,brook,teacher\n"
    )
    code, _, err = brook("person", "import", str(path))
    assert code == 1
    assert err.splitlines()[1:] == [
        "  line 2: name 'Ann\\x00Ash' holds control characters; type the name again",
        "  line 3: name 'Ben\\x1bBell' holds control characters; type the name again",
        "  line 4: name 'Cat\u202eCole' holds control characters; type the name again",
    ]
    assert _count(tmp_path, t.people) == 0


def test_a_lead_imports_only_into_their_own_setting(brook, tmp_path):
    assert (
        brook("access", "grant", "lead@elm", "--role", "setting-lead", "--setting", "elm")[0] == 0
    )
    path = mis.write(tmp_path / "staff.csv", mis.AUTUMN)
    code, out, err = brook("--as", "lead@elm", "person", "import", str(path), "--setting", "brook")
    # Another setting looks exactly like one that does not exist (issue 12): nothing is named.
    assert (code, out) == (1, "")
    assert err == "Error: no setting 'brook'; see `imatter setting list`\n"
    plain = tmp_path / "people.csv"
    plain.write_text(
        "name,email,setting,position\nAnn Ash,ann@x.org,elm,teacher\nBen Bell,ben@x.org,brook,TA\n",
        encoding="utf-8",
    )
    code, _, err = brook("--as", "lead@elm", "person", "import", str(plain))
    assert code == 1
    assert err.splitlines()[1] == (
        "  line 3: you may not add or change people in setting brook; ask an organisation admin"
    )
    code, out, _ = brook("--as", "lead@elm", "person", "import", str(path), "--setting", "elm")
    assert (code, out.splitlines()[0]) == (
        0,
        f"Imported people from {path}: 8 added, 0 updated, 0 unchanged, 0 flagged",
    )
    assert _count(tmp_path, t.people) == 8
