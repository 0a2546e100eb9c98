"""Access at the seams (issue 12, points 1 and 2), each finding reproduced through the CLI as a
user would meet it, on SQLite and PostgreSQL: issuer keys and publishing are admin-only and
audited; `assess`, `takestock`, `person join`, `licences check` and `revoke` follow the matrix;
another setting's records look exactly like missing ones; the audit log names who acted."""

from __future__ import annotations

import contextvars
import datetime as dt
import getpass
import re

import pytest
import sqlalchemy as sa
from imatter.errors import NotFound, PermissionDenied
from imatter.store import schema as t
from imatter.trust.access import acting_as, actor_for

from ..conftest import TODAY
from .test_access import ACTORS, _world

STRANGER = "stranger@example.org"
NOW = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def seams(request, tmp_path, monkeypatch, run_cli):
    """Two settings (brook, oak) with a Lead, a Link Professional and a learner of brook; the
    CLI runs against the same workspace, as whoever `--as` names."""
    ws = request.getfixturevalue("ws" if request.param == "sqlite" else "pg_ws")
    monkeypatch.setenv("IMATTER_USER", "setup-admin")
    ids = _world(ws)

    def cli(who: str, *args: str) -> tuple[int, str, str]:
        identity = {"stranger": STRANGER}.get(who) or ACTORS[who]
        db = [] if request.param == "sqlite" else ["--db", ws.store.url]
        return run_cli("-w", str(ws.path), *db, "--as", identity, *args)

    with ws.store.read() as conn:
        grants = {
            r.role: r.id
            for r in conn.execute(
                sa.select(t.access_grants).where(
                    t.access_grants.c.identity.in_([ACTORS["admin"], ACTORS["setting-lead"]])
                )
            )
        }
    return ws, ids, cli, grants


def _as(ws, role):
    with ws.store.read() as conn:
        return acting_as(actor_for(conn, ACTORS[role]))


def _same(a: str, b: str, *names: str) -> None:
    """Two error lines are the same once the ids and names that differ are blanked."""

    def blank(text: str) -> str:
        for name in names:
            text = text.replace(name, "X")
        return re.sub(r"\d+", "N", text)

    assert blank(a) == blank(b)


def _refused(who: str, command: str) -> str:
    """The exact line the CLI prints when `who` may not attempt `command`."""
    from imatter.trust.access import default_policy

    if who == "stranger":
        return (
            f"Error: '{STRANGER}' has no access to these records; an organisation admin can give "
            f"it with `imatter access grant {STRANGER} --role ROLE`"
        )
    action = default_policy().commands[command].removeprefix("self:")
    description = default_policy().actions[action]
    actor = {
        "setting-lead": f"{ACTORS['setting-lead']} (setting-lead of brook)",
        "learner": f"{ACTORS['learner']} (learner)",
        "link-professional": f"{ACTORS['link-professional']} (link-professional of brook)",
    }[who]
    return (
        f"Error: {actor} may not {description} (`imatter {command}`); ask an organisation "
        "admin if you need to"
    )


def _audit(ws, tbl: str | None = None) -> list:
    with ws.store.read() as conn:
        query = sa.select(t.audit_log).order_by(t.audit_log.c.seq)
        if tbl:
            query = query.where(t.audit_log.c.tbl == tbl)
        return conn.execute(query).all()


