"""The audit log: every change appended by the database itself, chained, signed, verified.

The tamper test edits every field of every record in turn and each edit is detected at that
record; deletions, reordering, truncation and a complete rewrite are detected too.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from imatter.store import schema as t
from imatter.store.audit import chain_hash
from imatter.trust.audit import read_head, seal, verify, verify_chain

from ..conftest import TODAY

FIELDS = ("seq", "at", "actor", "action", "tbl", "row_key", "data_sha256", "prev_hash", "hash")


def _activity(ws) -> None:
    """A little of everything: settings, people, completions, a correction, a grant."""
    from imatter.records import add_person, add_setting, correct_completion, record_completion
    from imatter.trust.access import grant_access

    store, programme = ws.store, ws.programme
    add_setting(store, "brook", "Brook Primary", pupils_on_roll=200)
    people = [
        add_person(store, programme, f"Person {i}", email=f"p{i}@example.org", setting="brook")
        for i in range(3)
    ]
    first = record_completion(
        store, programme, people[0], "awareness", TODAY, recorded_by="t", today=TODAY
    )
    record_completion(store, programme, people[1], "awareness", TODAY, recorded_by="t", today=TODAY)
    correct_completion(
        store,
        programme,
        first,
        reason="wrong day",
        recorded_by="t",
        today=TODAY,
        on=TODAY - dt.timedelta(days=1),
    )
    with store.write() as conn:
        grant_access(conn, "lead@example.org", "setting-lead", setting="brook")


@pytest.fixture
def audited(ws):
    _activity(ws)
    return ws


def _drop_guards(conn: sa.Connection) -> None:
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")


def _tampered(value: object, field: str, top: int) -> object:
    if field == "seq":
        return top + 1000
    text = str(value)
    return text[:-1] + ("0" if text[-1:] != "0" else "1")


def test_every_change_is_recorded_with_its_actor(audited):
    with audited.store.read() as conn:
        rows = conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq)).all()
    tables = {r.tbl for r in rows}
    assert {"settings", "people", "affiliations", "completions", "access_grants"} <= tables
    assert [r.action for r in rows if r.tbl == "completions"] == ["insert", "insert", "insert"]
    assert all(r.actor.startswith("local:") for r in rows)
    # No personal value is kept in the log: digests and keys only.
    dump = json.dumps([list(r) for r in rows], default=str)
    assert "p0@example.org" not in dump and "Person 0" not in dump


def test_every_table_is_audited_and_the_log_is_append_only(audited):
    with audited.store.write() as conn:
        triggers = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars()
        )
        for table in t.metadata.sorted_tables:
            if table.name != "audit_log":
                for action in ("insert", "update", "delete"):
                    assert f"audit_{table.name}_{action}" in triggers
        with pytest.raises(sa.exc.IntegrityError, match="append-only"):
            conn.exec_driver_sql("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")


def test_a_change_made_by_hand_in_sql_is_recorded_too(audited):
    with audited.store.write() as conn:
        before = conn.execute(sa.select(sa.func.max(t.audit_log.c.seq))).scalar_one()
        conn.exec_driver_sql("UPDATE people SET area = 'North' WHERE id = 1")
        last = conn.execute(sa.select(t.audit_log).where(t.audit_log.c.seq == before + 1)).one()
    assert (last.action, last.tbl, last.row_key) == ("update", "people", "1")
    assert verify(audited).ok


def test_without_the_shared_append_step_a_write_fails_rather_than_go_unlogged(audited):
    """Every table's triggers hand their record to one step (`audit_entry_append`); with it
    dropped, a change is refused, never made without its audit record."""
    with pytest.raises(sa.exc.OperationalError, match="audit_entry"):
        with audited.store.write() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_entry_append")
            conn.exec_driver_sql("UPDATE people SET area = 'South' WHERE id = 1")
    with audited.store.read() as conn:  # the transaction rolled back: trigger and row as before
        assert conn.exec_driver_sql("SELECT area FROM people WHERE id = 1").scalar() != "South"
    assert verify(audited).ok


def test_every_edit_of_every_record_and_field_is_detected(audited):
    """The tamper test: one field of one record at a time, each put back afterwards."""
    store = audited.store
    with store.write() as conn:
        _drop_guards(conn)
        rows = conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq)).all()
        top = rows[-1].seq
        assert len(rows) > 10
        detected = 0
        for row in rows:
            for field in FIELDS:
                original = getattr(row, field)
                conn.execute(
                    t.audit_log.update()
                    .where(t.audit_log.c.seq == row.seq)
                    .values({field: _tampered(original, field, top)})
                )
                report = verify_chain(conn)
                assert not report.ok, (row.seq, field)
                assert report.first_bad == row.seq, (row.seq, field, report.problem)
                where = top + 1000 if field == "seq" else row.seq
                conn.execute(
                    t.audit_log.update().where(t.audit_log.c.seq == where).values({field: original})
                )
                detected += 1
        assert detected == len(rows) * len(FIELDS)
        report = verify_chain(conn)
        assert report.problem == "the audit log's append-only guard was removed from the database"


def test_deleting_a_record_is_detected(audited):
    with audited.store.write() as conn:
        _drop_guards(conn)
        conn.exec_driver_sql("DELETE FROM audit_log WHERE seq = 5")
        report = verify_chain(conn)
        assert (report.first_bad, report.problem) == (5, "record 5 is missing (deleted)")


def test_reordering_records_is_detected(audited):
    with audited.store.write() as conn:
        _drop_guards(conn)
        a, b = (
            conn.execute(sa.select(t.audit_log).where(t.audit_log.c.seq == s)).one() for s in (7, 8)
        )
        for target, source in ((7, b), (8, a)):
            values = {f: getattr(source, f) for f in FIELDS if f != "seq"}
            conn.execute(t.audit_log.update().where(t.audit_log.c.seq == target).values(values))
        report = verify_chain(conn)
        assert report.first_bad == 7 and "does not link to record 6" in report.problem


@pytest.fixture
def sealed(audited, tmp_path):
    from imatter.credentials.settings import settings_for

    settings_for(audited).key_store().init(now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    head_file = tmp_path / "elsewhere" / "head.json"
    head_file.parent.mkdir()
    head = seal(audited, head_file)
    return audited, head, head_file


def test_a_cut_short_log_is_detected_by_the_seal_and_by_the_head_kept_elsewhere(sealed):
    ws, head, head_file = sealed
    assert read_head(head_file) == head and verify(ws, [head_file]).seals_checked == 2
    with ws.store.write() as conn:
        _drop_guards(conn)
        conn.exec_driver_sql("DELETE FROM audit_seals")  # the tamperer hides the stored seal too
        conn.execute(t.audit_log.delete().where(t.audit_log.c.seq > head.seq - 3))
    report = verify(ws)
    assert report.problem == "the audit log's append-only guard was removed from the database"
    _restore_guards(ws)
    # The chain alone is a valid prefix; the records it no longer covers give it away...
    assert verify(ws, records=False).ok
    report = verify(ws)
    assert not report.ok and "is not in the audit log" in report.problem
    # ... and so does the signed head kept elsewhere.
    report = verify(ws, [head_file], records=False)
    assert report.first_bad == head.seq - 2
    assert report.problem == (
        f"the log was cut short: the head file {head_file} covers record {head.seq} but the log "
        f"ends at record {head.seq - 3}"
    )


def _restore_guards(ws) -> None:
    from imatter.store.audit import install_triggers

    with ws.store.write() as conn:
        install_triggers(conn, t.metadata)


def test_a_rewritten_chain_does_not_match_the_signed_head(sealed):
    """A tamperer who deletes a record and recomputes every later hash is still caught."""
    ws, head, head_file = sealed
    with ws.store.write() as conn:
        _drop_guards(conn)
        conn.exec_driver_sql("DELETE FROM audit_log WHERE seq = 3")
        rows = conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq)).all()
        conn.exec_driver_sql("DELETE FROM audit_log")
        prev = "0" * 64
        for seq, row in enumerate(rows, 1):
            fields = (row.at, row.actor, row.action, row.tbl, row.row_key, row.data_sha256)
            digest = chain_hash(prev, seq, *fields)
            conn.execute(
                t.audit_log.insert().values(
                    seq=seq,
                    at=row.at,
                    actor=row.actor,
                    action=row.action,
                    tbl=row.tbl,
                    row_key=row.row_key,
                    data_sha256=row.data_sha256,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
    _restore_guards(ws)
    report = verify(ws)
    assert "schema_migrations row 2 is not in the audit log" in report.problem
    report = verify(ws, [head_file], records=False)
    assert not report.ok
    assert report.first_bad == head.seq
    assert report.problem.endswith("signed: the log was rewritten")


def test_a_forged_head_file_is_refused(sealed, tmp_path):
    ws, head, head_file = sealed
    data = json.loads(head_file.read_text())
    data["seq"] = head.seq - 1
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    report = verify(ws, [forged])
    assert (
        report.problem == f"the head file {forged} has a signature that does not match its content"
    )
    forged.write_text("{not json")
    from imatter.trust.audit import AuditError

    with pytest.raises(
        AuditError, match=r"forged.json: not a head file written by `imatter audit seal`"
    ):
        verify(ws, [forged])


def test_cli_verify_seal_and_show(run_cli, tmp_path):
    assert run_cli("init")[0] == 0
    assert run_cli("setting", "add", "brook", "--name", "Brook Primary", "--pupils", "200")[0] == 0
    code, out, _ = run_cli("audit", "verify")
    assert code == 0 and out.startswith("Audit log intact: ")
    assert "no seal yet" in out
    code, _, err = run_cli("audit", "seal")
    assert code == 1 and "no issuer key" in err and "imatter keys init" in err
    assert run_cli("keys", "init")[0] == 0
    head = tmp_path / "head.json"
    code, out, _ = run_cli("audit", "seal", "--out", str(head))
    assert code == 0 and out.startswith("Sealed record ") and head.exists()
    code, _, err = run_cli("audit", "seal", "--out", str(head))
    assert code == 1 and err.strip() == (
        f"Error: {head} already exists; choose a new file name for this head"
    )
    code, out, _ = run_cli("audit", "show", "--last", "3")
    assert code == 0 and "settings" in out or "audit_seals" in out
    db = tmp_path / "ws" / "imatter.db"
    import sqlite3

    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    raw.execute("UPDATE audit_log SET actor = 'local:someone-else' WHERE seq = 2")
    raw.commit()
    raw.close()
    code, _, err = run_cli("audit", "verify", "--head", str(head))
    assert code == 1
    assert err.strip() == (
        "Error: audit log NOT intact: record 2 was edited: its hash does not match"
    )


def test_the_chain_works_the_same_on_postgresql(pg_ws):
    _activity(pg_ws)
    report = verify(pg_ws)
    assert report.ok and report.records > 10
    with pg_ws.store.write() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard")
        conn.exec_driver_sql("UPDATE audit_log SET row_key = '999' WHERE seq = 4")
        conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_guard")
    report = verify(pg_ws)
    assert (report.first_bad, report.problem) == (4, "record 4 was edited: its hash does not match")
    with pg_ws.store.write() as conn, pytest.raises(sa.exc.ProgrammingError, match="append-only"):
        conn.exec_driver_sql("DELETE FROM audit_log WHERE seq = 1")


def test_a_restore_is_recorded_in_the_chain_it_rewinds(audited, tmp_path):
    from imatter.records import add_person
    from imatter.trust.backup import backup_database, restore_database

    backup = backup_database(audited.store, tmp_path / "before.db")
    add_person(audited.store, audited.programme, "Later Person")
    with audited.store.read() as conn:
        head = conn.execute(
            sa.select(t.audit_log.c.seq, t.audit_log.c.hash).order_by(t.audit_log.c.seq.desc())
        ).first()
    restore_database(audited.store, backup.path)
    report = verify(audited)
    assert report.ok
    with audited.store.read() as conn:
        last = conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq.desc())).first()
    assert (last.action, last.tbl, last.row_key) == ("event", "audit_log", "restore")
    # The record made after the backup is gone from the chain; the restore takes its place.
    assert last.seq == head.seq and last.hash != head.hash


def test_a_damaged_database_is_a_one_line_error_not_a_traceback(run_cli, tmp_path):
    assert run_cli("init")[0] == 0
    db = tmp_path / "ws" / "imatter.db"
    db.write_bytes(b"not a database " * 200)
    for suffix in ("-wal", "-shm"):
        (tmp_path / "ws" / f"imatter.db{suffix}").unlink(missing_ok=True)
    code, out, err = run_cli("person", "list")
    assert code == 1 and "Traceback" not in out + err
    assert err.strip() == (
        f"Error: {db}: not a usable SQLite database (file is not a database); restore it from "
        "a backup with `imatter restore FILE` (move the damaged file and any -wal or -shm "
        "beside it away first)"
    )


def test_records_changed_with_the_triggers_off_are_found(audited):
    """Someone with the file drops a trigger, edits a record, and puts the trigger back."""
    from imatter.store.audit import install_triggers

    ws = audited
    with ws.store.write() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_people_update")
    assert verify(ws).problem == (
        "the audit triggers of people were removed: changes there would not be recorded"
    )
    with ws.store.write() as conn:
        conn.exec_driver_sql("UPDATE people SET name = 'Someone Else' WHERE id = 2")
        install_triggers(conn, t.metadata)
        last = conn.execute(
            sa.select(sa.func.max(t.audit_log.c.seq)).where(
                t.audit_log.c.tbl == "people", t.audit_log.c.row_key == "2"
            )
        ).scalar_one()
    report = verify(ws)
    assert (report.first_bad, report.problem) == (
        last,
        f"people row 2 was changed without an audit record (its last record is {last})",
    )
    assert verify(ws, records=False).ok  # the chain itself is intact


def test_records_added_or_deleted_with_the_triggers_off_are_found(audited):
    from imatter.store.audit import install_triggers

    ws = audited
    with ws.store.write() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_settings_insert")
        conn.exec_driver_sql(
            "INSERT INTO settings (id, name, kind, created_at) "
            "VALUES ('ghost', 'Ghost', 'service', '2026-01-01')"
        )
        install_triggers(conn, t.metadata)
    assert verify(ws).problem == (
        "settings row ghost is not in the audit log: it was added with the audit triggers off"
    )
    with ws.store.write() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_settings_delete")
        conn.exec_driver_sql("DELETE FROM settings WHERE id = 'ghost'")
        conn.exec_driver_sql("DROP TRIGGER audit_access_grants_delete")
        conn.exec_driver_sql("DELETE FROM access_grants WHERE id = 2")
        install_triggers(conn, t.metadata)
    report = verify(ws)
    assert report.problem.startswith("access_grants row 2 was deleted without an audit record")


def test_records_are_checked_on_postgresql_too(pg_ws):
    _activity(pg_ws)
    with pg_ws.store.write() as conn:
        conn.exec_driver_sql("ALTER TABLE people DISABLE TRIGGER audit_people")
    assert "audit triggers of people were removed" in verify(pg_ws).problem
    with pg_ws.store.write() as conn:
        conn.exec_driver_sql("UPDATE people SET area = 'Elsewhere' WHERE id = 1")
        conn.exec_driver_sql("ALTER TABLE people ENABLE TRIGGER audit_people")
    assert verify(pg_ws).problem.startswith("people row 1 was changed without an audit record")
