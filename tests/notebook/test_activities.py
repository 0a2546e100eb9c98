"""The teaching activities: the Python side checks an author's content and builds the widget;
the browser module (`imatter/notebook/static/activities.js`) gives the feedback. Its rules are
run here under Node with the same cases a learner meets; tests/book/test_browser.py drives the
whole activity in chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("anywidget")

from imatter import activities  # noqa: E402
from imatter.notebook.widget import ESM, Activity  # noqa: E402

NODE = shutil.which("node")

OPTIONS = {
    "Stay calm and close": "A calm adult nearby helps a child settle.",
    "Leave them to it": "Left alone, a young child often cannot calm down.",
    "Raise your voice": "A raised voice tends to add to the alarm.",
}
SCENARIOS = [
    {
        "title": "Home time",
        "situation": "A child throws their bag down at the door.",
        "choices": {
            "Name the feeling": "Naming it helps the child feel understood.",
            "Tell them off": "The child may feel more alone with a big feeling.",
        },
    },
    {
        "title": "Bedtime",
        "situation": "A child cannot settle.",
        "choices": {"Sit with them": "Your calm presence lends them calm."},
    },
]
BANDS = [(2, "LOW message"), (4, "MIDDLE message"), (6, "HIGH message")]
STATEMENTS = {
    "A friend who listens": "Support",
    "Skipping lunch again": "Stress sign",
    "A walk after work": "Support",
}
CATEGORIES = ["Support", "Stress sign"]


def run_rules(tmp_path: Path, calls: list[tuple[str, list]]) -> list:
    """Call the browser module's exported rules under Node; one result per (name, args)."""
    if NODE is None:
        pytest.fail("node is not installed: the browser rules cannot be checked")
    module = tmp_path / "activities.mjs"
    shutil.copyfile(ESM, module)
    script = (
        f"import * as m from {json.dumps(module.as_uri())};\n"
        f"const calls = {json.dumps(calls)};\n"
        "const out = calls.map(([name, args]) => {\n"
        "  if (name === 'answersDocument') args[3] = new Date(args[3]);\n"
        "  return m[name](...args);\n"
        "});\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# ------------------------------------------------------------------------------ the widgets
def test_each_activity_is_one_widget_with_its_content():
    made = {
        "choice": activities.choice_check("What helps most?", OPTIONS, "Stay calm and close"),
        "scenario": activities.scenario_explorer(SCENARIOS),
        "rating": activities.rating_check("Check-in", ["a", "b"], BANDS),
        "map": activities.relationship_map("Who is around you?", middle="The child"),
        "sort": activities.sort_statements(STATEMENTS, CATEGORIES, title="Sort these"),
    }
    for kind, widget in made.items():
        assert isinstance(widget, Activity) and widget.kind == kind
        assert "export default" in str(widget._esm)  # the browser module travels with it
    assert made["choice"].spec["correct"] == ["Stay calm and close"]
    assert made["scenario"].spec["scenarios"][1]["choices"] == [
        ["Sit with them", "Your calm presence lends them calm."]
    ]
    assert made["rating"].spec["scale"] == list(activities.DEFAULT_SCALE)
    assert made["map"].spec["middle"] == "The child"
    assert made["sort"].spec["statements"][1] == ["Skipping lunch again", "Stress sign"]


def test_widget_state_is_plain_json_for_the_static_book():
    widget = activities.choice_check("Q?", {"a": "x", "b": "y"}, ["a", "b"])
    state = widget.get_state()
    json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css")})
    assert state["kind"] == "choice" and state["spec"]["correct"] == ["a", "b"]


@pytest.mark.parametrize(
    ("options", "correct"),
    [({"only": "one"}, "only"), (OPTIONS, "Missing option"), (OPTIONS, [])],
)
def test_choice_check_rejects_bad_content(options, correct):
    with pytest.raises(ValueError):
        activities.choice_check("Q", options, correct)


def test_scenario_explorer_rejects_bad_content():
    with pytest.raises(ValueError):
        activities.scenario_explorer([])
    with pytest.raises(ValueError, match="scenario 1 is missing situation"):
        activities.scenario_explorer([{"title": "x", "choices": {"a": "b"}}])
    with pytest.raises(ValueError, match="has no choices"):
        activities.scenario_explorer([{"title": "x", "situation": "y", "choices": {}}])


@pytest.mark.parametrize(
    ("statements", "bands", "scale"),
    [
        ([], BANDS, activities.DEFAULT_SCALE),
        (["a"], [], activities.DEFAULT_SCALE),
        (["a"], BANDS, ("only",)),
        (["a"], [(4, "x"), (2, "y")], activities.DEFAULT_SCALE),
    ],
)
def test_rating_check_rejects_bad_content(statements, bands, scale):
    with pytest.raises(ValueError):
        activities.rating_check("Check-in", statements, bands, scale)


def test_relationship_map_needs_two_circles():
    with pytest.raises(ValueError):
        activities.relationship_map("Who?", circles=("Only",))


def test_sort_statements_rejects_bad_content():
    with pytest.raises(ValueError):
        activities.sort_statements({}, CATEGORIES)
    with pytest.raises(ValueError):
        activities.sort_statements(STATEMENTS, ["Support"])
    with pytest.raises(ValueError, match="not one of"):
        activities.sort_statements({"x": "Elsewhere"}, CATEGORIES)


# ------------------------------------------------------------------------------ the rules
def test_choice_rules(tmp_path):
    spec = activities.choice_check("Q", OPTIONS, "Stay calm and close").spec
    none, right, wrong = run_rules(
        tmp_path,
        [
            ("checkChoice", [spec, None]),
            ("checkChoice", [spec, "Stay calm and close"]),
            ("checkChoice", [spec, "Raise your voice"]),
        ],
    )
    assert none["text"] == "Choose an answer first, then press Check."
    assert right == {
        "kind": "right",
        "lead": "Yes, that's right.",
        "text": "A calm adult nearby helps a child settle.",
    }
    assert wrong["lead"] == "Not quite." and wrong["text"].endswith("try again.")
    assert "A raised voice tends to add to the alarm." in wrong["text"]


@pytest.mark.parametrize(
    ("indexes", "total", "message"),
    [
        ([0, 0], 0, "LOW message"),
        ([1, 1], 2, "LOW message"),  # the upper limit of a band is inclusive
        ([2, 1], 3, "MIDDLE message"),
        ([2, 2], 4, "MIDDLE message"),
        ([3, 2], 5, "HIGH message"),
        ([3, 3], 6, "HIGH message"),
    ],
)
def test_rating_band_boundaries(tmp_path, indexes, total, message):
    spec = activities.rating_check("Check-in", ["a", "b"], BANDS).spec
    (result,) = run_rules(tmp_path, [("ratingSummary", [spec, indexes])])
    assert result == {"total": total, "heading": f"Your total: {total} out of 6", "text": message}


def test_rating_running_total_and_nothing_chosen(tmp_path):
    spec = activities.rating_check("Check-in", ["a", "b", "c"], [(3, "LOW"), (9, "HIGH")]).spec
    start, one, two, above = run_rules(
        tmp_path,
        [
            ("ratingSummary", [spec, [None, None, None]]),
            ("ratingSummary", [spec, [3, None, None]]),
            ("ratingSummary", [spec, [3, 1, None]]),
            ("ratingSummary", [{**spec, "bands": [[1, "LOW"], [2, "TOP"]]}, [3, 3, 3]]),
        ],
    )
    assert start["text"] == "Choose an answer for each statement to see your total."
    assert one["heading"] == "Your total: 3 out of 9"
    assert one["text"] == "LOW 2 statements still to answer."
    assert two["text"] == "HIGH 1 statement still to answer."
    assert above["text"] == "TOP"


def test_sort_rules(tmp_path):
    spec = activities.sort_statements(STATEMENTS, CATEGORIES).spec
    all_right, mixed = run_rules(
        tmp_path,
        [
            ("sortMarks", [spec, ["Support", "Stress sign", "Support"]]),
            ("sortMarks", [spec, ["Support", "Support", ""]]),
        ],
    )
    assert all_right["summary"] == {
        "kind": "right",
        "text": "You sorted 3 of 3 correctly. Well done.",
    }
    assert [m["text"] for m in mixed["marks"]] == [
        "✓ Right.",
        "✗ Not quite: this one belongs in Stress sign.",
        "Not sorted yet.",
    ]
    assert mixed["summary"]["text"].startswith("You sorted 1 of 3 correctly. 1 still to sort.")


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("Sarah Jones", "That looks like a full name."),
        ("Mary Ann Smith", "That looks like a full name."),
        ("   ", "Type a role or initials first."),
        ("x" * 31, "Please keep it short (up to 30 letters)"),
        ("Class Teacher", None),
        ("My Nan", None),
        ("Youth Worker", None),
        ("JS", None),
        ("<b>", None),
    ],
)
def test_relationship_map_entries(tmp_path, entry, problem):
    spec = activities.relationship_map("Who?").spec
    (result,) = run_rules(tmp_path, [("mapEntryProblem", [spec, entry])])
    if problem is None:
        assert result["problem"] is None and result["entry"] == entry
    else:
        assert result["problem"].startswith(problem)


