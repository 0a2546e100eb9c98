"""Shared fixtures: the programme, a fresh workspace with its SQLite database, a CLI runner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import settings

# No Hypothesis deadline: a shared 2-core CI machine makes timings noise, not signal.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
PROGRAMME_FILE = ROOT / "modules" / "programme.yml"
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def programme():
    from imatter.programme import load_programme

    return load_programme(PROGRAMME_FILE)


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A fresh workspace (real SQLite file) with no records."""
    from imatter.workspace import init_workspace

    monkeypatch.delenv("IMATTER_DB", raising=False)
    monkeypatch.delenv("IMATTER_WORKSPACE", raising=False)
    monkeypatch.delenv("IMATTER_PROGRAMME", raising=False)
    return init_workspace(tmp_path / "ws", programme=PROGRAMME_FILE)


@pytest.fixture
def run_cli(tmp_path, monkeypatch, capsys):
    """Run `imatter ARGS` in-process against a workspace in tmp_path; returns (code, out, err)."""
    from imatter.cli import main

    monkeypatch.setenv("IMATTER_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("IMATTER_PROGRAMME", str(PROGRAMME_FILE))
    monkeypatch.setenv("IMATTER_USER", "tester")
    monkeypatch.delenv("IMATTER_DB", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _pg_bin(name: str) -> str | None:
    import shutil

    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory):
    """A PostgreSQL server: the one scripts/test started ($IMATTER_TEST_PG_URL), else a
    private one on a Unix socket for this test session; yields its URL."""
    import os
    import shutil
    import socket
    import subprocess

    if os.environ.get("IMATTER_TEST_PG_URL"):
        yield os.environ["IMATTER_TEST_PG_URL"]
        return

    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL is not installed: scripts/setup --test installs it")
    import tempfile

    # Not under pytest's tmp folder: the postgres user must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="imatter-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "log"),
            "-o",
            f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_ws(pg_url, tmp_path):
    """A workspace whose records live in a fresh PostgreSQL database."""
    import sqlalchemy as sa
    from imatter.workspace import init_workspace

    name = f"t{tmp_path.name.replace('-', '_').lower()[-40:]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = pg_url.replace("/postgres?", f"/{name}?")
    ws = init_workspace(tmp_path / "ws", db=url, programme=PROGRAMME_FILE)
    yield ws
    ws.store.dispose()
