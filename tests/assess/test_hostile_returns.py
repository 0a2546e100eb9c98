"""Hostile returned files are refused with one line: deep JSON, zip bombs, huge archives.

Nothing big is extracted or written: a refused archive is kept in quarantine as it was sent.
"""

from __future__ import annotations

import io
import json
import resource
import tarfile
import zipfile

import pytest
from imatter.assess import collect as collect_module
from imatter.assess.collect import archive_problem, collect_files, quarantined

from . import helpers as h
from .conftest import released_copies

pytestmark = pytest.mark.slow
A = h.ASSESSMENT
GIB = 1024**3


def name(student: str) -> str:
    return f"{student}_{A}.ipynb"


@pytest.fixture(scope="session")
def bomb(tmp_path_factory):
    """A 2 MB zip holding one 2 GiB entry (zeros) named like a returned notebook."""
    path = tmp_path_factory.mktemp("bomb") / "returns.zip"
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(name("p1"), "w", force_zip64=True) as entry:
            for _ in range(2048):
                entry.write(chunk)
    assert path.stat().st_size < 3 * 1024 * 1024
    return path


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


def test_a_zip_bomb_is_quarantined_with_a_reason_and_nothing_big_is_written(bomb, course, tmp_path):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report = collect_files(course, A, bomb)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert report.collected == ()
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.file == "returns.zip"
    assert problem.problems == (
        f"refused: {name('p1')} would unpack from 2 MB to 2,048 MB, more than 100 times "
        "(a zip bomb); nothing was extracted",
    )
    # Kept as sent (2 MB), with its note; nothing anywhere in the course directory is big.
    sizes = _files(course.root)
    assert max(sizes.values()) < 3 * 1024 * 1024, max(sizes.items(), key=lambda kv: kv[1])
    kept = quarantined(course, A)
    assert [k["file"] for k in kept] == ["returns.zip"]
    assert kept[0]["path"].stat().st_size == bomb.stat().st_size
    assert peak - before < 500 * 1024 * 1024  # the 2 GiB entry was never read into memory


def test_an_archive_over_the_unpacked_limit_is_refused_even_when_it_compresses_modestly(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(collect_module, "MAX_UNPACKED_BYTES", 3 * 1024 * 1024)
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for n in range(4):
            archive.writestr(f"p{n + 1}_{A}.ipynb", bytes(1024 * 1024))
    assert archive_problem(path) == (
        "refused: the archive would unpack to more than 3 MB (a zip bomb, or far more than "
        "returned notebooks); nothing was extracted"
    )


def test_a_bomb_inside_an_archive_inside_the_archive_is_found(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(name("p2"), bytes(200 * 1024 * 1024))
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("class/inner.zip", inner.getvalue())
    why = archive_problem(outer)
    assert why.startswith(f"refused: {name('p2')} would unpack from ") and why.endswith(
        " bytes to 200 MB, more than 100 times (a zip bomb); nothing was extracted"
    ), why


def test_a_tar_gz_bomb_is_refused_from_its_headers(tmp_path, monkeypatch):
    monkeypatch.setattr(collect_module, "MAX_UNPACKED_BYTES", 8 * 1024 * 1024)
    path = tmp_path / "returns.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(name("p1"))
        info.size = 16 * 1024 * 1024
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    assert archive_problem(path) == (
        "refused: the archive would unpack to more than 8 MB (a zip bomb, or far more than "
        "returned notebooks); nothing was extracted"
    )


def test_a_notebook_with_deeply_nested_metadata_is_quarantined_in_one_line(course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    h.dump(h.answered(copies["p1"]), inbox / name("p1"))
    deep = h.answered(copies["p2"])
    text = json.dumps(deep)
    nested = '{"x": ' * 100_000 + "1" + "}" * 100_000
    text = text.replace('"metadata": {', f'"metadata": {{"deep": {nested}, ', 1)
    (inbox / name("p2")).write_text(text, encoding="utf-8")
    report = collect_files(course, A, inbox)
    assert report.collected == ("p1",)
    assert [str(p) for p in report.problems] == [
        f"{name('p2')} (p2): refused: the JSON has more than 64 levels of nesting; Jupyter "
        "does not write such files (send it again)"
    ]


def test_a_notebook_with_an_absurd_number_is_quarantined_in_one_line(course, tmp_path):
    copies = released_copies(course, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = json.dumps(h.answered(copies["p3"]))
    text = text.replace('"metadata": {', '"metadata": {"n": ' + "9" * 100_000 + ", ", 1)
    (inbox / name("p3")).write_text(text, encoding="utf-8")
    report = collect_files(course, A, inbox)
    assert [str(p) for p in report.problems] == [
        f"{name('p3')} (p3): refused: the JSON has a number with more than 100 digits; "
        "Jupyter does not write such files (send it again)"
    ]


def test_the_cli_reports_a_zip_bomb_in_one_line(bomb, course, run_cli, ws, people):
    code, out, err = run_cli("assess", "--course-dir", str(course.root), "collect", A, str(bomb))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"Collected 0 submission(s) of {A}"
    assert out.splitlines()[2] == (
        f"  returns.zip (unknown learner): refused: {name('p1')} would unpack from 2 MB to "
        "2,048 MB, more than 100 times (a zip bomb); nothing was extracted"
    )


def test_a_damaged_archive_is_refused_not_a_traceback(tmp_path):
    path = tmp_path / "returns.zip"
    path.write_bytes(b"PK\x03\x04 cut short")
    assert archive_problem(path) == "not a readable archive (ReadError); nothing was extracted"
