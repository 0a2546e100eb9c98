"""A learner in a real browser (Debian's chromium): signs in on the hub's page, gets their own
JupyterLab, and is turned away from another learner's server, the marking server and the
hub's admin page."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import GRADER, LEAD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in(browser, hub, name: str):  # type: ignore[no-untyped-def]
    """A new browser page signed in as `name` through the hub's login form, in their Lab."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", hub.passwords[name])
    page.click("#login_submit")
    page.wait_for_url(f"{hub.url}/user/{name}/lab**")
    page.wait_for_selector(".jp-DirListing-content")  # Lab reopens saved tabs: not the Launcher
    return page


def in_browsers(task, names: list[str], at_once: int = 3) -> dict:  # type: ignore[no-untyped-def]
    """`task(browser, name)` for each person, a few at a time, each in a chromium of its own
    (Playwright's sync API is one per thread); {name: result}."""
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import sync_playwright

    def one(name: str):  # type: ignore[no-untyped-def]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                return task(browser, name)
            finally:
                browser.close()

    with ThreadPoolExecutor(at_once) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def open_assignments(page) -> None:  # type: ignore[no-untyped-def]
    """nbgrader's Assignments panel, from the Nbgrader menu (or its tab, if open)."""
    tab = page.locator(".lm-TabBar-tab", has_text="Assignments")
    if tab.count():
        tab.first.click()
    else:
        page.click("#jp-MainMenu >> text=Nbgrader")
        page.click("text=Assignment List")
    page.locator("#released_assignments_list").wait_for()


def test_a_learner_signs_in_and_reaches_only_their_own_server(hub, sessions):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(90_000)
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", "p3")
            page.fill("#password_input", "wrong")
            page.click("#login_submit")
            page.wait_for_selector("text=Invalid username or password")

            page.fill("#username_input", "p3")
            page.fill("#password_input", hub.passwords["p3"])
            page.click("#login_submit")
            page.wait_for_url(f"{hub.url}/user/p3/lab**")
            # Lab reopens saved tabs: wait for the file browser, not the Launcher
            page.wait_for_selector(".jp-DirListing-content")

            elsewhere_ = ("/user/p4/lab", f"/user/{GRADER}/lab", "/hub/admin",
                          f"/user/{LEAD}/imatter/dashboard/lead")  # fmt: skip
            for elsewhere in elsewhere_:
                reply = page.goto(f"{hub.url}{elsewhere}")
                assert reply is not None
                assert reply.status in (403, 404), (elsewhere, reply.status, page.url)
                assert page.locator(".jp-DirListing-content").count() == 0
                assert "Lead Professional dashboard" not in page.content()
        finally:
            browser.close()
