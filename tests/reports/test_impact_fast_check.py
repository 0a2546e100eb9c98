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


def test_a_batch_collection_writes_the_row_at_a_time_rows_and_chain(tmp_path, monkeypatch):
    """Collected in one executemany (audited in batch) or one answer set at a time (audited by
    the triggers): the same rows, and a chain with the same records that verifies."""
    import datetime as dt

    import sqlalchemy as sa
    from imatter.impact import collect as collect_module
    from imatter.impact import collect_answers, write_answers_file
    from imatter.store import schema as t
    from imatter.trust.audit import verify
    from imatter.workspace import init_workspace

    from .conftest import PROGRAMME

    monkeypatch.setenv("IMATTER_USER", "tester")
    at = dt.datetime(2026, 11, 28, 9, 0)
    folder = tmp_path / "returned"
    for i in range(6):
        scores = {"confidence": 1 + i % 5, "understanding": 2, "wellbeing": 3, "practice": 4}
        write_answers_file(folder / f"p{i}", "foundation-a", "pre", f"K-{i:02d}", scores, at)

    def collected(name: str):
        ws = init_workspace(tmp_path / name, programme=PROGRAMME)
        with ws.store.read() as conn:  # the set-up's records have their own times
            start = conn.execute(sa.select(sa.func.max(t.audit_log.c.seq))).scalar()
        result = collect_answers(
            ws.store, ws.programme, folder, collected_by="t", collected_at=at, progress=False
        )
        assert (result.imported, result.unchanged) == (6, 0)
        again = collect_answers(
            ws.store, ws.programme, folder, collected_by="t", collected_at=at, progress=False
        )
        assert (again.imported, again.unchanged) == (0, 6)
        assert verify(ws).problem is None
        with ws.store.read() as conn:
            rows = [tuple(r) for r in conn.execute(sa.select(t.impact_responses))]
            log = [
                (r.seq, r.action, r.tbl, r.row_key, r.data_sha256)
                for r in conn.execute(
                    sa.select(t.audit_log).where(t.audit_log.c.seq > start).order_by("seq")
                )
            ]
        return rows, log, result.items

    batch = collected("batch")
    monkeypatch.setattr(collect_module, "_new_or_unchanged", lambda conn, chosen: None)
    single = collected("single")
    assert batch == single
    assert [x[1:3] for x in batch[1]] == [("insert", "impact_responses")] * 24


ODD_TAIL = st.text(alphabet='aZ09 -._/:+\t\n\\"é\x00\x7f\u2028', max_size=4)


def _tailed(*heads: str) -> st.SearchStrategy[str]:
    """A value that starts right (or not) and then has a few characters JSON may escape."""
    return st.builds(lambda head, tail: head + tail, st.sampled_from(heads), ODD_TAIL)


LAID_OUT_CHANGES = {
    "course": st.sampled_from(["f1", "x" * 80, "x" * 81, "a-", "-a", "A1", "a", "a b"])
    | _tailed("f1", "foundation-a"),
    "stage": st.sampled_from(["post", "mid", "Pre"]) | _tailed("pre"),
    "cohort": st.one_of(
        st.none(),
        st.sampled_from(["Autumn 2026", "a/b.c_d-e", "", " x", "x" * 80, "x" * 81, "é", 'a"b']),
        _tailed("Autumn 2026", "A", ""),
    ),
    "pseudonym": st.sampled_from(["K-1", "KESTREL", "k-42", "-42A", "A1", "1" * 20, "1" * 21])
    | _tailed("K-1", "KESTREL", "KESTREL-42"),
    "answered_at": st.sampled_from(
        ["2026-10-01T09:30:00.5+01:00", "2026-13-01T09:30:00", "2026-10-01", "x"]
    )
    | _tailed("2026-10-01T09:30:00", "2026-10-01T09:30", ""),
    **{
        f"answers.{item}": st.sampled_from([1, 2, 4, 5, 0, 6, True, 2.0, "3", None])
        for item in VALID["answers"]
    },
}


@settings(max_examples=1500, deadline=None)
@given(
    change=st.sampled_from([None, *LAID_OUT_CHANGES]).flatmap(
        lambda field: st.tuples(st.just(field), LAID_OUT_CHANGES.get(field, st.none()))
    ),
    newline=st.booleans(),
    edit=st.none()
    | st.tuples(
        st.integers(0, 400),
        st.sampled_from(["", " ", "\n", "\\", '"', "}", "1", ",", "\t", "x", "é"]),
        st.integers(0, 2),
    ),
)
def test_a_file_read_by_its_layout_reads_as_the_json_path_reads_it(change, newline, edit):
    """The one-pattern read of a file laid out as the writers lay it out takes only texts the
    JSON path accepts, and finds the same values in them; everything else (a value changed,
    a character added or taken away) goes to the JSON path."""
    import json

    from imatter.impact.answers import _LAID_OUT, _SCORE, _document

    document = copy.deepcopy(VALID)
    field, value = change
    if field is not None:
        target, key = (
            (document["answers"], field[8:]) if field.startswith("answers.") else (document, field)
        )
        target[key] = value
    text = json.dumps(document, indent=2, ensure_ascii=False) + ("\n" if newline else "")
    if edit is not None:
        cut, insert, remove = edit
        text = text[:cut] + insert + text[cut + remove :]
    match = _LAID_OUT.fullmatch(text)
    if match is None:
        assert field is not None or edit is not None  # the writers' own layout always matches
        return
    course, stage, cohort, code, when, *scores = match.groups()
    found = _document(text, text.encode("utf-8"), "x.json")  # raises if the JSON path refuses
    parsed = json.loads(text)
    assert _plainly_valid(parsed) and _schema_accepts(parsed)
    answers = {item: _SCORE[score] for item, score in zip(VALID["answers"], scores, strict=True)}
    assert found == (course, stage, cohort, code, when, answers, f"{course}-{stage}.json")
    assert list(found[5].items()) == list(answers.items())
    assert all(type(v) is int for v in found[5].values())


def test_the_writers_layout_is_read_by_the_pattern(tmp_path):
    """`write_answers_file` and the questionnaire's JSON.stringify(document, null, 2) lay the
    file out as the pattern expects (a change to either shows here, not as a slow collect)."""
    import datetime as dt
    import json

    from imatter.impact import write_answers_file
    from imatter.impact.answers import _LAID_OUT

    path = write_answers_file(
        tmp_path, "foundation-a", "pre", "KESTREL-42", VALID["answers"], dt.datetime(2026, 10, 1)
    )
    assert _LAID_OUT.fullmatch(path.read_text(encoding="utf-8"))
    with_cohort = dict(VALID, cohort="Autumn 2026")
    assert _LAID_OUT.fullmatch(json.dumps(with_cohort, indent=2))  # JSON.stringify's layout
