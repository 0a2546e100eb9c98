"""A demo workspace: a synthetic cluster of schools and a GP practice, about 35 people.

Everything is built through the public API on dates relative to the demo date, so the demo
shows real rules at work: a trainee exactly two years into the licence, a school whose
membership ended yesterday, a Lead Professional ready for Trainer status. It shows a whole
term too: an issuer key made first, so every award carries a signed credential (with its
public page and printable certificate); and a Foundation A study group half way through the
term, with registers taken and its reflective assessment returned, autograded (real nbgrader),
partly marked and fed back. All names are invented.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from . import records as r
from .eligibility.dates import add_months, add_years
from .errors import ImatterError
from .services.awards import award_role
from .workspace import CONFIG_FILE, Workspace, init_workspace, workspace_path

BY = "demo"
DEMO_LEAD = "p.natarajan@brook.example"


def build_demo(
    path: str | Path | None, on: dt.date, *, force: bool = False, programme: str | None = None
) -> Workspace:
    """Create the demo workspace (refusing to overwrite one unless force) and fill it."""
    folder = workspace_path(path)
    if (folder / CONFIG_FILE).exists():
        if not force:
            raise ImatterError(
                f"{folder} already holds a workspace; use --force to rebuild the demo there, "
                "or pass another --workspace"
            )
        if not (folder / ".demo").exists():
            raise ImatterError(f"{folder} is not a demo workspace; refusing to replace it")
        shutil.rmtree(folder)
    ws = init_workspace(folder, programme=programme)
    (folder / ".demo").write_text("synthetic demo data\n", encoding="utf-8")
    with _not_waiting_for_the_disk(ws):
        _fill(ws, on)
    return ws


@contextmanager
def _not_waiting_for_the_disk(ws: Workspace) -> Iterator[None]:
    """While the demo is filled (about 150 small transactions), commit without waiting for
    the disk each time (SQLite `synchronous = OFF`): most of the demo's time otherwise, on a
    busy disk. Only this synthetic, rebuildable data; later connections are as usual."""
    store = ws.store
    if not store.is_sqlite:
        yield
        return
    import sqlalchemy as sa

    def relaxed(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA synchronous = OFF")

    store.engine.dispose()
    sa.event.listen(store.engine, "connect", relaxed)
    try:
        yield
    finally:
        sa.event.remove(store.engine, "connect", relaxed)
        store.engine.dispose()


@dataclass(frozen=True)
class DemoTerm:
    """What the demo's term holds, for the CLI to point at."""

    group_id: int
    group_name: str
    course_dir: Path | None  # None when the assessment sources are not installed
    marked: tuple[str, ...] = ()
    not_returned: tuple[str, ...] = ()
    credentials: int = 0


def _term(on: dt.date) -> str:
    """The school term a date falls in (t1 September to December, t2 to March, t3 after)."""
    from .delivery.groups.completion import academic_year

    return f"{academic_year(on)}-t{1 if on.month >= 9 else 2 if on.month <= 3 else 3}"


def demo_term(ws: Workspace) -> DemoTerm | None:
    """The term recorded in a demo workspace (read back from `.demo-term`)."""
    import json

    path = Path(ws.path) / ".demo-term"
    if not path.is_file():
        return None
    body = json.loads(path.read_text(encoding="utf-8"))
    course_dir = body.get("course_dir")
    return DemoTerm(
        body["group_id"],
        body["group_name"],
        Path(course_dir) if course_dir else None,
        tuple(body.get("marked", ())),
        tuple(body.get("not_returned", ())),
        body.get("credentials", 0),
    )


