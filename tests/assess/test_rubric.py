"""Rubrics: the shipped ones are valid and fit their notebooks; errors name file, line, field."""

from __future__ import annotations

import shutil

import pytest
import yaml
from imatter.assess.rubric import check_fits, judge, load_checked, load_rubric
from imatter.errors import RubricError

from .helpers import ASSESSMENT, SOURCES

ALL = sorted(p.name for p in SOURCES.iterdir() if p.is_dir())


@pytest.mark.parametrize("assessment_id", ALL)
def test_shipped_rubrics_are_valid_and_fit_their_notebooks(assessment_id):
    rubric = load_checked(SOURCES / assessment_id, assessment_id)
    titles = {c.title for c in rubric.criteria}
    assert {
        "Links the ideas to own practice",
        "Attends to the adult's own wellbeing",
        "Names concrete next steps",
    } <= titles
    for criterion in rubric.criteria:
        points = [level.points for level in criterion.levels]
        assert points == sorted(points) and len(set(points)) == len(points)
        assert all(level.descriptor for level in criterion.levels)
    assert 0 < rubric.pass_mark <= 15


@pytest.fixture
def folder(tmp_path):
    """A writable copy of foundation-a's source folder."""
    target = tmp_path / ASSESSMENT
    shutil.copytree(SOURCES / ASSESSMENT, target)
    return target


def edit(folder, change):
    path = folder / "rubric.yml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def line_of(path, text):
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(text)


def test_missing_field_names_file_line_and_field(folder):
    path = edit(folder, lambda d: d["reflections"][1]["criteria"][0].pop("pass_level"))
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    line = line_of(path, "- id: wellbeing")
    assert err.value.message == (
        f"{path}:{line}: reflections[1].criteria[0]: 'pass_level' is missing; add it"
    )


def test_wrong_type_names_the_field(folder):
    def change(d):
        d["reflections"][0]["criteria"][0]["levels"][2]["points"] = "two"

    path = edit(folder, change)
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    line = line_of(path, "points: two")
    assert err.value.message == (
        f"{path}:{line}: reflections[0].criteria[0].levels[2].points: expected number, got str"
    )


def test_unknown_field_is_refused(folder):
    path = edit(folder, lambda d: d.update(pass_mrak=3))
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert err.value.message == (
        f"{path}:{line_of(path, 'pass_mrak')}: pass_mrak: unknown field; "
        "expected one of: assessment, pass_mark, reflections, schema, title"
    )


def test_points_must_rise(folder):
    def change(d):
        d["reflections"][2]["criteria"][0]["levels"][3]["points"] = 1

    path = edit(folder, change)
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert "reflections[2].criteria[0].levels[3].points: levels go from lowest to highest" in (
        err.value.message
    )


def test_pass_level_must_be_a_level(folder):
    path = edit(folder, lambda d: d["reflections"][0]["criteria"][1].update(pass_level="great"))
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    line = line_of(path, "pass_level: great")
    assert err.value.message.startswith(
        f"{path}:{line}: reflections[0].criteria[1].pass_level: 'great' is not one of its levels"
    )


def test_duplicate_criterion(folder):
    path = edit(folder, lambda d: d["reflections"][2]["criteria"][0].update(id="wellbeing"))
    with pytest.raises(RubricError, match=r"criteria\[0\]\.id: criterion id 'wellbeing' is used"):
        load_rubric(path)


def test_invalid_yaml(folder):
    path = folder / "rubric.yml"
    path.write_text("schema: 1\nreflections: [\n  - cell: x\n")
    with pytest.raises(RubricError, match=r"rubric\.yml:\d+: not valid YAML"):
        load_rubric(path)


def test_assessment_must_match_its_folder(folder):
    with pytest.raises(RubricError, match="does not match the assessment 'foundation-b'"):
        load_rubric(folder / "rubric.yml", assessment_id="foundation-b")


def test_points_must_match_the_notebook(folder):
    def change(d):
        d["reflections"][1]["criteria"][0]["levels"][3]["points"] = 4

    path = edit(folder, change)
    with pytest.raises(RubricError) as err:
        check_fits(load_rubric(path), folder / f"{ASSESSMENT}.ipynb")
    assert (
        "reflections[1].cell: its criteria add up to 4 points but the cell 'reflect-self' in "
        "foundation-a.ipynb has 3; make them equal"
    ) in err.value.message


def test_cell_must_be_a_reflection_in_the_notebook(folder):
    path = edit(folder, lambda d: d["reflections"][0].update(cell="q1-check"))
    with pytest.raises(RubricError, match="'q1-check' is not a manually graded markdown answer"):
        check_fits(load_rubric(path), folder / f"{ASSESSMENT}.ipynb")


def test_every_reflection_needs_a_rubric(folder):
    path = edit(folder, lambda d: d["reflections"].pop())
    with pytest.raises(RubricError, match="no rubric for the answer cell.s. reflect-next"):
        check_fits(load_rubric(path), folder / f"{ASSESSMENT}.ipynb")


def test_pass_mark_cannot_exceed_the_points(folder):
    path = edit(folder, lambda d: d.update(pass_mark=16))
    with pytest.raises(RubricError, match="pass_mark: 16 is more than the 15 points"):
        check_fits(load_rubric(path), folder / f"{ASSESSMENT}.ipynb")


# ---------------------------------------------------------------------- judging
@pytest.fixture(scope="module")
def rubric():
    return load_checked(SOURCES / ASSESSMENT, ASSESSMENT)


GOOD = {
    "practice": "secure",
    "understanding": "secure",
    "wellbeing": "secure",
    "next-steps": "strong",
}


def test_pass(rubric):
    outcome = judge(rubric, GOOD, 12, 15)
    assert outcome.passed and outcome.complete and outcome.label == "pass"


def test_a_criterion_below_its_pass_level_fails_whatever_the_score(rubric):
    outcome = judge(rubric, {**GOOD, "wellbeing": "not-yet"}, 14, 15)
    assert not outcome.passed
    assert outcome.reasons == (
        "Attends to the adult's own wellbeing: Not yet (needs Developing or above)",
    )


def test_below_the_pass_mark_fails(rubric):
    levels = dict.fromkeys(GOOD, "developing")
    outcome = judge(rubric, levels, 7, 15)
    assert not outcome.passed
    assert outcome.reasons == ("1 more point needed to reach the pass mark of 8",)


def test_unmarked_criteria_are_not_judged(rubric):
    outcome = judge(rubric, {"practice": "secure"}, 5, 15)
    assert not outcome.complete and outcome.label == "not marked yet"


def test_points_for_a_reflection(rubric):
    assert (
        rubric.points_for("reflect-practice", {"practice": "strong", "understanding": "secure"})
        == 5
    )
    with pytest.raises(RubricError, match="choose a level for: understanding"):
        rubric.points_for("reflect-practice", {"practice": "strong"})
    with pytest.raises(RubricError, match="has no level 'great'"):
        rubric.points_for("reflect-self", {"wellbeing": "great"})
