"""Fuzzing the notebooks and JSON files the toolkit reads: returned assessment notebooks,
session notebooks (lint, strip, the questionnaire cells), impact answers files, credentials.

Inputs are real files with their JSON mutated (keys deleted, values of another type, cells
duplicated, huge outputs), cut short, or replaced by anything at all. Checks never raise
anything but an ImatterError; a file the toolkit rewrites is left exactly as it was when it
fails; a collection that fails writes nothing to the database.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from imatter.errors import ImatterError, InvalidCredential

from ..assess import helpers as h
from .test_fuzz_common import (
    ROOT,
    Snapshots,
    assert_clear,
    count_rows,
    db_dump,
    fresh,
    fuzz,
    junk_bytes,
)

SESSION = ROOT / "modules" / "foundation-a" / "01-how-children-grow-through-relationships.ipynb"
PARENTS_SESSION = ROOT / "modules" / "parents" / "01-you-matter-too.ipynb"

ODD_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            [],
            {},
            [1, "a", None],
            {"grade_id": ["x"]},
            {"nbgrader": "yes"},
            {"imatter": [1]},
            {"tags": 5},
            {"cell_type": "code"},
            ["line\n", 7],
            "# Session 1: x\n## Learning outcomes\n- a",
            "![](nowhere.png)\n[a](missing.md)",
        ]
    ),
)


def _places(node: Any, out: list) -> list:
    """Every (container, key) in a JSON document."""
    if isinstance(node, dict):
        for key in list(node):
            out.append((node, key))
            _places(node[key], out)
    elif isinstance(node, list):
        for i in range(len(node)):
            out.append((node, i))
            _places(node[i], out)
    return out


@st.composite
def mutated_json(draw, document: Any):  # type: ignore[no-untyped-def]
    """A JSON document after one to four random edits."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        places = _places(doc, [])
        if not places:
            break
        parent, key = draw(st.sampled_from(places))
        op = draw(st.sampled_from(["delete", "retype", "retype", "huge", "twin"]))
        if op == "delete":
            del parent[key]
        elif op == "retype":
            parent[key] = draw(ODD_JSON)
        elif op == "huge":
            parent[key] = draw(
                st.sampled_from(["x" * 300_000, ["y\n"] * 20_000, [{"output_type": "stream"}] * 50])
            )
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
    return doc


def notebook_bytes(document: Any) -> st.SearchStrategy[bytes]:
    """A mutated notebook (mostly), cut short, with a BOM, or anything at all."""
    mutated = mutated_json(document).map(lambda d: json.dumps(d).encode())
    return st.one_of(
        mutated,
        mutated,
        mutated,
        st.tuples(mutated, st.floats(0, 1)).map(lambda p: p[0][: int(len(p[0]) * p[1])]),
        mutated.map(lambda b: b"\xef\xbb\xbf" + b),
        junk_bytes(),
        st.sampled_from([b"[]", b"null", b"{}", b'{"cells": 5}', b'{"cells": [1]}', b"NaN"]),
    )


# ---------------------------------------------------------------------- returned notebooks
RELEASED = h.student_version(h.load(h.SOURCES / h.ASSESSMENT / f"{h.ASSESSMENT}.ipynb"))
RETURNED = h.answered(RELEASED)


def _with_grade_id(value: Any) -> bytes:
    nb = copy.deepcopy(RETURNED)
    nb["cells"][1]["metadata"]["nbgrader"]["grade_id"] = value
    return json.dumps(nb).encode()


