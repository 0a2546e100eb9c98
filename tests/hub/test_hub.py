"""The hub runs: people sign in with their system passwords, servers start as their own
accounts, learners' servers hold no records credentials, and the hub says who is acting."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from .conftest import ADMIN, COURSE, GRADER, LEAD, LEARNERS, SETTING

pytestmark = pytest.mark.slow


def test_wrong_password_is_refused(hub):
    import requests

    session = requests.Session()
    session.get(f"{hub.url}/hub/login", timeout=30)
    reply = session.post(
        f"{hub.url}/hub/login",
        data={"username": "p1", "password": "not-it", "_xsrf": session.cookies.get("_xsrf")},
        allow_redirects=False,
        timeout=30,
    )
    assert reply.status_code == 403
    assert "Invalid username or password" in reply.text


def test_servers_run_as_their_own_accounts(hub, sessions):
    import pwd

    for name in [*LEARNERS, LEAD, GRADER]:
        pid = hub.server_pid(name)
        assert Path(f"/proc/{pid}").stat().st_uid == pwd.getpwnam(name).pw_uid
    home = Path(pwd.getpwnam("p1").pw_dir)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_a_learner_server_holds_no_records_credentials(hub, sessions):
    env = hub.server_env("p1")
    assert env["JUPYTERHUB_USER"] == "p1" and env["IMATTER_USER"] == "p1"
    for name in ("IMATTER_DB", "NBGRADER_DB_URL", "JUPYTERHUB_DB_URL", "IMATTER_WORKSPACE",
                 "IMATTER_ASSESSMENTS"):  # fmt: skip
        assert name not in env
    secrets = [hub.pg.passwords["imatter"], hub.pg.passwords["hub"], hub.pg.superpassword]
    dumped = json.dumps(env)
    assert not any(s in dumped for s in secrets)
    # Nothing the learner can read holds them: their home, the exchange, the venv, the test's
    # folders, /etc, and the hub's own process environment.
    places = [str(Path("~p1").expanduser()), str(hub.base), str(hub.venv.parent), "/etc"]
    for secret in secrets:
        found = hub.in_server("p1", "grep", "-rlsF", secret, *places, check=False)
        assert found.stdout == "", found.stdout
    hub_env = hub.in_server("p1", "cat", f"/proc/{hub.proc.pid}/environ", check=False)
    assert hub_env.returncode != 0 and "Permission denied" in hub_env.stderr
    # The database asks for a password the learner does not have.
    code = (
        "import psycopg\n"
        f"psycopg.connect(host='127.0.0.1', port={hub.pg.port}, user='imatter', dbname='imatter')"
    )
    tried = hub.in_server("p1", "python", "-c", code, check=False)
    assert tried.returncode != 0 and "password" in tried.stderr
    # and the toolkit has no records to open
    status = hub.in_server("p1", "imatter", "person", "list", check=False)
    assert status.returncode == 1
    assert "imatter.db" in status.stderr or "workspace" in status.stderr, status.stderr


def test_staff_servers_get_the_records(hub, sessions):
    for name in (LEAD, GRADER):
        env = hub.server_env(name)
        assert env["IMATTER_DB"] == hub.env["IMATTER_DB"]
        assert env["NBGRADER_DB_URL"] == hub.env["NBGRADER_DB_URL"]
    assert hub.server_env(GRADER)["JUPYTER_CONFIG_PATH"] == str(hub.venv.parent / "grader-jupyter")


def test_a_learner_cannot_open_the_marking_server(hub, sessions):
    reply = sessions["p1"].get(f"{hub.url}/user/{GRADER}/api/status", allow_redirects=False)
    assert reply.status_code in (302, 403, 404)
    assert '"started"' not in reply.text  # no server status came back
    started = sessions["p1"].post(f"{hub.url}/hub/api/users/{GRADER}/server")
    assert started.status_code in (403, 404)
    other = sessions["p1"].get(f"{hub.url}/user/p2/api/contents", allow_redirects=False)
    assert other.status_code in (302, 403, 404) and '"content"' not in other.text


def test_only_the_lead_opens_their_dashboard(hub, sessions):
    """The Lead's dashboard is served by the Lead's own server and acts as the Lead: a learner
    is refused by the hub, an admin who may open the server is refused by the dashboard (it
    would act as the Lead, not as them), and a learner's own server serves none."""
    from .conftest import authorize

    dashboard = f"{hub.url}/user/{LEAD}/imatter/dashboard/lead"
    mine = sessions[LEAD].get(dashboard, timeout=300)
    if "/hub/api/oauth2/authorize" in mine.url:
        mine = authorize(sessions[LEAD], mine)
    assert mine.status_code == 200 and "Lead Professional dashboard" in mine.text
    refused = sessions["p1"].get(dashboard, timeout=60)
    assert refused.status_code == 403 and "Lead Professional dashboard" not in refused.text
    api = sessions["p1"].get(f"{hub.url}/hub/api/users/{LEAD}", timeout=60)
    assert api.status_code in (403, 404)
    own = sessions["p1"].get(f"{hub.url}/user/p1/imatter/dashboard/lead", timeout=60)
    assert own.status_code == 404
    admin = sessions[ADMIN].get(dashboard, timeout=60)
    if admin.status_code == 200 and "/hub/api/oauth2/authorize" in admin.url:
        admin = authorize(sessions[ADMIN], admin)
    assert admin.status_code in (403, 404), admin.status_code
    assert "Lead Professional dashboard" not in admin.text


