"""A learner in a real browser (Debian's chromium): signs in on the hub's page, gets their own
JupyterLab, and is turned away from another learner's server, the marking server and the
hub's admin page."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import GRADER

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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

            for elsewhere in ("/user/p4/lab", f"/user/{GRADER}/lab", "/hub/admin"):
                reply = page.goto(f"{hub.url}{elsewhere}")
                assert reply is not None
                assert reply.status in (403, 404), (elsewhere, reply.status, page.url)
                assert page.locator(".jp-DirListing-content").count() == 0
        finally:
            browser.close()