def test_relationship_map_balance_notes(tmp_path):
    circles = list(activities.DEFAULT_CIRCLES)
    notes = run_rules(
        tmp_path,
        [
            ("balanceNote", [[0, 0, 0], circles]),
            ("balanceNote", [[0, 0, 1], circles]),
            ("balanceNote", [[1, 0, 0], circles]),
            ("balanceNote", [[1, 0, 1], circles]),
            ("balanceNote", [[1, 1, 2], circles]),
        ],
    )
    assert notes[0].startswith("Add a few people")
    assert notes[1].startswith("There is no one in 'Closest to me' yet.")
    assert notes[2].startswith("Everyone is in 'Closest to me'.")
    assert "small right now" in notes[3]
    assert "people close in and people further out" in notes[4]


def test_questionnaire_download_is_an_answers_file_collect_reads(tmp_path):
    from imatter.impact import questionnaire, read_answers_file

    spec = questionnaire("foundation-a", "pre", cohort="2026-spring").spec
    scores = {"confidence": 2, "understanding": 3, "wellbeing": 4, "practice": 5}
    good, name, missing, email = run_rules(
        tmp_path,
        [
            ("answersDocument", [spec, " kestrel-42 ", scores, "2026-10-01T09:30:00"]),
            ("answersDocument", [spec, "Jane", scores, "2026-10-01T09:30:00"]),
            ("answersDocument", [spec, "OWL-7", {"confidence": 1}, "2026-10-01T09:30:00"]),
            ("answersDocument", [spec, "a@b1", scores, "2026-10-01T09:30:00"]),
        ],
    )
    path = tmp_path / spec["filename"]
    path.write_text(json.dumps(good["document"]), encoding="utf-8")
    answers = read_answers_file(path)
    assert (answers.course, answers.stage, answers.cohort) == ("foundation-a", "pre", "2026-spring")
    assert answers.pseudonym == "KESTREL-42" and answers.scores == scores
    assert name["problem"].startswith("Please type a code you will remember")
    assert missing["problem"] == (
        "Please choose an answer for every statement first (3 still to do)."
    )
    assert email["problem"].startswith("Please type a code")


