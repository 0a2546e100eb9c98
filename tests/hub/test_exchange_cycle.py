"""Foundation A's assessment through the hub: released by the Lead from the marking server,
fetched and submitted by each learner from their own server, collected, autograded, marked,
fed back through nbgrader's exchange, and the passes recorded. Learners stay apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..assess import helpers as h
from .conftest import COURSE, GRADER, LEARNERS

pytestmark = pytest.mark.slow
A = "foundation-a"
COURSE_DIR = f"~/{COURSE}"  # in the marking account's home, as the guide says


def assess(hub, *args: str):  # type: ignore[no-untyped-def]
    """`imatter assess --course-dir ~/foundation-a ARGS` in the marking server's terminal."""
    home = Path(f"~{GRADER}").expanduser()
    out = hub.in_server(
        GRADER, "imatter", "assess", "--course-dir", str(home / COURSE), *args, check=False
    )
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


@pytest.fixture(scope="module")
def submitted(hub, sessions):
    """Released to five learners; each fetched it, wrote reflections and submitted."""
    ids = ",".join(name[1:] for name in LEARNERS)
    out = assess(hub, "init", "--course-id", COURSE, "--exchange", str(hub.exchange),
                 "--learner", ids)  # fmt: skip
    assert "p5" in out
    assess(hub, "generate", A)
    out = assess(hub, "release", A, "--exchange")
    assert out.startswith(f"Released {A}")
    for name in LEARNERS:
        listed = hub.in_server(name, "nbgrader", "list")
        assert f"{COURSE} {A}" in listed.stdout + listed.stderr
        hub.in_server(name, "nbgrader", "fetch_assignment", A)
        path = f"{Path(f'~{name}').expanduser()}/{A}/{A}.ipynb"
        mine = json.loads(hub.in_server(name, "cat", path).stdout)
        answered = h.answered(mine, h.RIGHT)
        writer = "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())"
        hub.in_server(name, "python", "-c", writer, path, input=json.dumps(answered))
        done = hub.in_server(name, "nbgrader", "submit", A)
        assert "Submitted as" in done.stdout + done.stderr
    return LEARNERS


def test_a_learner_cannot_see_what_others_handed_in(hub, submitted):
    inbound = hub.exchange / COURSE / "inbound"
    assert len(list(inbound.iterdir())) == len(LEARNERS)
    tried = hub.in_server("p2", "ls", str(inbound), check=False)
    assert tried.returncode != 0 and "Permission denied" in tried.stderr
    p1_home = Path("~p1").expanduser()
    tried = hub.in_server("p2", "cat", f"{p1_home}/{A}/{A}.ipynb", check=False)
    assert tried.returncode != 0 and "Permission denied" in tried.stderr
    grader_home = Path(f"~{GRADER}").expanduser()
    tried = hub.in_server("p2", "ls", str(grader_home), check=False)
    assert tried.returncode != 0 and "Permission denied" in tried.stderr


@pytest.mark.browser
def test_a_learner_sees_their_submission_in_jupyterlab(hub, submitted):
    """In the browser, nbgrader's Assignment List shows the learner's own submission."""
    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(90_000)
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", "p4")
            page.fill("#password_input", hub.passwords["p4"])
            page.click("#login_submit")
            page.wait_for_selector(".jp-DirListing-content")
            page.click("#jp-MainMenu >> text=Nbgrader")
            page.click("text=Assignment List")
            submitted_list = page.locator("#submitted_assignments_list")
            submitted_list.get_by_text(A).first.wait_for()
            assert COURSE in submitted_list.inner_text()
        finally:
            browser.close()


def test_collect_mark_feed_back_and_record(hub, submitted):
    out = assess(hub, "collect", A, "--exchange")
    assert out.startswith(f"Collected {len(LEARNERS)} submission(s) of {A}: p1, p2, p3, p4, p5")
    out = assess(hub, "autograde", A, "--workers", "2")
    assert out.startswith(f"Autograded {len(LEARNERS)} submission(s)")
    for name in LEARNERS:
        for cell_id, criteria in h.CELLS.items():
            levels = [f"--level={c}={h.PASSING[c]}" for c in criteria]
            assess(hub, "mark", A, "--marker", "imlead", "--learner", name,
                   "--reflection", cell_id, *levels, "--comment", f"Well done {name}.")  # fmt: skip
    out = assess(hub, "feedback", A, "--exchange")
    assert out.startswith(f"Released {len(LEARNERS)} feedback file(s) through the exchange")
    out = assess(hub, "sync", A, "--by", "imlead")
    # Every pass is recorded (PostgreSQL); the course completion waits for the course's whole
    # rule (attendance in a study group as well as the pass: issue 12's one truth), and these
    # learners have no register in this test.
    assert out.startswith(
        f"0 completion(s) of {A} recorded; {len(LEARNERS)} passed, completion waiting for the "
        "course's rule;"
    ), out
    for name in LEARNERS:
        status = hub.records("status", name[1:], "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["completed"] == []

    # each learner fetches their own feedback, and only theirs
    for name in LEARNERS:
        hub.in_server(name, "nbgrader", "fetch_feedback", A)
        home = Path(f"~{name}").expanduser()
        found = hub.in_server(name, "find", f"{home}/{A}/feedback", "-name", "*.html")
        (page,) = found.stdout.splitlines()  # feedback/<time of submission>/foundation-a.html
        text = hub.in_server(name, "cat", page).stdout
        assert f"Well done {name}." in text
        others = [n for n in LEARNERS if n != name]
        assert not any(f"Well done {n}." in text for n in others)
        assert h.SECRET not in text  # the feedback quotes no reflection
    # the exchange's feedback folder cannot be listed, so nobody finds another's file
    feedback = hub.exchange / COURSE / "feedback"
    tried = hub.in_server("p2", "ls", str(feedback), check=False)
    assert tried.returncode != 0 and "Permission denied" in tried.stderr
