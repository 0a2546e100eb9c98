"""Foundation A's assessment through the hub: released from the marking server; each learner
signs in in a real browser (chromium), opens a session notebook and tries its activity, then
fetches, writes and submits the assessment BY CLICKING in nbgrader's Assignments panel;
collected, autograded, marked (partly by the Lead, in their dashboard served by their own
server, into the shared PostgreSQL gradebook), fed back through nbgrader's exchange, fetched
back by clicking, and the passes recorded. Learners stay apart."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from ..assess import helpers as h
from .conftest import COURSE, GRADER, LEAD, LEARNERS, SESSION_NOTEBOOK, SETTING
from .test_browser import CHROMIUM, CHROMIUM_ARGS, in_browsers, open_assignments, sign_in

pytestmark = pytest.mark.slow
A = "foundation-a"
REFLECTIONS = {
    "reflect-practice": "A child in Year 4 and I clashed at lunchtime; I stayed calm. {secret}",
    "reflect-self": "I talk to a colleague after a hard day and go for a walk.",
    "reflect-next": "Next week I will plan a calm start with my teaching assistant.",
}
BY_DASHBOARD = "Marked in the dashboard for {name}."


MARK_ALL = """
import json, sys
from imatter.assess.course_dir import open_course_dir
from imatter.assess.marking import Marking
from imatter.workspace import open_workspace
session = Marking(open_course_dir(sys.argv[1]), sys.argv[2], open_workspace().store,
                  marker="imlead")
for student, cell, levels, comment in json.load(sys.stdin):
    session.mark(student, cell, levels, comment)
"""


def course_dir(hub) -> Path:  # type: ignore[no-untyped-def]
    """The course directory, in the staff workspace (the guide's step 7): the marking account
    and the Lead both reach it."""
    return hub.workspace / "assess" / COURSE


def assess(hub, *args: str):  # type: ignore[no-untyped-def]
    """`imatter assess ARGS` in the marking server's terminal, with IMATTER_COURSE_DIR set
    as the guide says."""
    out = hub.in_server(
        GRADER,
        "imatter",
        "assess",
        *args,
        env={"IMATTER_COURSE_DIR": str(course_dir(hub))},
        check=False,
    )
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def _choice(notebook: Path) -> tuple[str, str]:
    """The session notebook's first choice activity: (its code, its right answer)."""
    for cell in json.loads(notebook.read_text())["cells"]:
        code = "".join(cell["source"])
        if cell["cell_type"] == "code" and "choice_check(" in code:
            call = next(n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call))
            right = next(k.value for k in call.keywords if k.arg == "correct")
            return code, ast.literal_eval(right)
    raise AssertionError(f"no choice activity in {notebook}")


def try_the_activity(page) -> None:  # type: ignore[no-untyped-def]
    """Open the session notebook, run its choice activity's cell, answer it, see the answer."""
    code, right = _choice(SESSION_NOTEBOOK)
    page.locator(".jp-DirListing-item", has_text=SESSION_NOTEBOOK.stem[:20]).dblclick()
    page.get_by_text("| Idle").first.wait_for()  # the kernel is ready
    cell = page.locator(".jp-CodeCell", has_text="choice_check(").first
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    choice = page.locator("[data-activity=choice]").first
    choice.wait_for()
    choice.get_by_label(right, exact=True).check()
    choice.get_by_role("button", name="Check").click()
    choice.get_by_text("Yes, that's right.").wait_for()
    assert code  # the cell that ran is the notebook's own


