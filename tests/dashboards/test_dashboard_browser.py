"""The Lead dashboard in a real browser: Voila serves it, Debian's chromium drives it.

Needs /usr/bin/chromium (apt-get install chromium chromium-driver) and Playwright (python);
no browser is ever downloaded. Run with `pytest -m browser`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from imatter.delivery import groups

from .test_dashboards import make_group

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # no skip: scripts/setup --test installs Debian's chromium, and a missing one is a failure
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"imatter dashboard exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the dashboard did not answer at {url}:\n{log.read_text()}")


def lead_dashboard(world, port: int) -> list[str]:
    """`imatter dashboard lead` for the fixture workspace on `port`, as Lena on 2027-03-01."""
    imatter = Path(sys.executable).with_name("imatter")
    command = [str(imatter)] if imatter.exists() else [sys.executable, "-m", "imatter"]
    return [
        *command, "-w", str(world.ws.path), "dashboard", "lead", "--port", str(port),
        "--no-browser", "--person", "lena@oak.example", "--as-of", "2027-03-01",
    ]  # fmt: skip


def clean_env() -> dict[str, str]:
    """This environment without any IMATTER_ setting (the command names its workspace)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("IMATTER_")}


@pytest.fixture
def served(world, tmp_path):
    """`imatter dashboard lead` serving the fixture workspace on a free local port."""
    gid, first, second = make_group(world)
    port = free_port()
    log = tmp_path / "voila.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            lead_dashboard(world, port),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(),
            start_new_session=True,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/", proc, log)
        yield f"http://127.0.0.1:{port}/", gid, first, second
    finally:
        # Voila and its kernel run in the process group started above: stop exactly that.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_lead_marks_a_learner_present_in_the_browser(served, world):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, gid, first, second = served
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            elsewhere: list[str] = []
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                    else elsewhere.append(r.url)
                ),
            )
            page.goto(url, timeout=60_000)
            table = page.locator(".imatter-attendance-table")
            table.wait_for(timeout=90_000)
            # The group's attendance is shown: Ann present and Ben absent at the first session.
            ann = table.locator(f"td[data-person='{world.ann}'][data-session='{first}']")
            ben = table.locator(f"td[data-person='{world.ben}'][data-session='{first}']")
            assert ann.inner_text() == "✓" and ben.inner_text() == "✗"
            later = table.locator(f"td[data-person='{world.ben}'][data-session='{second}']")
            assert later.inner_text() == "·"

            # Take the register for the latest session: tick Ben and save.
            box = page.locator(".imatter-mark", has_text="Ben Brook").locator("input")
            box.check()
            page.get_by_role("button", name="Save attendance").click()
            page.locator(".imatter-status", has_text="Saved attendance").wait_for(timeout=30_000)
            assert page.locator(".imatter-status").inner_text() == (
                "Saved attendance for 08/02/2027: 1 present, 1 absent."
            )
            page.locator(
                f".imatter-attendance-table td[data-person='{world.ben}'][data-session='{second}']",
                has_text="✓",
            ).wait_for(timeout=30_000)
            # Every tab label is shown whole, and nothing was fetched from another site.
            for label in ("Groups and attendance", "Eligible next", "Reflections"):
                tab = page.locator(".lm-TabBar-tab", has_text=label)
                assert tab.locator(".lm-TabBar-tabLabel").inner_text() == label
                assert tab.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
            assert elsewhere == []
        finally:
            browser.close()

    reg = groups.register(world.store, gid)
    assert reg.marks[(second, world.ben)] is True
    assert reg.marks[(second, world.ann)] is False
    status = groups.group_completion_status(world.store, world.programme, gid, dt.date(2027, 3, 1))
    ben_progress = next(p for p in status.progress if p.person_id == world.ben)
    assert (ben_progress.held, ben_progress.attended) == (2, 1)  # absent, then present


def test_directory_page_searches_offline_in_the_browser(world, tmp_path):
    """The static directory page works from a file, without a network, and forgets a person
    once they withdraw consent and the page is regenerated."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from imatter.delivery import directory

    on = dt.date(2027, 1, 10)
    for person in (world.lead, world.trainer):
        directory.give_consent(world.store, person, dt.date(2026, 9, 1), recorded_by="org")
    _md, page_file = directory.publish_directory(world.store, world.programme, on, tmp_path)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            page.locator("#imatter-directory[data-ready='yes']").wait_for(timeout=10_000)
            names = page.locator("#imatter-directory-list li .name")
            assert names.all_inner_texts() == ["Lena Lead", "Theo Trainer"]
            page.fill("#imatter-directory-q", "oakfield")
            assert names.all_inner_texts() == ["Lena Lead"]
            assert (
                page.locator("#imatter-directory-count")
                .inner_text()
                .startswith("1 of 2 people shown")
            )
            page.fill("#imatter-directory-q", "")
            page.select_option("#imatter-directory-role", "I Matter Trainer")
            assert names.all_inner_texts() == ["Theo Trainer"]

            directory.withdraw_consent(world.store, world.trainer, dt.date(2027, 1, 11))
            directory.publish_directory(
                world.store, world.programme, dt.date(2027, 1, 11), tmp_path
            )
            page.goto(page_file.as_uri())
            page.locator("#imatter-directory[data-ready='yes']").wait_for(timeout=10_000)
            assert names.all_inner_texts() == ["Lena Lead"]
        finally:
            browser.close()


def test_sigterm_to_imatter_dashboard_stops_voila_and_its_kernels(world, tmp_path):
    """A service manager stops `imatter dashboard` with SIGTERM: no server may be left behind."""
    make_group(world)
    port = free_port()
    log = tmp_path / "voila.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            lead_dashboard(world, port), stdout=out, stderr=subprocess.STDOUT, env=clean_env()
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/", proc, log)
        children = _descendants(proc.pid)
        assert children, "Voila should run as a child of imatter dashboard"
        proc.send_signal(signal.SIGTERM)  # to imatter alone, as systemd or a terminal would
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.2)
        assert [pid for pid in children if _alive(pid)] == []
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
                todo.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
