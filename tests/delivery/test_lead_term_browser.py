"""A Lead's whole term through the Lead dashboard alone, in a real browser (Voila + Debian's
chromium), offline: start a group, enrol from the staff list, schedule sessions by date, take
the registers with one catch-up, see who needs what, record completions and read the report
headline. The store is checked after each step, and the screenshots taken here illustrate the
Lead's guide in the book (book/how-to-use/lead-term.md). Run with `pytest -m browser`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from imatter import groups

from .test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "book" / "how-to-use" / "images" / "lead-term"
D = dt.date


@contextmanager
def dashboard(
    world, tmp_path: Path, as_of: dt.date, *, name: str = "lead", who: str = "lena@oak.example"
):
    """`imatter --as WHO dashboard NAME --person WHO` on a date, on a free local port."""
    port = free_port()
    log = tmp_path / f"voila-{as_of}.log"
    imatter = Path(sys.executable).with_name("imatter")
    command = [str(imatter)] if imatter.exists() else [sys.executable, "-m", "imatter"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMATTER_")}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *command,
                "-w",
                str(world.ws.path),
                "--as",
                who,
                "dashboard",
                name,
                "--port",
                str(port),
                "--no-browser",
                "--person",
                who,
                "--as-of",
                as_of.isoformat(),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/", proc, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def open_page(browser, url: str, elsewhere: list[str]):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 1500}, locale="en-GB")
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else elsewhere.append(r.url)
        ),
    )
    page.goto(url, timeout=60_000)
    page.locator(".imatter-dash .lm-TabBar-tab").first.wait_for(timeout=90_000)
    return page


def tab(page, label: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(".lm-TabBar-tab", has_text=label).click()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".imatter-dash").first.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_leads_term_runs_from_the_dashboard_alone(world, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    s, p = world.store, world.programme
    elsewhere: list[str] = []
    started = time.monotonic()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # ---- September: start the group, enrol from the staff list, plan the sessions.
            with dashboard(world, tmp_path, D(2026, 9, 20)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "New group")
                page.locator(".imatter-new-course select").select_option(
                    label="I Matter Introduction: awareness event"
                )
                page.locator(".imatter-group-name input").fill("Autumn awareness")
                learners = page.locator(".imatter-learners select")
                options = learners.locator("option").all_inner_texts()
                assert [o.replace("\xa0", " ") for o in options] == [
                    "Ann Able, Member of staff",
                    "Ben Brook, Member of staff",
                    "Cat Cole, Member of staff",
                    "Tara Trainee, Member of staff",
                ]
                learners.select_option(index=[0, 1])  # Ann and Ben
                shot(page, "01-new-group")
                page.get_by_role("button", name="Create group and enrol").click()
                page.locator(".imatter-created", has_text="Created group 1").wait_for(
                    timeout=30_000
                )
                (row,) = groups.list_groups(s, leader=world.lead)
                assert (row.name, row.course_id, row.learners) == (
                    "Autumn awareness",
                    "awareness",
                    2,
                )
                gid = row.id

                tab(page, "Groups and attendance")
                day = page.locator(".imatter-session-day input")
                for when in ("2026-10-01", "2026-10-08", "2026-10-15"):
                    day.fill(when)
                    page.get_by_role("button", name="Add session").click()
                    picked = D.fromisoformat(when)
                    shown = f"{picked:%A} {picked.day} {picked:%B %Y}"
                    page.locator(".imatter-scheduled", has_text=shown).wait_for(timeout=30_000)
                shot(page, "02-sessions")
                assert [x.held_on for x in groups.register(s, gid).sessions] == [
                    D(2026, 10, 1),
                    D(2026, 10, 8),
                    D(2026, 10, 15),
                ]
                page.close()

            # ---- October: the registers, a catch-up, who needs what, completions, report.
            with dashboard(world, tmp_path, D(2026, 10, 20)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Groups and attendance")
                sessions = page.locator(".imatter-session select")
                ids = {x.held_on.isoformat(): x.id for x in groups.register(s, gid).sessions}
                for label, ben in (
                    ("2026-10-01", True),
                    ("2026-10-08", False),
                    ("2026-10-15", True),
                ):
                    sessions.select_option(label=label)
                    # The register's boxes for this session (not the last one's, still fading).
                    marks = page.locator(f".imatter-mark-session-{ids[label]}")
                    ann_box = marks.filter(has_text="Ann Able").locator("input")
                    ann_box.wait_for(timeout=30_000)
                    ann_box.check()
                    ben_box = marks.filter(has_text="Ben Brook").locator("input")
                    ben_box.check() if ben else ben_box.uncheck()
                    page.get_by_role("button", name="Save attendance").click()
                    page.locator(
                        ".imatter-status", has_text=f"Saved attendance for {label}"
                    ).wait_for(timeout=30_000)
                reg = groups.register(s, gid)
                assert sum(reg.marks.values()) == 5 and len(reg.marks) == 6

                sessions.select_option(label="2026-10-08")
                page.locator(".imatter-catch-up-who select").wait_for(timeout=30_000)
                page.locator(f".imatter-mark-session-{ids['2026-10-08']}").first.wait_for()
                shot(page, "03-register-and-catch-up")
                page.get_by_role("button", name="Record catch-up").click()
                page.locator(
                    ".imatter-catch-up-status", has_text="Ben Brook caught up the session"
                ).wait_for(timeout=30_000)
                reg = groups.register(s, gid)
                assert reg.catch_ups == {(reg.sessions[1].id, world.ben)}

                needs = page.locator(".imatter-needs")
                needs.locator("td", has_text="1 of 1").wait_for(timeout=30_000)
                ben_row = needs.locator("tr", has_text="Ben Brook").all_inner_texts()[0]
                assert "3 of 3 (needs 3)" in ben_row
                shot(page, "04-who-needs-what")
                page.get_by_role("button", name="Record completions").click()
                page.locator("td", has_text="recorded").first.wait_for(timeout=30_000)
                done = {c["person_id"]: c["course_id"] for c in world.completions()}
                assert done == {world.ann: "awareness", world.ben: "awareness"}

                tab(page, "Reports")
                page.locator(".imatter-report-course select").select_option(
                    label="I Matter Introduction: awareness event"
                )
                headline = page.locator(".imatter-headline", has_text="2 of 5 staff trained")
                headline.wait_for(timeout=30_000)
                shot(page, "05-report")
                # Every tab label is whole.
                for label in (
                    "New group",
                    "Groups and attendance",
                    "Eligible next",
                    "Reflections",
                    "Certificates",
                    "Reports",
                ):
                    t = page.locator(".lm-TabBar-tab", has_text=label)
                    assert t.locator(".lm-TabBar-tabLabel").inner_text() == label
                    assert t.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), label
                page.close()
        finally:
            browser.close()
    took = time.monotonic() - started
    print(f"\nA Lead's term in the browser took {took:.0f} s")
    assert elsewhere == []
    status = groups.group_completion_status(s, p, gid, D(2026, 10, 20))
    assert [x.completed for x in status.progress] == [True, True]


def test_a_learner_in_a_study_group_opens_my_progress_as_themselves(world, tmp_path):
    """Issue 15: with access granted to others, a learner in a study group opened "my
    progress" as themselves and read "The page cannot open: no study group 1"."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from imatter.access import grant_access

    from .test_dashboards import make_group

    make_group(world)
    with world.store.write() as conn:
        grant_access(conn, "lena@oak.example", "setting-lead", setting="oakfield")
    elsewhere: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            with dashboard(
                world, tmp_path, D(2027, 3, 1), name="progress", who="ann@oak.example"
            ) as url:
                page = browser.new_page()
                page.goto(url, timeout=60_000)
                body = page.locator(".imatter-dash")
                body.locator("h3", has_text="My study groups").wait_for(timeout=90_000)
                text = body.inner_text()
                assert "cannot open" not in text
                assert "I Matter Introduction staff group 2026-27" in text
                assert "1 of 3 sessions (needs 3)" in text
                assert "Ben Brook" not in text
        finally:
            browser.close()
    assert elsewhere == []
