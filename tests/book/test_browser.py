"""In a real browser (Debian's chromium, driven by Playwright), on the built book served from
127.0.0.1 with every request elsewhere refused:

- every activity type answers with no kernel, on a desktop and on a 390 px phone: the test
  chooses, drags, clicks and types as a learner would and reads the feedback (a screenshot of
  each working activity goes to `_build/screenshots/`);
- the questionnaire's "Download my answers" file is one `imatter impact collect` reads;
- the menu and Contents buttons open and close on a phone, the sidebar collapses on a desktop;
- axe-core (from npm, tests/book/js) finds no critical or serious problem on any page, and no
  page logs a console error;
- no page shows code, and the print stylesheet hides buttons, forms and navigation;
- the welcome page leads to Foundation A and the search finds a term.

Builds the tiny fixture book, or tests an already built book given as IMATTER_BOOK_HTML (CI
points it at the real book after `imatter book build`)."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = ROOT / "tests" / "book" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("IMATTER_SCREENSHOTS", ROOT / "_build" / "screenshots"))
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
KINDS = ("choice", "sort", "rating", "map", "scenario", "questionnaire")


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


class Guard:
    """A browser context that refuses (and records) any request leaving 127.0.0.1, and
    records console errors and uncaught exceptions."""

    def __init__(self, browser, server, viewport="desktop", **options):
        self.own = urlsplit(server).netloc
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORTS[viewport], **options)
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.own:
            self.elsewhere.append(url)
            route.abort()
        else:
            route.continue_()

    def page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on(
            "response",
            lambda r: (
                self.errors.append(f"{page.url}: {r.status} {r.url}") if r.status >= 400 else None
            ),
        )
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None
            ),
        )
        return page

    def close(self):
        self.context.close()
        assert self.elsewhere == [], f"requests to other hosts: {self.elsewhere}"


def pages_of(html: Path) -> list[str]:
    """Every content page of the site (not the search, index or static files)."""
    found = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html).as_posix()
        if rel.startswith("_") or rel in ("index.html", "genindex.html", "search.html"):
            continue
        found.append(rel)
    return found


def activity_pages(html: Path) -> dict[str, str]:
    """For each activity kind, the first page that has one (from the saved widget state)."""
    found: dict[str, str] = {}
    for rel in pages_of(html):
        text = (html / rel).read_text(encoding="utf-8", errors="replace")
        for kind in KINDS:
            if kind not in found and re.search(rf'"kind":\s*"{kind}"', text):
                found[kind] = rel
    return found


def activity(page, kind):
    box = page.locator(f"[data-activity={kind}]").first
    box.wait_for(state="visible", timeout=20_000)
    box.scroll_into_view_if_needed()
    return box


def shoot(box, kind, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    box.screenshot(path=str(SCREENSHOTS / f"{kind}-{viewport}.png"))


def feedback(box):
    return " ".join(box.locator(".imatter-feedback").all_inner_texts())


# ----------------------------------------------------------------------------- the activities
def drive_choice(box):
    box.get_by_role("button", name="Check").click()
    assert "Choose an answer first, then press Check." in feedback(box)
    # Keyboard only: the first option, then Check.
    box.locator("input[type=radio]").first.focus()
    box.page.keyboard.press("Space")
    box.get_by_role("button", name="Check").focus()
    box.page.keyboard.press("Enter")
    text = feedback(box)
    assert re.search(r"(Yes, that's right\.|Not quite\.)", text), text
    return text


def drive_sort(box):
    cards = box.locator(".imatter-card")
    zones = box.locator(".imatter-zone")
    count = cards.count()
    assert count >= 1 and zones.count() >= 2
    # Drag the first statement into the first box ...
    cards.first.drag_to(zones.first)
    assert zones.first.locator(".imatter-card").count() == 1
    # ... and sort the second (if any) from its list, with the keyboard.
    if count > 1:
        second = box.locator("select").nth(1)
        second.focus()
        second.select_option(index=2)
    box.get_by_role("button", name="Check my answers").click()
    text = feedback(box)
    assert re.search(rf"You sorted \d+ of {count} correctly\.", text), text
    assert re.search(r"(✓ Right\.|✗ Not quite: this one belongs in )", text), text
    return text


def drive_rating(box):
    groups = box.locator("fieldset")
    assert "Choose an answer for each statement to see your total." in feedback(box)
    groups.nth(0).locator("label").last.click()
    text = box.inner_text()
    assert re.search(r"Your total: \d+ out of \d+", text), text
    if groups.count() > 1:
        assert "still to answer" in text
    for i in range(1, groups.count()):
        groups.nth(i).locator("label").first.click()
    text = box.inner_text()
    assert "still to answer" not in text and re.search(r"Your total: \d+ out of \d+", text)
    return text


def drive_map(box):
    who = box.get_by_label("Who")
    who.fill("Sarah Jones")
    box.get_by_role("button", name="Add").click()
    assert "That looks like a full name." in feedback(box)
    who.fill("Nan")
    who.press("Enter")  # the keyboard adds too
    counts = box.locator(".imatter-counts").inner_text()
    assert re.search(r": 1\b", counts), counts
    assert box.locator("svg text", has_text="Nan").count() == 1
    assert who.input_value() == ""
    box.get_by_role("button", name="Remove last").click()
    assert box.locator("svg text", has_text="Nan").count() == 0
    who.fill("class teacher")
    box.get_by_role("button", name="Add").click()
    return box.inner_text()


def drive_scenario(box):
    text = box.inner_text()
    match = re.search(r"Situation 1 of (\d+)", text)
    assert match, text
    first = box.locator(".imatter-stack button").first
    label = first.inner_text()
    first.click()
    assert first.get_attribute("aria-pressed") == "true"
    assert label in feedback(box) and len(feedback(box)) > len(label)
    if int(match.group(1)) > 1:
        box.get_by_role("button", name="Next").click()
        assert "Situation 2 of" in box.inner_text()
        assert feedback(box).strip() == ""  # feedback clears on a new situation
        box.get_by_role("button", name="Previous").click()
        assert "Situation 1 of" in box.inner_text()
    return box.inner_text()


def drive_questionnaire(box, tmp_path):
    from imatter.impact import read_answers_file

    assert "your answers stay in this browser" in box.inner_text()
    assert not box.get_by_role("button", name="Save my answers").is_visible()
    download = box.get_by_role("button", name="Download my answers")
    download.click()
    assert "Please type a code you will remember" in feedback(box)
    box.get_by_label("Your code").fill("kestrel-42")
    download.click()
    assert "Please choose an answer for every statement first (4 still to do)." in feedback(box)
    for i, group in enumerate(box.locator("fieldset").all()):
        group.locator("label").nth(i % 5).click()
    with box.page.expect_download() as info:
        download.click()
    assert "Your code is KESTREL-42." in feedback(box)
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    answers = read_answers_file(saved)  # the reader `imatter impact collect` uses
    assert answers.pseudonym == "KESTREL-42"
    assert sorted(answers.scores.values()) == [1, 2, 3, 4]
    # The answers stay in this browser: they are there after a reload.
    box.page.reload()
    again = activity(box.page, "questionnaire")
    assert again.get_by_label("Your code").input_value() == "kestrel-42"
    assert again.locator("input[type=radio]:checked").count() == 4
    return json.loads(saved.read_text())


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_activity_answers_with_no_kernel(server, site, browser, viewport, tmp_path):
    html, _term = site
    where = activity_pages(html)
    assert sorted(where) == sorted(KINDS), f"activity types with no page: {set(KINDS) - set(where)}"
    guard = Guard(browser, server, viewport, accept_downloads=True)
    page = guard.page()
    drivers = {
        "choice": drive_choice,
        "sort": drive_sort,
        "rating": drive_rating,
        "map": drive_map,
        "scenario": drive_scenario,
        "questionnaire": lambda box: drive_questionnaire(box, tmp_path),
    }
    for kind in KINDS:
        page.goto(f"{server}/{where[kind]}")
        page.evaluate("() => localStorage.clear()")
        box = activity(page, kind)
        drivers[kind](box)
        shoot(activity(page, kind), kind, viewport)
        if viewport == "phone":
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"{where[kind]}: the page is {width} px wide on a 390 px phone"
    guard.close()
    assert guard.errors == []


def test_every_activity_works_with_the_keyboard_alone(server, site, browser):
    html, _term = site
    where = activity_pages(html)
    guard = Guard(browser, server, "desktop", accept_downloads=True)
    page = guard.page()
    keys = page.keyboard

    def open_(kind):
        page.goto(f"{server}/{where[kind]}")
        page.evaluate("() => localStorage.clear()")
        return activity(page, kind)

    box = open_("choice")
    box.locator("input[type=radio]").first.focus()
    keys.press("Space")
    keys.press("Tab")
    keys.press("Enter")
    assert re.search(r"(Yes, that's right\.|Not quite\.)", feedback(box))

    box = open_("sort")
    box.locator("select").first.focus()
    keys.press("ArrowDown")  # the first box
    assert box.locator(".imatter-zone .imatter-card").count() == 1  # the card moved there
    box.locator("select").first.focus()
    for _ in range(box.locator("select").count()):
        keys.press("Tab")
    keys.press("Enter")
    assert re.search(r"You sorted \d+ of \d+ correctly\.", feedback(box))

    box = open_("rating")
    box.locator("input[type=radio]").first.focus()
    keys.press("Space")
    assert re.search(r"Your total: 0 out of \d+", box.inner_text())
    keys.press("ArrowRight")  # the next point on the same scale
    assert re.search(r"Your total: 1 out of \d+", box.inner_text())

    box = open_("map")
    box.get_by_label("Who").focus()
    keys.type("Nan")
    keys.press("Tab")
    keys.press("ArrowDown")  # the next circle out
    keys.press("Tab")
    keys.press("Enter")  # Add
    assert box.locator("svg text", has_text="Nan").count() == 1

    box = open_("scenario")
    box.locator(".imatter-stack button").first.focus()
    keys.press("Enter")
    assert box.locator(".imatter-stack button").first.get_attribute("aria-pressed") == "true"

    box = open_("questionnaire")
    box.get_by_label("Your code").focus()
    keys.type("OWL-7")
    for _ in range(4):
        keys.press("Tab")  # to the next statement's first answer
        keys.press("Space")
    keys.press("Tab")
    with page.expect_download():
        keys.press("Enter")  # Download my answers
    assert "Your code is OWL-7." in feedback(box)
    guard.close()
    assert guard.errors == []


# ----------------------------------------------------------------------------- the theme
def test_phone_menu_and_contents_open_and_close_and_desktop_sidebar_collapses(
    server, site, browser
):
    html, _term = site
    session = next(p for p in pages_of(html) if p.startswith("modules/"))
    guard = Guard(browser, server, "phone")
    page = guard.page()
    page.goto(f"{server}/{session}")
    for button, dialog in (
        ("Site navigation", "#pst-primary-sidebar-modal"),
        ("Contents", "#pst-secondary-sidebar-modal"),
    ):
        page.locator(f"button[aria-label='{button}']:visible").first.click()
        modal = page.locator(dialog)
        assert modal.evaluate("d => d.open"), f"{button} did not open at 390 px"
        assert modal.locator("a").first.is_visible()
        modal.get_by_role("button", name="Close").click()
        assert not modal.evaluate("d => d.open"), f"{button} did not close"
        page.locator(f"button[aria-label='{button}']:visible").first.click()
        page.keyboard.press("Escape")
        assert not modal.evaluate("d => d.open"), f"{button} did not close with Escape"
    guard.close()

    guard = Guard(browser, server, "desktop")
    page = guard.page()
    page.goto(f"{server}/{session}")
    sidebar = page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible()
    page.locator("button[aria-label='Site navigation']:visible").first.click()
    page.wait_for_timeout(400)
    assert not sidebar.is_visible(), "the sidebar did not collapse on a desktop"
    page.locator("button[aria-label='Site navigation']:visible").first.click()
    page.wait_for_timeout(400)
    assert sidebar.is_visible()
    guard.close()
    assert guard.errors == []


# ----------------------------------------------------------------------------- every page
def test_every_page_accessible_without_console_errors_and_no_code(server, site, browser):
    html, _term = site
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/book/js`")
    axe = AXE.read_text(encoding="utf-8")
    guard = Guard(browser, server, "desktop")
    problems: list[str] = []
    for rel in pages_of(html):
        page = guard.page()
        page.goto(f"{server}/{rel}")
        page.wait_for_load_state("networkidle")
        source = (html / rel).read_text(encoding="utf-8", errors="replace")
        assert "BEGIN SOLUTION" not in source and "BEGIN HIDDEN TESTS" not in source, rel
        if rel.startswith("modules/"):
            assert page.locator(".cell_input").count() == 0, f"{rel} shows code"
            text = page.locator("article").inner_text()
            assert "NBVAL" not in text and "from imatter" not in text, f"{rel} shows code"
            if page.locator(".cell_output .jupyter-widgets").count():
                page.locator("[data-activity]").first.wait_for(timeout=20_000)
        page.add_script_tag(content=axe)
        found = page.evaluate(
            # preload: false: axe's own fetch of @import-ed stylesheets resolves them against the
            # page, not the stylesheet, and asks for files no reader's browser asks for.
            """async () => (await axe.run(document, {resultTypes: ['violations'], preload: false}))
                .violations
                .filter(v => v.impact === 'critical' || v.impact === 'serious')
                .map(v => `${v.impact} ${v.id} (${v.nodes.length}): ` +
                          v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; '))"""
        )
        problems += [f"{rel}: {p}" for p in found]
        page.close()
    guard.close()
    assert problems == []
    assert guard.errors == []


