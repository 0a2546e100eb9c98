"""A course at a glance, for the top of its first session: read from the programme catalogue.

Notebooks call `course_at_a_glance("foundation-a")`, so a course's title, audience, hours and
prerequisites are written once (in modules/programme.yml) and shown wherever they are needed.
The printed text is deterministic, so nbval checks it: if the catalogue changes, the check says
which notebooks to re-run. The book shows the same facts as a styled card: its Sphinx extension
finds the printed text (`parse_glance`) and puts `glance_card_html` in its place.
"""

from __future__ import annotations

from ..eligibility.explain import short_title
from ..programme import Programme, courses_required, load_programme

AUDIENCE_WORDS = {
    "both": "parents, carers and professionals",
    "professionals": "professionals in schools and services",
    "parents": "parents and carers",
}


def glance_text(programme: Programme, course_id: str) -> str:
    """The at-a-glance text for one course."""
    course = programme.course(course_id)
    before = [short_title(programme.courses[c].title) for c in course.prerequisites]
    after = [
        short_title(c.title) for c in programme.courses.values() if course_id in c.prerequisites
    ]
    roles = [r.title for r in programme.roles.values() if course_id in courses_required(r.requires)]
    hours = f"{course.hours:g} hour{'s' if course.hours != 1 else ''}"
    lines = [
        course.title,
        f"For: {AUDIENCE_WORDS[course.audience]}",
        f"Time: about {hours}, in {len(_sessions(programme, course_id)) or 'several'} sessions",
        "Before this: " + (", ".join(before) if before else "nothing; you can start here"),
    ]
    if after:
        lines.append("Next: " + ", ".join(after))
    if roles:
        lines.append("Counts towards: " + "; ".join(roles))
    return "\n".join(lines)


def _sessions(programme: Programme, course_id: str) -> list[str]:
    folder = programme.source.parent / course_id
    return sorted(p.name for p in folder.glob("[0-9][0-9]-*.ipynb")) if folder.is_dir() else []


def course_at_a_glance(course_id: str) -> None:
    """Print a course's facts from the programme catalogue (for the first session notebook)."""
    print(glance_text(load_programme(), course_id))


# The labels of the lines after the title, in the order `glance_text` writes them.
_LABELS = ("For", "Time", "Before this", "Next", "Counts towards")


def parse_glance(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """(title, [(label, value)]) if ``text`` is a course-at-a-glance printout, else None."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) < 4 or not lines[1].startswith("For: ") or not lines[2].startswith("Time: "):
        return None
    facts = []
    for line in lines[1:]:
        label, sep, value = line.partition(": ")
        if not sep or label not in _LABELS:
            return None
        facts.append((label, value))
    return lines[0], facts


def glance_card_html(text: str) -> str | None:
    """The at-a-glance printout as an HTML card (a titled description list), or None."""
    parsed = parse_glance(text)
    if parsed is None:
        return None
    from ..templates import fragment

    title, facts = parsed
    return fragment("glance_card", title, facts)
