"""Impact evidence: statistics against scipy's reference values, suppression, answers files,
and the whole path widget -> file -> `imatter impact collect` -> store -> analysis."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil
from collections import defaultdict

import pytest
from imatter.errors import Duplicate, InvalidValue, NotFound
from imatter.impact import (
    add_questionnaire_cells,
    collect_answers,
    impact_pairs,
    impact_summary,
    paired_statistics,
    questionnaire,
    read_answers_file,
    write_answers_file,
)
from imatter.impact.analysis import ALL_COHORTS, summarise_pairs
from imatter.impact.answers import AnswersFileError
from imatter.store import schema as t

from .conftest import DATA

AT = dt.datetime(2026, 10, 1, 10, 30)
SCORES = {"confidence": 2, "understanding": 3, "wellbeing": 4, "practice": 1}


def load_pairs():
    pairs = defaultdict(lambda: ([], []))
    with (DATA / "impact_pairs.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pairs[row["set"]][0].append(float(row["pre"]))
            pairs[row["set"]][1].append(float(row["post"]))
    return dict(pairs)


REFERENCE = json.loads((DATA / "impact_reference.json").read_text(encoding="utf-8"))
PAIRS = load_pairs()


def close(a, b):
    if b is None:
        return math.isnan(a)
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------- statistics
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_paired_statistics_match_scipy_reference(name):
    pre, post = PAIRS[name]
    ref = REFERENCE[name]
    result = paired_statistics(pre, post)
    for key in (
        "n",
        "pre_mean",
        "post_mean",
        "mean_change",
        "sd_change",
        "d_z",
        "t",
        "t_p",
        "wilcoxon_w",
        "wilcoxon_p",
    ):
        assert close(getattr(result, key), ref[key]), key
    assert close(result.ci_low, ref["ci95"][0]) and close(result.ci_high, ref["ci95"][1])
    ninety = paired_statistics(pre, post, confidence=0.90)
    assert close(ninety.ci_low, ref["ci90"][0]) and close(ninety.ci_high, ref["ci90"][1])


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_paired_statistics_match_scipy_live(name):
    from scipy import stats

    pre, post = PAIRS[name]
    result = paired_statistics(pre, post)
    t_test = stats.ttest_rel(post, pre)
    ci = t_test.confidence_interval(0.95)
    assert close(result.t, float(t_test.statistic)) and close(result.t_p, float(t_test.pvalue))
    assert close(result.ci_low, float(ci.low)) and close(result.ci_high, float(ci.high))
    if REFERENCE[name]["wilcoxon_p"] is not None:
        method = REFERENCE[name]["wilcoxon_method"]
        w = stats.wilcoxon(post, pre, zero_method="wilcox", method=method)
        assert close(result.wilcoxon_p, float(w.pvalue))


def test_wilcoxon_needs_enough_changes():
    pre, post = PAIRS["small5"]
    result = paired_statistics(pre, post)
    assert math.isnan(result.wilcoxon_p)
    assert result.note == "Wilcoxon not run: 3 changed rating (needs 6)"


def test_degenerate_pairs():
    same = paired_statistics([2, 3, 4], [3, 4, 5])
    assert same.mean_change == 1 and same.ci_low == same.ci_high == 1
    assert math.isnan(same.d_z) and "every change was the same" in same.note
    one = paired_statistics([2], [4])
    assert one.mean_change == 2 and math.isnan(one.ci_low) and math.isnan(one.sd_change)
    with pytest.raises(ValueError, match="same length"):
        paired_statistics([1, 2], [1])


# ---------------------------------------------------------------------------- suppression
def frame_of(groups):
    """groups: {(course, cohort): n} -> pairs frame with n learners per group, all changes +1."""
    import pandas as pd

    rows = []
    for (course, cohort), n in groups.items():
        for i in range(n):
            for item in ("confidence", "understanding", "wellbeing", "practice", "overall"):
                pre = 1 + (i % 3)
                rows.append((course, cohort, f"C{i}-{cohort}", item, pre, pre + 1 + (i % 2)))
    frame = pd.DataFrame(rows, columns=["course", "cohort", "pseudonym", "item", "pre", "post"])
    frame["change"] = frame["post"] - frame["pre"]
    return frame


def notes(summary):
    overall = summary[summary["item"] == "overall"]
    return {row.cohort: (row.n_pairs, row.note) for row in overall.itertuples()}


def test_small_groups_are_suppressed_and_say_so():
    summary = summarise_pairs(frame_of({("foundation-a", "A"): 4}))
    row = summary[summary["item"] == "confidence"].iloc[0]
    assert row["note"] == "suppressed: fewer than 5 pairs"
    assert summary["n_pairs"].isna().all() and summary["mean_change"].isna().all()
    assert len(summary) == 5  # four items and overall, every one suppressed


def test_complementary_suppression_protects_the_small_cohort():
    # A (8) alone would be shown, but with the course total (11) it would reveal B (3).
    summary = summarise_pairs(frame_of({("foundation-a", "A"): 8, ("foundation-a", "B"): 3}))
    assert notes(summary) == {
        "A": (pd_na(), "suppressed: protects a smaller cohort in this course"),
        "B": (pd_na(), "suppressed: fewer than 5 pairs"),
        ALL_COHORTS: (11, ""),
    }
    # Three cohorts: hiding B (3) and C (2) leaves a combined 5, which may be worked out.
    summary = summarise_pairs(frame_of({("x-1", "A"): 8, ("x-1", "B"): 3, ("x-1", "C"): 2}))
    assert {k: v[0] for k, v in notes(summary).items()} == {
        "A": 8,
        "B": pd_na(),
        "C": pd_na(),
        ALL_COHORTS: 13,
    }


def pd_na():
    import pandas as pd

    return pd.NA


def test_a_cohort_filter_cannot_undo_suppression(fresh_ws, tmp_path):
    folder = tmp_path / "returned"
    for cohort, n in (("A", 8), ("B", 3)):
        for i in range(n):
            for stage, shift in (("pre", 0), ("post", 1)):
                scores = {k: min(5, v + shift) for k, v in SCORES.items()}
                write_answers_file(
                    folder / f"{cohort}{i}",
                    "foundation-a",
                    stage,
                    f"{cohort}-{i:02d}",
                    scores,
                    AT,
                    cohort=cohort,
                )
    collect_answers(fresh_ws.store, fresh_ws.programme, folder, collected_by="t", collected_at=AT)
    only_a = impact_summary(fresh_ws.store, cohort="A")
    assert set(only_a["note"]) == {"suppressed: protects a smaller cohort in this course"}
    with pytest.raises(InvalidValue, match="smallest group"):
        impact_summary(fresh_ws.store, min_group=3)


# ---------------------------------------------------------------------------- answers files
def test_answers_file_round_trip(tmp_path):
    path = write_answers_file(tmp_path, "foundation-a", "pre", " kestrel-42 ", SCORES, AT)
    assert path == tmp_path / "imatter-answers" / "foundation-a-pre.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["schema_version"] == 1 and document["format"] == "imatter-impact-answers"
    assert document["pseudonym"] == "KESTREL-42"
    answers = read_answers_file(path)
    assert answers.scores == SCORES and answers.answered_at == AT and answers.cohort is None


@pytest.mark.parametrize("code", ["Jane Smith", "jane", "a1", "a@b.org1", "", "X" * 21 + "1"])
def test_names_and_bad_codes_are_refused(tmp_path, code):
    with pytest.raises(InvalidValue, match="is not a valid code: type a code you will remember"):
        write_answers_file(tmp_path, "foundation-a", "pre", code, SCORES, AT)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", ":1: not valid JSON (Expecting property name enclosed in double quotes)"),
        ('["a list"]', ": expected a JSON object (an answers file), got something else"),
        ('{"format": "other"}', ": not an I Matter answers file (format is not "),
        (
            '{"format": "imatter-impact-answers", "schema_version": 9}',
            ": schema_version 9 is not supported (this toolkit reads 1); upgrade imatter",
        ),
    ],
)
def test_malformed_answers_files_name_the_file(tmp_path, text, problem):
    path = tmp_path / "imatter-answers" / "foundation-a-pre.json"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnswersFileError) as err:
        read_answers_file(path)
    assert err.value.message.startswith(f"{path}{problem}")


def test_schema_errors_name_the_field(tmp_path):
    path = write_answers_file(tmp_path, "foundation-a", "post", "OWL-7", SCORES, AT)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["answers"]["wellbeing"] = 7
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AnswersFileError) as err:
        read_answers_file(path)
    assert (
        err.value.message == f"{path}: field answers/wellbeing: 7 is greater than the maximum of 5"
    )
    renamed = path.with_name("foundation-b-post.json")
    document["answers"]["wellbeing"] = 4
    renamed.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AnswersFileError, match="should be foundation-a-post.json"):
        read_answers_file(renamed)


# ---------------------------------------------------------------------------- the widget
def answer(box, code, scores):
    box.imatter_code.value = code
    for item, toggle in box.imatter_ratings.items():
        toggle.value = scores[item]
    box.imatter_save.click()
    return box.imatter_status.value


def test_widget_refuses_until_complete_and_then_saves(tmp_path):
    box = questionnaire("foundation-a", "pre", folder=tmp_path, clock=lambda: AT)
    box.imatter_code.value = "OWL-7"
    box.imatter_save.click()
    assert "choose an answer for every statement" in box.imatter_status.value
    assert not (tmp_path / "imatter-answers").exists()
    status = answer(box, "Jane", SCORES)
    assert "is not a valid code" in status and not (tmp_path / "imatter-answers").exists()
    status = answer(box, "owl-7", SCORES)
    assert "your answers are saved" in status and "OWL-7" in status
    saved = read_answers_file(tmp_path / "imatter-answers" / "foundation-a-pre.json")
    assert saved.pseudonym == "OWL-7" and saved.scores == SCORES
    with pytest.raises(InvalidValue, match="stage 'middle' must be 'pre' or 'post'"):
        questionnaire("foundation-a", "middle")


def learners_answer(root, course, cohort_pairs, cohort=None):
    """Each learner answers pre and post through the widget, in their own folder."""
    for code, pre, post in cohort_pairs:
        for stage, scores in (("pre", pre), ("post", post)):
            box = questionnaire(course, stage, folder=root / code, cohort=cohort, clock=lambda: AT)
            assert "saved" in answer(box, code, scores)


def likert_pairs(name, count):
    """Learners whose four items move by the pairs of a reference set (cycled per item)."""
    pre, post = PAIRS[name]
    out = []
    for i in range(count):
        a = {item: int(pre[(i + k) % len(pre)]) for k, item in enumerate(SCORES)}
        b = {item: int(post[(i + k) % len(post)]) for k, item in enumerate(SCORES)}
        out.append((f"L{i:02d}-{name[:3].upper()}", a, b))
    return out


def test_end_to_end_widget_file_cli_store_analysis(fresh_ws, tmp_path, cli):
    returned = tmp_path / "returned"
    group = likert_pairs("likert10", 10)
    learners_answer(returned / "spring", "foundation-a", group, cohort="2026-spring")
    learners_answer(
        returned / "autumn", "foundation-a", likert_pairs("likert20", 3), cohort="2026-autumn"
    )
    files = sorted(returned.rglob("imatter-answers/*.json"))
    assert len(files) == 26

    code, out, err = cli(fresh_ws, "impact", "collect", str(returned))
    assert (code, err) == (0, "")
    assert out == "Collected 26 answers file(s): 26 new, 0 replaced, 0 already collected\n"
    code, out, _ = cli(fresh_ws, "impact", "collect", str(returned))
    assert out == "Collected 26 answers file(s): 0 new, 0 replaced, 26 already collected\n"

    with fresh_ws.store.read() as conn:
        assert conn.execute(t.impact_responses.select()).all().__len__() == 26 * 4

    summary = impact_summary(fresh_ws.store)
    spring = summary[summary["cohort"] == "2026-spring"].set_index("item")
    autumn = summary[summary["cohort"] == "2026-autumn"].set_index("item")
    pooled = summary[summary["cohort"] == ALL_COHORTS].set_index("item")
    # The autumn cohort (3) is suppressed; so is spring, else pooled minus spring reveals autumn.
    assert set(autumn["note"]) == {"suppressed: fewer than 5 pairs"}
    assert set(spring["note"]) == {"suppressed: protects a smaller cohort in this course"}
    assert pooled.loc["confidence", "n_pairs"] == 13

    # The pooled figures are scipy's on the same 13 pairs, item by item and overall.
    from scipy import stats

    everyone = group + likert_pairs("likert20", 3)
    for item in SCORES:
        pre = [p[1][item] for p in everyone]
        post = [p[2][item] for p in everyone]
        t_test = stats.ttest_rel(post, pre)
        ci = t_test.confidence_interval(0.95)
        row = pooled.loc[item]
        assert close(row["mean_change"], sum(post) / 13 - sum(pre) / 13)
        assert close(row["ci_low"], float(ci.low)) and close(row["ci_high"], float(ci.high))
        assert close(row["t_p"], float(t_test.pvalue))
        if sum(a != b for a, b in zip(pre, post, strict=True)) >= 6:
            w = stats.wilcoxon(post, pre, zero_method="wilcox", method="asymptotic")
            assert close(row["wilcoxon_p"], float(w.pvalue))
    pre_o = [sum(p[1].values()) / 4 for p in everyone]
    post_o = [sum(p[2].values()) / 4 for p in everyone]
    diffs = [b - a for a, b in zip(pre_o, post_o, strict=True)]
    mean = sum(diffs) / 13
    sd = (sum((d - mean) ** 2 for d in diffs) / 12) ** 0.5
    assert close(pooled.loc["overall", "d_z"], mean / sd)

    pairs = impact_pairs(fresh_ws.store, course="foundation-a")
    assert set(pairs["pseudonym"]) == {p[0] for p in everyone}
    code, out, _ = cli(fresh_ws, "impact", "report", "--as-of", "2026-12-01")
    assert code == 0 and "suppressed: fewer than 5 pairs" in out and "all cohorts" in out
    html_file = tmp_path / "impact.html"
    code, _, err = cli(fresh_ws, "impact", "report", "--format", "html", "-o", str(html_file))
    assert code == 0 and "data:image/svg+xml;base64," in html_file.read_text(encoding="utf-8")


def test_a_malformed_file_stops_the_whole_collection(fresh_ws, tmp_path, cli):
    returned = tmp_path / "returned"
    learners_answer(returned, "foundation-a", likert_pairs("likert10", 5))
    bad = returned / "L00-LIK" / "imatter-answers" / "foundation-a-post.json"
    bad.write_text('{"format": "imatter-impact-answers", "schema_version": 1', encoding="utf-8")
    code, out, err = cli(fresh_ws, "impact", "collect", str(returned))
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {bad}:1: not valid JSON (Expecting ',' delimiter); the file may be damaged; "
        "nothing was imported\n"
    )
    with fresh_ws.store.read() as conn:
        assert conn.execute(t.impact_responses.select()).first() is None


def test_clashing_codes_and_replacement(fresh_ws, tmp_path):
    first = tmp_path / "one"
    write_answers_file(first / "a", "foundation-a", "pre", "OWL-7", SCORES, AT)
    other = dict(SCORES, practice=5)
    write_answers_file(first / "b", "foundation-a", "pre", "OWL-7", other, AT)
    with pytest.raises(Duplicate, match="two learners may have chosen the same code"):
        collect_answers(
            fresh_ws.store, fresh_ws.programme, first, collected_by="t", collected_at=AT
        )
    shutil.rmtree(first / "b")
    collect_answers(fresh_ws.store, fresh_ws.programme, first, collected_by="t", collected_at=AT)
    changed = tmp_path / "two"
    write_answers_file(changed, "foundation-a", "pre", "OWL-7", other, AT)
    with pytest.raises(Duplicate, match="pass --replace to keep the newer file"):
        collect_answers(
            fresh_ws.store, fresh_ws.programme, changed, collected_by="t", collected_at=AT
        )
    result = collect_answers(
        fresh_ws.store, fresh_ws.programme, changed, collected_by="t", collected_at=AT, replace=True
    )
    assert (result.imported, result.replaced) == (0, 1)
    with fresh_ws.store.read() as conn:
        scores = dict(
            conn.execute(
                t.impact_responses.select().with_only_columns(
                    t.impact_responses.c.item, t.impact_responses.c.score
                )
            ).all()
        )
    assert scores["practice"] == 5


def test_unknown_course_and_empty_folder(fresh_ws, tmp_path):
    write_answers_file(tmp_path / "x", "no-such-course", "pre", "OWL-7", SCORES, AT)
    with pytest.raises(AnswersFileError, match="unknown course 'no-such-course'"):
        collect_answers(
            fresh_ws.store, fresh_ws.programme, tmp_path / "x", collected_by="t", collected_at=AT
        )
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotFound, match="no answers files"):
        collect_answers(
            fresh_ws.store,
            fresh_ws.programme,
            tmp_path / "empty",
            collected_by="t",
            collected_at=AT,
        )


# ---------------------------------------------------------------------------- notebook cells
def test_add_questionnaire_cells_to_a_fixture_notebook(tmp_path, monkeypatch):
    import nbformat

    notebook = tmp_path / "01-session.ipynb"
    shutil.copy(DATA / "session-fixture.ipynb", notebook)
    assert add_questionnaire_cells(notebook, "foundation-a", "pre") is True
    assert add_questionnaire_cells(notebook, "foundation-a", "post") is True
    assert add_questionnaire_cells(notebook, "foundation-a", "pre") is False  # already there
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    heads = [cell.source.splitlines()[0] if cell.source else "" for cell in nb.cells]
    assert heads[1] == "## Before you start: where are you now?"  # after the opening cell
    assert heads[2] == "from imatter.impact import questionnaire"
    post = heads.index("## Before you go: what has changed?")
    assert heads[post + 2] == "## Facilitator notes"  # before facilitator notes and references
    code = nb.cells[post + 1]
    assert code.cell_type == "code" and 'stage="post"' in code.source
    assert code.metadata["imatter"]["questionnaire"] == {"course": "foundation-a", "stage": "post"}
    # The inserted code runs as it stands and shows the widget.
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(
        compile("result = " + code.source.split("\n\n", 1)[1], "cell", "exec"),
        {**namespace, "questionnaire": questionnaire},
        namespace,
    )
    assert type(namespace["result"]).__name__ == "Questionnaire"
    # Run again for another course: the pair is replaced, not duplicated.
    assert add_questionnaire_cells(notebook, "foundation-b", "pre") is True
    nb = nbformat.read(notebook, as_version=4)
    assert sum("questionnaire(" in c.source for c in nb.cells) == 2
    assert len(nb.cells) == 7 + 4
