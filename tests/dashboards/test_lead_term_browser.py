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


# The school's MIS staff export as it comes (see tests/dashboards/test_dashboards.py for the
# import's details): a BOM, CRLF line ends, UK dates, MIS headers, a column not used, "Teaching
# Assistant" and "Head" as positions, a "Cook" the toolkit does not know, and a row without an
# email. Ann is already recorded (she gets her start date); Hana Head too, a headteacher who
# did the one-day intensive last year.
AUTUMN_EXPORT = (
    "\ufeffLegal Surname,Preferred Forename,Email Address,Staff Role,Start Date,Payroll No\r\n"
    "Able,Ann,ann@oak.example,Member of staff,01/09/2024,P1\r\n"
    "Head,Hana,HANA@oak.example,Head,01/09/2019,P2\r\n"
    "Dale,Dan,dan@oak.example,Teaching Assistant,01/09/2026,P3\r\n"
    "Ford,Fay,,teacher,02/09/2025,P4\r\n"
    "Grey,Gus,gus@oak.example,Cook,14/09/2026,P5\r\n"
)
# Next term's export: Dan is now a teacher, Ivy has joined, Fay still has no email.
SPRING_EXPORT = (
    "\ufeffLegal Surname,Preferred Forename,Email Address,Staff Role,Start Date,Payroll No\r\n"
    "Able,Ann,ann@oak.example,Member of staff,01/09/2024,P1\r\n"
    "Head,Hana,hana@oak.example,Headteacher,01/09/2019,P2\r\n"
    "Dale,Dan,dan@oak.example,Teacher,01/09/2026,P3\r\n"
    "Ford,Fay,,Teacher,02/09/2025,P4\r\n"
    "Grey,Gus,gus@oak.example,Cook,14/09/2026,P5\r\n"
    "Ives,Ivy,ivy@oak.example,HLTA,05/01/2027,P6\r\n"
)
ADMIN = "admin@imatter.example"


def staff_at(world, setting: str = "oakfield") -> dict[str, tuple[str | None, str]]:
    import sqlalchemy as sa
    from imatter.store import schema as t

    with world.store.read() as conn:
        rows = conn.execute(
            sa.select(t.people.c.name, t.people.c.email, t.affiliations.c.position)
            .select_from(t.people.join(t.affiliations))
            .where(t.affiliations.c.setting_id == setting, t.affiliations.c.until.is_(None))
        ).all()
    return {r.name: (r.email, r.position) for r in rows}


def person_id(world, email: str) -> int:
    import sqlalchemy as sa
    from imatter.store import schema as t

    with world.store.read() as conn:
        return conn.execute(sa.select(t.people.c.id).where(t.people.c.email == email)).scalar_one()


def upload_staff(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    with page.expect_file_chooser(timeout=30_000) as chooser:
        page.locator(".imatter-upload").click()
    chooser.value.set_files(str(path))


def pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path.read_bytes())
    return " ".join(page.get_textpage().get_text_range() for page in document)


