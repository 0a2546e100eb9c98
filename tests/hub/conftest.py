"""A real JupyterHub on 127.0.0.1, set up the way book/how-to-use/hosting.md says.

JupyterHub from PyPI and every person's server run from a venv all users can read
(scripts/hub-venv); configurable-http-proxy comes from npm through tests/hub/js's lock file.
The hub loads the SHIPPED jupyterhub_config.py (written by `imatter deploy files`) through a
small overlay: ports, the test's folders, the proxy's path, PAM without sessions. PostgreSQL
with passwords holds the hub's database, the records and the shared nbgrader gradebook. The
learners, the Lead, an IT admin and the marking account are real system users, created with
private homes and removed afterwards. Needs root (CI runs as root).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import _pg_bin

ROOT = Path(__file__).resolve().parents[2]
COURSE = "foundation-a"
GRADER = f"grader-{COURSE}"
LEAD = "imlead"  # the course Lead: staff, marks and releases
ADMIN = "imadmin"  # IT: a hub admin, and an organisation admin in the records
LEARNERS = [f"p{n}" for n in range(1, 6)]
TAG = "imatter hub test"  # the comment on every account the test makes (and may remove)
SETTING = "brook-primary"
LEAD_NAME = "Lena Lead"  # the Lead's person in the records (person 6)
SESSION_NOTEBOOK = ROOT / "modules" / COURSE / "01-how-children-grow-through-relationships.ipynb"
CHP = ROOT / "tests" / "hub" / "js" / "node_modules" / ".bin" / "configurable-http-proxy"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("check", True)
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(list(args), **kw)


# ---------------------------------------------------------------- system accounts
def _group_exists(name: str) -> bool:
    return run("getent", "group", name, check=False).returncode == 0


def _remove_user(name: str) -> None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    if entry.pw_gecos != TAG:
        pytest.fail(f"a system account '{name}' exists that this test did not make: remove it")
    run("userdel", "--remove", name, check=False)


def make_user(name: str, groups: list[str], password: str | None) -> None:
    """A system account with a private home (Debian's default home is world-readable)."""
    _remove_user(name)
    run(
        "useradd", "--create-home", "-K", "HOME_MODE=0700", "--comment", TAG,
        "--shell", "/bin/bash", "--groups", ",".join(groups), name,
    )  # fmt: skip
    if password:
        run("chpasswd", input=f"{name}:{password}\n")


# ---------------------------------------------------------------- PostgreSQL, with passwords
@dataclass
class Postgres:
    base: Path
    port: int
    superpassword: str
    passwords: dict[str, str] = field(default_factory=dict)

    def url(self, role: str, db: str) -> str:
        return f"postgresql+psycopg://{role}:{self.passwords[role]}@127.0.0.1:{self.port}/{db}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.superpassword,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)


def start_postgres(base: Path) -> Postgres:
    """A PostgreSQL server on 127.0.0.1 that asks everyone for a password (scram-sha-256):
    the test's trust-everyone server would let any local account in."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL is not installed: scripts/setup --test installs it")
    base.mkdir(mode=0o700)
    shutil.chown(base, "postgres")
    pg = Postgres(base, free_port(), secrets.token_urlsafe(16))
    pwfile = base / "pw"
    pwfile.write_text(pg.superpassword)
    shutil.chown(pwfile, "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"]
    run(*as_pg, initdb, "-D", str(base / "data"), "-U", "postgres", "-A", "scram-sha-256",
        f"--pwfile={pwfile}", "--no-sync")  # fmt: skip
    pwfile.unlink()
    run(*as_pg, pg_ctl, "-D", str(base / "data"), "-w", "-l", str(base / "log"), "-o",
        f"-k {base} -p {pg.port} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c max_connections=200", "start")  # fmt: skip
    for role, dbs in (("hub", ["jupyterhub"]), ("imatter", ["imatter", "gradebook"])):
        pg.passwords[role] = secrets.token_urlsafe(16)
        pg.admin(f"CREATE ROLE {role} LOGIN PASSWORD '{pg.passwords[role]}'")
        for db in dbs:
            pg.admin(f"CREATE DATABASE {db} OWNER {role}")
    return pg


def stop_postgres(pg: Postgres) -> None:
    run("runuser", "-u", "postgres", "--", _pg_bin("pg_ctl") or "pg_ctl", "-D",
        str(pg.base / "data"), "-m", "fast", "stop", check=False)  # fmt: skip


# ---------------------------------------------------------------- the hub
@dataclass
class Hub:
    base: Path
    url: str
    venv: Path
    exchange: Path
    workspace: Path
    pg: Postgres
    env: dict[str, str]  # the hub's settings (hub.env)
    passwords: dict[str, str]
    proc: subprocess.Popen | None = None
    log: Path | None = None
    config: Path | None = None

    # ---- the hub process
    def start(self) -> float:
        """Start JupyterHub (as root, from the shared venv); returns seconds until it answers."""
        assert self.config and self.log
        began = time.monotonic()
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [str(self.venv / "bin" / "jupyterhub"), "-f", str(self.config)],
            cwd=self.config.parent,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import requests

        while time.monotonic() - began < 90:
            if self.proc.poll() is not None:
                raise AssertionError(f"the hub stopped:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/hub/api", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the hub did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """Stop the hub as systemd would (SIGTERM); it stops the servers it started."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log_file", None):
            self._log_file.close()

    # ---- people
    def login(self, name: str):  # type: ignore[no-untyped-def]
        """A browser-like session signed in through the hub's login form (PAM)."""
        import requests

        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30).raise_for_status()
        xsrf = session.cookies.get("_xsrf")
        reply = session.post(
            f"{self.url}/hub/login?next=",
            data={"username": name, "password": self.passwords[name], "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        assert reply.status_code == 302, (name, reply.status_code, reply.text[:300])
        session.get(f"{self.url}/hub/home", timeout=30).raise_for_status()
        hub_xsrf = [c.value for c in session.cookies if c.name == "_xsrf" and c.path == "/hub/"]
        session.headers["X-XSRFToken"] = hub_xsrf[-1] if hub_xsrf else (xsrf or "")
        session.hub_user = name  # type: ignore[attr-defined]
        return session

    def start_server(self, session, owner: str | None = None) -> float:  # type: ignore[no-untyped-def]
        """Start a server from the hub's API, as the signed-in person; seconds until ready."""
        owner = owner or session.hub_user
        began = time.monotonic()
        reply = session.post(f"{self.url}/hub/api/users/{owner}/server", timeout=120)
        assert reply.status_code in (201, 202, 400), (owner, reply.status_code, reply.text)
        while time.monotonic() - began < 120:
            # as a browser: through the hub's OAuth hand-over to the server's own page
            page = session.get(f"{self.url}/user/{owner}/api/status", timeout=30)
            if page.status_code == 403:
                page = session.get(f"{self.url}/user/{owner}/lab", timeout=60)
            if page.status_code == 200 and "/hub/api/oauth2/authorize" in page.url:
                page = authorize(session, page)  # staff opening the marking server say yes
            if page.status_code == 200 and page.url.startswith(f"{self.url}/user/{owner}/"):
                return time.monotonic() - began
            time.sleep(0.3)
        raise AssertionError(f"{owner}'s server did not start:\n{self.log.read_text()[-3000:]}")

    def server_pid(self, owner: str) -> int:
        """The pid of `owner`'s single-user server (found through /proc)."""
        uid = pwd.getpwnam(owner).pw_uid
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if proc.stat().st_uid != uid:
                    continue
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(part.endswith(b"jupyterhub-singleuser") for part in cmd):
                return int(proc.name)
        raise AssertionError(f"no server running for {owner}")

    def server_env(self, owner: str) -> dict[str, str]:
        raw = Path(f"/proc/{self.server_pid(owner)}/environ").read_bytes()
        return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)

    def in_server(
        self,
        owner: str,
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess:
        """Run a command as a terminal in `owner`'s server would: their account, their
        server's environment, their home."""
        entry = pwd.getpwnam(owner)
        server_env = {**self.server_env(owner), **(env or {})}
        return run(
            *args,
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=os.getgrouplist(owner, entry.pw_gid),
            env=server_env,
            cwd=entry.pw_dir,
            check=check,
            input=input,
        )

    def as_user(
        self, owner: str, *args: str, check: bool = False, input: str | None = None
    ) -> subprocess.CompletedProcess:
        """Run a command as `owner` with a bare environment (no server needed)."""
        entry = pwd.getpwnam(owner)
        env = {"HOME": entry.pw_dir, "PATH": f"{self.venv}/bin:/usr/bin:/bin", "USER": owner}
        return run(
            *args,
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=os.getgrouplist(owner, entry.pw_gid),
            env=env,
            cwd=entry.pw_dir,
            check=check,
            input=input,
        )

    def records(self, *args: str, as_: str = ADMIN) -> subprocess.CompletedProcess:
        """`imatter ARGS` on the records, run by root with the hub's settings (IT's shell)."""
        env = {**self.env, "IMATTER_USER": as_}
        return run(str(self.venv / "bin" / "imatter"), *args, env=env, check=False)


def authorize(session, page):  # type: ignore[no-untyped-def]
    """Press Authorize on the hub's page that asks before opening someone else's server."""
    import re
    from html import unescape

    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)
    fields = [(name, unescape(value)) for name, value in found]
    return session.post(page.url, data=fields, timeout=60)


def hub_venv() -> Path:
    """The shared venv (scripts/hub-venv: quick when nothing changed)."""
    given = os.environ.get("IMATTER_HUB_VENV")
    out = run("bash", str(ROOT / "scripts" / "hub-venv"), *([given] if given else []), cwd=ROOT)
    return Path(out.stdout.strip().splitlines()[-1])


def _setup_extensions(venv: Path, script: Path) -> None:
    """The guide's `sh setup-extensions.sh` on the shared venv; skipped when this very script
    already ran on it (each `jupyter` command takes seconds)."""
    import hashlib

    stamp = venv / ".imatter-setup-extensions"
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    installed = (
        (venv / ".imatter-install").read_text() if (venv / ".imatter-install").exists() else ""
    )
    if stamp.exists() and stamp.read_text() == digest + installed:
        return
    run("sh", str(script), env={"PATH": f"{venv}/bin:/usr/bin:/bin"})
    stamp.write_text(digest + installed)


def _lead_award(url: str, person_id: int) -> None:
    """The Lead's school-lead award in the records (as granted last year)."""
    import datetime as dt

    from imatter.store import Store

    from ..delivery.world import grant

    store = Store(url, migrate=False)
    grant(store, person_id, "school-lead", dt.date(2025, 9, 1), setting=SETTING)
    store.engine.dispose()


def _staff_folder(path: Path) -> None:
    """The guide's staff-only folder: group imatter-staff, no access for others, new files
    writable by all staff."""
    run("chgrp", "-R", "imatter-staff", str(path))
    run("chmod", "-R", "u=rwX,g=rwX,o=", str(path))
    run("find", str(path), "-type", "d", "-exec", "chmod", "g+s", "{}", "+",
        "-exec", "setfacl", "--default", "--modify", "g:imatter-staff:rwX", "{}", "+")  # fmt: skip


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    """A running hub with the course's people, records and an empty exchange."""
    if os.geteuid() != 0:
        pytest.fail("the hub tests need root: they create system accounts (CI runs as root)")
    if not CHP.exists():
        pytest.fail(f"{CHP} is missing: run `bash scripts/setup --test` (npm ci in tests/hub/js)")
    from imatter.deploy import write_deployment

    venv = hub_venv()
    base = Path(tempfile.mkdtemp(prefix="imatter-hub-"))
    base.chmod(0o755)
    made_groups = [g for g in ("imatter", "imatter-staff") if not _group_exists(g)]
    for g in made_groups:
        run("groupadd", g)
    users: list[str] = []
    pg = None
    hub_ = None
    try:
        # 1. the shipped files, as `imatter deploy files --out hosting --course foundation-a`
        hosting = base / "hosting"
        write_deployment(hosting, course_id=COURSE)
        _setup_extensions(venv, hosting / "setup-extensions.sh")
        grader_jupyter = venv.parent / "grader-jupyter"
        shutil.rmtree(grader_jupyter, ignore_errors=True)
        shutil.copytree(hosting / "grader-jupyter", grader_jupyter)
        run("chmod", "-R", "a+rX", str(grader_jupyter))
        # nbgrader's settings for everyone, in the venv's own Jupyter folder; the exchange is
        # the test's folder instead of /srv/nbgrader/exchange.
        exchange = base / "exchange"
        nb_config = venv / "etc" / "jupyter" / "nbgrader_config.py"
        nb_config.parent.mkdir(parents=True, exist_ok=True)
        nb_config.write_text(
            (hosting / "nbgrader_config.py")
            .read_text()
            .replace('"/srv/nbgrader/exchange"', repr(str(exchange)))
        )
        nb_config.chmod(0o644)

        # 2. the databases
        pg = start_postgres(base / "pg")

        # 3. shared folders: the exchange (writable by all), the staff workspace
        exchange.mkdir()
        exchange.chmod(0o1777)
        srv = base / "srv" / "imatter"
        (srv / "workspace").mkdir(parents=True)
        shutil.copy(ROOT / "modules" / "programme.yml", srv / "programme.yml")
        shutil.copytree(ROOT / "assessments" / "source", srv / "assessments")
        hub_dir = base / "srv" / "jupyterhub"
        hub_dir.mkdir(mode=0o700)

        # 4. the settings (hub.env), readable by root only
        passwords = {name: secrets.token_urlsafe(12) for name in [*LEARNERS, LEAD, ADMIN]}
        env = {
            "PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "IMATTER_DB": pg.url("imatter", "imatter"),
            "IMATTER_WORKSPACE": str(srv / "workspace"),
            "IMATTER_PROGRAMME": str(srv / "programme.yml"),
            "IMATTER_ASSESSMENTS": str(srv / "assessments"),
            "NBGRADER_DB_URL": pg.url("imatter", "gradebook"),
            "JUPYTERHUB_DB_URL": pg.url("hub", "jupyterhub"),
            "IMATTER_HUB_ADMINS": ADMIN,
            "IMATTER_HUB_STAFF": f"{ADMIN},{LEAD}",
        }
        hub_ = Hub(base, "", venv, exchange, srv / "workspace", pg, env, passwords)
        # the workspace, once, with the same settings; then staff share the folder
        out = hub_.records("init")
        assert out.returncode == 0, out.stderr
        _staff_folder(srv)

        # 5. the accounts
        for name in LEARNERS:
            make_user(name, ["imatter"], passwords[name])
            users.append(name)
        for name in (LEAD, ADMIN):
            make_user(name, ["imatter", "imatter-staff"], passwords[name])
            users.append(name)
        make_user(GRADER, ["imatter-staff"], None)
        users.append(GRADER)
        # the course's folder in the exchange belongs to the marking account before anyone
        # else can make it
        run("install", "-d", "-o", GRADER, "-g", GRADER, "-m", "755", str(exchange / COURSE))

        # the people, the setting and who may do what, in the records
        for args in (
            ("access", "grant", ADMIN, "--role", "admin"),
            ("setting", "add", SETTING, "--name", "Brook Primary", "--pupils", "240"),
            *[("person", "add", f"Learner {n}", "--setting", SETTING) for n in LEARNERS],
            ("access", "grant", LEAD, "--role", "setting-lead", "--setting", SETTING),
            # the marking account runs the setting's hosted course (`assess init --setting`):
            # a Lead's grant in that setting is enough, not the organisation admin role
            ("access", "grant", GRADER, "--role", "setting-lead", "--setting", SETTING),
            ("person", "add", LEAD_NAME, "--setting", SETTING),
        ):
            out = hub_.records(*args)
            assert out.returncode == 0, (args, out.stdout, out.stderr)
        # The Lead leads a study group of the five learners (the dashboard opens on it); their
        # Lead award is written as a granted history would be (tests/delivery/world.py).
        lead_id = len(LEARNERS) + 1
        _lead_award(pg.url("imatter", "imatter"), lead_id)
        made = hub_.records("group", "create", "--course", COURSE, "--term", "2026-27",
                            "--leader", str(lead_id), "--setting", SETTING)  # fmt: skip
        assert made.returncode == 0, made.stderr
        group_id = made.stdout.split()[2].rstrip(":")
        enrolled = hub_.records("group", "enrol", group_id, *[n[1:] for n in LEARNERS])
        assert enrolled.returncode == 0, (made.stdout, enrolled.stdout, enrolled.stderr)
        # the session notebook each learner opens (as the Lead shares the course's notebooks)
        for name in LEARNERS:
            home = Path(pwd.getpwnam(name).pw_dir)
            shutil.copy(SESSION_NOTEBOOK, home / SESSION_NOTEBOOK.name)
            shutil.chown(home / SESSION_NOTEBOOK.name, name, name)

        # 6. the hub: the shipped config, and the test's overlay
        port = free_port()
        hub_.url = f"http://127.0.0.1:{port}"
        overlay = hub_dir / "jupyterhub_config.py"
        overlay.write_text(
            "# tests/hub: the shipped configuration, then only ports, folders and the proxy.\n"
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(hosting / 'jupyterhub_config.py')!r})  # noqa: F821\n"
            f"c.JupyterHub.bind_url = {hub_.url!r}\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{free_port()}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'\n"
            f"c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]\n"
            f"c.JupyterHub.cookie_secret_file = {str(hub_dir / 'cookie_secret')!r}\n"
            "c.PAMAuthenticator.open_sessions = False\n"
            "c.Spawner.start_timeout = 120\n"
            "c.Spawner.http_timeout = 120\n"
        )
        hub_.config = overlay
        hub_.log = hub_dir / "hub.log"
        hub_.startup_seconds = hub_.start()  # type: ignore[attr-defined]
        yield hub_
    finally:
        if hub_ is not None:
            hub_.stop()
        if pg is not None:
            stop_postgres(pg)
        for name in users:
            _remove_user(name)
        for g in made_groups:
            run("groupdel", g, check=False)
        shutil.rmtree(venv.parent / "grader-jupyter", ignore_errors=True)
        if os.environ.get("IMATTER_KEEP_HUB"):
            print(f"hub files kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def sessions(hub):
    """Everyone signed in through the login form, with their server started."""
    from concurrent.futures import ThreadPoolExecutor

    names = [LEAD, ADMIN, *LEARNERS]

    def sign_in_and_start(name):  # type: ignore[no-untyped-def]
        session = hub.login(name)
        return session, hub.start_server(session)

    with ThreadPoolExecutor(len(names)) as pool:
        done = dict(zip(names, pool.map(sign_in_and_start, names), strict=True))
    signed_in = {name: session for name, (session, _) in done.items()}
    spawn = {name: seconds for name, (_, seconds) in done.items()}
    spawn[GRADER] = hub.start_server(signed_in[LEAD], GRADER)  # staff open the marking server
    hub.spawn_seconds = spawn
    print(
        f"\nhub start {hub.startup_seconds:.1f} s; spawn (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in spawn.items())
    )
    return signed_in


def load(path: Path) -> dict:
    return json.loads(path.read_text())
