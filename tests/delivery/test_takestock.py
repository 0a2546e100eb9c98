"""Take stock: the self-review becomes the setting's action plan and is reviewed over time."""

from __future__ import annotations

import datetime as dt

import pytest
from imatter.delivery import takestock
from imatter.eligibility import evaluate_setting_licence
from imatter.errors import ImportRowError, InvalidValue
from imatter.records.load import setting_records

D = dt.date

RATINGS = {
    1: (3, "pastoral team of four, head chairs termly meeting"),
    2: (2, "half of staff at Foundation A"),
    3: (1, "no induction training yet"),
    4: (3, "behaviour policy rewritten with regulation in mind"),
    5: (3, "TAs use the regulation check-in"),
    6: (2, "one parents' evening a year"),
    7: (4, "year 6 buddies trained"),
}


def test_characteristics_are_the_seven_of_an_imatter_school():
    assert [c.number for c in takestock.CHARACTERISTICS] == [1, 2, 3, 4, 5, 6, 7]
    assert dict(takestock.RATINGS) == {
        1: "not yet",
        2: "beginning",
        3: "developing",
        4: "established",
    }


def test_self_review_becomes_the_action_plan_the_licence_asks_for(world):
    s, p = world.store, world.programme
    before = evaluate_setting_licence(p, _facts(world, D(2026, 10, 2)), D(2026, 10, 2))
    assert "needs an active action plan (take stock, then plan)" in before.missing

    review = takestock.record_self_review(
        s, "oakfield", D(2026, 10, 1), RATINGS, reviewed_by="Lena Lead"
    )
    assert takestock.get_review(s, review).needs_action() == (2, 3, 6)

    actions = [
        takestock.Action(2, "Run a Foundation A group for staff", "Lena Lead", D(2027, 3, 31)),
        takestock.Action(3, "Add I Matter awareness to induction", "Head", D(2027, 1, 31)),
    ]
    with pytest.raises(InvalidValue) as err:
        takestock.plan_from_review(
            s, review, actions, created_on=D(2026, 10, 2), created_by="Lena Lead"
        )
    assert err.value.details == [
        "characteristic 6 (Parents and carers on a learning journey) is rated 'beginning' but "
        "has no action; add one"
    ]
    actions.append(takestock.Action(6, "Start a parents' group", "Tara Trainee", D(2027, 6, 30)))
    plan = takestock.plan_from_review(
        s, review, actions, created_on=D(2026, 10, 2), created_by="Lena Lead"
    )
    assert takestock.get_review(s, review).plan_id == plan
    after = evaluate_setting_licence(p, _facts(world, D(2026, 10, 2)), D(2026, 10, 2))
    assert "needs an active action plan (take stock, then plan)" not in after.missing

    state = takestock.review_plan(s, D(2027, 2, 1), setting="oakfield")
    assert state.plan_id == plan and state.status == "active"
    assert [(i.characteristic, i.owner, i.status) for i in state.items] == [
        (3, "Head", "open"),
        (2, "Lena Lead", "open"),
        (6, "Tara Trainee", "open"),
    ]
    assert [i.characteristic for i in state.overdue] == [3]

    item = state.items[0].id
    takestock.update_action(
        s, item, "done", D(2027, 2, 3), updated_by="Head", note="in the September induction pack"
    )
    state = takestock.review_plan(s, D(2027, 2, 4), setting="oakfield")
    assert state.overdue == ()
    assert state.counts == {"open": 2, "in progress": 0, "done": 1, "dropped": 0}
    assert (state.items[0].last_update, state.items[0].last_note) == (
        D(2027, 2, 3),
        "in the September induction pack",
    )
    with pytest.raises(InvalidValue, match="dropping an action needs a --note"):
        takestock.update_action(s, item, "dropped", D(2027, 2, 3), updated_by="Head")

    # A year on: a new review, a new plan replaces the old one; the ratings show progress.
    better = {**RATINGS, 3: (3, "induction includes I Matter"), 2: (3, "most staff trained")}
    second = takestock.record_self_review(
        s, "oakfield", D(2027, 10, 1), better, reviewed_by="Lena Lead"
    )
    new_plan = takestock.plan_from_review(
        s,
        second,
        [takestock.Action(6, "Parents' group each term", "Tara", D(2028, 7, 1))],
        created_on=D(2027, 10, 1),
        created_by="Lena Lead",
    )
    first, latest = takestock.review_history(s, "oakfield")
    assert takestock.compare_reviews(first, latest) == [(2, 2, 3), (3, 1, 3)]
    assert takestock.review_plan(s, D(2027, 10, 1), plan_id=plan).status == "replaced"
    assert takestock.review_plan(s, D(2027, 10, 1), setting="oakfield").plan_id == new_plan


def _facts(world, on):
    with world.store.read() as conn:
        return setting_records(conn, "oakfield", on)


def test_a_review_must_rate_everything_with_evidence(world):
    partial = {k: v for k, v in RATINGS.items() if k != 5}
    partial[2] = (7, "")
    with pytest.raises(InvalidValue) as err:
        takestock.record_self_review(
            world.store, "oakfield", D(2026, 10, 1), partial, reviewed_by="x"
        )
    assert err.value.message == "the self-review has 3 problem(s); nothing was recorded:"
    assert err.value.details == [
        "characteristic 2: rating 7 is not 1 to 4",
        "characteristic 2: add an evidence note (what you saw that supports the rating)",
        "characteristic 5 (Regulation and growing skills) is not rated; rate it 1-4",
    ]
    assert takestock.review_history(world.store, "oakfield") == []


def test_review_and_plan_from_csv(world, tmp_path):
    template = takestock.write_review_template(tmp_path / "review.csv")
    lines = template.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "characteristic,title,rating,evidence"
    filled = [lines[0]] + [
        f"{n},x,{'developing' if n != 4 else 2},seen in class" for n in range(1, 8)
    ]
    template.write_text("\n".join(filled) + "\n", encoding="utf-8")
    ratings = takestock.read_review_csv(template)
    assert ratings[4] == (2, "seen in class") and ratings[1] == (3, "seen in class")

    bad = tmp_path / "bad.csv"
    bad.write_text("characteristic,rating,evidence\n9,2,x\n1,great,x\n", encoding="utf-8")
    with pytest.raises(ImportRowError) as err:
        takestock.read_review_csv(bad)
    assert err.value.details == [
        "line 2: characteristic '9' must be a number from 1 to 7",
        "line 3: rating 'great' is not on the scale; use 1 not yet, 2 beginning, 3 developing, "
        "4 established",
    ]

    plan_csv = tmp_path / "plan.csv"
    plan_csv.write_text(
        "characteristic,action,owner,due\n4,Train TAs,Lena,2027-01-31\n4,,Lena,31/01/2027\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRowError) as err:
        takestock.read_plan_csv(plan_csv)
    assert err.value.details == ["line 3: action is empty; say what will be done"]