def test_questionnaire_kernel_side_saves_the_file_and_greets_the_browser(tmp_path, monkeypatch):
    from imatter.impact import questionnaire, read_answers_file

    widget = questionnaire("foundation-a", "post", folder=tmp_path)
    sent = []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: sent.append(content))
    widget._on_message(widget, {"type": "hello"}, [])
    assert sent[-1] == {"type": "here", "place": "jupyter"}
    monkeypatch.setenv("JUPYTERHUB_USER", "learner1")
    widget._on_message(widget, {"type": "hello"}, [])
    assert sent[-1] == {"type": "here", "place": "hub"}
    scores = {"confidence": 1, "understanding": 2, "wellbeing": 3, "practice": 4}
    widget._on_message(widget, {"type": "save", "code": "owl-7", "scores": scores}, [])
    assert sent[-1]["ok"] is True and "imatter-answers/foundation-a-post.json" in sent[-1]["text"]
    assert (
        read_answers_file(tmp_path / "imatter-answers" / "foundation-a-post.json").scores == scores
    )
    widget._on_message(widget, {"type": "save", "code": "owl-7", "scores": {}}, [])
    assert sent[-1]["ok"] is False and "4 still to do" in sent[-1]["text"]


def test_questionnaire_cells_say_where_answers_are_kept_and_old_wording_is_updated(tmp_path):
    import nbformat
    from imatter.impact import add_questionnaire_cells
    from imatter.impact.notebook import questionnaire_cells

    markdown, _code = questionnaire_cells("foundation-a", "pre")
    assert "in this browser when you read the book" in markdown.source
    assert "next to the notebook" in markdown.source and "saved in a small file" not in (
        markdown.source
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Session 1: Hello")]
    path = tmp_path / "01-hello.ipynb"
    nbformat.write(nb, path)
    assert add_questionnaire_cells(path, "foundation-a", "pre") is True
    old = nbformat.read(path, as_version=4)
    old.cells[1].source = "Your answers are saved in a small file next to this notebook."
    nbformat.write(old, path)
    assert add_questionnaire_cells(path, "foundation-a", "pre") is True  # brought up to date
    assert "in this browser" in nbformat.read(path, as_version=4).cells[1].source
    assert add_questionnaire_cells(path, "foundation-a", "pre") is False