@fuzz(100)
@given(data=notebook_bytes(RETURNED))
@example(data=_with_grade_id(["reflect-self"]))
@example(data=_with_grade_id({"a": 1}))
@example(data=_with_grade_id(7))
def test_a_returned_notebook_is_checked_never_crashes(tmp_path, data):
    from imatter.assess.collect import Verdict, _Quarantine, check_notebook, expected_from
    from imatter.assess.course_dir import CourseDir

    released = tmp_path / "released.ipynb"
    if not released.exists():
        h.dump(RELEASED, released)
    expected = expected_from(released, h.ASSESSMENT)
    verdict = Verdict(learner="p1")
    check_notebook(data, expected, verdict)
    for text in verdict.problems + verdict.notes:
        assert isinstance(text, str) and "\n" not in text
        assert h.SECRET not in text  # never quotes what a learner wrote
    if verdict.problems:
        # A quarantined file is kept byte for byte, with a note saying why.
        source = fresh(tmp_path, "p1").with_suffix(".ipynb")
        source.write_bytes(data)
        course = CourseDir(tmp_path / "course", "c")
        kept = _Quarantine(course, h.ASSESSMENT, "stamp").keep(
            source, source.name, "p1", verdict.problems
        )
        assert kept.kept_at is not None and kept.kept_at.read_bytes() == data


# ---------------------------------------------------------------------- session notebooks
SESSION_NB = json.loads(SESSION.read_text(encoding="utf-8"))
PARENTS_NB = json.loads(PARENTS_SESSION.read_text(encoding="utf-8"))


def _course(course_id: str):  # type: ignore[no-untyped-def]
    from imatter.book.lint import _read_catalogue

    return _read_catalogue(ROOT / "modules" / "programme.yml")[0][course_id]


@fuzz(50)
@given(data=st.one_of(notebook_bytes(SESSION_NB), notebook_bytes(PARENTS_NB)))
@example(data=b"\xff\xfe")
@example(data=b'{"cells": "abc", "metadata": []}')
@example(data=b'{"cells": [{"cell_type": "code", "metadata": {"tags": 5}, "outputs": [1]}]}')
@example(data=b'{"cells": [{"cell_type": "markdown", "source": [1, 2]}], "metadata": {}}')
def test_lint_and_strip_a_session_notebook(tmp_path, data):
    from imatter.book.lint import lint_notebook, strip_notebooks

    folder = fresh(tmp_path, "modules") / "parents"
    folder.mkdir(parents=True)
    path = folder / "01-you-matter-too.ipynb"
    path.write_bytes(data)
    findings = lint_notebook(path, _course("parents"), 1, folder.parents[1])
    assert all(f.path == path and "\n" not in f.message for f in findings)
    # `imatter module strip` rewrites the file: a clear error leaves it as it was.
    try:
        changed = strip_notebooks(folder.parent, [str(path)])
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert_clear(err, path)
        assert path.read_bytes() == data
    else:
        if changed:
            json.loads(path.read_text(encoding="utf-8"))
        else:
            assert path.read_bytes() == data


@fuzz(60)
@given(data=notebook_bytes(SESSION_NB), stage=st.sampled_from(["pre", "post"]))
@example(data=b"{}", stage="pre")
@example(
    data=json.dumps({**SESSION_NB, "cells": [{"cell_type": "markdown"}]}).encode(), stage="pre"
)
def test_adding_the_questionnaire_leaves_a_bad_notebook_untouched(tmp_path, data, stage):
    from imatter.impact import add_questionnaire_cells

    folder = fresh(tmp_path, "session")
    folder.mkdir()
    path = folder / "01-session.ipynb"
    path.write_bytes(data)
    try:
        added = add_questionnaire_cells(path, "foundation-a", stage)
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert_clear(err, path)
        assert path.read_bytes() == data
    else:
        if added:  # a valid notebook, cell ids repaired
            import nbformat

            nbformat.validate(nbformat.read(path, as_version=4))
        else:
            assert path.read_bytes() == data
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no temporary file left


# ---------------------------------------------------------------------- impact answers files
ANSWERS = {
    "format": "imatter-impact-answers",
    "schema_version": 1,
    "questionnaire_version": 1,
    "course": "foundation-a",
    "stage": "pre",
    "cohort": None,
    "pseudonym": "KESTREL-42",
    "answered_at": "2026-10-01T10:00:00",
    "answers": {"confidence": 3, "understanding": 4, "wellbeing": 2, "practice": 5},
}