def test_print_hides_chrome_code_and_forms(server, site, browser):
    html, _term = site
    where = activity_pages(html)
    guard = Guard(browser, server, "desktop")
    page = guard.page()
    page.goto(f"{server}/{where['questionnaire']}")
    activity(page, "questionnaire")
    page.emulate_media(media="print")
    for selector in (
        ".bd-sidebar-primary",
        ".bd-header-article",
        ".prev-next-area",
        "#pst-back-to-top",
        ".imatter-activity",
        ".imatter-activity button",
        ".imatter-activity input",
    ):
        shown = page.locator(selector).evaluate_all(
            "els => els.filter(e => getComputedStyle(e).display !== 'none').length"
        )
        assert shown == 0, f"{selector} prints"
    notes = page.locator(".cell_output").evaluate_all(
        "els => els.map(e => getComputedStyle(e, '::before').content)"
        ".filter(c => c.includes('Activity'))"
    )
    assert notes, "an activity leaves no note on paper"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "print-session.pdf"))
    guard.close()


# ----------------------------------------------------------------------------- reading
def test_welcome_to_foundation_a_and_search_offline(server, site, browser):
    html, term = site
    guard = Guard(browser, server, "desktop")
    page = guard.page()

    # The welcome page (index.html redirects to it).
    page.goto(f"{server}/")
    page.wait_for_url(re.compile(r"/book/welcome\.html$"))
    assert page.locator("h1").first.inner_text().startswith("Welcome to I Matter")

    # ... to Foundation A, through the link in the welcome text.
    page.locator("article").get_by_role("link", name=re.compile(r"^Foundation A")).first.click()
    page.wait_for_url(re.compile(r"/courses/foundation-a\.html$"))
    assert page.locator("h1").first.inner_text().startswith("Foundation A")

    # ... to its first session, where an activity renders.
    page.locator("article").get_by_role("link", name=re.compile(r"^Session 1")).first.click()
    page.wait_for_url(re.compile(r"/modules/foundation-a/01-[^/]+\.html$"))
    activity(page, "choice")

    # A session with the course at a glance shows it as a card, not as printed text.
    glance = next(
        rel
        for rel in pages_of(html)
        if "imatter-glance" in (html / rel).read_text(encoding="utf-8", errors="replace")
    )
    page.goto(f"{server}/{glance}")
    card = page.locator(".imatter-glance").first
    assert card.is_visible() and "Time" in card.inner_text() and "For" in card.inner_text()
    assert page.locator("article pre", has_text="Before this:").count() == 0

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
    guard.close()
    assert guard.errors == []
