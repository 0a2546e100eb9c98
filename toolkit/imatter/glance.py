"""A course at a glance, for the top of its first session: read from the programme catalogue.

Notebooks call `course_at_a_glance("foundation-a")`, so a course's title, audience, hours and
prerequisites are written once (in modules/programme.yml) and shown wherever they are needed.
The printed text is deterministic, so nbval checks it: if the catalogue changes, the check says
which notebooks to re-run.
"""

from __future__ import annotations

from .eligibility.explain import short_title
from .programme import Programme, courses_required, load_programme

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