def _fill(ws: Workspace, on: dt.date) -> None:
    store, prog = ws.store, ws.programme
    # The issuer key comes first, so every award below is issued as a signed credential.
    from .credentials.settings import settings_for

    settings_for(ws).key_store().init(
        now=dt.datetime.combine(add_years(on, -5), dt.time(9), tzinfo=dt.UTC)
    )

    def ago(years: int = 0, months: int = 0, days: int = 0) -> dt.date:
        return add_months(on, -(12 * years + months)) - dt.timedelta(days=days)

    def done(person: int, *courses: str, when: dt.date) -> None:
        for i, course in enumerate(courses):
            r.record_completion(
                store,
                prog,
                person,
                course,
                when + dt.timedelta(days=7 * i),
                recorded_by=BY,
                today=on,
                evidence="demo register",
            )

    def person(name: str, setting: str, position: str, email: str | None = None) -> int:
        return r.add_person(
            store, prog, name, email=email, setting=setting, position=position, since=ago(6)
        )

    r.add_cluster(
        store, "riverside-icc", "Riverside Integrated Care Community", kind="icc", area="Riverside"
    )
    r.add_setting(
        store,
        "brook-primary",
        "Brook Primary School",
        pupils_on_roll=240,
        cluster="riverside-icc",
        area="Riverside",
    )
    r.add_setting(
        store,
        "hillview-academy",
        "Hillview Academy",
        pupils_on_roll=860,
        cluster="riverside-icc",
        area="Riverside",
    )
    r.add_setting(
        store,
        "meadow-infants",
        "Meadow Infant School",
        pupils_on_roll=95,
        cluster="riverside-icc",
        area="Riverside",
    )
    r.add_setting(
        store,
        "riverside-surgery",
        "Riverside Surgery",
        kind="service",
        cluster="riverside-icc",
        area="Riverside",
    )

    # Brook Primary: licensed four years ago, membership renewed every year.
    head = person("Ruth Okafor", "brook-primary", "headteacher", "head@brook.example")
    done(head, "awareness", "intensive", when=ago(4, 6))
    deputy = person("Sam Whitley", "brook-primary", "delegated-senior", "deputy@brook.example")
    done(deputy, "foundation-a", "foundation-b", when=ago(4, 6))
    lead = person("Priya Natarajan", "brook-primary", "teacher", "p.natarajan@brook.example")
    done(lead, "foundation-a", "foundation-b", "intermediate-a", "intermediate-b", when=ago(4, 5))
    senco = person("Tom Ashby", "brook-primary", "teacher", "t.ashby@brook.example")
    done(senco, "foundation-a", "foundation-b", "intermediate-a", "intermediate-b", when=ago(4, 4))
    r.add_action_plan(
        store,
        "brook-primary",
        "Take stock 1: a shared language",
        ago(4, 1),
        created_by=BY,
        items=[
            {
                "action": "Termly I Matter staff briefing",
                "owner": "Priya Natarajan",
                "due_on": ago(3, 9),
            }
        ],
    )
    for k in range(5):
        start = add_years(ago(4), k)
        if start <= on:
            r.add_membership(store, prog, "brook-primary", start, recorded_by=BY)
    r.grant_setting_licence(store, prog, "brook-primary", ago(4), granted_by=BY)

    # Priya: trainee for two years from four years ago, Lead since, Trainer-ready now.
    done(lead, "link-professional", when=ago(4, 2))
    award_role(ws, lead, "link-professional", ago(4, 1), granted_by=BY)
    app = r.apply_for_role(store, prog, lead, "trainee-lead", ago(4, 1), setting="brook-primary")
    r.decide_application(store, app, approve=True, decided_by=BY, on=ago(4, 0, 20))
    award_role(ws, lead, "trainee-lead", ago(3, 11), granted_by=BY)
    done(lead, "lead-y1-t1", when=ago(3, 8))
    done(lead, "lead-y1-t2", when=ago(3, 4))
    done(lead, "lead-y1-t3", when=ago(3))
    done(lead, "lead-y2", when=ago(2, 1))
    award_role(ws, lead, "school-lead", ago(1, 11), granted_by=BY)
    for k, ref in enumerate(["FAM-0101", "FAM-0102", "FAM-0103"]):
        r.add_case(store, lead, ref, ago(1, 9 - k), recorded_by=BY, last_reviewed_on=ago(0, 1))
    app = r.apply_for_role(store, prog, lead, "trainer", ago(0, 2))
    r.decide_application(store, app, approve=True, decided_by=BY, on=ago(0, 1))

    # Tom: exactly two years on the trainee licence today, Lead training complete.
    done(senco, "link-professional", when=ago(2, 6))
    award_role(ws, senco, "link-professional", ago(2, 5), granted_by=BY)
    app = r.apply_for_role(store, prog, senco, "trainee-lead", ago(2, 2))
    r.decide_application(store, app, approve=True, decided_by=BY, on=ago(2, 1))
    award_role(ws, senco, "trainee-lead", ago(2), granted_by=BY)
    done(senco, "lead-y1-t1", when=ago(1, 9))
    done(senco, "lead-y1-t2", when=ago(1, 5))
    done(senco, "lead-y1-t3", when=ago(1, 1))
    done(senco, "lead-y2", when=ago(0, 1))

    # Grace: 1 year 9 months into her licence.
    grace = person("Grace Mensah", "brook-primary", "teaching-assistant", "g.mensah@brook.example")
    done(grace, "foundation-a", "foundation-b", when=ago(2, 6))
    done(grace, "link-professional", when=ago(2, 3))
    award_role(ws, grace, "link-professional", ago(2, 2), granted_by=BY)
    app = r.apply_for_role(store, prog, grace, "trainee-lead", ago(2))
    r.decide_application(store, app, approve=True, decided_by=BY, on=ago(1, 10))
    award_role(ws, grace, "trainee-lead", ago(1, 9), granted_by=BY)
    done(grace, "lead-y1-t1", when=ago(1, 5))
    done(grace, "lead-y1-t2", when=ago(1, 1))
    done(grace, "lead-y1-t3", when=ago(0, 8))

    staff = [
        ("Leah Brennan", "teacher", ("foundation-a", "foundation-b")),
        ("Omar Haddad", "teaching-assistant", ("foundation-a", "foundation-b")),
        ("Chloe Barker", "staff", ("foundation-a",)),
        ("Dan Price", "teacher", ("awareness",)),
        ("Ines Duarte", "teaching-assistant", ("foundation-a", "foundation-b")),
    ]
    for i, (name, position, courses) in enumerate(staff):
        pid = person(name, "brook-primary", position, f"staff{i}@brook.example")
        done(pid, *courses, when=ago(0, 10 - i))
    app_pending = person("Kate Moreno", "brook-primary", "teacher", "k.moreno@brook.example")
    done(app_pending, "foundation-a", "foundation-b", "link-professional", when=ago(1, 2))
    award_role(ws, app_pending, "link-professional", ago(0, 11), granted_by=BY)
    r.apply_for_role(store, prog, app_pending, "trainee-lead", ago(0, 0, 10))

    # Hillview: one trained member of staff, no action plan: not licensable yet.
    hv_head = person("Martin Cole", "hillview-academy", "headteacher", "head@hillview.example")
    done(hv_head, "awareness", when=ago(0, 5))
    hv = person("Aisha Rahman", "hillview-academy", "teacher", "a.rahman@hillview.example")
    done(hv, "foundation-a", "foundation-b", "intermediate-a", "intermediate-b", when=ago(1))
    hv2 = person("Ben Fox", "hillview-academy", "delegated-senior", "b.fox@hillview.example")
    done(hv2, "foundation-a", when=ago(0, 3))
    r.add_membership(store, prog, "hillview-academy", ago(0, 4), recorded_by=BY)
    for i, name in enumerate(["Ella Novak", "Marcus Reid", "Sofia Ricci", "Adam Walsh"]):
        pid = person(name, "hillview-academy", "teacher" if i % 2 else "staff")
        if i < 3:
            done(pid, "foundation-a", when=ago(0, 6 - i))

    # Meadow Infants: licensed, but its membership ended yesterday.
    mi_head = person("Helen Shaw", "meadow-infants", "headteacher", "head@meadow.example")
    done(mi_head, "awareness", "intensive", when=ago(3))
    mi = [
        person(n, "meadow-infants", "teacher", f"{n.split()[0].lower()}@meadow.example")
        for n in ("Nia Evans", "Jack Turner")
    ]
    for pid in mi:
        done(
            pid, "foundation-a", "foundation-b", "intermediate-a", "intermediate-b", when=ago(2, 9)
        )
    r.add_action_plan(store, "meadow-infants", "Take stock: calm starts", ago(2, 2), created_by=BY)
    r.add_membership(store, prog, "meadow-infants", ago(2), recorded_by=BY)
    r.add_membership(store, prog, "meadow-infants", ago(1), recorded_by=BY)
    r.grant_setting_licence(store, prog, "meadow-infants", ago(2), granted_by=BY)
    done(mi[0], "link-professional", when=ago(1, 10))
    award_role(ws, mi[0], "link-professional", ago(1, 9), granted_by=BY)
    app = r.apply_for_role(store, prog, mi[0], "trainee-lead", ago(1, 6))
    r.decide_application(store, app, approve=True, decided_by=BY, on=ago(1, 5))

    # Riverside Surgery: a GP safeguarding lead on the community route, a school nurse.
    gp = person(
        "Dr Farah Iqbal", "riverside-surgery", "gp-safeguarding-lead", "f.iqbal@surgery.example"
    )
    done(gp, "foundation-a", "foundation-b", when=ago(1, 3))
    nurse = person(
        "Rosa Lindqvist", "riverside-surgery", "school-nurse", "r.lindqvist@surgery.example"
    )
    done(nurse, "awareness", "foundation-a", when=ago(0, 6))
    r.add_affiliation(store, prog, nurse, "brook-primary", "school-nurse", since=ago(1))
    hv_visitor = person("Joe Kamara", "riverside-surgery", "health-visitor")
    done(hv_visitor, "awareness", when=ago(0, 2))

    # Parents in Brook's parent groups (no email needed).
    for name, courses in [
        ("Parent A (demo)", ("awareness", "parents")),
        ("Parent B (demo)", ("parents",)),
        ("Parent C (demo)", ("awareness",)),
        ("Parent D (demo)", ("awareness", "foundation-a", "foundation-b")),
        ("Parent E (demo)", ()),
        ("Parent F (demo)", ("parents",)),
    ]:
        pid = person(name, "brook-primary", "parent")
        if courses:
            done(pid, *courses, when=ago(0, 4))

    # Sharing the records: whoever builds the demo is its admin; Priya leads Brook Primary.
    from .trust.access import grant_access

    with store.write() as conn:
        grant_access(conn, DEMO_LEAD, "setting-lead", setting="brook-primary")

    term = _run_term(ws, on, lead)
    from .store import schema as t

    with store.read() as conn:
        count = len(conn.execute(t.credentials.select()).all())
    body = {**asdict(term), "credentials": count}
    body["course_dir"] = str(term.course_dir) if term.course_dir else None
    (Path(ws.path) / ".demo-term").write_text(json.dumps(body, indent=1), encoding="utf-8")


