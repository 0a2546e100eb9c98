"""Teaching activities for session notebooks: each checks the learner's answers in the browser.

Each function takes a session's own content as plain data, checks it, and returns an
`Activity` widget for the notebook to show as a cell's last expression. The browser module
(`static/activities.js`) gives the feedback, so the activity answers in the static book with no
kernel and in JupyterLab alike. A session's code cell stays short::

    from imatter.activities import choice_check

    choice_check(
        question="What does a child who is upset need first?",
        options={"Comfort": "Yes: calm first, then talk.", "A lecture": "Not yet: ..."},
        correct="Comfort",
    )

Privacy: nothing here writes a file, logs, or sends what a learner types or chooses anywhere;
the browser module does not send it to the kernel either. Reflections may mention children, so
no activity keeps them.
"""

from __future__ import annotations

from .widget import Activity

__all__ = [
    "DEFAULT_CIRCLES",
    "DEFAULT_SCALE",
    "ROLE_WORDS",
    "choice_check",
    "rating_check",
    "relationship_map",
    "scenario_explorer",
    "sort_statements",
]

DEFAULT_SCALE: tuple[str, ...] = ("Not at all", "A little", "Quite a lot", "Very much")
DEFAULT_CIRCLES: tuple[str, ...] = ("Closest to me", "Close", "Around me")

# Words that are roles rather than names, so "Class Teacher" is not mistaken for a full name.
ROLE_WORDS: tuple[str, ...] = tuple(
    """
    aunt auntie brother carer child coach cousin dad daughter doctor family father foster
    friend gp gran grandad grandma grandpa granny head health leader manager mother mum my
    nan nanny neighbour nurse partner pastor school sister son support teacher the uncle
    visitor worker youth club group class team colleague mentor best old new step in law
    of from at
    """.split()
)


def choice_check(question: str, options: dict[str, str], correct: str | list[str]) -> Activity:
    """A single-choice question with an explanation for every option.

    :param question: the question, in plain words.
    :param options: option text -> explanation shown when that option is checked.
    :param correct: the right option, or a list of options that all count as right.
    :raises ValueError: if there are fewer than two options or a right answer is not an option.
    """
    if len(options) < 2:
        raise ValueError("choice_check needs at least two options")
    right = [correct] if isinstance(correct, str) else list(correct)
    if not right:
        raise ValueError("choice_check needs at least one correct option")
    unknown = [c for c in right if c not in options]
    if unknown:
        raise ValueError(f"correct answer {unknown[0]!r} is not one of the options")
    spec = {
        "question": str(question),
        "options": {str(k): str(v) for k, v in options.items()},
        "correct": [str(c) for c in right],
    }
    return Activity("choice", spec)


def scenario_explorer(scenarios: list[dict]) -> Activity:
    """Step through short situations one at a time; each choice shows what might follow.

    :param scenarios: a list of ``{"title": str, "situation": str, "choices": {text: feedback}}``.
    :raises ValueError: if the list is empty or a scenario is missing a part.
    """
    if not scenarios:
        raise ValueError("scenario_explorer needs at least one scenario")
    for number, scenario in enumerate(scenarios, start=1):
        missing = [k for k in ("title", "situation", "choices") if k not in scenario]
        if missing:
            raise ValueError(f"scenario {number} is missing {', '.join(missing)}")
        if not scenario["choices"]:
            raise ValueError(f"scenario {number} ({scenario['title']!r}) has no choices")
    spec = {
        "scenarios": [
            {
                "title": str(s["title"]),
                "situation": str(s["situation"]),
                "choices": [[str(k), str(v)] for k, v in s["choices"].items()],
            }
            for s in scenarios
        ]
    }
    return Activity("scenario", spec)


def rating_check(
    title: str,
    statements: list[str],
    bands: list[tuple[int, str]],
    scale: tuple[str, ...] = DEFAULT_SCALE,
) -> Activity:
    """A private self-check: rate each statement, see a running total and what it may mean.

    Each answer scores its position on the scale (0 for the first choice). ``bands`` is a list of
    ``(highest total, message)`` in ascending order; the message for the current total is shown.

    :raises ValueError: if there are no statements or bands, the scale has fewer than two points,
        or the bands are not in ascending order.
    """
    if not statements:
        raise ValueError("rating_check needs at least one statement")
    if len(scale) < 2:
        raise ValueError("rating_check needs a scale with at least two points")
    if not bands:
        raise ValueError("rating_check needs at least one band")
    uppers = [upper for upper, _ in bands]
    if uppers != sorted(uppers) or len(set(uppers)) != len(uppers):
        raise ValueError("rating_check bands must be in ascending order of their highest total")
    spec = {
        "title": str(title),
        "statements": [str(s) for s in statements],
        "bands": [[int(upper), str(message)] for upper, message in bands],
        "scale": [str(s) for s in scale],
    }
    return Activity("rating", spec)


def relationship_map(
    prompt: str, circles: tuple[str, ...] = DEFAULT_CIRCLES, *, middle: str = "Me"
) -> Activity:
    """Place the people around you in circles of closeness and see the shape of your support.

    Learners add people by role or initials only (never full names). Nothing is saved.

    :param prompt: what to think about while drawing the map.
    :param circles: names of the circles, closest first.
    :param middle: who sits at the centre of the map (e.g. "The child" for a team around a child).
    :raises ValueError: if fewer than two circles are given.
    """
    if len(circles) < 2:
        raise ValueError("relationship_map needs at least two circles")
    spec = {
        "prompt": str(prompt),
        "circles": [str(c) for c in circles],
        "middle": str(middle),
        "role_words": list(ROLE_WORDS),
    }
    return Activity("map", spec)


def sort_statements(statements: dict[str, str], categories: list[str], title: str = "") -> Activity:
    """Sort each statement into a category (drag it, or choose from a list), then check.

    :param statements: statement -> the category it belongs in.
    :param categories: the categories offered for every statement.
    :param title: an optional heading.
    :raises ValueError: if there are no statements, fewer than two categories, or a statement's
        category is not one of the categories.
    """
    if not statements:
        raise ValueError("sort_statements needs at least one statement")
    if len(categories) < 2:
        raise ValueError("sort_statements needs at least two categories")
    for statement, category in statements.items():
        if category not in categories:
            raise ValueError(
                f"the category {category!r} for {statement!r} is not one of {categories}"
            )
    spec = {
        "title": str(title),
        "statements": [[str(s), str(c)] for s, c in statements.items()],
        "categories": [str(c) for c in categories],
    }
    return Activity("sort", spec)
