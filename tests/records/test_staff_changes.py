"""`person update`, `person leave`, `person merge`; leavers and erased people stop counting."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from imatter.store import schema as t

from . import mis
from .test_staff_import import _store, brook  # noqa: F401 - the fixture


def _members(run) -> dict[str, int]:
    code, out, _ = run("setting", "list", "--json")
    assert code == 0
    return {row["id"]: row["members"] for row in json.loads(out)}


def _imported(run, tmp_path):
    path = mis.write(tmp_path / "autumn.csv", mis.AUTUMN)
    assert run("person", "import", str(path), "--setting", "brook")[0] == 0


def test_update_a_persons_details_and_position(brook, tmp_path):  # noqa: F811
    _imported(brook, tmp_path)
    code, out, err = brook(
        "person",
        "update",
        "d.hughes@brook.sch.uk",
        "--name",
        "Dai  Hughes-Evans",
        "--setting",
        "brook",
        "--position",
        "Class Teacher",
        "--since",
        "01/09/2024",
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Updated person d.hughes@brook.sch.uk:",
        "  name: Dai Hughes -> Dai Hughes-Evans",
        "  position at brook: teaching-assistant -> teacher",
        "  since at brook: 2023-09-05 -> 2024-09-01",
    ]
    code, out, _ = brook("person", "update", "5", "--name", "Dai Hughes-Evans")
    assert out == "Person 5: nothing to change\n"
    code, _, err = brook("person", "update", "5", "--email", "ADA.okafor@brook.sch.uk")
    assert code == 1
    assert err == (
        "Error: person 1 already has the email ada.okafor@brook.sch.uk; if they are the same "
        "person, merge them: `imatter person merge 1 5`\n"
    )


def test_a_leaver_keeps_their_history_and_stops_counting(brook, tmp_path):  # noqa: F811
    _imported(brook, tmp_path)
    assert _members(brook)["brook"] == 8
    code, out, err = brook(
        "person", "leave", "c.li@brook.sch.uk", "--setting", "brook", "--on", "31/08/2026"
    )
    assert (code, err) == (0, "")
    assert out == "Person c.li@brook.sch.uk left brook on 2026-08-31 (their records stay)\n"
    assert _members(brook)["brook"] == 7
    store = _store(tmp_path)
    with store.read() as conn:
        link = conn.execute(sa.select(t.affiliations).where(t.affiliations.c.person_id == 4)).one()
    store.dispose()
    assert (link.since, link.until) == (dt.date(2022, 1, 3), dt.date(2026, 8, 31))
    code, out, _ = brook("person", "list", "--json")
    listed = {p["name"]: p["settings"] for p in json.loads(out)}
    assert listed["Chen Li"] == ["brook (teaching-assistant, left 2026-08-31)"]
    code, _, err = brook("person", "leave", "4", "--setting", "brook", "--on", "2026-09-01")
    assert code == 1
    assert err == "Error: person 4 is not on the staff of brook on 2026-09-01\n"


def test_merge_moves_records_and_keeps_the_audit(brook, tmp_path):  # noqa: F811
    _imported(brook, tmp_path)
    # The same person added again by hand, with a completion of their own.
    assert (
        brook(
            "person",
            "add",
            "G. Bakr",
            "--email",
            "g.bakr@brook.sch.uk",
            "--setting",
            "brook",
            "--position",
            "staff",
        )[0]
        == 0
    )
    assert brook("complete", "g.bakr@brook.sch.uk", "awareness", "--on", "2026-10-01")[0] == 0
    assert _members(brook)["brook"] == 9
    code, out, err = brook("person", "merge", "8", "9")
    assert (code, err) == (0, "")
    assert out == "Merged person 9 into 8: moved 1 completions\n"
    assert _members(brook)["brook"] == 8
    store = _store(tmp_path)
    with store.read() as conn:
        person = conn.execute(sa.select(t.people).where(t.people.c.id == 8)).one()
        done = conn.execute(sa.select(t.completions.c.person_id)).scalars().all()
        gone = conn.execute(sa.select(t.people).where(t.people.c.id == 9)).first()
        log = (
            conn.execute(
                sa.select(t.audit_log.c.action)
                .where(t.audit_log.c.tbl == "people", t.audit_log.c.row_key == "9")
                .order_by(t.audit_log.c.seq)
            )
            .scalars()
            .all()
        )
    store.dispose()
    assert (person.name, person.email, done, gone) == (
        "Ghada Bakr",
        "g.bakr@brook.sch.uk",
        [8],
        None,
    )
    assert log == ["insert", "delete"]
    code, _, _ = brook("audit", "verify")
    assert code == 0


def test_erased_people_drop_out_of_counts(brook, tmp_path):  # noqa: F811
    _imported(brook, tmp_path)
    code, _, err = brook("privacy", "erase", "2", "--reason", "asked by email", "--yes")
    assert (code, err) == (0, "")
    assert _members(brook)["brook"] == 7
    from imatter.records import setting_records

    store = _store(tmp_path)
    with store.read() as conn:
        members = setting_records(conn, "brook", dt.date(2026, 11, 28)).members
    store.dispose()
    assert sorted(m.person_id for m in members) == [1, 3, 4, 5, 6, 7, 8]


def test_the_new_commands_have_permissions(brook, tmp_path):  # noqa: F811
    from imatter.trust.access import default_policy

    actions = default_policy().actions
    assert {"people.update", "people.leave", "people.merge"} <= set(actions)
    _imported(brook, tmp_path)
    assert (
        brook("access", "grant", "lead@elm", "--role", "setting-lead", "--setting", "elm")[0] == 0
    )
    for args in (
        ("person", "update", "1", "--name", "X"),
        ("person", "leave", "1", "--setting", "brook", "--on", "2026-01-01"),
        ("person", "merge", "1", "2"),
    ):
        code, _, err = brook("--as", "lead@elm", *args)
        assert code == 1, args
        assert err == "Error: no person '1' (give an id or an email); see `imatter person list`\n"