# ------------------------------------------------------------------ issuer keys, publishing
def test_issuer_keys_and_publishing_are_admin_only_and_audited(seams):
    from imatter.credentials.keys import key_fingerprint, rotate_issuer_key
    from imatter.credentials.settings import settings_for

    ws, _ids, cli, grants = seams
    keys = settings_for(ws).key_store()
    for who in ("setting-lead", "learner", "stranger"):
        code, _, err = cli(who, "keys", "init")
        assert (code, err.strip()) == (1, _refused(who, "keys init")), who
    assert not keys.exists()
    code, out, err = cli("admin", "keys", "init")
    assert code == 0, err
    first = keys.keyring().active
    for who in ("setting-lead", "learner", "stranger"):
        for command in (("keys", "rotate"), ("credential", "publish")):
            code, _, err = cli(who, *command)
            assert (code, err.strip()) == (1, _refused(who, " ".join(command))), (who, command)
    assert keys.keyring().active == first  # nothing rotated
    with _as(ws, "setting-lead"), pytest.raises(PermissionDenied, match="may not make, rotate"):
        rotate_issuer_key(ws, now=NOW)  # the API itself refuses, not only the CLI
    assert cli("admin", "keys", "rotate")[0] == 0
    second = keys.keyring().active
    assert cli("admin", "credential", "publish")[0] == 0
    events = _audit(ws, "issuer_keys")
    assert [(e.action, e.row_key) for e in events] == [
        ("event", f"init:{key_fingerprint(first)}"),
        ("event", f"rotate:{key_fingerprint(second)}"),
        ("event", f"publish:{key_fingerprint(second)}"),
    ]
    assert {e.actor for e in events} == {f"grant:{grants['admin']} os:{getpass.getuser()}"}
    from imatter.trust.audit import verify

    assert verify(ws).ok


# ------------------------------------------------------------------ who acted
def test_every_write_names_the_grant_acted_as_and_the_os_account(seams):
    from imatter.records import add_person
    from imatter.trust.access import use_identity

    ws, ids, cli, grants = seams
    os_user = getpass.getuser()
    before = len(_audit(ws))
    code, _, err = cli(
        "setting-lead", "person", "add", "Nell New", "--setting", "brook", "--position", "staff"
    )
    assert code == 0, err
    written = _audit(ws)[before:]
    assert written and {r.actor for r in written} == {
        f"grant:{grants['setting-lead']} os:{os_user}"
    }
    # A learner's own consent is recorded as that person, and the Python API (not only the CLI)
    # records the identity in force, without `acting_as`.
    before = len(_audit(ws))
    assert cli("learner", "directory", "consent", str(ids["learner"]))[0] == 0
    assert {r.actor for r in _audit(ws)[before:]} == {f"person:{ids['learner']} os:{os_user}"}

    def as_lead() -> None:
        use_identity(ACTORS["setting-lead"])
        add_person(ws.store, ws.programme, "Ned New", setting="brook", position="staff")

    before = len(_audit(ws))
    contextvars.copy_context().run(as_lead)
    assert {r.actor for r in _audit(ws)[before:]} == {
        f"grant:{grants['setting-lead']} os:{os_user}"
    }


# ------------------------------------------------------------------ assess
def test_assess_follows_the_matrix(seams):
    from imatter.assess.course_dir import add_learners, learners, open_course_dir

    ws, ids, cli, _ = seams
    learner, bea, otto = ids["learner"], ids["brook"], ids["oak"]
    code, _, err = cli("admin", "assess", "-g", "brook", "init", "--learner", f"{learner},{bea}")
    assert code == 0, err
    # No grant, no access at all.
    code, _, err = cli("stranger", "assess", "-g", "brook", "learners")
    assert (code, err.strip()) == (1, _refused("stranger", "assess learners"))
    # A Lead works on their own setting's course directory and learners only.
    code, out, err = cli("setting-lead", "assess", "-g", "brook", "learners")
    assert code == 0 and "Bea Brook" in out and "Lark Learner" in out, err
    code, _, hidden = cli("setting-lead", "assess", "-g", "brook", "init", "--learner", str(otto))
    _, _, missing = cli("setting-lead", "assess", "-g", "brook", "init", "--learner", "99999")
    assert code == 1 and hidden.strip() == (
        f"Error: no person {otto} in the records; see `imatter person list`"
    )
    _same(hidden, missing)
    code, _, err = cli("setting-lead", "assess", "-g", "oak", "init", "--learner", str(otto))
    assert code == 1 and not (ws.path / "assess" / "oak").exists()
    assert cli("admin", "assess", "-g", "oak", "init", "--learner", str(otto))[0] == 0
    code, out, hidden = cli("setting-lead", "assess", "-g", "oak", "learners")
    _, _, missing = cli("setting-lead", "assess", "-g", "elm", "learners")
    assert code == 1 and "Otto" not in out + hidden
    _same(hidden, missing, "oak", "elm")
    # A learner sees only their own place on the roster, and marks, feeds back, syncs nothing.
    code, out, _ = cli("learner", "assess", "-g", "brook", "learners")
    assert code == 0 and "Lark Learner" in out and "Bea Brook" not in out
    for command in (
        ("mark", "foundation-a", "--learner", f"p{bea}", "--reflection", "r1", "--level", "a=b"),
        ("feedback", "foundation-a"),
        ("sync", "foundation-a"),
        ("init", "--learner", str(learner)),
    ):
        code, out, err = cli("learner", "assess", "-g", "brook", *command)
        assert (code, err.strip()) == (1, _refused("learner", f"assess {command[0]}")), command
        assert "Marked" not in out
    # The checks are in the Python API, not only in the CLI.
    with _as(ws, "setting-lead"):
        with pytest.raises(NotFound, match="is not an assessment course directory"):
            learners(open_course_dir(ws.path / "assess" / "oak"), ws.store)
        with pytest.raises(NotFound, match=f"no person {otto} in the records"):
            add_learners(open_course_dir(ws.path / "assess" / "brook"), ws.store, [otto])
    with _as(ws, "learner"):
        mine = learners(open_course_dir(ws.path / "assess" / "brook"), ws.store)
        assert [x.person_id for x in mine] == [learner]


