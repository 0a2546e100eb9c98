"""Shared pieces of the fuzz tests: what a clear error is, database snapshots, junk input.

The promise the fuzz tests check, for every file the toolkit reads: any input either works, or
raises an `ImatterError` whose message is one line naming the file (and the row or line where
there is one); the CLI exits 1 or 2 without a traceback; and a failure changes nothing (the
database dumps the same, byte for byte, and no output file is left half-written).
"""

from __future__ import annotations

import itertools
import re
import shutil
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from imatter.errors import ImatterError

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME_FILE = ROOT / "modules" / "programme.yml"
_COUNTER = itertools.count()


def fuzz(max_examples: int) -> settings:
    """Hypothesis settings for a fuzz test: no deadline, a fixed seed, fixtures allowed."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def fresh(folder: Path, name: str) -> Path:
    """A new, unused path in `folder` (each hypothesis example writes its own files)."""
    return folder / f"{name}-{next(_COUNTER)}"


# ---------------------------------------------------------------------- databases
def db_dump(path: Path) -> str:
    """Every table's schema and rows, as SQL text (sqlite3's iterdump, read-only)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


class Snapshots:
    """Copies of a template database: each example works on its own copy."""

    def __init__(self, store, folder: Path) -> None:  # type: ignore[no-untyped-def]
        self.folder = folder
        self.template = folder / "template.db"
        store.backup(self.template)
        self.before = db_dump(self.template)  # what every untouched copy dumps as

    def copy(self) -> Path:
        target = fresh(self.folder, "example").with_suffix(".db")
        shutil.copyfile(self.template, target)
        return target

    def store(self, path: Path):  # type: ignore[no-untyped-def]
        from imatter.store import Store

        return Store.for_file(path)


def count_rows(dump: str, table: str) -> int:
    """The number of rows of `table` in a dump."""
    return dump.count(f'INSERT INTO "{table}" VALUES')


# ---------------------------------------------------------------------- clear errors
# Phrases from Python's own exceptions: a message quoting them does not say what to fix.
_PYTHON_WORDS = (
    "invalid literal for",
    "object has no attribute",
    "NoneType",
    "unhashable type",
    "Traceback",
    "not subscriptable",
    "codec can't decode",
)


def assert_clear(err: BaseException, path: Path, *, line_details: bool = False) -> None:
    """An ImatterError whose message is one line naming the file; details one line each."""
    assert isinstance(err, ImatterError), f"{type(err).__name__}: {err}"
    message = err.message
    assert message.strip(), "empty error message"
    assert "\n" not in message and "\r" not in message, f"multi-line message: {message!r}"
    assert path.name in message, f"the message does not name {path.name}: {message!r}"
    assert str(err) == message
    for text in (message, *err.details):
        for leak in _PYTHON_WORDS:
            assert leak not in text, f"Python's words, not the user's: {text!r}"
    for detail in err.details:
        assert isinstance(detail, str) and detail.strip()
        assert "\n" not in detail and "\r" not in detail, f"multi-line detail: {detail!r}"
        if line_details:
            assert re.match(r"^line \d+: \S", detail), f"detail without its line: {detail!r}"
    assert err.exit_code in (1, 2)


def assert_cli_failed(code: int, out: str, err: str, path: Path) -> None:
    """The CLI refused cleanly: exit 1 or 2, `Error: ...` naming the file, no traceback."""
    assert code in (1, 2), (code, out, err)
    assert "Traceback" not in out + err
    first = err.splitlines()[0] if err else ""
    assert first.startswith("Error: "), err
    assert path.name in first, err


# ---------------------------------------------------------------------- junk
BOM = "\ufeff"


def junk_bytes(max_size: int = 600) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, text in odd encodings, BOMs, NULs and invalid UTF-8."""
    text = st.text(max_size=max_size)
    return st.one_of(
        st.binary(max_size=max_size),
        text.map(lambda s: s.encode("utf-8", "surrogatepass")),
        text.map(lambda s: (BOM + s).encode("utf-8", "surrogatepass")),
        text.map(lambda s: s.encode("utf-16")),
        text.map(lambda s: s.encode("latin-1", "replace")),
        st.tuples(text, st.sampled_from([b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\r"])).map(
            lambda p: p[0].encode("utf-8", "surrogatepass") + p[1]
        ),
    )


def prefixed(head: str, max_size: int = 400) -> st.SearchStrategy[bytes]:
    """Text that starts like a real file (`head`) and then turns into anything."""
    return st.tuples(st.sampled_from(["", BOM]), junk_bytes(max_size)).map(
        lambda p: (p[0] + head).encode("utf-8") + p[1]
    )


def test_the_dump_sees_every_change(ws, tmp_path):
    """The snapshot comparison the fuzz tests rely on notices a one-character change."""
    from imatter import records

    snaps = Snapshots(ws.store, tmp_path)
    path = snaps.copy()
    before = db_dump(path)
    store = snaps.store(path)
    records.add_setting(store, "aa", "A", kind="service")
    store.dispose()
    after = db_dump(path)
    assert after != before
    assert count_rows(after, "settings") == count_rows(before, "settings") + 1 == 1


def test_a_clear_error_names_the_file(tmp_path):
    path = tmp_path / "staff.csv"
    assert_clear(ImatterError(f"{path}:2: bad", details=["line 2: bad"]), path, line_details=True)
    for bad in (ValueError("x"), ImatterError("no file named"), ImatterError(f"{path}\nx")):
        try:
            assert_clear(bad, path)
        except AssertionError:
            continue
        raise AssertionError(f"{bad!r} passed as a clear error")
