"""Load and faults, on loopback: 30 learners sign in, fetch and submit at once with nothing
lost; a server killed mid-submit loses nothing already submitted; the hub restarted mid-term
keeps every user and record. Prints spawn time, submit latency and collect throughput.

Runs after the exchange cycle (the assessment is released and the course directory exists).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ..assess import helpers as h
from .conftest import ADMIN, COURSE, LEARNERS, SETTING, _remove_user, make_user
from .test_exchange_cycle import A, assess, course_dir

pytestmark = pytest.mark.slow
CROWD = int(os.environ.get("IMATTER_HUB_CROWD", "30"))
CROWD_GOAL = 1.0  # a crowd at once is served no slower than the same learners in turn


def _submit(hub, name: str, answered: Path) -> float:
    """As `name`, with a bare terminal's environment: fetch, answer, submit; seconds to submit."""
    home = Path(f"~{name}").expanduser()
    hub.as_user(name, "nbgrader", "fetch_assignment", A, check=True)
    hub.as_user(name, "cp", str(answered), str(home / A / f"{A}.ipynb"), check=True)
    began = time.monotonic()
    out = hub.as_user(name, "nbgrader", "submit", A, check=True)
    assert "Submitted as" in out.stdout + out.stderr
    return time.monotonic() - began


@pytest.fixture(scope="module")
def crowd(hub, sessions):
    """CROWD more learners: people in the records, accounts on the server, on the roster."""
    made = []
    try:
        ids = []
        for n in range(CROWD + 1):  # one more: the lone learner measured first
            out = hub.records("person", "add", f"Crowd Learner {n}", "--setting", SETTING)
            assert out.returncode == 0, out.stderr
        people = json.loads(hub.records("person", "list", "--json").stdout)
        ids = sorted(p["id"] for p in people if p["name"].startswith("Crowd Learner"))
        names = [f"p{i}" for i in ids]
        for name in names:
            hub.passwords[name] = f"pw-{name}-{os.getpid()}"
            make_user(name, ["imatter"], hub.passwords[name])
            made.append(name)
        if not (hub.exchange / COURSE / "outbound" / A).is_dir():  # run on its own
            assess(hub, "init", "--course-id", COURSE, "--exchange", str(hub.exchange),
                   "--setting", SETTING)  # fmt: skip
            assess(hub, "generate", A)
            assess(hub, "release", A, "--exchange")
        assess(hub, "init", "--learner", ",".join(str(i) for i in ids))
        yield names
    finally:
        for name in made:
            _remove_user(name)


def test_thirty_learners_sign_in_fetch_and_submit_at_once(hub, crowd):
    everyone = crowd
    alone, crowd = crowd[0], crowd[1:]
    released = hub.exchange / COURSE / "outbound" / A / f"{A}.ipynb"
    answered = hub.base / "answered.ipynb"  # everyone's answers (the same released copy)
    answered.write_text(json.dumps(h.answered(json.loads(released.read_text()))))
    answered.chmod(0o644)

    def one(name: str) -> tuple[float, float]:
        began = time.monotonic()
        hub.login(name)  # PAM, through the hub's form
        signed_in = time.monotonic() - began
        return signed_in, _submit(hub, name, answered)

    # the same-run anchor: one learner alone, then the crowd at once
    began = time.monotonic()
    solo = one(alone)
    solo_wall = time.monotonic() - began  # sign-in, fetch, answer and submit
    began = time.monotonic()
    with ThreadPoolExecutor(len(crowd)) as pool:
        results = list(pool.map(one, crowd))
    wall = time.monotonic() - began
    inbound = hub.exchange / COURSE / "inbound"
    handed_in = {p.name.split("+")[0] for p in inbound.iterdir()}
    assert set(crowd) <= handed_in  # nothing lost in the exchange

    began = time.monotonic()
    out = assess(hub, "collect", A, "--exchange")
    collect_seconds = time.monotonic() - began
    first = out.splitlines()[0]
    assert first.startswith(f"Collected {len(everyone)} submission(s) of {A}"), out
    logins = [r[0] for r in results]
    submits = sorted(r[1] for r in results)
    spawn = list(getattr(hub, "spawn_seconds", {}).values())
    print(
        f"\nload: one learner alone: sign-in {solo[0]:.2f} s, submit {solo[1]:.2f} s; "
        f"{len(crowd)} learners at once in {wall:.1f} s; sign-in median "
        f"{statistics.median(logins):.2f} s; submit median {statistics.median(submits):.2f} s, "
        f"p95 {submits[int(0.95 * (len(submits) - 1))]:.2f} s, max {submits[-1]:.2f} s; "
        f"collect {len(everyone)} in {collect_seconds:.1f} s "
        f"({len(everyone) / collect_seconds:.1f} submissions/s); submit median "
        f"{statistics.median(submits) / solo[1]:.1f}x the lone learner's; "
        + (f"spawn median {statistics.median(spawn):.1f} s" if spawn else "")
    )
    at_once = wall / (len(crowd) * solo_wall)  # against the same learners one after another
    print(
        f"load goal: 0 of {len(crowd)} submissions lost (met); the crowd at once took "
        f"{at_once:.2f}x the time one learner after another would take (goal <= "
        f"{CROWD_GOAL}x: {'met' if at_once <= CROWD_GOAL else 'missed'})"
    )


def test_a_server_killed_mid_submit_loses_nothing_already_submitted(hub, sessions):
    """p1 submitted in the exchange cycle; their server dies while they submit again."""
    inbound = hub.exchange / COURSE / "inbound"
    before = sorted(p.name for p in inbound.iterdir() if p.name.startswith("p1+"))
    assert before
    env = hub.server_env("p1")
    import pwd

    entry = pwd.getpwnam("p1")
    again = subprocess.Popen(
        ["nbgrader", "submit", A],
        user=entry.pw_uid,
        group=entry.pw_gid,
        env=env,
        cwd=entry.pw_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    os.kill(hub.server_pid("p1"), signal.SIGKILL)
    again.kill()
    again.wait()
    after = sorted(p.name for p in inbound.iterdir() if p.name.startswith("p1+"))
    assert set(before) <= set(after)
    for name in before:
        notebook = inbound / name / f"{A}.ipynb"
        assert json.loads(notebook.read_text())["cells"]  # whole, readable
    out = assess(hub, "collect", A, "--exchange")
    assert "p1" not in out.split("Quarantined")[-1] or "Quarantined" not in out
    assert (course_dir(hub) / "submitted" / "p1" / A).is_dir()


def test_the_hub_restarted_mid_term_keeps_every_user_and_record(hub, sessions):
    admin = sessions[ADMIN]
    users_before = {u["name"] for u in admin.get(f"{hub.url}/hub/api/users").json()}
    records_before = hub.records("person", "list", "--json").stdout
    status_before = hub.records("status", "1", "--json").stdout
    hub.stop()
    seconds = hub.start()
    print(f"\nhub restarted in {seconds:.1f} s")
    again = hub.login(ADMIN)
    users_after = {u["name"] for u in again.get(f"{hub.url}/hub/api/users").json()}
    assert users_before <= users_after and set(LEARNERS) <= users_after
    assert hub.records("person", "list", "--json").stdout == records_before
    assert hub.records("status", "1", "--json").stdout == status_before
    # a learner signs in again and their server starts
    assert hub.start_server(hub.login("p2")) > 0
