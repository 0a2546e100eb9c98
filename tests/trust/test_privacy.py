"""Privacy rights: the coverage map held to the real schema; exporting everything held about a
person; erasing them so that their name and email are nowhere in the database files; the CLI.

Every name, email and code here is invented for these tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
import string
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import assume, given
from hypothesis import strategies as st
from imatter import records
from imatter.errors import Duplicate, ImatterError, InvalidValue, NotFound, PermissionDenied
from imatter.store import schema as t
from imatter.trust.privacy import COVERAGE, Erase, Export, Match, erase_person, export_person
from imatter.trust.privacy.export import check_summary
from imatter.trust.privacy.matching import Terms

from ..conftest import PROGRAMME_FILE
from ..delivery.world import NOW, TODAY, build_world

D = dt.date

# The person whose rights are exercised: strings found nowhere else in the fixtures.
NAME = "Xanthippe Wrenfold-Ockendale"
EMAIL = "x.wrenfold-ockendale@quillmere-erasure.example"
AREA = "Fennickby Marsh"
LOGIN = "xwrenfold7"  # what they sign in as
CODE = "XWO-1987"  # the code they typed into the impact questionnaire
SECRETS = (NAME, EMAIL, AREA, "Wrenfold", "Ockendale", "quillmere", LOGIN, CODE)

# A column refers to a person when it is a foreign key to people.id, is named as a person
# reference or as "who did it", or is a field of people itself.
PERSON_COLUMN = re.compile(
    r"^(person_id|leader_id|marker|second_marker|owner|identity|actor)$|_by$|_by_id$"
)


# ------------------------------------------------------------------ the map and the schema
def person_columns(conn: sa.Connection) -> set[tuple[str, str]]:
    """Every (table, column) of the real database that refers to a person."""
    inspector = sa.inspect(conn)
    found = set()
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] == "people":
                found |= {(table, column) for column in fk["constrained_columns"]}
        for column in inspector.get_columns(table):
            if table == "people" or PERSON_COLUMN.search(column["name"]):
                found.add((table, column["name"]))
    return found


def real_columns(conn: sa.Connection) -> set[tuple[str, str]]:
    inspector = sa.inspect(conn)
    return {
        (table, column["name"])
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
    }


MAPPED = {(e.table, e.column) for e in COVERAGE}


def test_map_lists_each_column_once_with_an_export_and_an_erasure():
    assert len(MAPPED) == len(COVERAGE)
    for entry in COVERAGE:
        assert isinstance(entry.export, Export) and isinstance(entry.erase, Erase), entry
        assert isinstance(entry.match, Match) and entry.why, entry


def test_every_person_column_of_the_migrated_schema_is_covered(ws):
    with ws.store.engine.connect() as conn:
        found = person_columns(conn)
        columns = real_columns(conn)
    assert ("audit_log", "actor") in found  # the trust tables are there (migration 7)
    assert ("attendance", "recorded_by_id") in found and ("people", "email") in found
    missing = sorted(found - MAPPED)
    assert not missing, f"columns that refer to a person but are not in the privacy map: {missing}"
    unknown = sorted(MAPPED - columns)
    assert not unknown, f"privacy map entries that are not in the schema: {unknown}"


def test_the_schema_check_would_catch_a_new_person_column(ws):
    with ws.store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE mentoring (id INTEGER PRIMARY KEY,"
            " mentor INTEGER REFERENCES people(id), agreed_by TEXT)"
        )
        assert person_columns(conn) - MAPPED == {
            ("mentoring", "mentor"),
            ("mentoring", "agreed_by"),
        }


def test_every_person_column_on_postgresql_is_covered(pg_ws):
    with pg_ws.store.engine.connect() as conn:
        found = person_columns(conn)
        columns = real_columns(conn)
    assert not sorted(found - MAPPED)
    # Only the SQLite completion summary (migration 6) is absent from PostgreSQL.
    assert {table for table, _ in MAPPED - columns} == {"person_course_summary"}


# ------------------------------------------------------------------ matching text (pure)
def test_terms_match_whole_words_in_any_case():
    terms = Terms.of("erased-person-7", "Ann Smith", "ann@oak.example")
    assert terms.found_in("recorded by ANN  SMITH today")
    assert terms.found_in("Ann Smith <ann@oak.example>")
    assert not terms.found_in("Ann Smithson")
    assert not terms.found_in("joann@oak.example and ann@oak.example.org")
    assert terms.scrub("Ann Smith <ann@oak.example>") == "erased-person-7"
    assert terms.scrub("asked by ann smith, twice") == "asked by erased-person-7, twice"
    assert terms.scrub("Ann Smithson") == "Ann Smithson"


_WORDS = st.text(alphabet=string.ascii_letters + "ëÅø'", min_size=2, max_size=12)


@given(
    parts=st.lists(_WORDS, min_size=1, max_size=3),
    before=st.sampled_from(["", "by ", "(", "<", "Note: ", "x, "]),
    after=st.sampled_from(["", ".", ")", ">", " said", ", again"]),
    case=st.sampled_from([str, str.upper, str.lower, str.title]),
)
def test_scrub_leaves_no_case_variant_of_a_name(parts, before, after, case):
    name = " ".join(parts)
    terms = Terms.of("erased-person-3", name)
    assume(terms.regex is not None and not terms.found_in(terms.label))
    text = f"{before}{case(name)}{after} and {name}"
    assume(terms.found_in(text))  # some letters have no simple case twin
    assert not terms.found_in(terms.scrub(text))


# ------------------------------------------------------------------ a rich synthetic record
def populate(ws) -> dict:
    """The delivery world (and the demo around it) plus one person with a record in every
    table, other people's records that they acted on, and free text that names them."""
    from imatter.credentials.certificate import certificate_for
    from imatter.credentials.settings import settings_for

    w = build_world(ws)
    store, prog = ws.store, ws.programme
    if not settings_for(ws).key_store().exists():  # the demo makes its key first
        settings_for(ws).key_store().init(now=dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC))
    me = records.add_person(
        store,
        prog,
        NAME,
        email=EMAIL,
        setting="oakfield",
        position="teacher",
        since=D(2025, 9, 1),
        area=AREA,
    )
    records.add_affiliation(store, prog, me, "elm", "staff", since=D(2026, 9, 1))

    def done(who, course, on, by="Lena Lead", evidence=""):
        return records.record_completion(
            store, prog, who, course, on, recorded_by=by, today=TODAY, evidence=evidence
        )

    done(me, "foundation-a", D(2026, 6, 1))
    wrong = done(me, "foundation-b", D(2026, 11, 1))
    my_fb = records.correct_completion(
        store,
        prog,
        wrong,
        reason=f"{NAME.upper()} gave the wrong date",
        recorded_by="Lena Lead",
        today=TODAY,
        on=D(2026, 11, 8),
    )
    done(
        w.ann, "foundation-a", D(2026, 10, 5), by=NAME, evidence=f"register kept by {NAME.lower()}"
    )
    ann_fb = done(w.ann, "foundation-b", D(2026, 12, 5))
    done(w.ben, "foundation-a", D(2026, 10, 6), by=EMAIL.upper())
    mine = records.award_role(ws, me, "link-professional", D(2027, 2, 1), granted_by="Theo Trainer")
    anns = records.award_role(ws, w.ann, "link-professional", D(2027, 2, 2), granted_by=NAME)
    with store.read() as conn:
        certificate = certificate_for(ws, conn, mine.credential["id"])
    with store.write() as conn:
        ins = conn.execute

        ins(t.applications.insert().values(person_id=me, role_id="trainee-lead",
            setting_id="oakfield", submitted_on=D(2027, 2, 2), status="approved",
            decided_by="Theo Trainer", decided_on=D(2027, 2, 3)))  # fmt: skip
        ins(t.applications.insert().values(person_id=w.ben, role_id="trainee-lead",
            submitted_on=D(2027, 2, 2), status="refused", decided_by=NAME,
            decided_on=D(2027, 2, 4), reason="needs Foundation B first"))  # fmt: skip
        ins(t.documented_cases.insert().values(person_id=me, reference="FAM-0412",
            started_on=D(2026, 1, 5), recorded_by="Theo Trainer", recorded_at=NOW))  # fmt: skip
        ins(t.documented_cases.insert().values(person_id=w.lead, reference="FAM-0413",
            started_on=D(2026, 1, 5), recorded_by=EMAIL, recorded_at=NOW))  # fmt: skip
        ins(t.memberships.insert().values(setting_id="elm", starts_on=D(2026, 9, 1),
            ends_on=D(2027, 8, 31), fee=300.0, currency="GBP", recorded_by=NAME,
            recorded_at=NOW))  # fmt: skip
        ins(t.setting_licences.insert().values(setting_id="elm", valid_from=D(2026, 9, 1),
            granted_by=f"{NAME} (person {me})", granted_at=NOW))  # fmt: skip
        plan = ins(t.action_plans.insert().values(setting_id="elm", title="Elm plan",
            created_on=D(2026, 10, 1), created_by=NAME)).inserted_primary_key[0]  # fmt: skip
        item = ins(t.action_items.insert().values(plan_id=plan, action="Train two more staff",
            owner=NAME, due_on=D(2027, 7, 1))).inserted_primary_key[0]  # fmt: skip
        ins(t.action_items.insert().values(plan_id=plan, action="Brief governors",
            owner="Lena Lead"))  # fmt: skip
        ins(t.action_item_updates.insert().values(item_id=item, updated_on=D(2026, 11, 1),
            status="in progress", note=f"agreed with {NAME} at the staff meeting",
            updated_by=EMAIL))  # fmt: skip
        review = ins(t.self_reviews.insert().values(setting_id="elm", reviewed_on=D(2026, 9, 20),
            reviewed_by=NAME, plan_id=plan, recorded_at=NOW)).inserted_primary_key[0]  # fmt: skip
        for number in range(1, 8):
            ins(t.self_review_ratings.insert().values(review_id=review, characteristic=number,
                rating=2, evidence=f"Seen by {NAME.upper()} in class {number}"))  # fmt: skip
        group = ins(t.study_groups.insert().values(name="Oak FB spring", course_id="foundation-b",
            audience="staff", setting_id="oakfield", term="2026-27-t2", leader_id=w.lead,
            created_by=f"{NAME} <{EMAIL}>", created_at=NOW)).inserted_primary_key[0]  # fmt: skip
        for who in (me, w.ann):
            ins(t.group_members.insert().values(group_id=group, person_id=who,
                enrolled_on=D(2026, 9, 1)))  # fmt: skip
        held = ins(t.group_sessions.insert().values(group_id=group,
            held_on=D(2026, 10, 1))).inserted_primary_key[0]  # fmt: skip
        ins(t.group_sessions.insert().values(group_id=group, held_on=D(2026, 10, 8),
            cancelled=True, cancel_reason=f"{NAME} was away"))  # fmt: skip
        for who in (me, w.ann):
            ins(t.attendance.insert().values(session_id=held, person_id=who, present=True,
                recorded_by_id=w.lead, recorded_at=NOW))  # fmt: skip
        ins(t.cluster_contacts.insert().values(cluster_id="north", person_id=me,
            position="school-nurse"))  # fmt: skip
        ins(t.directory_consents.insert().values(person_id=me, given_on=D(2026, 9, 1),
            show_email=True, recorded_by="Lena Lead", recorded_at=NOW))  # fmt: skip
        ins(t.directory_consents.insert().values(person_id=w.lead, given_on=D(2026, 9, 1),
            recorded_by=NAME, recorded_at=NOW))  # fmt: skip
        answers = [  # (linked to, code, stage, item, collected by)
            (me, CODE, "pre", "q1", "Lena Lead"),
            (me, CODE, "post", "q1", "Lena Lead"),
            (None, CODE, "post", "q2", NAME),  # their code in the same course: theirs too
            (None, "QRT-2201", "pre", "q1", NAME),
            (None, "QRT-2201", "post", "q1", NAME),
        ]
        for n, (who, code, stage, item, by) in enumerate(answers):
            ins(t.impact_responses.insert().values(pseudonym=code, person_id=who,
                course_id="foundation-b", cohort="2026-autumn", stage=stage, item=item,
                score=3, answered_on=D(2026, 10, 1),
                source=f"/returned/learner-{n}/imatter-answers/foundation-b-{stage}.json",
                source_sha256="0" * 64, collected_by=by, collected_at=NOW))  # fmt: skip
        mark = {"nbgrader_course": "oak-fb", "assessment_id": "foundation-b", "cell_id": "r1",
                "levels": "{}", "points": 3.0, "answer_sha256": "0" * 64,
                "marked_at": NOW}  # fmt: skip
        ins(t.assessment_marks.insert().values(person_id=me, role="first", marker="Theo Trainer",
            comment="Links the adult's wellbeing to the child's clearly.", **mark))  # fmt: skip
        ins(t.assessment_marks.insert().values(person_id=w.ann, role="first", marker=NAME,
            comment="Ann's reflection is thoughtful.", **mark))  # fmt: skip
        ins(t.assessment_moderations.insert().values(nbgrader_course="oak-fb",
            assessment_id="foundation-b", person_id=me, second_marker="Theo Trainer",
            selected_by="Lena Lead", selected_at=NOW))  # fmt: skip
        ins(t.assessment_moderations.insert().values(nbgrader_course="oak-fb",
            assessment_id="foundation-b", person_id=w.ben, second_marker=EMAIL,
            selected_by=NAME, selected_at=NOW))  # fmt: skip
        for who, completion, by in ((me, my_fb, "Lena Lead"), (w.ann, ann_fb, NAME)):
            ins(t.assessment_syncs.insert().values(nbgrader_course="oak-fb",
                assessment_id="foundation-b", person_id=who, course_id="foundation-b",
                completion_id=completion, outcome="passed", score=8.0, max_score=10.0,
                synced_by=by, synced_at=NOW))  # fmt: skip
        ins(t.award_revocations.insert().values(award_id=w.trainee_award,
            revoked_on=D(2027, 2, 10), reason="left the setting", revoked_by=NAME,
            revoked_at=NOW))  # fmt: skip
        grants = [
            ("tester", None, "admin", None, "setup", None),
            (LOGIN, me, "setting-lead", "oakfield", "tester", None),
            ("lena@oak.example", w.lead, "setting-lead", "oakfield", EMAIL, None),
            ("theo@imatter.example", w.trainer, "link-professional", "elm", "tester", NAME),
        ]
        for identity, who, role, setting, by, revoked_by in grants:
            ins(t.access_grants.insert().values(identity=identity, person_id=who, role=role,
                setting_id=setting, granted_by=by, granted_at=NOW, revoked_by=revoked_by,
                revoked_at=NOW if revoked_by else None))  # fmt: skip
    from imatter.trust import audit

    audit.seal(ws)
    return {
        "me": me,
        "ann": w.ann,
        "lead": w.lead,
        "my_award": mine.award_id,
        "my_credential": mine.credential["id"],
        "my_file": ws.path / mine.credential["file"],
        "certificate": certificate,
        "ann_credential": anns.credential["id"],
        "ann_file": ws.path / anns.credential["file"],
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The demo workspace, the delivery world and the rich record: built once per module."""
    from imatter.demo import build_demo

    folder = tmp_path_factory.mktemp("privacy") / "ws"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("IMATTER_DB", "IMATTER_WORKSPACE", "IMATTER_PROGRAMME"):
            mp.delenv(name, raising=False)
        mp.setenv("IMATTER_USER", "tester")
        ws = build_demo(folder, TODAY, programme=str(PROGRAMME_FILE))
        ids = populate(ws)
        ws.store.dispose()
    return folder, ids


@pytest.fixture
def rich(template, tmp_path, monkeypatch):
    """A private copy of the template workspace (the database copied with the backup API)."""
    from imatter.workspace import open_workspace

    source, ids = template
    for name in ("IMATTER_DB", "IMATTER_WORKSPACE", "IMATTER_PROGRAMME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMATTER_USER", "tester")
    folder = tmp_path / "ws"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("imatter.db*"))
    src = sqlite3.connect(source / "imatter.db")
    dest = sqlite3.connect(folder / "imatter.db")
    with dest:
        src.backup(dest)
    src.close()
    dest.close()
    ws = open_workspace(folder, programme=PROGRAMME_FILE)
    ids = {
        k: folder / Path(v).relative_to(source) if isinstance(v, Path) else v
        for k, v in ids.items()
    }
    yield ws, ids
    ws.store.dispose()


def all_rows(conn: sa.Connection) -> dict[str, dict[tuple, dict]]:
    """Every row of every table but the audit log (which only grows), by primary key."""
    meta = sa.MetaData()
    meta.reflect(conn)
    out = {}
    for name, table in meta.tables.items():
        if name == "audit_log":
            continue
        key = list(table.primary_key.columns) or list(table.columns)
        out[name] = {
            tuple(r[c.name] for c in key): dict(r)
            for r in conn.execute(sa.select(table)).mappings()
        }
    return out


def mentions_secret(value: object) -> bool:
    return isinstance(value, str) and any(s.lower() in value.lower() for s in SECRETS)


def zip_texts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# ------------------------------------------------------------------ export
def test_export_holds_their_records_and_not_other_peoples(rich, tmp_path):
    ws, ids = rich
    me = ids["me"]
    out = export_person(ws, EMAIL.upper(), tmp_path / "subject-access.zip", by="dpo")
    assert out == tmp_path / "subject-access.zip"
    files = zip_texts(out)
    uuid = ids["my_credential"].rsplit(":", 1)[-1]
    tables = {
        "access_grants", "action_item_updates", "action_items", "action_plans", "affiliations",
        "applications", "assessment_marks", "assessment_moderations", "assessment_syncs",
        "attendance", "award_revocations", "awards", "cluster_contacts", "completions",
        "credentials", "directory_consents", "documented_cases", "group_members",
        "impact_responses", "memberships", "people", "person_course_summary",
        "self_reviews", "setting_licences", "study_groups",
    }  # fmt: skip
    assert set(files) == (
        {"README.txt", "person.json", f"credentials/{uuid}.json", f"certificates/{uuid}.pdf"}
        | {f"tables/{name}.{ext}" for name in tables for ext in ("json", "csv")}
    )
    assert files[f"credentials/{uuid}.json"] == ids["my_file"].read_bytes()
    assert files[f"certificates/{uuid}.pdf"] == ids["certificate"].read_bytes()

    summary = json.loads(files["person.json"])
    assert summary["format"] == "imatter-person-export" and summary["schema_version"] == 1
    assert summary["person"] | {"created_at": None} == {
        "id": me, "name": NAME, "email": EMAIL, "area": AREA, "created_at": None,
        "erased": False,
    }  # fmt: skip
    assert [s["setting"] for s in summary["settings"]] == ["oakfield", "elm"]
    check_summary(summary)  # as shipped in imatter/schemas/person-export.schema.json
    with pytest.raises(ImatterError, match="person.json does not match"):
        check_summary({**summary, "tables": {}})
    assert set(summary["tables"]) == tables
    readme = files["README.txt"].decode("utf-8")
    for name in tables:
        rows = json.loads(files[f"tables/{name}.json"])
        assert len(rows) == summary["tables"][name]["rows"] > 0, name
        assert all(row["refers_to_you_as"] for row in rows), name
        with_csv = list(csv.DictReader(io.StringIO(files[f"tables/{name}.csv"].decode())))
        assert [r["refers_to_you_as"] for r in with_csv] == [r["refers_to_you_as"] for r in rows]
        assert f"tables/{name}.json and tables/{name}.csv" in readme

    # Rows about them are whole; rows they only acted on hide the other person.
    completions = json.loads(files["tables/completions.json"])
    about = [r for r in completions if r["refers_to_you_as"] == "person_id"]
    acted = [r for r in completions if r["refers_to_you_as"] == "recorded_by"]
    assert {r["person_id"] for r in about} == {me} and len(about) == 3
    assert {r["course_id"] for r in acted} == {"foundation-a"} and len(acted) == 2
    assert {r["person_id"] for r in acted} == {"(withheld: about another person)"}
    assert {r["evidence"] for r in acted} == {"(withheld: about another person)"}
    marks = json.loads(files["tables/assessment_marks.json"])
    assert [m["comment"] for m in marks] == [
        "Links the adult's wellbeing to the child's clearly.",
        "(withheld: about another person)",
    ]
    impact = json.loads(files["tables/impact_responses.json"])
    assert sorted((r["pseudonym"], r["stage"], r["item"]) for r in impact) == [
        ("(withheld: about another person)", "post", "q1"),  # answers they collected
        ("(withheld: about another person)", "pre", "q1"),
        (CODE, "post", "q1"),
        (CODE, "post", "q2"),  # found by their code, though not linked to them
        (CODE, "pre", "q1"),
    ]
    # A row about no one in particular (an action they own) is shown whole.
    items = json.loads(files["tables/action_items.json"])
    assert [(i["action"], i["refers_to_you_as"]) for i in items] == [
        ("Train two more staff", "owner")
    ]
    grants = json.loads(files["tables/access_grants.json"])
    assert [(g["identity"], g["refers_to_you_as"]) for g in grants] == [
        (LOGIN, "person_id, identity"),
        ("(withheld: about another person)", "granted_by"),
        ("(withheld: about another person)", "revoked_by"),
    ]

    everything = b"\n".join(files.values()).decode("utf-8", "replace").lower()
    with ws.store.read() as conn:
        others = conn.execute(sa.select(t.people.c.name, t.people.c.email).where(
            t.people.c.id != me, t.people.c.name.not_in(["Lena Lead", "Theo Trainer"])
        )).all()  # fmt: skip
    assert len(others) > 30  # the demo's people and the delivery world's
    for name, email in others:
        assert name.lower() not in everything, name
        assert email is None or email.lower() not in everything, email
    assert ids["ann_credential"].rsplit(":", 1)[-1] not in everything


def test_export_is_recorded_in_the_audit_log(rich, tmp_path):
    ws, ids = rich
    export_person(ws, ids["me"], tmp_path / "out.zip", by="dpo")
    with ws.store.read() as conn:
        last = conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq.desc())).first()
    assert (last.action, last.tbl, last.row_key) == ("event", "people", str(ids["me"]))


def test_export_never_overwrites_a_file(rich, tmp_path):
    ws, ids = rich
    out = tmp_path / "taken.zip"
    out.write_bytes(b"someone else's file")
    with pytest.raises(ImatterError) as err:
        export_person(ws, ids["me"], out)
    assert err.value.message == (
        f"{out} already exists; an export never overwrites a file: give another file name or "
        "move that one away"
    )
    assert out.read_bytes() == b"someone else's file"
    with pytest.raises(NotFound, match="the folder .*nowhere does not exist"):
        export_person(ws, ids["me"], tmp_path / "nowhere" / "out.zip")
    with pytest.raises(NotFound, match="no person 'nobody@example.org'"):
        export_person(ws, "nobody@example.org", tmp_path / "nobody.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.zip", "ws"]


def test_a_failed_export_leaves_no_file(rich, tmp_path, monkeypatch):
    ws, ids = rich
    calls = []
    real = zipfile.ZipFile.writestr

    def failing(self, name, data, *args, **kwargs):
        calls.append(name)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    out = tmp_path / "exports" / "out.zip"
    out.parent.mkdir()
    with pytest.raises(OSError, match="No space left"):
        export_person(ws, ids["me"], out)
    assert list(out.parent.iterdir()) == []


# ------------------------------------------------------------------ erase
def test_erase_leaves_a_pseudonymous_record_and_no_trace_of_the_person(rich):
    from imatter.api import eligibility_table, person_status
    from imatter.credentials import status_list
    from imatter.reports import REPORTS, Scope, build_report
    from imatter.trust import audit

    ws, ids = rich
    me, label = ids["me"], f"erased-person-{ids['me']}"
    with ws.store.read() as conn:
        before = all_rows(conn)
    assert sum(mentions_secret(v) for rows in before.values() for r in rows.values()
               for v in r.values()) > 30  # fmt: skip

    result = erase_person(ws, EMAIL, reason="asked by letter", erased_by="dpo")

    assert result.person_id == me and result.label == label
    assert result.removed_files == (ids["my_file"].resolve(), ids["certificate"].resolve())
    assert not ids["my_file"].exists() and not ids["certificate"].exists()
    assert ids["ann_file"].exists()
    assert result.notes == () and result.backups == () and result.mentions == ()
    assert result.scanned == {
        "action_item_updates": 1,  # a note
        "completions": 2,  # a correction's reason, a register's evidence
        "group_sessions": 1,
        "self_review_ratings": 7,
    }
    assert result.changed == {
        "access_grants": 3, "action_item_updates": 1, "action_items": 1, "action_plans": 1,
        "applications": 1, "assessment_marks": 2, "assessment_moderations": 1,
        "assessment_syncs": 1, "award_revocations": 1, "awards": 1, "completions": 3,
        "credentials": 1, "directory_consents": 2, "documented_cases": 1, "group_sessions": 1,
        "impact_responses": 5, "memberships": 1, "people": 1, "self_review_ratings": 7,
        "self_reviews": 1, "setting_licences": 1, "study_groups": 1,
    }  # fmt: skip

    with ws.store.read() as conn:
        after = all_rows(conn)
        indexes = {
            list_id: status_list.revoked_indexes(conn, list_id)
            for list_id in conn.execute(sa.select(t.credential_status_lists.c.id)).scalars()
        }
    # Nothing anywhere still names them; only rows that referred to them changed.
    for name, rows in after.items():
        for key, row in rows.items():
            assert not any(mentions_secret(v) for v in row.values()), (name, row)
            old = before[name].get(key)
            if old is not None and old != row:
                assert refers_to(old, ids, before), (name, old, row)
        for key, old in before[name].items():
            if key not in rows:
                assert name == "directory_consents" and old["person_id"] == me
    assert after["people"][(me,)] | {"created_at": None} == {
        "id": me, "name": f"Erased person {me}", "email": None, "area": None,
        "created_at": None,
    }  # fmt: skip
    assert {k: v for k, v in after["people"].items() if k != (me,)} == {
        k: v for k, v in before["people"].items() if k != (me,)
    }
    consents = after["directory_consents"].values()
    assert [(c["person_id"], c["recorded_by"]) for c in consents] == [(ids["lead"], label)]
    groups = [
        g["created_by"] for g in after["study_groups"].values() if g["name"] == "Oak FB spring"
    ]
    assert groups == [label]
    assert {r["pseudonym"] for r in after["impact_responses"].values()} == {
        f"ERASED-{me}-1",
        "QRT-2201",
    }
    grant = next(g for g in after["access_grants"].values() if g["person_id"] == me)
    assert (grant["identity"], grant["revoked_by"]) == (label, "dpo")
    assert grant["revoked_at"] is not None

    credential = after["credentials"][(ids["my_credential"],)]
    stub = json.loads(credential["document"])
    assert (
        stub["sha256"]
        == credential["sha256"]
        == before["credentials"][(ids["my_credential"],)]["sha256"]
    )
    assert stub["status_index"] == credential["status_index"]
    assert (
        after["credentials"][(ids["ann_credential"],)]
        == before["credentials"][(ids["ann_credential"],)]
    )
    # Revocation still reaches their credential through its status list entry.
    with ws.store.write() as conn:
        conn.execute(t.award_revocations.insert().values(award_id=ids["my_award"],
            revoked_on=TODAY, reason="erased", revoked_by="dpo", revoked_at=NOW))  # fmt: skip
        assert credential["status_index"] in status_list.revoked_indexes(
            conn, credential["status_list_id"]
        )
        assert credential["status_index"] not in indexes[credential["status_list_id"]]

    # Reports, eligibility and the audit chain all still work.
    report = build_report(ws.store, ws.programme, Scope(), on=TODAY)
    assert [s.name for s in report.sections] == list(REPORTS)
    table = eligibility_table(ws, TODAY)
    assert f"Erased person {me}" in set(table["name"])
    status = person_status(ws, me, TODAY)  # the award was revoked just above
    assert status["name"] == f"Erased person {me}" and len(status["completed"]) == 2
    assert audit.verify(ws).ok

    # The database files hold no copy of them, in any case, and are sound.
    db = ws.store.sqlite_path
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            data = path.read_bytes().lower()
            for secret in SECRETS:
                assert secret.lower().encode() not in data, (path.name, secret)
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()


def refers_to(row: dict, ids: dict, before: dict) -> bool:
    """Whether a row (as it was before the erasure) referred to the erased person."""
    me = ids["me"]
    my_awards = {key[0] for key, r in before["awards"].items() if r["person_id"] == me}
    their_own = row.get("person_id") == me or ("email" in row and row.get("id") == me)
    return (
        their_own
        or row.get("award_id") in my_awards
        or any(mentions_secret(v) for v in row.values())
    )


def test_erasing_twice_is_refused(rich):
    ws, ids = rich
    erase_person(ws, ids["me"], reason="asked", erased_by="dpo")
    with pytest.raises(Duplicate) as err:
        erase_person(ws, ids["me"], reason="asked again", erased_by="dpo")
    assert err.value.message == (
        f"person {ids['me']} is already erased; there is nothing left to erase"
    )
    with pytest.raises(InvalidValue, match="an erasure needs a reason"):
        erase_person(ws, ids["ann"], reason="  ", erased_by="dpo")


def test_an_export_after_erasure_holds_only_the_pseudonymous_record(rich, tmp_path):
    ws, ids = rich
    erase_person(ws, ids["me"], reason="asked", erased_by="dpo")
    files = zip_texts(export_person(ws, ids["me"], tmp_path / "after.zip"))
    summary = json.loads(files["person.json"])
    assert summary["person"]["erased"] is True
    assert summary["person"]["name"] == f"Erased person {ids['me']}"
    text = b"\n".join(files.values()).decode("utf-8", "replace")
    assert "Your record has been erased" in files["README.txt"].decode()
    assert not mentions_secret(text)
    acted = json.loads(files["tables/memberships.json"])
    assert [m["recorded_by"] for m in acted] == [f"erased-person-{ids['me']}"]


def test_erasure_lists_backups_and_files_that_still_mention_the_person(rich):
    ws, ids = rich
    backup = ws.path / "before-term.db"
    ws.store.backup(backup)
    (ws.path / "notes").mkdir()
    (ws.path / "notes" / "call.txt").write_text(f"Rang {NAME.lower()} about the course\n")
    (ws.path / "notes" / "other.txt").write_text("Rang Ann Able about the course\n")
    answers = ws.path / "returned" / "imatter-answers"
    answers.mkdir(parents=True)
    (answers / "foundation-b-pre.json").write_text(json.dumps({"pseudonym": CODE}))
    result = erase_person(ws, ids["me"], reason="asked", erased_by="dpo")
    assert result.backups == (backup,)
    assert result.mentions == (ws.path / "notes" / "call.txt", answers / "foundation-b-pre.json")


def test_identities_match_whole_values_and_codes_are_reported_not_rewritten(ws, monkeypatch):
    store, prog = ws.store, ws.programme
    records.add_setting(store, "oak", "Oak Primary", pupils_on_roll=100)
    me = records.add_person(store, prog, NAME, email=EMAIL, setting="oak", position="teacher")
    other = records.add_person(store, prog, "Olwen Other", email="olwen@oak.example")
    with store.write() as conn:
        # A shared sign-in linked to them: it names them only as a whole value.
        conn.execute(t.access_grants.insert().values(identity="office", person_id=me,
            role="setting-lead", setting_id="oak", granted_by="setup", granted_at=NOW))  # fmt: skip
        conn.execute(t.access_grants.insert().values(identity="head@oak.example", role="admin",
            granted_by="setup", granted_at=NOW))  # fmt: skip
    monkeypatch.setenv("IMATTER_USER", "head@oak.example")
    for who, by, evidence in ((other, "Office", "sent to the office"), (me, "Olwen Other", "")):
        records.record_completion(store, prog, who, "foundation-a", D(2026, 10, 2),
            recorded_by=by, today=TODAY, evidence=evidence)  # fmt: skip
    with store.write() as conn:  # a cohort (a short code) named after them
        conn.execute(t.impact_responses.insert().values(pseudonym="QRT-2201",
            course_id="foundation-a", cohort=f"{NAME} group", stage="pre", item="q1", score=3,
            answered_on=D(2026, 10, 1), source="/returned/a.json", source_sha256="0" * 64,
            collected_by="Olwen Other", collected_at=NOW))  # fmt: skip
    result = erase_person(ws, me, reason="asked", erased_by="dpo")
    assert result.notes == (
        "impact_responses.cohort still names the person in 1 row(s); it holds keys or codes, "
        "which are not rewritten: correct them by hand",
    )
    with store.read() as conn:
        rows = conn.execute(
            sa.select(t.completions.c.recorded_by, t.completions.c.evidence).order_by(
                t.completions.c.id
            )
        ).all()
        cohort = conn.execute(sa.select(t.impact_responses.c.cohort)).scalar()
    assert [tuple(r) for r in rows] == [
        (f"erased-person-{me}", "sent to the office"),
        ("Olwen Other", ""),
    ]
    assert cohort == f"{NAME} group"


def test_erasing_the_last_admin_is_refused(rich, monkeypatch):
    ws, ids = rich
    monkeypatch.setenv("IMATTER_USER", EMAIL)  # they are the only admin left, erasing themselves
    with ws.store.write() as conn:
        conn.execute(t.access_grants.update().values(revoked_at=NOW, revoked_by="tester"))
        conn.execute(t.access_grants.insert().values(identity=EMAIL, person_id=ids["me"],
            role="admin", granted_by="setup", granted_at=NOW))  # fmt: skip
    with pytest.raises(PermissionDenied, match="holds the last organisation admin grant"):
        erase_person(ws, ids["me"], reason="asked", erased_by="dpo")
    with ws.store.read() as conn:
        name = conn.execute(sa.select(t.people.c.name).where(t.people.c.id == ids["me"])).scalar()
    assert name == NAME  # nothing was changed


def test_a_reader_that_blocks_the_checkpoint_is_reported(rich, monkeypatch):
    from imatter.trust.privacy import erase

    ws, ids = rich
    monkeypatch.setattr(erase, "CHECKPOINT_WAIT_MS", 50)
    reader = sqlite3.connect(ws.store.sqlite_path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM people").fetchone()
        result = erase_person(ws, ids["me"], reason="asked", erased_by="dpo")
    finally:
        reader.close()
    wal = f"{ws.store.sqlite_path}-wal"
    assert result.notes == (
        f"the write-ahead log ({wal}) could not be emptied because other programs are reading "
        "the database; it may hold older copies of the erased rows until they close (when the "
        "last connection closes, SQLite folds the log in and removes it)",
    )


# ------------------------------------------------------------------ PostgreSQL
def test_export_and_erase_on_postgresql(pg_ws, tmp_path):
    ws = pg_ws
    store, prog = ws.store, ws.programme
    records.add_setting(store, "oak", "Oak Primary", pupils_on_roll=100)
    me = records.add_person(
        store, prog, NAME, email=EMAIL, setting="oak", position="teacher", area=AREA
    )
    other = records.add_person(store, prog, "Olwen Other", email="olwen@oak.example", setting="oak")
    records.record_completion(
        store, prog, me, "foundation-a", D(2026, 10, 1), recorded_by="Olwen Other", today=TODAY
    )
    records.record_completion(
        store,
        prog,
        other,
        "foundation-a",
        D(2026, 10, 2),
        recorded_by=NAME,
        today=TODAY,
        evidence=f"Register kept by {NAME.upper()}",
    )
    with store.write() as conn:
        conn.execute(t.directory_consents.insert().values(person_id=me, given_on=D(2026, 9, 1),
            recorded_by="Olwen Other", recorded_at=NOW))  # fmt: skip

    files = zip_texts(export_person(ws, EMAIL, tmp_path / "pg.zip"))
    assert {
        "tables/people.json",
        "tables/completions.csv",
        "tables/directory_consents.json",
    } <= set(files)
    assert len(json.loads(files["tables/completions.json"])) == 2
    assert b"olwen@oak.example" not in b"".join(files.values())

    result = erase_person(ws, me, reason="asked", erased_by="dpo")
    assert result.changed == {"completions": 1, "directory_consents": 1, "people": 1}
    assert result.notes[0].startswith("PostgreSQL keeps older row versions")
    with store.read() as conn:
        after = all_rows(conn)
    assert after["people"][(me,)]["name"] == f"Erased person {me}"
    assert after["people"][(other,)]["name"] == "Olwen Other"
    assert not after["directory_consents"]
    for rows in after.values():
        for row in rows.values():
            assert not any(mentions_secret(v) for v in row.values()), row
    with pytest.raises(Duplicate, match="already erased"):
        erase_person(ws, me, reason="asked", erased_by="dpo")


# ------------------------------------------------------------------ the CLI
@pytest.fixture
def two_people(ws):
    records.add_setting(ws.store, "oak", "Oak Primary", pupils_on_roll=100)
    me = records.add_person(
        ws.store, ws.programme, NAME, email=EMAIL, setting="oak", position="teacher"
    )
    other = records.add_person(
        ws.store, ws.programme, "Olwen Other", email="olwen@oak.example", setting="oak"
    )
    records.record_completion(
        ws.store, ws.programme, other, "foundation-a", D(2026, 10, 2), recorded_by=NAME,
        today=TODAY,
    )  # fmt: skip
    ws.store.dispose()
    return me, other


def test_cli_export(ws, two_people, run_cli, tmp_path):
    me, _ = two_people
    out = tmp_path / "me.zip"
    assert run_cli("privacy", "export", EMAIL, "--out", str(out)) == (
        0,
        f"Exported everything held about person {EMAIL} to {out}\n",
        "",
    )
    assert "tables/completions.json" in zip_texts(out)
    assert run_cli("privacy", "export", str(me), "--out", str(out)) == (
        1,
        "",
        f"Error: {out} already exists; an export never overwrites a file: give another file "
        "name or move that one away\n",
    )
    assert run_cli("privacy", "export", "nobody@example.org", "--out", str(tmp_path / "n.zip")) == (
        1,
        "",
        "Error: no person 'nobody@example.org' (give an id or an email); see `imatter person "
        "list`\n",
    )
    code, _out, err = run_cli("privacy", "export", str(me))
    assert code == 2 and "Missing option '--out'" in err


def test_cli_erase(ws, two_people, run_cli, monkeypatch):
    me, other = two_people
    code, _out, err = run_cli("privacy", "erase", str(me))
    assert code == 2 and "Missing option '--reason'" in err

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    prompt = (
        f"Erase {NAME} (person {me}, {EMAIL})? Their name, email and area are removed and every "
        f"mention of them becomes erased-person-{me}. This cannot be undone [y/N]: "
    )
    assert run_cli("privacy", "erase", EMAIL, "--reason", "asked") == (1, prompt, "Aborted.\n")

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert run_cli("privacy", "erase", EMAIL, "--reason", "asked", "--by", "dpo") == (
        0,
        prompt
        + f"Erased person {me}: 2 row(s) changed in 2 table(s); text that named them now says "
        f"erased-person-{me}\n"
        "table        rows\n"
        "-----------  ----\n"
        "completions  1\n"
        "people       1\n",
        "",
    )
    assert run_cli("privacy", "erase", str(me), "--reason", "asked") == (
        1,
        "",
        f"Error: person {me} is already erased; there is nothing left to erase\n",
    )
    assert run_cli("privacy", "erase", "nobody@example.org", "--reason", "x", "--yes") == (
        1,
        "",
        "Error: no person 'nobody@example.org' (give an id or an email); see `imatter person "
        "list`\n",
    )


def test_cli_erase_warns_about_backups_and_files(ws, two_people, run_cli):
    me, _ = two_people
    backup = ws.path / "imatter.backup.db"
    ws.store.backup(backup)
    note = ws.path / "note.txt"
    note.write_text(f"Call {EMAIL}\n")
    code, out, err = run_cli("privacy", "erase", str(me), "--reason", "asked", "--yes")
    assert code == 0 and out.startswith(f"Erased person {me}: ")
    assert err == (
        "Warning: 1 backup(s) still hold older copies of these records; delete them, or keep "
        "them only as long as your retention policy allows:\n"
        f"  {backup}\n"
        "Warning: 1 other file(s) in the workspace still mention the person; review them:\n"
        f"  {note}\n"
    )


def test_cli_privacy_has_help(run_cli):
    for args in (("privacy",), ("privacy", "export"), ("privacy", "erase")):
        code, out, _err = run_cli(*args, "--help")
        assert code == 0 and out.startswith("Usage: imatter privacy")