def _run_term(ws: Workspace, on: dt.date, lead: int) -> DemoTerm:
    """Half a term of Foundation A at Brook Primary, led by Priya: six weekly sessions, the
    first three registered; the assessment returned by three of four learners, autograded,
    two of them marked (one pass, one not yet) and fed back."""
    from .delivery import groups

    store, prog = ws.store, ws.programme
    learners = [
        r.add_person(
            store,
            prog,
            name,
            email=email,
            setting="brook-primary",
            position=position,
            since=add_months(on, -6),
        )
        for name, position, email in [
            ("Zara Hughes", "teacher", "z.hughes@brook.example"),
            ("Owen Clarke", "teaching-assistant", "o.clarke@brook.example"),
            ("Mina Patel", "teacher", "m.patel@brook.example"),
            ("Luca Romano", "teaching-assistant", "l.romano@brook.example"),
        ]
    ]
    first = on - dt.timedelta(days=21)
    name = "Foundation A at Brook (demo term)"
    gid = groups.create_group(
        store,
        prog,
        course_id="foundation-a",
        term=_term(on),
        leader=lead,
        on=first,
        setting="brook-primary",
        name=name,
    )
    groups.enrol(store, prog, gid, list(learners), first)
    sessions = groups.schedule_sessions(store, gid, groups.weekly_dates(first, 6))
    for k, session in enumerate(sessions[:3]):
        marks: dict[str | int, bool] = {p: True for p in learners}
        if k == 1:
            marks[learners[3]] = False  # Luca missed week 2
        groups.record_attendance(store, prog, session, marks, recorded_by=lead, today=on)
    try:
        return _assess(ws, gid, name, learners)
    except (ImatterError, OSError):  # no assessment sources installed: the term without them
        return DemoTerm(gid, name, None)