def _answers_bytes() -> st.SearchStrategy[bytes]:
    good = st.builds(
        lambda code, stage: {**ANSWERS, "pseudonym": code, "stage": stage},
        st.sampled_from(["KESTREL-42", "OWL-7", "FOX-99"]),
        st.sampled_from(["pre", "post"]),
    )
    return st.one_of(
        good.map(lambda d: json.dumps(d).encode()),
        good.flatmap(mutated_json).map(lambda d: json.dumps(d).encode()),
        good.flatmap(mutated_json).map(lambda d: json.dumps(d).encode()),
        junk_bytes(200),
        st.just(json.dumps({**ANSWERS, "answered_at": "2026-13-45T99:99:99"}).encode()),
        st.just(json.dumps({**ANSWERS, "cohort": "a\nb"}).encode()),
    )


def _stage_of(raw: bytes) -> str:
    try:
        stage = json.loads(raw).get("stage")
    except Exception:  # noqa: BLE001 - a junk file: any name will do
        return "pre"
    return stage if stage in ("pre", "post") else "pre"


@pytest.fixture
def snaps(ws, tmp_path) -> Snapshots:
    return Snapshots(ws.store, tmp_path)


@fuzz(60)
@given(files=st.lists(_answers_bytes(), min_size=1, max_size=3))
def test_answers_files_are_collected_all_or_none(ws, snaps, tmp_path, files):
    from imatter.impact import collect_answers

    inbox = fresh(tmp_path, "inbox")
    paths = []
    for i, raw in enumerate(files):
        path = inbox / f"learner{i}" / "imatter-answers" / f"foundation-a-{_stage_of(raw)}.json"
        path.parent.mkdir(parents=True)
        path.write_bytes(raw)
        paths.append(path)
    db = snaps.copy()
    store = snaps.store(db)
    try:
        result = collect_answers(
            store,
            ws.programme,
            inbox,
            collected_by="fuzz",
            collected_at=dt.datetime(2026, 11, 28, 12, 0),
        )
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert isinstance(err, ImatterError), repr(err)
        assert "\n" not in err.message and all("\n" not in d for d in err.details)
        named = [err.message, *err.details]
        assert any(p.name in text and str(p.parent) in text for p in paths for text in named)
        assert db_dump(db) == snaps.before
    else:
        added = count_rows(db_dump(db), "impact_responses") - count_rows(
            snaps.before, "impact_responses"
        )
        assert added == 4 * result.imported
        assert result.files == len(paths)
    finally:
        store.dispose()


# ---------------------------------------------------------------------- credentials
@pytest.fixture
def signed(ws):  # type: ignore[no-untyped-def]
    """A credential issued in `ws`, the issuer's key document and its status lists."""
    from imatter.credentials.keys import KeyDocument

    from ..credentials.conftest import make_issuer

    issuer = make_issuer(ws)
    made = issuer.add_award(role_id="trainee-lead", kind="licence")
    public = issuer.settings.public_folder
    status = json.loads((public / "status" / "revocation-1.json").read_text())
    return (
        issuer.credential_path(made["row"]).read_bytes(),
        KeyDocument.from_json(json.loads((public / "issuer.json").read_text())),
        {status["id"]: status},
    )


@fuzz(40)
@given(data=st.data())
def test_a_mutated_credential_is_invalid_never_a_crash(signed, tmp_path, run_cli, data):
    from imatter.credentials.jsonld import loads_strict
    from imatter.credentials.verify import verify_file_bytes

    from ..credentials.conftest import DURING

    payload, keys, statuses = signed
    content = data.draw(notebook_bytes(loads_strict(payload)))
    try:
        verify_file_bytes(content, keys=keys, resolve_status=statuses.get, now=DURING)
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert isinstance(err, InvalidCredential), repr(err)
        assert "\n" not in err.message
    if data.draw(st.integers(0, 4)) == 0:  # the command too, now and then (it is slower)
        path = fresh(tmp_path, "credential").with_suffix(".json")
        path.write_bytes(content)
        code, out, err = run_cli("verify", str(path))
        assert "Traceback" not in out + err
        if code != 0:
            assert code == 1 and err.startswith("Error: ") and len(err.splitlines()) == 1
