"""The teaching activities: build each widget, act as a learner, and read the feedback."""

from __future__ import annotations

import pytest

widgets = pytest.importorskip("ipywidgets")

from imatter import activities  # noqa: E402


def walk(widget):
    """Every widget in the tree, depth first, the root included."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find_all(box, kind):
    return [w for w in walk(box) if isinstance(w, kind)]


def button(box, description):
    matches = [b for b in find_all(box, widgets.Button) if b.description == description]
    assert len(matches) == 1, f"expected one button {description!r}, found {len(matches)}"
    return matches[0]


def feedback_html(box):
    """All the text the learner can read in HTML widgets, minus the shared style block."""
    return " ".join(
        w.value for w in find_all(box, widgets.HTML) if not w.value.startswith("<style>")
    )


def last_html(box):
    return find_all(box, widgets.HTML)[-1].value


# ------------------------------------------------------------------------------ choice_check

OPTIONS = {
    "Stay calm and close": "A calm adult nearby helps a child settle.",
    "Leave them to it": "Left alone, a young child often cannot calm down.",
    "Raise your voice": "A raised voice tends to add to the alarm.",
}


def test_choice_check_right_answer():
    box = activities.choice_check("What helps most?", OPTIONS, "Stay calm and close")
    assert isinstance(box, widgets.VBox)
    radio = find_all(box, widgets.RadioButtons)[0]
    assert radio.value is None
    radio.value = "Stay calm and close"
    button(box, "Check").click()
    text = last_html(box)
    assert "Yes, that's right." in text
    assert "A calm adult nearby helps a child settle." in text
    assert "imatter-right" in text


def test_choice_check_wrong_answer_shows_its_explanation():
    box = activities.choice_check("What helps most?", OPTIONS, "Stay calm and close")
    radio = find_all(box, widgets.RadioButtons)[0]
    radio.value = "Raise your voice"
    button(box, "Check").click()
    text = last_html(box)
    assert "Not quite." in text
    assert "A raised voice tends to add to the alarm." in text
    assert "try again" in text


def test_choice_check_no_choice_and_reset_on_change():
    box = activities.choice_check("What helps most?", OPTIONS, "Stay calm and close")
    button(box, "Check").click()
    assert "Choose an answer first" in last_html(box)
    radio = find_all(box, widgets.RadioButtons)[0]
    radio.value = "Leave them to it"
    assert last_html(box) == ""


def test_choice_check_several_right_answers():
    box = activities.choice_check(
        "Which help?", OPTIONS, ["Stay calm and close", "Leave them to it"]
    )
    radio = find_all(box, widgets.RadioButtons)[0]
    radio.value = "Leave them to it"
    button(box, "Check").click()
    assert "Yes, that's right." in last_html(box)


def test_choice_check_escapes_html():
    box = activities.choice_check("<b>Q</b>", {"<i>a</i>": "x < y", "b": "ok"}, "b")
    find_all(box, widgets.RadioButtons)[0].value = "<i>a</i>"
    button(box, "Check").click()
    assert "x &lt; y" in last_html(box)
    assert "&lt;b&gt;Q&lt;/b&gt;" in feedback_html(box)


@pytest.mark.parametrize(
    ("options", "correct"),
    [({"only": "one"}, "only"), (OPTIONS, "Missing option"), (OPTIONS, [])],
)
def test_choice_check_rejects_bad_content(options, correct):
    with pytest.raises(ValueError):
        activities.choice_check("Q", options, correct)


# ------------------------------------------------------------------------- scenario_explorer

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


def test_scenario_explorer_choice_feedback_and_navigation():
    box = activities.scenario_explorer(SCENARIOS)
    text = feedback_html(box)
    assert "Situation 1 of 2" in text
    assert "Home time" in text
    previous, next_ = button(box, "Previous"), button(box, "Next")
    assert previous.disabled and not next_.disabled

    button(box, "Name the feeling").click()
    assert "Naming it helps the child feel understood." in feedback_html(box)
    assert button(box, "Name the feeling").button_style == "info"

    button(box, "Tell them off").click()
    text = feedback_html(box)
    assert "more alone" in text
    assert "Naming it helps" not in text
    assert button(box, "Name the feeling").button_style == ""

    next_.click()
    text = feedback_html(box)
    assert "Situation 2 of 2" in text and "Bedtime" in text
    assert "more alone" not in text  # feedback clears on a new situation
    assert next_.disabled and not previous.disabled
    button(box, "Sit with them").click()
    assert "lends them calm" in feedback_html(box)

    previous.click()
    assert "Home time" in feedback_html(box)


def test_scenario_explorer_rejects_bad_content():
    with pytest.raises(ValueError):
        activities.scenario_explorer([])
    with pytest.raises(ValueError, match="missing choices"):
        activities.scenario_explorer([{"title": "t", "situation": "s"}])
    with pytest.raises(ValueError, match="no choices"):
        activities.scenario_explorer([{"title": "t", "situation": "s", "choices": {}}])


# ------------------------------------------------------------------------------ rating_check

BANDS = [(2, "LOW message"), (4, "MIDDLE message"), (6, "HIGH message")]


def rate(box, *indexes):
    toggles = find_all(box, widgets.ToggleButtons)
    for toggle, index in zip(toggles, indexes, strict=False):
        toggle.index = index


def test_rating_check_starts_with_a_prompt():
    box = activities.rating_check("Check-in", ["a", "b"], BANDS)
    toggles = find_all(box, widgets.ToggleButtons)
    assert len(toggles) == 2
    assert all(t.value is None for t in toggles)
    assert "Choose an answer for each statement" in feedback_html(box)
    assert "not a test or a diagnosis" in feedback_html(box)


@pytest.mark.parametrize(
    ("indexes", "total", "message"),
    [
        ((0, 0), 0, "LOW message"),
        ((1, 1), 2, "LOW message"),  # the upper limit of a band is inclusive
        ((2, 1), 3, "MIDDLE message"),
        ((2, 2), 4, "MIDDLE message"),
        ((3, 2), 5, "HIGH message"),
        ((3, 3), 6, "HIGH message"),
    ],
)
def test_rating_check_band_boundaries(indexes, total, message):
    box = activities.rating_check("Check-in", ["a", "b"], BANDS)
    rate(box, *indexes)
    text = feedback_html(box)
    assert f"Your total: {total} out of 6" in text
    assert message in text
    others = {m for _, m in BANDS} - {message}
    assert not any(other in text for other in others)
    assert "still to answer" not in text


def test_rating_check_running_total_and_changes():
    box = activities.rating_check("Check-in", ["a", "b", "c"], [(3, "LOW"), (9, "HIGH")])
    toggles = find_all(box, widgets.ToggleButtons)
    toggles[0].value = "Very much"
    text = feedback_html(box)
    assert "Your total: 3 out of 9" in text
    assert "LOW" in text and "2 statements still to answer" in text
    toggles[1].value = "A little"
    text = feedback_html(box)
    assert "Your total: 4 out of 9" in text
    assert "HIGH" in text and "1 statement still to answer" in text
    toggles[0].value = "Not at all"
    assert "Your total: 1 out of 9" in feedback_html(box)


def test_rating_check_total_above_last_band_uses_last_message():
    box = activities.rating_check("Check-in", ["a", "b"], [(1, "LOW"), (2, "TOP")])
    rate(box, 3, 3)
    assert "TOP" in feedback_html(box)


def test_rating_check_custom_scale():
    box = activities.rating_check("Check-in", ["a"], [(0, "NO"), (1, "YES")], scale=("No", "Yes"))
    toggle = find_all(box, widgets.ToggleButtons)[0]
    assert toggle.options == ("No", "Yes")
    toggle.value = "Yes"
    assert "Your total: 1 out of 1" in feedback_html(box)
    assert "YES" in feedback_html(box)


@pytest.mark.parametrize(
    ("statements", "bands", "scale"),
    [
        ([], BANDS, activities.DEFAULT_SCALE),
        (["a"], [], activities.DEFAULT_SCALE),
        (["a"], [(4, "b"), (2, "a")], activities.DEFAULT_SCALE),
        (["a"], BANDS, ("only",)),
    ],
)
def test_rating_check_rejects_bad_content(statements, bands, scale):
    with pytest.raises(ValueError):
        activities.rating_check("t", statements, bands, scale)


# -------------------------------------------------------------------------- relationship_map


def add_person(box, who, circle_index=0):
    find_all(box, widgets.Text)[0].value = who
    find_all(box, widgets.Dropdown)[0].value = circle_index
    button(box, "Add").click()


def test_relationship_map_says_no_full_names_and_starts_empty():
    box = activities.relationship_map("Who is around you?")
    text = feedback_html(box)
    assert "never a full name" in text
    assert "Nothing you type here is saved" in text
    assert "Add a few people" in text
    assert button(box, "Remove last").disabled


def test_relationship_map_adds_people_and_counts():
    box = activities.relationship_map("Who is around you?")
    add_person(box, "Nan", 0)
    text = feedback_html(box)
    assert "<svg" in text and ">Nan</text>" in text and ">Me</text>" in text
    assert "Closest to me: 1" in text and "Around me: 0" in text
    assert "Everyone is in" in text
    assert find_all(box, widgets.Text)[0].value == ""  # ready for the next person

    add_person(box, "class teacher", 2)
    text = feedback_html(box)
    assert "Around me: 1" in text
    assert "small right now" in text

    add_person(box, "J.S.", 1)
    add_person(box, "neighbour", 2)
    text = feedback_html(box)
    assert "people close in and people further out" in text

    button(box, "Remove last").click()
    text = feedback_html(box)
    assert ">neighbour</text>" not in text and "Around me: 1" in text

    button(box, "Start again").click()
    assert "Add a few people" in feedback_html(box)


def test_relationship_map_nobody_close():
    box = activities.relationship_map("Who is around you?")
    add_person(box, "GP", 2)
    assert "no one in &#x27;Closest to me&#x27;" in feedback_html(box)


@pytest.mark.parametrize("entry", ["Sarah Jones", "Mary Ann Smith"])
def test_relationship_map_refuses_full_names(entry):
    box = activities.relationship_map("Who is around you?")
    add_person(box, entry, 0)
    text = feedback_html(box)
    assert "looks like a full name" in text
    assert entry not in text
    assert "Closest to me: 0" in text


@pytest.mark.parametrize("entry", ["Class Teacher", "My Nan", "Youth Worker", "JS"])
def test_relationship_map_accepts_roles(entry):
    box = activities.relationship_map("Who is around you?")
    add_person(box, entry, 1)
    assert "Close: 1" in feedback_html(box)


def test_relationship_map_empty_long_and_escaped_entries():
    box = activities.relationship_map("Who?", circles=("Inner", "Outer"))
    add_person(box, "   ")
    assert "Type a role or initials first" in feedback_html(box)
    add_person(box, "x" * 31)
    assert "keep it short" in feedback_html(box)
    add_person(box, "<b>", 1)
    text = feedback_html(box)
    assert "&lt;b&gt;" in text and "Outer: 1" in text


def test_relationship_map_middle_label():
    box = activities.relationship_map("Who is around this child?", middle="The child")
    assert ">The child</text>" in feedback_html(box)
    assert ">Me</text>" not in feedback_html(box)


def test_relationship_map_needs_two_circles():
    with pytest.raises(ValueError):
        activities.relationship_map("Who?", circles=("Only",))


# --------------------------------------------------------------------------- sort_statements

STATEMENTS = {
    "A friend who listens": "Support",
    "Skipping lunch again": "Stress sign",
    "A walk after work": "Support",
}
CATEGORIES = ["Support", "Stress sign"]


def test_sort_statements_all_right():
    box = activities.sort_statements(STATEMENTS, CATEGORIES, title="Sort these")
    assert "Sort these" in feedback_html(box)
    dropdowns = find_all(box, widgets.Dropdown)
    assert all(d.value is None for d in dropdowns)
    for dropdown, answer in zip(dropdowns, STATEMENTS.values(), strict=True):
        dropdown.value = answer
    button(box, "Check my answers").click()
    text = feedback_html(box)
    assert "You sorted 3 of 3 correctly." in text
    assert "Well done." in text
    assert text.count("Right.") == 3


def test_sort_statements_wrong_and_unsorted():
    box = activities.sort_statements(STATEMENTS, CATEGORIES)
    dropdowns = find_all(box, widgets.Dropdown)
    dropdowns[0].value = "Support"  # right
    dropdowns[1].value = "Support"  # wrong
    button(box, "Check my answers").click()
    text = feedback_html(box)
    assert "You sorted 1 of 3 correctly." in text
    assert "1 still to sort" in text
    assert "Not quite: this one belongs in <b>Stress sign</b>" in text
    assert "Not sorted yet." in text
    assert "Well done." not in text

    dropdowns[1].value = "Stress sign"  # changing an answer clears its old mark
    assert "belongs in" not in feedback_html(box)


def test_sort_statements_rejects_bad_content():
    with pytest.raises(ValueError):
        activities.sort_statements({}, CATEGORIES)
    with pytest.raises(ValueError):
        activities.sort_statements(STATEMENTS, ["Support"])
    with pytest.raises(ValueError, match="not one of"):
        activities.sort_statements({"x": "Elsewhere"}, CATEGORIES)