def _assess(ws: Workspace, gid: int, name: str, learners: list[int]) -> DemoTerm:
    import sys

    from .assess.worker import _lazy_archive_util

    # nbgrader imports `setuptools.archive_util` (for zip collection, which the demo does not
    # use) and with it all of setuptools: the demo, like a grading worker, gets a stand-in
    # that imports the real module if it is ever called.
    sys.modules.setdefault("setuptools.archive_util", _lazy_archive_util())
    from .assess.autograde import autograde, start_kernels
    from .assess.collect import collect_files, expected_name
    from .assess.course_dir import add_learners, create_course_dir, default_sources
    from .assess.feedback import write_feedback
    from .assess.marking import Marking
    from .assess.release import generate, release_files

    assessment = "foundation-a"
    sources = default_sources()
    if not (sources / assessment / f"{assessment}.ipynb").is_file():
        return DemoTerm(gid, name, None)
    returned = [f"p{p}" for p in learners[:3]]  # Luca has not returned his yet
    # A fresh kernel for each returned notebook, booting while the assessment is set up.
    start_kernels(len(returned))
    course = create_course_dir(Path(ws.path) / "assess" / str(gid), f"group-{gid}")
    add_learners(course, ws.store, learners)
    generate(course, sources, assessment)
    outbox = course.root / "outbox" / assessment
    release_files(course, assessment, outbox)
    answers = _solutions(course.source_notebook(assessment))
    inbox = course.root / "inbox" / assessment
    inbox.mkdir(parents=True, exist_ok=True)
    for student in returned:
        nb = json.loads((outbox / expected_name(student, assessment)).read_text("utf-8"))
        for cell in nb["cells"]:
            meta = (cell.get("metadata") or {}).get("nbgrader") or {}
            if meta.get("solution") and meta.get("grade_id") in answers:
                cell["source"] = answers[meta["grade_id"]]
        (inbox / expected_name(student, assessment)).write_text(json.dumps(nb), "utf-8")
    collect_files(course, assessment, inbox)
    autograde(course, assessment, workers=1)
    marking = Marking(course, assessment, ws.store, marker="Priya Natarajan")
    rubric = marking.rubric
    for student, passing in zip(returned[:2], (True, False), strict=True):
        for n, reflection in enumerate(rubric.reflections):
            levels = {}
            for criterion in reflection.criteria:
                best = max(criterion.levels, key=lambda lv: lv.points).id
                below = next((lv.id for lv in criterion.levels if not criterion.meets(lv.id)), best)
                levels[criterion.id] = below if (not passing and n == 0) else best
            comment = (
                "Specific and warm: you name what you noticed in yourself."
                if passing
                else "Say more about what was going on for you, not only for the child."
            )
            marking.mark(student, reflection.cell, levels, comment)
    write_feedback(course, assessment, ws.store, course.root / "handback" / assessment)
    return DemoTerm(gid, name, course.root, tuple(returned[:2]), (f"p{learners[3]}",))


_DEMO_REFLECTIONS = (
    "At lunchtime a child pushed past me and I snapped. Afterwards I noticed how tired I was "
    "and that my own stress had shaped my reply; next time I will pause and name the feeling."
)


def _solutions(source: Path) -> dict[str, str]:
    """The model answers of a source notebook (between nbgrader's solution markers), and a
    synthetic reflection for each written answer: what a demo learner returns."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    found = {}
    for cell in nb["cells"]:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if not meta.get("solution"):
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            keep = [ln for ln in text.splitlines() if "### " not in ln]
            found[meta["grade_id"]] = "\n".join(keep)
        else:
            found[meta["grade_id"]] = _DEMO_REFLECTIONS
    return found