def test_a_hosted_course_belongs_to_the_setting_init_names(seams):
    """A hub's course folder (foundation-a) names no setting; `init --setting` gives it one, so
    that setting's Lead runs it without the organisation admin role (issue 17)."""
    ws, ids, cli, _ = seams
    learner, bea, otto = ids["learner"], ids["brook"], ids["oak"]
    hosted = ws.path / "hosted" / "foundation-a"
    code, _, err = cli("setting-lead", "assess", "-C", str(hosted), "init", "--learner", str(bea))
    assert code == 1 and not hosted.exists(), err  # the organisation's own: not the Lead's
    code, _, hidden = cli("setting-lead", "assess", "-C", str(hosted), "init", "--setting", "oak")
    _, _, missing = cli("setting-lead", "assess", "-C", str(hosted), "init", "--setting", "elm")
    assert code == 1 and hidden.strip() == (
        "Error: --setting oak: no such setting; see `imatter setting list`"
    )
    _same(hidden, missing, "oak", "elm")
    assert not hosted.exists()
    code, out, err = cli("setting-lead", "assess", "-C", str(hosted), "init", "--setting",
                         "brook", "--learner", f"{learner},{bea}")  # fmt: skip
    assert code == 0, err
    assert "setting: brook" in (hosted / "imatter-course.yml").read_text()
    code, out, err = cli("setting-lead", "assess", "-C", str(hosted), "learners")
    assert code == 0 and "Bea Brook" in out, err
    # ... and it cannot be handed to another setting, nor taken by another setting's Lead.
    code, _, err = cli("setting-lead", "assess", "-C", str(hosted), "init", "--setting", "oak")
    assert code == 1 and "setting: brook" in (hosted / "imatter-course.yml").read_text()
    oak = ws.path / "hosted" / "oak-course"
    assert cli("admin", "assess", "-C", str(oak), "init", "--setting", "oak", "--learner",
               str(otto))[0] == 0  # fmt: skip
    code, out, err = cli("setting-lead", "assess", "-C", str(oak), "init", "--setting", "brook")
    assert code == 1 and "setting: oak" in (oak / "imatter-course.yml").read_text()
    assert err.strip().endswith("run `imatter assess init` first")  # looks missing
    code, out, _ = cli("learner", "assess", "-C", str(hosted), "learners")
    assert code == 0 and "Lark Learner" in out and "Bea Brook" not in out