# ---------------------------------------------------------------- identity from the hub
def test_the_hub_says_who_is_acting(hub, sessions):
    """IMATTER_USER and JUPYTERHUB_USER are only variables: the hub's answer wins."""
    forged = {"IMATTER_USER": ADMIN, "JUPYTERHUB_USER": ADMIN}
    out = hub.in_server(LEAD, "imatter", "access", "list", env=forged, check=False)
    assert out.returncode == 1
    assert out.stderr.startswith("Error: ") and LEAD in out.stderr and ADMIN not in out.stderr


def test_as_is_refused_on_the_hub(hub, sessions):
    out = hub.in_server(LEAD, "imatter", "--as", ADMIN, "access", "list", check=False)
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == (
        f"Error: --as {ADMIN}: on the hub you act as yourself ({LEAD}); only a hub admin may "
        "act as someone else\n"
    )


def test_a_forged_token_is_refused(hub, sessions):
    out = hub.in_server(
        LEAD, "imatter", "access", "list", env={"JUPYTERHUB_API_TOKEN": "forged"}, check=False
    )
    assert out.returncode == 1
    assert "did not accept this server's token (HTTP 403)" in out.stderr


def test_an_admin_may_act_as_someone_and_the_audit_chain_says_so(hub, sessions):
    mine = hub.in_server(ADMIN, "imatter", "access", "list", check=False)
    assert mine.returncode == 0, mine.stderr
    out = hub.in_server(
        ADMIN, "imatter", "--as", LEAD, "person", "add", "Added By Proxy", "--setting", SETTING,
        check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    log = hub.records("audit", "show", "--json")
    assert log.returncode == 0, log.stderr
    entries = json.loads(log.stdout)
    events = [e for e in entries if e["row_key"].startswith("impersonate:")]
    assert events and events[-1]["actor"].split(" os:")[0] == f"hub-admin:{ADMIN}"
    (added,) = [e for e in entries if e["tbl"] == "people" and e["action"] == "insert"][-1:]
    assert ADMIN in added["actor"]  # the change is the admin's, not the Lead's alone
    verify = hub.records("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_the_course_folder_in_the_exchange_is_the_marking_accounts(hub):
    folder = hub.exchange / COURSE
    import pwd

    assert pwd.getpwuid(folder.stat().st_uid).pw_name == GRADER
    assert stat.S_IMODE(hub.exchange.stat().st_mode) == 0o1777
