"""Collecting answers files with plain-string paths finds, names and stores them exactly as
pathlib would: the same files in the same order, the same paths in every line and the same
resolved sources (a linked file resolved, a linked folder not entered), and a quick look at
each file's bytes never lets a hostile file past the full check."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from imatter.impact import collect_answers, write_answers_file
from imatter.impact.answers import _plainly_tame
from imatter.impact.items import ANSWERS_FOLDER
from imatter.safejson import hostile
from imatter.store import schema as t
from imatter.workspace import init_workspace

from .conftest import PROGRAMME

AT = dt.datetime(2026, 10, 1, 10, 30)


def _scores(i: int) -> dict[str, int]:
    return {"confidence": 1 + i % 5, "understanding": 2, "wellbeing": 1 + i % 3, "practice": 4}


def _returned(tmp_path: Path) -> Path:
    """Returned folders whose names sort differently as text and as parts ('a-b' < 'a/'),
    nested at several depths, with a linked file, a linked folder and a hidden temp file."""
    root = tmp_path / "returned"
    names = ["a", "a-b", "a.b", "a/b", "a/b/c d", "b", "B", "z/y/x/w"]
    for i, name in enumerate(names):
        stage = "post" if i % 3 == 0 else "pre"
        when = AT + dt.timedelta(days=i % 2)
        cohort = "Spring 2027" if i % 4 == 0 else None
        write_answers_file(
            root / name, "foundation-a", stage, f"K-{i:02d}", _scores(i), when, cohort=cohort
        )
    write_answers_file(root / "c", "foundation-b", "pre", "K-99", _scores(9), AT)
    elsewhere = tmp_path / "outside"
    outside = write_answers_file(elsewhere, "foundation-b", "post", "L-1", _scores(1), AT)
    linked = root / "linked" / ANSWERS_FOLDER
    linked.mkdir(parents=True)
    (linked / outside.name).symlink_to(outside)
    (root / "folder-link").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "a" / ANSWERS_FOLDER / ".answers-x.json").write_text("{", encoding="utf-8")
    return root


def _pathlib_view(root: Path) -> list[Path]:
    """What collection must find, found with pathlib (rglob enters no linked folder)."""
    return sorted(
        p
        for p in root.rglob("*.json")
        if p.parent.name == ANSWERS_FOLDER and not p.name.startswith(".")
    )


def _collect(tmp_path: Path, name: str, folder: str | Path):
    ws = init_workspace(tmp_path / name, programme=PROGRAMME)
    result = collect_answers(
        ws.store, ws.programme, folder, collected_by="t", collected_at=AT, progress=False
    )
    with ws.store.read() as conn:
        rows = [
            tuple(r)[1:]  # all but the id
            for r in conn.execute(sa.select(t.impact_responses).order_by(t.impact_responses.c.id))
        ]
    return result, rows


@pytest.fixture(params=["child-walks", "walked-here"])
def walker(request, monkeypatch):
    """Collect with the walk in a child process (checked to have happened), or in process."""
    from imatter.impact import collect as collect_module

    real = collect_module._walked_and_read
    calls: list[object] = []
    if request.param == "child-walks":
        monkeypatch.setattr(
            collect_module, "_walked_and_read", lambda *a: calls.append(real(*a)) or calls[-1]
        )
    else:
        monkeypatch.setattr(collect_module, "_walked_and_read", lambda *a: None)
    yield calls
    if request.param == "child-walks":
        assert calls and all(c is not None for c in calls)


def test_files_are_found_named_and_resolved_as_pathlib_would(tmp_path, monkeypatch, walker):
    root = _returned(tmp_path)
    expected = _pathlib_view(root)
    assert len(expected) == 10  # the linked folder's file is not among them
    result, rows = _collect(tmp_path, "abs", root)
    assert result.files == result.imported == 10
    assert list(result.items) == [f"{p}: imported" for p in expected]
    sources = [row[8] for row in rows[::4]]
    assert sources == [str(p.resolve()) for p in expected]
    assert str(tmp_path / "outside" / ANSWERS_FOLDER / "foundation-b-post.json") in sources

    # From inside the folder, given as ".": the same rows, and lines named as Path names them.
    monkeypatch.chdir(root)
    here, same = _collect(tmp_path, "dot", ".")
    assert list(here.items) == [f"{p.relative_to(root)}: imported" for p in expected]
    assert same == rows
    # Given with a trailing separator, or through "..": the same rows again.
    assert _collect(tmp_path, "slash", f"{root}{os.sep}")[1] == rows
    assert _collect(tmp_path, "dots", root / "a" / "..")[1] == rows


def test_batch_and_one_at_a_time_store_the_same_mixed_rows(tmp_path, monkeypatch):
    """Days, cohorts, courses and stages that differ between files, and ones that do not:
    the batch insert stores what the row-at-a-time path stores."""
    from imatter.impact import collect as collect_module

    root = _returned(tmp_path)
    batch = _collect(tmp_path, "batch", root)
    monkeypatch.setattr(collect_module, "_new_or_unchanged", lambda conn, chosen: None)
    single = _collect(tmp_path, "single", root)
    assert batch[1] == single[1] and list(batch[0].items) == list(single[0].items)
    assert {row[4] for row in batch[1]} == {"pre", "post"}
    assert {row[7] for row in batch[1]} == {AT.date(), (AT + dt.timedelta(days=1)).date()}


JSONISH = st.text(alphabet='[]{}0123456789"\\ ,:ax\u00e9', max_size=400)


@settings(max_examples=400, deadline=None)
@given(text=JSONISH, repeat=st.integers(0, 120), char=st.sampled_from(["[", "{", "7"]))
def test_a_file_passed_as_tame_is_never_hostile(text, repeat, char):
    text = char * repeat + text
    if _plainly_tame(text.encode("utf-8")):
        assert hostile(text) is None


def test_hostile_files_are_not_passed_as_tame():
    assert not _plainly_tame(b"[" * 65 + b"]" * 65)
    assert not _plainly_tame(b'{"a": ' + b"1" * 101 + b"}")
    assert _plainly_tame(b'{"a": [' + b"1" * 100 + b"]}")


@pytest.mark.parametrize(
    "script",
    [
        "import sys; sys.exit(3)",  # the child fails
        "import sys; sys.stdout.buffer.write(b'F/nowhere.json\\0'); sys.exit(0)",  # cut short
    ],
    ids=["fails", "cut-short"],
)
def test_a_walk_that_goes_wrong_in_the_child_is_done_here(tmp_path, monkeypatch, script):
    """Whatever the child does, the collect finds exactly what pathlib finds."""
    from types import SimpleNamespace

    from imatter.impact import collect as collect_module

    root = _returned(tmp_path)
    broken = tmp_path / "walk.py"
    broken.write_text(script, encoding="utf-8")
    monkeypatch.setattr(
        collect_module,
        "walk",
        SimpleNamespace(__file__=str(broken), answers_files=collect_module.walk.answers_files),
    )
    assert collect_module._walked_and_read(root, False) is None
    result, rows = _collect(tmp_path, "ws", root)
    assert list(result.items) == [f"{p}: imported" for p in _pathlib_view(root)]
    assert len(rows) == 40
