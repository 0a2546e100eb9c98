"""Notebook factories: a learner's answers, and every way a returned notebook gets damaged."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from imatter.assess.course_dir import TEXT_STUB

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "assessments" / "source"
ASSESSMENT = "foundation-a"

# Text a marker never needs to see in a log: the tests search logs and files for it.
SECRET = "Zebra-Quokka-7731"

RIGHT = {1: "b", 2: "a", 3: "relationships"}
WRONG = {1: "c", 2: "b", 3: "ropes"}


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def dump(nb: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def grade_id(cell: dict) -> str | None:
    return (cell.get("metadata") or {}).get("nbgrader", {}).get("grade_id")


def cell(nb: dict, gid: str) -> dict:
    for c in nb["cells"]:
        if grade_id(c) == gid:
            return c
    raise KeyError(gid)


def student_version(source_nb: dict) -> dict:
    """What nbgrader's generate_assignment makes of a source notebook (enough for the checks)."""
    nb = copy.deepcopy(source_nb)
    for c in nb["cells"]:
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        meta = c["metadata"].get("nbgrader", {})
        src = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", src, flags=re.S)
        if meta.get("solution") and c["cell_type"] == "code":
            src = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", src, flags=re.S)
        elif meta.get("solution"):
            src = TEXT_STUB
        c["source"] = src.rstrip("\n")
    return nb


def answered(
    nb: dict,
    checks: dict[int, str] | None = None,
    reflections: dict[str, str] | None = None,
) -> dict:
    """A learner's copy with knowledge-check answers typed in and reflections written."""
    nb = copy.deepcopy(nb)
    for n, value in (checks if checks is not None else RIGHT).items():
        cell(nb, f"q{n}-answer")["source"] = f'answer_{n} = "{value}"  # typed by the learner\n'
    default = {
        "reflect-practice": f"A child in Year 4 and I clashed at lunchtime. {SECRET}",
        "reflect-self": "I talk to a colleague after a hard day and go for a walk.",
        "reflect-next": "Next week I will plan a calm start with my teaching assistant.",
    }
    for gid, text in (reflections if reflections is not None else default).items():
        cell(nb, gid)["source"] = text
    return nb


# ---------------------------------------------------------------------- damage
def delete_cell(nb: dict, gid: str) -> dict:
    nb = copy.deepcopy(nb)
    nb["cells"] = [c for c in nb["cells"] if grade_id(c) != gid]
    return nb


def duplicate_cell(nb: dict, gid: str) -> dict:
    nb = copy.deepcopy(nb)
    i = next(i for i, c in enumerate(nb["cells"]) if grade_id(c) == gid)
    twin = copy.deepcopy(nb["cells"][i])
    twin["id"] = twin.get("id", "x") + "-copy"
    nb["cells"].insert(i + 1, twin)
    return nb


def retype_cell(nb: dict, gid: str, to: str = "code") -> dict:
    nb = copy.deepcopy(nb)
    c = cell(nb, gid)
    c["cell_type"] = to
    if to == "code":
        c["outputs"] = []
        c["execution_count"] = None
    else:
        c.pop("outputs", None)
        c.pop("execution_count", None)
    return nb


def strip_metadata(nb: dict, gid: str) -> dict:
    """The learner typed their answer into a fresh cell and deleted the original."""
    nb = copy.deepcopy(nb)
    c = cell(nb, gid)
    text = c["source"]
    c["metadata"] = {}
    c["source"] = text
    return nb


def writing_in_new_cell(nb: dict, gid: str) -> dict:
    nb = copy.deepcopy(nb)
    i = next(i for i, c in enumerate(nb["cells"]) if grade_id(c) == gid)
    text = nb["cells"][i]["source"]
    nb["cells"][i]["source"] = TEXT_STUB
    nb["cells"].insert(
        i + 1, {"cell_type": "markdown", "id": "learner-own", "metadata": {}, "source": text}
    )
    return nb


# ---------------------------------------------------------------------- marking
PASSING = {
    "practice": "secure",
    "understanding": "secure",
    "wellbeing": "secure",
    "next-steps": "strong",
}
FAILS_WELLBEING = {
    **PASSING,
    "practice": "strong",
    "understanding": "strong",
    "wellbeing": "not-yet",
}
CELLS = {
    "reflect-practice": ("practice", "understanding"),
    "reflect-self": ("wellbeing",),
    "reflect-next": ("next-steps",),
}


def mark_all(marking, student: str, levels: dict[str, str], comment: str = "") -> None:
    """Mark every reflection of one learner (through the marking API)."""
    for cell_id, criteria in CELLS.items():
        marking.mark(
            student,
            cell_id,
            {c: levels[c] for c in criteria},
            comment or f"Comment on {cell_id}.",
        )


def lead_group(ws, learners, attended):
    """A foundation-a group of six sessions led by a School Lead; each learner attends the
    number of sessions given (the rule needs 5 of 6)."""
    import datetime as dt

    from imatter import records
    from imatter.delivery import groups
    from imatter.store import schema as t

    records.add_setting(ws.store, "brook", "Brook Primary", pupils_on_roll=200)
    with ws.store.write() as conn:
        lead = conn.execute(
            t.people.insert().values(name="Lena Lead", created_at=dt.datetime(2026, 1, 1))
        ).inserted_primary_key[0]
        conn.execute(
            t.awards.insert().values(
                id="lead-award",
                person_id=lead,
                role_id="school-lead",
                kind="role",
                valid_from=dt.date(2025, 1, 1),
                granted_by="t",
                granted_at=dt.datetime(2026, 1, 1),
            )
        )
        for pid in [lead, *learners]:
            conn.execute(
                t.affiliations.insert().values(
                    person_id=pid, setting_id="brook", position="teacher"
                )
            )
    days = [dt.date(2026, 9, 1) + dt.timedelta(weeks=k) for k in range(6)]
    gid = groups.create_group(
        ws.store,
        ws.programme,
        course_id="foundation-a",
        term="2026-27",
        leader=lead,
        on=days[0],
        setting="brook",
    )
    groups.enrol(ws.store, ws.programme, gid, learners, days[0])
    sessions = groups.schedule_sessions(ws.store, gid, days)
    for k, sid in enumerate(sessions):
        marks = {pid: k < attended[pid] for pid in learners}
        groups.record_attendance(
            ws.store, ws.programme, sid, marks, recorded_by=lead, today=days[-1]
        )
    return gid, lead
