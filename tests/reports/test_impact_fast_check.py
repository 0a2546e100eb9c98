"""The answers files' direct schema check never accepts what the schema refuses.

Collecting answers checks each file directly (much faster than the validator) and sends
anything it is not sure of to the validator, which names the problem. Documents near the
valid one (each field changed, added or removed) are accepted directly only when the schema
accepts them too, and a valid one is accepted directly.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from imatter import jsonschemas
from imatter.impact.answers import SCHEMA_NAME, _plainly_valid

VALID = {
    "format": "imatter-impact-answers",
    "schema_version": 1,
    "questionnaire_version": 1,
    "course": "foundation-a",
    "stage": "pre",
    "cohort": "Autumn 2026",
    "pseudonym": "KESTREL-42",
    "answered_at": "2026-10-01T09:30:00",
    "answers": {"confidence": 3, "understanding": 4, "wellbeing": 5, "practice": 1},
}
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 7),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        ["pre", "post", "KESTREL", "kestrel-42", "A1", "2026-10-01", "foundation-a\n", "1", "-x"]
    ),
    st.lists(st.integers(1, 5), max_size=2),
    st.dictionaries(st.sampled_from(["confidence", "practice", "other"]), st.integers(0, 6)),
)


def _schema_accepts(document) -> bool:
    return jsonschemas.best_error(SCHEMA_NAME, document) is None


def test_a_valid_file_is_accepted_directly():
    assert _plainly_valid(VALID) and _schema_accepts(VALID)
    without_cohort = {k: v for k, v in VALID.items() if k != "cohort"}
    assert _plainly_valid(without_cohort) and _schema_accepts(without_cohort)


@settings(max_examples=600, deadline=None)
@given(
    field=st.sampled_from([*VALID, "extra", "answers.confidence", "answers.extra"]),
    value=ODD,
    remove=st.booleans(),
)
def test_what_is_accepted_directly_the_schema_accepts(field, value, remove):
    document = copy.deepcopy(VALID)
    target, key = (
        (document["answers"], field[8:]) if field.startswith("answers.") else (document, field)
    )
    if remove:
        target.pop(key, None)
    else:
        target[key] = value
    if _plainly_valid(document):
        assert _schema_accepts(document), document