def download(page, link_class: str, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    with page.expect_download(timeout=30_000) as got:
        page.locator(f"{link_class} a.imatter-download").click()
    target = folder / got.value.suggested_filename
    got.value.save_as(target)
    return target


def before_the_term(world) -> None:
    """What the organisation set up before: the issuer's key, who may do what, and Hana Head,
    a headteacher who did the one-day intensive last year."""
    from imatter import records
    from imatter.access import grant_access
    from imatter.credentials.settings import settings_for

    settings_for(world.ws).key_store().init(now=dt.datetime(2026, 9, 1, 9, 0))
    world.hana = world.person("Hana Head", "hana@oak.example", "oakfield", position="headteacher")
    records.record_completion(
        world.store,
        world.programme,
        world.hana,
        "intensive",
        D(2026, 3, 10),
        recorded_by="Theo Trainer",
        today=D(2026, 3, 10),
    )
    with world.store.write() as conn:
        grant_access(conn, ADMIN, "admin")
        grant_access(conn, "lena@oak.example", "setting-lead", setting="oakfield")


def test_a_leads_term_runs_from_the_dashboards_alone(world, tmp_path):
    """Issue 15, "done when": a whole term through the dashboards alone, as the Lead, the
    admin and a learner, with the store checked after each step."""
    sync_api = pytest.importorskip("playwright.sync_api")
    import sqlalchemy as sa
    from imatter.store import schema as t

    before_the_term(world)
    s = world.store
    autumn, spring = tmp_path / "Staff export autumn.csv", tmp_path / "Staff export spring.csv"
    autumn.write_bytes(AUTUMN_EXPORT.encode("utf-8"))
    spring.write_bytes(SPRING_EXPORT.encode("utf-8"))
    elsewhere: list[str] = []
    started = time.monotonic()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--lang=en-GB"]
        )
        try:
            # ---- September: the staff list, a group from it, the sessions.
            with dashboard(world, tmp_path, D(2026, 9, 20)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Staff list")
                upload_staff(page, autumn)
                columns = page.locator(".imatter-columns select")
                columns.first.wait_for(timeout=30_000)
                assert [
                    c.evaluate("e => e.options[e.selectedIndex].text").replace("\xa0", " ")
                    for c in columns.all()
                ] == [
                    "surname",
                    "preferred first name",
                    "email",
                    "position (staff role)",
                    "start date",
                    "not used",
                ]
                problems = page.locator(".imatter-import-problems")
                problems.wait_for(timeout=30_000)
                assert (
                    problems.inner_text().strip() == "line 6: unknown position 'Cook' (see below)"
                )
                page.locator(".imatter-position select").select_option(label="Member of staff")
                ready = page.locator(
                    ".imatter-ready",
                    has_text="Ready to import: 3 added, 2 updated, 0 unchanged, 0 flagged",
                )
                ready.wait_for(timeout=30_000)
                assert "Dan Dale" not in staff_at(world)  # nothing is saved by a check
                shot(page, "01-staff-import")
                page.get_by_role("button", name="Import the staff list").click()
                page.locator(
                    ".imatter-import-result",
                    has_text="Imported the staff list: 3 added, 2 updated, 0 unchanged, 0 flagged",
                ).wait_for(timeout=30_000)
                now = staff_at(world)
                assert now["Dan Dale"] == ("dan@oak.example", "teaching-assistant")
                assert now["Hana Head"] == ("hana@oak.example", "headteacher")
                assert now["Fay Ford"] == (None, "teacher")
                assert now["Gus Grey"] == ("gus@oak.example", "staff")
                with s.read() as conn:
                    saved = conn.execute(sa.select(t.import_mappings)).all()
                assert [(m.setting_id, m.kind, m.source, m.target) for m in saved] == [
                    ("oakfield", "position", "cook", "staff")
                ]

                tab(page, "New group")
                page.locator(".imatter-new-course select").select_option(
                    label="I Matter Introduction: awareness event"
                )
                page.locator(".imatter-group-name input").fill("Autumn awareness")
                learners = page.locator(".imatter-learners select")
                learners.locator("option", has_text="Dan Dale").wait_for(timeout=30_000)
                options = [
                    o.replace("\xa0", " ") for o in learners.locator("option").all_inner_texts()
                ]
                assert options == [
                    "Ann Able, Member of staff",
                    "Ben Brook, Member of staff",
                    "Cat Cole, Member of staff",
                    "Dan Dale, Teaching assistant",
                    "Fay Ford, Teacher",
                    "Gus Grey, Member of staff",
                    "Hana Head, Headteacher",
                    "Tara Trainee, Member of staff",
                ]
                learners.select_option(
                    label=[
                        "Ann Able, Member of staff",
                        "Ben Brook, Member of staff",
                        "Dan Dale, Teaching assistant",
                        "Hana Head, Headteacher",
                    ]
                )
                shot(page, "02-new-group")
                page.get_by_role("button", name="Create group and enrol").click()
                page.locator(".imatter-created", has_text="Created group 1").wait_for(
                    timeout=30_000
                )
                (row,) = groups.list_groups(s, leader=world.lead)
                assert (row.name, row.course_id, row.learners) == (
                    "Autumn awareness",
                    "awareness",
                    4,
                )
                gid = row.id

                tab(page, "Groups and attendance")
                day = page.locator(".imatter-session-day input")
                for typed, shown in (
                    ("01/10/2026", "Thursday 1 October 2026"),
                    ("08/10/2026", "Thursday 8 October 2026"),
                    ("15/10/2026", "Thursday 15 October 2026"),
                ):
                    day.fill(typed)  # typed as a UK date
                    page.get_by_role("button", name="Add session").click()
                    page.locator(".imatter-scheduled", has_text=shown).wait_for(timeout=30_000)
                shot(page, "03-sessions")
                assert [x.held_on for x in groups.register(s, gid).sessions] == [
                    D(2026, 10, 1),
                    D(2026, 10, 8),
                    D(2026, 10, 15),
                ]
                page.close()

            # ---- October: the registers, a catch-up, who needs what, completions.
            with dashboard(world, tmp_path, D(2026, 10, 20)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Groups and attendance")
                sessions = page.locator(".imatter-session select")
                ids = {f"{x.held_on:%d/%m/%Y}": x.id for x in groups.register(s, gid).sessions}
                for label, ben in (
                    ("01/10/2026", True),
                    ("08/10/2026", False),
                    ("15/10/2026", True),
                ):
                    sessions.select_option(label=label)
                    # The register's boxes for this session (not the last one's, still fading).
                    marks = page.locator(f".imatter-mark-session-{ids[label]}")
                    for name in ("Ann Able", "Dan Dale", "Hana Head"):
                        box = marks.filter(has_text=name).locator("input")
                        box.wait_for(timeout=30_000)
                        box.check()
                    ben_box = marks.filter(has_text="Ben Brook").locator("input")
                    ben_box.check() if ben else ben_box.uncheck()
                    page.get_by_role("button", name="Save attendance").click()
                    page.locator(
                        ".imatter-status", has_text=f"Saved attendance for {label}"
                    ).wait_for(timeout=30_000)
                reg = groups.register(s, gid)
                assert sum(reg.marks.values()) == 11 and len(reg.marks) == 12
                needs = page.locator(".imatter-needs")
                ben_row = needs.locator("tr", has_text="Ben Brook")
                ben_row.wait_for(timeout=30_000)
                assert "needs a catch-up for session 2 (8 October 2026) to complete" in (
                    ben_row.inner_text()
                )

                sessions.select_option(label="08/10/2026")
                page.locator(".imatter-catch-up-who select").wait_for(timeout=30_000)
                page.locator(f".imatter-mark-session-{ids['08/10/2026']}").first.wait_for()
                shot(page, "04-register-and-catch-up")
                page.get_by_role("button", name="Record catch-up").click()
                page.locator(
                    ".imatter-catch-up-status", has_text="Ben Brook caught up the session"
                ).wait_for(timeout=30_000)
                reg = groups.register(s, gid)
                assert reg.catch_ups == {(reg.sessions[1].id, world.ben)}

                needs.locator("td", has_text="1 of 1").wait_for(timeout=30_000)
                assert "3 of 3 (needs 3)" in needs.locator("tr", has_text="Ben Brook").inner_text()
                shot(page, "05-who-needs-what")
                page.get_by_role("button", name="Record completions").click()
                page.locator("td", has_text="recorded").first.wait_for(timeout=30_000)
                done = {
                    c["person_id"] for c in world.completions() if c["course_id"] == "awareness"
                }
                assert done == {
                    world.ann,
                    world.ben,
                    world.hana,
                    person_id(world, "dan@oak.example"),
                }

                # Hana now holds what a senior leader needs: the Lead nominates her.
                tab(page, "Eligible next")
                nominee = page.locator(".imatter-nominee select")
                nominee.wait_for(timeout=30_000)
                nominee.select_option(label="Hana Head: Senior leader: headteacher")
                page.locator(".imatter-nomination-note input").fill(
                    "Hana led our awareness term from the front."
                )
                page.get_by_role("button", name="Send nomination").click()
                page.locator(".imatter-nomination-status", has_text="Nominated Hana Head").wait_for(
                    timeout=30_000
                )
                shot(page, "06-nominate")
                with s.read() as conn:
                    (nom,) = conn.execute(sa.select(t.nominations)).all()
                assert (nom.person_id, nom.role_id, nom.status, nom.nominated_by) == (
                    world.hana,
                    "senior-headteacher",
                    "pending",
                    "lena@oak.example",
                )

                # A course certificate for Ann, downloaded and read.
                tab(page, "Certificates")
                page.locator(".imatter-completion select").select_option(
                    label="Ann Able: I Matter Introduction, 15/10/2026"
                )
                page.get_by_role("button", name="Make course certificate (PDF)").click()
                pdf = download(page, ".imatter-completion-certificate", tmp_path)
                shot(page, "07-course-certificate")
                text = " ".join(pdf_text(pdf).split())
                for expected in ("Ann Able", "Oakfield Primary", "Lena Lead", "hours"):
                    assert expected in text, (expected, text)

                tab(page, "Reports")
                page.locator(".imatter-report-course select").select_option(
                    label="I Matter Introduction: awareness event"
                )
                headline = page.locator(".imatter-headline", has_text="4 of 9 staff trained")
                headline.wait_for(timeout=30_000)
                shot(page, "09-report")
                # Every tab label is whole.
                for label in (
                    "Staff list",
                    "New group",
                    "Groups and attendance",
                    "Eligible next",
                    "Reflections",
                    "Certificates",
                    "Reports",
                ):
                    t_ = page.locator(".lm-TabBar-tab", has_text=label)
                    assert t_.locator(".lm-TabBar-tabLabel").inner_text() == label
                    assert t_.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), label
                page.close()

            # ---- The organisation's admin approves the nomination: the role is awarded and
            # its credential issued.
            with dashboard(world, tmp_path, D(2026, 10, 21), name="organisation", who=ADMIN) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Nominations")
                page.get_by_role("button", name="Approve and award").click()
                page.locator(
                    ".imatter-nomination-status",
                    has_text="approved: Hana Head is now Senior leader: headteacher",
                ).wait_for(timeout=60_000)
                with s.read() as conn:
                    (nom,) = conn.execute(sa.select(t.nominations)).all()
                    award = conn.execute(
                        sa.select(t.awards).where(t.awards.c.person_id == world.hana)
                    ).one()
                    issued = conn.execute(
                        sa.select(t.credentials).where(t.credentials.c.award_id == award.id)
                    ).all()
                assert (nom.status, nom.decided_by, nom.award_id) == ("approved", ADMIN, award.id)
                assert award.role_id == "senior-headteacher" and len(issued) == 1
                page.close()

            # ---- The Lead prints Hana's role certificate.
            with dashboard(world, tmp_path, D(2026, 10, 22)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Certificates")
                page.locator(".imatter-credential select").select_option(
                    label="Hana Head: Senior leader: headteacher"
                )
                page.get_by_role("button", name="Make certificate (PDF)").click()
                pdf = download(page, ".imatter-certificate", tmp_path)
                shot(page, "08-role-certificate")
                text = " ".join(pdf_text(pdf).split())
                for expected in ("Hana Head", "Senior leader: headteacher", "Oakfield Primary"):
                    assert expected in text, (expected, text)
                page.close()

            # ---- Ann, a learner, sees her completed course on her own page.
            with dashboard(
                world, tmp_path, D(2026, 10, 22), name="progress", who="ann@oak.example"
            ) as url:
                page = browser.new_page(locale="en-GB")
                page.goto(url, timeout=60_000)
                body = page.locator(".imatter-dash")
                body.locator("h3", has_text="Courses I have completed").wait_for(timeout=90_000)
                text = body.inner_text()
                assert "I Matter Introduction\t15/10/2026" in text
                assert "Ben Brook" not in text
                page.close()

            # ---- January: next term's export updates the staff list.
            with dashboard(world, tmp_path, D(2027, 1, 10)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Staff list")
                upload_staff(page, spring)
                page.locator(
                    ".imatter-ready",
                    has_text="Ready to import: 1 added, 1 updated, 3 unchanged, 1 flagged",
                ).wait_for(timeout=30_000)
                page.get_by_role("button", name="Import the staff list").click()
                result = page.locator(
                    ".imatter-import-result",
                    has_text="Imported the staff list: 1 added, 1 updated, 3 unchanged, 1 flagged",
                )
                result.wait_for(timeout=30_000)
                assert "line 5: no email; matched to person" in result.inner_text()
                shot(page, "10-reimport")
                now = staff_at(world)
                assert now["Dan Dale"] == ("dan@oak.example", "teacher")
                assert now["Ivy Ives"] == ("ivy@oak.example", "teaching-assistant")
                assert list(now).count("Fay Ford") == 1
                page.close()
        finally:
            browser.close()
    took = time.monotonic() - started
    print(f"\nA Lead's whole term through the dashboards took {took:.0f} s")
    assert elsewhere == []


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


def mark_in_browser(page, lowest_for: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """Mark every reflection in the open rubric widget: the top level of each criterion, or
    for `lowest_for`'s work the lowest level of the first criterion. Returns how many."""
    marking = page.locator(".imatter-marking .imatter-marking")  # the widget, in its tab's box
    header = marking.locator("h3").first
    header.wait_for(timeout=60_000)
    done = 0
    last = False
    while not last and "Nothing left to mark" not in header.inner_text():
        title = header.inner_text()
        who = marking.locator("p").first.inner_text()
        for _attempt in range(3):
            page.wait_for_timeout(500)  # the reflection's levels are drawn afresh
            groups_ = marking.locator(".widget-radio-box")
            for i in range(groups_.count()):
                radios = groups_.nth(i).locator("label")
                low = lowest_for is not None and lowest_for in who and i == 0
                (radios.first if low else radios.last).click()
            page.wait_for_timeout(300)  # the levels reach the kernel before the save
            marking.locator("textarea").fill("Thoughtful and specific.")
            marking.get_by_role("button", name="Save and next").click()
            try:
                page.wait_for_function(
                    "t => document.querySelector('.imatter-marking h3').innerText !== t"
                    " || document.querySelector('.imatter-marking').innerText"
                    ".includes('That was the last one')",
                    arg=title,
                    timeout=15_000,
                )
                last = "That was the last one" in marking.inner_text()
                break
            except Exception:  # a level was drawn after it was chosen: choose again
                continue
        else:
            raise AssertionError(marking.inner_text())
        done += 1
        if done > 20:
            raise AssertionError("the marking queue never emptied")
    return done


def test_a_groups_assessment_runs_through_the_dashboards(world, tmp_path):
    """Issue 15: a Foundation A group's assessment through the dashboards alone: the Lead
    prepares and hands out the notebooks, learners' work comes back and is collected and
    autograded with a button (real nbgrader, real kernels), the Lead marks with the rubric, a
    second person moderates in their own dashboard, the Lead resolves the disagreement and
    returns feedback, and the learner reads it on their own page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    import json

    import sqlalchemy as sa
    from imatter.access import grant_access
    from imatter.assess.course_dir import open_course_dir
    from imatter.assess.marking import Marking
    from imatter.assess.moderate import unresolved
    from imatter.store import schema as t

    from ..assess import helpers as h

    before_the_term(world)
    with world.store.write() as conn:
        grant_access(conn, "tara@oak.example", "setting-lead", setting="oakfield")
    s = world.store
    ann, ben = f"p{world.ann}", f"p{world.ben}"
    elsewhere: list[str] = []
    started = time.monotonic()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--lang=en-GB"]
        )
        try:
            with dashboard(world, tmp_path, D(2026, 11, 20)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "New group")
                page.locator(".imatter-new-course select").select_option(
                    label=world.programme.course("foundation-a").title
                )
                page.locator(".imatter-group-name input").fill("Foundation A autumn")
                learners = page.locator(".imatter-learners select")
                learners.locator("option", has_text="Ben Brook").wait_for(timeout=30_000)
                learners.select_option(
                    label=["Ann Able, Member of staff", "Ben Brook, Member of staff"]
                )
                page.get_by_role("button", name="Create group and enrol").click()
                page.locator(".imatter-created", has_text="Created group 1").wait_for(
                    timeout=30_000
                )
                tab(page, "Groups and attendance")
                page.get_by_role("button", name="Prepare and hand out").click()
                page.locator(".imatter-handout", has_text="Ready: 2 learner(s)").wait_for(
                    timeout=180_000
                )
                copies = {}
                for student in (ann, ben):
                    with page.expect_download(timeout=30_000) as got:
                        page.locator(
                            ".imatter-handout a", has_text=f"{student}_foundation-a.ipynb"
                        ).click()
                    copies[student] = h.load(Path(got.value.path()))
                # Each learner writes in their copy and sends it back (Ann's as her browser
                # saved a second download of it).
                back = tmp_path / "returned"
                back.mkdir()
                h.dump(h.answered(copies[ann], h.RIGHT), back / f"{ann}_foundation-a (1).ipynb")
                h.dump(h.answered(copies[ben], h.RIGHT), back / f"{ben}_foundation-a.ipynb")
                with page.expect_file_chooser(timeout=30_000) as chooser:
                    page.locator(".imatter-handin").click()
                chooser.value.set_files(sorted(str(f) for f in back.iterdir()))
                page.locator(".imatter-handed-in", has_text="2 file(s) ready").wait_for(
                    timeout=30_000
                )
                page.get_by_role("button", name="Collect and autograde").click()
                page.locator(
                    ".imatter-collected", has_text=f"Collected 2 learner(s)' work ({ann}, {ben})"
                ).wait_for(timeout=300_000)
                shot(page, "11-collect-and-autograde")
                course = open_course_dir(world.ws.path / "assessments" / "1")
                assert sorted(course.autograded_students("foundation-a")) == [ann, ben]

                tab(page, "Reflections")
                page.get_by_role("button", name="Mark with the rubric").click()
                page.locator(".imatter-marking .imatter-marking .widget-radio-box").first.wait_for(
                    timeout=60_000
                )
                shot(page, "12-marking")
                assert mark_in_browser(page) == 6
                results = Marking(course, "foundation-a", s, marker="x").results()
                assert [(r.student, r.marked, r.outcome.passed) for r in results] == [
                    (ann, True, True),
                    (ben, True, True),
                ]
                page.locator(".imatter-second-marker select").select_option(label="Tara Trainee")
                page.locator(".imatter-dash .widget-inline-hbox", has_text="Sample (%)").locator(
                    "input"
                ).fill("100")
                page.get_by_role("button", name="Ask for a second marking").click()
                page.locator(".imatter-moderation", has_text="Asked Tara Trainee").wait_for(
                    timeout=60_000
                )
                with s.read() as conn:
                    sampled = conn.execute(sa.select(t.assessment_moderations)).all()
                assert {(m.person_id, m.second_marker) for m in sampled} == {
                    (world.ann, "Tara Trainee"),
                    (world.ben, "Tara Trainee"),
                }
                page.close()

            # ---- Tara, a second person in her own dashboard, second-marks the sample.
            with dashboard(world, tmp_path, D(2026, 11, 21), who="tara@oak.example") as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Reflections")
                page.locator(".imatter-marking-role select").select_option(
                    label="second marker (moderation)"
                )
                page.get_by_role("button", name="Mark with the rubric").click()
                assert mark_in_browser(page, lowest_for="Ben Brook") == 6
                page.close()

            # ---- Lena compares, resolves, returns feedback.
            with dashboard(world, tmp_path, D(2026, 11, 22)) as url:
                page = open_page(browser, url, elsewhere)
                tab(page, "Reflections")
                page.get_by_role("button", name="Compare the marks").click()
                status = page.locator(".imatter-moderation", has_text="Sample: 2")
                status.wait_for(timeout=60_000)
                assert "second-marked: 2" in status.inner_text()
                assert status.locator("td", has_text="to settle").count() == 3
                shot(page, "13-moderation")
                page.get_by_role("button", name="Keep the first marks").click()
                page.locator(
                    ".imatter-moderation", has_text="Every disagreement is settled"
                ).wait_for(timeout=60_000)
                assert unresolved(course, "foundation-a", s) == []
                page.get_by_role("button", name="Return feedback").click()
                page.locator(".imatter-returned", has_text="Wrote 2 feedback file(s)").wait_for(
                    timeout=60_000
                )
                issued = json.loads(
                    (course.root / "feedback-issued" / "foundation-a.json").read_text()
                )
                assert sorted(issued["learners"]) == [ann, ben]
                page.close()

            # ---- Ann reads her feedback on her own page.
            with dashboard(
                world, tmp_path, D(2026, 11, 23), name="progress", who="ann@oak.example"
            ) as url:
                page = browser.new_page(locale="en-GB")
                page.goto(url, timeout=60_000)
                mine = page.locator(".imatter-feedback")
                mine.wait_for(timeout=90_000)
                assert "pass, " in mine.inner_text() and "returned" in mine.inner_text()
                frame = page.frame_locator(".imatter-feedback iframe")
                assert "You have passed" in frame.locator("body").inner_text()
                assert "Ben Brook" not in page.locator(".imatter-dash").inner_text()
                page.locator(".imatter-dash").first.screenshot(
                    path=str(SHOTS / "14-learner-feedback.png")
                )
                page.close()
        finally:
            browser.close()
    took = time.monotonic() - started
    print(f"\nA group's assessment through the dashboards took {took:.0f} s")
    assert elsewhere == []