def answer_and_submit(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """In the Assignments panel: Fetch, open the notebook, type the answers and reflections,
    save, Submit; then the panel lists the submission."""
    open_assignments(page)
    released = page.locator("#released_assignments_list")
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    fetched.get_by_role("button", name="Submit").wait_for()
    fetched.locator(".assignment-notebooks-link").first.click()
    fetched.get_by_role("link", name=A, exact=True).click()  # opens the notebook in Lab
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.locator(".jp-Cell").first.wait_for()
    for n, value in h.RIGHT.items():  # the knowledge check: type between the quotes
        cell = notebook.locator(".jp-CodeCell", has_text=f'answer_{n} = ""').first
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+a")
        page.keyboard.type(f'answer_{n} = "{value}"')
        page.keyboard.press("Escape")
    cells = notebook.locator(".jp-Cell")
    stub = "Write your reflection here"
    boxes = [i for i, text in enumerate(cells.all_text_contents()) if stub in text]
    assert len(boxes) == len(REFLECTIONS), boxes
    for i, text in zip(boxes, REFLECTIONS.values(), strict=True):
        box = cells.nth(i)  # each reflection: double-click its box and write
        box.scroll_into_view_if_needed()
        box.dblclick()
        editor = box.locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.type(text.format(secret=h.SECRET))
        page.keyboard.press("Shift+Enter")  # shows it as text again
        box.locator(".jp-RenderedMarkdown", has_text=text[:30]).wait_for()
    page.keyboard.press("Control+s")
    page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").wait_for(state="detached")
    open_assignments(page)
    page.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
    submitted = page.locator("#submitted_assignments_list")
    submitted.get_by_role("button", name="Fetch Feedback").wait_for()
    assert COURSE in submitted.inner_text()


@pytest.fixture(scope="module")
def submitted(hub, sessions):
    """Released to five learners; each, in chromium, tried an activity, then fetched the
    assessment, wrote in it and submitted it by clicking."""

    ids = ",".join(name[1:] for name in LEARNERS)
    out = assess(hub, "init", "--course-id", COURSE, "--exchange", str(hub.exchange),
                 "--setting", SETTING, "--learner", ids)  # fmt: skip
    assert "p5" in out
    assess(hub, "generate", A)
    out = assess(hub, "release", A, "--exchange")
    assert out.startswith(f"Released {A}")

    def learner(browser, name: str) -> None:  # type: ignore[no-untyped-def]
        page = sign_in(browser, hub, name)
        try_the_activity(page)
        answer_and_submit(page, name)

    in_browsers(learner, LEARNERS)
    for name in LEARNERS:  # what the learner typed is what was handed in
        handed = hub.exchange / COURSE / "inbound"
        (folder,) = [f for f in handed.iterdir() if f.name.startswith(f"{name}+{A}+")]
        nb = json.loads((folder / f"{A}.ipynb").read_text())
        assert "".join(h.cell(nb, "q3-answer")["source"]).strip() == 'answer_3 = "relationships"'
        assert h.SECRET in "".join(h.cell(nb, "reflect-practice")["source"])
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


def mark_in_the_dashboard(hub) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The Lead signs in, opens their dashboard (served by their own server, as them) and
    marks the first reflection in its queue with the rubric; returns (learner, reflection)."""
    from playwright.sync_api import sync_playwright

    rubric = yaml.safe_load((h.SOURCES / A / "rubric.yml").read_text())
    cells = {r["title"]: r["cell"] for r in rubric["reflections"]}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = sign_in(browser, hub, LEAD)
            page.goto(f"{hub.url}/user/{LEAD}/imatter/dashboard/lead")
            page.locator(".lm-TabBar-tab", has_text="Reflections").click()
            page.get_by_role("button", name="Mark with the rubric").click()
            marking = page.locator(".imatter-marking").last
            header = marking.locator("h3").first
            header.wait_for()
            found = re.search(r"of \d+: (.+)", header.inner_text())
            who = re.search(r"\((p\d+)\): to mark", marking.inner_text())
            assert found and who, marking.inner_text()
            learner, cell = who.group(1), cells[found.group(1).strip()]
            assert h.SECRET in marking.inner_text()  # the Lead reads what the learner wrote
            for radio in marking.locator(".widget-radio-box").all():
                radio.locator("label", has_text="Strong (").click()
            marking.locator("textarea").fill(BY_DASHBOARD.format(name=learner))
            marking.get_by_role("button", name="Save and next").click()
            marking.get_by_text("Saved.").wait_for()
        finally:
            browser.close()
    return learner, cell


def fetch_feedback_by_clicking(hub, browser, name: str) -> str:  # type: ignore[no-untyped-def]
    """In the Assignments panel, Fetch Feedback, then view it; returns the feedback page."""
    page = sign_in(browser, hub, name)
    open_assignments(page)
    submitted = page.locator("#submitted_assignments_list")
    submitted.get_by_role("button", name="Fetch Feedback").click()
    submitted.get_by_text("(view feedback)").click()  # the file browser goes to it
    listing = page.locator(".jp-DirListing-content")
    listing.locator(".jp-DirListing-item", has_text=f"{A}.html").wait_for()
    path = page.locator(".jp-BreadCrumbs").inner_text()
    assert "feedback" in path
    # the browser opens the file from the learner's own server ...
    folder = next(Path(f"~{name}").expanduser().glob(f"{A}/feedback/*"))
    url = f"{hub.url}/user/{name}/files/{A}/feedback/{folder.name}/{A}.html"
    reply = page.request.get(url)
    assert reply.status == 200
    text = reply.text()
    # ... and nobody else's: another learner's server, or their file there, is refused
    other = LEARNERS[(LEARNERS.index(name) + 1) % len(LEARNERS)]
    theirs = page.request.get(
        f"{hub.url}/user/{other}/files/{A}/feedback/{folder.name}/{A}.html", max_redirects=0
    )
    assert theirs.status in (302, 403, 404) and "Well done" not in theirs.text()
    page.context.close()
    return text


def test_collect_mark_feed_back_and_record(hub, submitted):
    out = assess(hub, "collect", A, "--exchange")
    assert out.startswith(f"Collected {len(LEARNERS)} submission(s) of {A}: p1, p2, p3, p4, p5")
    out = assess(hub, "autograde", A, "--workers", "2")
    assert out.startswith(f"Autograded {len(LEARNERS)} submission(s)")
    by_dashboard = mark_in_the_dashboard(hub)
    marks = [
        (name, cell_id, {c: h.PASSING[c] for c in criteria}, f"Well done {name}.")
        for name in LEARNERS
        for cell_id, criteria in h.CELLS.items()
        if (name, cell_id) != by_dashboard  # marked by the Lead in the dashboard
    ]
    # one mark as the guide shows it, the rest at once through the same Python API
    (name, cell_id, levels, comment), rest = marks[0], marks[1:]
    assess(hub, "mark", A, "--marker", "imlead", "--learner", name, "--reflection", cell_id,
           *[f"--level={c}={v}" for c, v in levels.items()], "--comment", comment)  # fmt: skip
    hub.in_server(
        GRADER,
        "python",
        "-c",
        MARK_ALL,
        str(course_dir(hub)),
        A,
        input=json.dumps(rest),
        env={"IMATTER_COURSE_DIR": str(course_dir(hub))},
    )
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

    # each learner fetches their own feedback by clicking, and sees only theirs
    pages = in_browsers(lambda browser, name: fetch_feedback_by_clicking(hub, browser, name),
                        LEARNERS)  # fmt: skip
    for name, text in pages.items():
        assert f"Well done {name}." in text
        others = [n for n in LEARNERS if n != name]
        assert not any(f"Well done {n}." in text for n in others)
        assert h.SECRET not in text  # the feedback quotes no reflection
    learner, _cell = by_dashboard
    assert BY_DASHBOARD.format(name=learner) in pages[learner]  # the Lead's mark went back
    # the exchange's feedback folder cannot be listed, so nobody finds another's file
    feedback = hub.exchange / COURSE / "feedback"
    tried = hub.in_server("p2", "ls", str(feedback), check=False)
    assert tried.returncode != 0 and "Permission denied" in tried.stderr
