"""In a real browser (Debian's chromium, driven by Playwright): the welcome page leads to
Foundation A, search finds a term, a widget renders from its saved state, and the page asks
no other host for anything.

Builds the tiny fixture book, or tests an already built book given as IMATTER_BOOK_HTML (CI
points it at the real book after `imatter book build`)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(html folder, a term to search for) for the book under test."""
    given = os.environ.get("IMATTER_BOOK_HTML")
    if given:
        return Path(given), os.environ.get("IMATTER_BOOK_SEARCH_TERM", "attachment")
    from imatter.book.build import build_book
    from imatter.book.project import find_project

    from .conftest import make_book_project

    project = find_project(make_book_project(tmp_path_factory.mktemp("browser") / "project"))
    build_book(project, echo=lambda _m: None)
    return project.html_dir, "boundaries"


@pytest.fixture(scope="module")
def server(site):
    from imatter.book.serve import make_server

    html, _term = site
    httpd = make_server(html, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_welcome_to_foundation_a_search_and_widget_offline(server, site, browser):
    _html, term = site
    own = urlsplit(server).netloc
    requested: list[str] = []
    elsewhere: list[str] = []

    context = browser.new_context()

    def guard(route):
        url = route.request.url
        requested.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != own:
            elsewhere.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The welcome page (index.html redirects to it).
    page.goto(f"{server}/")
    page.wait_for_url(re.compile(r"/book/welcome\.html$"))
    assert page.locator("h1").first.inner_text().startswith("Welcome to I Matter")

    # ... to Foundation A, through the link in the welcome text.
    page.locator("article").get_by_role("link", name=re.compile(r"^Foundation A")).first.click()
    page.wait_for_url(re.compile(r"/courses/foundation-a\.html$"))
    assert page.locator("h1").first.inner_text().startswith("Foundation A")

    # ... to its first session, where an activity renders from its saved widget state.
    page.locator("article").get_by_role("link", name=re.compile(r"^Session 1")).first.click()
    page.wait_for_url(re.compile(r"/modules/foundation-a/01-[^/]+\.html$"))
    widget = page.locator(".jupyter-widgets.widget-button").first
    widget.wait_for(state="visible", timeout=20_000)
    assert (
        page.locator(
            ".widget-radio-box input[type=radio], .widget-toggle-button, .widget-button"
        ).count()
        >= 2
    )

    # The search box finds a term.
    page.keyboard.press("Control+k")
    box = page.locator("input[name=q]:visible").first
    box.wait_for(state="visible")
    box.fill(term)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\.html\?q="))
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=20_000)
    assert results.count() >= 1

    context.close()
    assert elsewhere == [], f"requests to other hosts: {elsewhere}"
    assert requested and all(
        urlsplit(u).netloc == own or urlsplit(u).scheme in ("data", "blob", "about")
        for u in requested
    )
    assert errors == []