# ------------------------------------------------------------------ takestock
def test_takestock_of_another_setting_looks_missing_and_learners_see_no_plan(seams):
    from imatter.delivery.takestock import record_self_review

    ws, _ids, cli, _ = seams
    ratings = {n: (2, "synthetic evidence") for n in range(1, 8)}
    with _as(ws, "admin"):
        for setting in ("brook", "oak"):
            record_self_review(ws.store, setting, TODAY, ratings, reviewed_by="t")
    code, out, hidden = cli("setting-lead", "takestock", "history", "oak")
    _, _, missing = cli("setting-lead", "takestock", "history", "elm")
    assert code == 1 and hidden.strip() == "Error: no setting 'oak'; see `imatter setting list`"
    _same(hidden, missing, "oak", "elm")
    assert cli("setting-lead", "takestock", "history", "brook")[0] == 0
    for who in ("learner", "stranger"):
        for command in ("history", "show"):
            code, out, err = cli(who, "takestock", command, "brook")
            assert (code, out, err.strip()) == (1, "", _refused(who, f"takestock {command}"))


# ------------------------------------------------------------------ person join
def test_a_lead_cannot_attach_their_staff_to_another_setting(seams):
    ws, ids, cli, _ = seams
    code, _, hidden = cli(
        "setting-lead", "person", "join", str(ids["brook"]), "oak", "--position", "teacher"
    )
    _, _, missing = cli(
        "setting-lead", "person", "join", str(ids["brook"]), "elm", "--position", "teacher"
    )
    assert code == 1 and hidden.strip() == "Error: no setting 'oak'; see `imatter setting list`"
    _same(hidden, missing, "oak", "elm")
    with ws.store.read() as conn:
        settings = set(
            conn.execute(
                sa.select(t.affiliations.c.setting_id).where(
                    t.affiliations.c.person_id == ids["brook"]
                )
            ).scalars()
        )
    assert settings == {"brook"}
    assert cli("admin", "person", "join", str(ids["brook"]), "oak", "--position", "teacher")[0] == 0


# ------------------------------------------------------------------ licences check
def test_licence_check_of_another_setting_names_no_one(seams):
    ws, ids, cli, _ = seams
    code, out, hidden = cli("setting-lead", "licences", "check", "oak")
    _, _, missing = cli("setting-lead", "licences", "check", "elm")
    assert code == 1 and "Otto" not in out + hidden
    _same(hidden, missing, "oak", "elm")
    code, out, err = cli("setting-lead", "licences", "check", "brook")
    assert code == 0 and "brook:" in out, err
    code, _, err = cli("learner", "licences", "check", "brook")
    assert (code, err.strip()) == (1, _refused("learner", "licences check"))


# ------------------------------------------------------------------ revoke
def test_revoking_another_settings_award_looks_like_a_missing_award(seams):
    from imatter.records import record_completion
    from imatter.services.awards import award_role

    ws, ids, cli, _ = seams
    with _as(ws, "admin"):
        for course in ("foundation-a", "foundation-b"):
            record_completion(
                ws.store, ws.programme, ids["oak"], course, TODAY, recorded_by="t", today=TODAY
            )
        award = award_role(ws, ids["oak"], "link-professional", TODAY, granted_by="t")
    award_id = award.award_id
    # The CLI refuses a Lead any revocation before looking anything up: the same line for all.
    code, _, hidden = cli("setting-lead", "revoke", award_id, "--reason", "test")
    _, _, missing = cli("setting-lead", "revoke", "NO-SUCH-AWARD", "--reason", "test")
    assert (code, hidden.strip()) == (1, _refused("setting-lead", "revoke"))
    assert hidden == missing
    # The API answers another setting's award exactly as a missing one.
    from imatter.credentials.registry import revoke

    errors = []
    for ident in (award_id, "NO-SUCH-AWARD"):
        with _as(ws, "setting-lead"), ws.store.write() as conn, pytest.raises(NotFound) as err:
            revoke(ws, conn, ident, reason="t", revoked_by="t", revoked_on=TODAY, now=NOW)
        errors.append(err.value.message)
    assert errors[0] == f"no credential or award '{award_id}'; see `imatter credential list`"
    _same(errors[0], errors[1], award_id, "NO-SUCH-AWARD")
