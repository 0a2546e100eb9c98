"""Fuzzing the YAML files the toolkit reads: the programme, workspace.yml, rubrics, course.yml
and the assessment course directory's file.

Each real file is mutated (lines deleted, duplicated or re-indented, values swapped or given
another type, garbage injected, the file cut short) and arbitrary bytes are tried too. Every
input loads, or raises an ImatterError whose one-line message names the file and, for the
programme and rubrics, the line (`file:N: ...`, N a line of the file).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from imatter.errors import ImatterError, ProgrammeError, RubricError

from .test_fuzz_common import ROOT, assert_clear, assert_cli_failed, fresh, fuzz, junk_bytes

PROGRAMME_TEXT = (ROOT / "modules" / "programme.yml").read_text(encoding="utf-8")
RUBRIC_DIR = ROOT / "assessments" / "source" / "foundation-a"
RUBRIC_TEXT = (RUBRIC_DIR / "rubric.yml").read_text(encoding="utf-8")
COURSE_TEXT = (ROOT / "modules" / "foundation-a" / "course.yml").read_text(encoding="utf-8")

# Values of every YAML type, and some that are not YAML at all.
ODD_VALUES = [
    "",
    "null",
    "~",
    "true",
    "no",
    "0",
    "-1",
    "1e400",
    ".nan",
    ".inf",
    "2026-02-30",
    "2026-01-01",
    "2026-01-01 10:00:00",
    "[]",
    "[a, b]",
    "[[1]]",
    "{}",
    "{a: 1}",
    "'text'",
    '"quoted \\x41"',
    "&anchor x",
    "*anchor",
    "*nowhere",
    "!!binary aGk=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/object/apply:os.system [echo]",
    "!!int nope",
    "!custom x",
    "? [a]\n  : b",
    "{[a]: b}",
    "{? {a: 1} : b}",
    "[[[[",
    "'unclosed",
    "|\n  block text",
    "- item",
    "<<: *anchor",
    "<<: [1, 2]",
    "\x07",
    "\x00",
    "\ufeff",
    "\u2028",
    "é",
    "9" * 400,
    "%YAML 1.1",
    "--- second document",
    "...",
]


@st.composite
def mutated(draw, text: str):  # type: ignore[no-untyped-def]
    """A real YAML file after one to four random edits."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = ["\n"]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "retype", "swap", "garbage", "indent", "truncate", "key"]
            )
        )
        line = lines[i]
        if op == "delete":
            del lines[i : i + draw(st.integers(1, 3))]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "retype" and ":" in line:
            head = line.split(":", 1)[0]
            value = draw(st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=12)))
            lines[i] = f"{head}: {value}\n"
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            if ":" in line and ":" in lines[j]:
                a, b = line.split(":", 1), lines[j].split(":", 1)
                lines[i], lines[j] = f"{a[0]}:{b[1]}", f"{b[0]}:{a[1]}"
        elif op == "garbage":
            junk = draw(st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=30)))
            lines.insert(i, junk + "\n")
        elif op == "indent":
            lines[i] = " " * draw(st.integers(0, 7)) + line.lstrip(" ")
        elif op == "truncate":
            cut = draw(st.integers(0, len(line)))
            lines = [*lines[:i], line[:cut]]
        elif op == "key" and ":" in line:
            key = draw(st.sampled_from(["id", "title", "1", "true", "null", "[x]", "'a b'", "é"]))
            indent = line[: len(line) - len(line.lstrip(" "))]
            lines[i] = f"{indent}{key}:{line.split(':', 1)[1]}"
    return "".join(lines)


def yaml_input(text: str) -> st.SearchStrategy[bytes]:
    """Mutations of `text` (most), or anything at all."""
    return st.one_of(
        mutated(text).map(lambda s: s.encode("utf-8", "surrogatepass")),
        mutated(text).map(lambda s: s.encode("utf-8", "surrogatepass")),
        mutated(text).map(lambda s: s.encode("utf-8", "surrogatepass")),
        junk_bytes(),
    )


def assert_names_a_line(err: ImatterError, path: Path, data: bytes) -> None:
    """The message starts `path:N: ` with N the line that is wrong: where PyYAML itself stops
    for a file it cannot read, where decoding stops for one that is not UTF-8, else (a field
    the toolkit refuses) a line of the file that holds something."""
    import yaml

    match = re.match(rf"^{re.escape(str(path))}:(\d+): \S", err.message)
    assert match, f"no file:line in {err.message!r}"
    named = int(match.group(1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        assert named == data[: bad.start].count(b"\n") + 1, err.message
        return
    try:
        yaml.safe_load(text)
    except RecursionError:
        assert named == 1, err.message
        return
    except yaml.YAMLError as bad:
        mark = getattr(bad, "problem_mark", None) or getattr(bad, "context_mark", None)
        if isinstance(bad, yaml.reader.ReaderError):
            expected = text[: bad.position].count("\n") + 1
        else:
            expected = mark.line + 1 if mark is not None else 1
        assert named == expected, (err.message, expected)
        return
    # YAML also breaks lines at U+0085, U+2028 and U+2029, as the marks count them.
    lines = text.splitlines()
    if named == 1:  # line 1 stands for the whole file (empty, or a required key missing)
        return
    assert named in range(2, len(lines) + 1), (err.message, f"the file has {len(lines)} lines")
    assert lines[named - 1].strip(), (err.message, "names a blank line")


def test_the_line_check_catches_a_wrong_line(tmp_path):
    """The check above is not a formality: a message naming the wrong line fails it."""
    path = tmp_path / "x.yml"
    data = b"a: 1\nb: [\n"  # PyYAML stops at the end of the file: line 3
    right = ImatterError(f"{path}:3: expected a node")
    assert_names_a_line(right, path, data)
    for wrong in (f"{path}:1: expected a node", f"{path}:2: expected a node", "no line here"):
        with pytest.raises(AssertionError):
            assert_names_a_line(ImatterError(wrong), path, data)
    with pytest.raises(AssertionError):  # a field error naming a blank line
        assert_names_a_line(ImatterError(f"{path}:2: bad"), path, b"a: 1\n\nb: 2\n")
    for past in (0, 4, 7):  # ... or no line of the file (line 0, or past the end)
        with pytest.raises(AssertionError):
            assert_names_a_line(ImatterError(f"{path}:{past}: bad"), path, b"a: 1\n\nb: 2\n")
    assert_names_a_line(ImatterError(f"{path}:3: bad"), path, b"a: 1\n\nb: 2\n")


DEEP = b"courses: " + b"[" * 600
FOUND_PROGRAMME = [
    b"a: 1\n\x07\n",  # a character YAML refuses (ReaderError, no problem_mark)
    b"\xff\xfe",  # not UTF-8
    DEEP,  # nesting deeper than the parser's recursion
    b"? [a]\n: b\n",  # a list as a key
    PROGRAMME_TEXT.replace("senior_support:\n", "senior_support:\n  - {a: 1}\n").encode(),
    PROGRAMME_TEXT.replace("recommended: [", "recommended: [[x], ").encode(),
]


# ---------------------------------------------------------------------- the programme
@fuzz(120)
@given(data=yaml_input(PROGRAMME_TEXT))
@example(data=PROGRAMME_TEXT.encode())
def test_a_programme_file_loads_or_names_its_line(tmp_path, data):
    check_programme(tmp_path, data)


def test_programme_inputs_found_by_fuzzing(tmp_path):
    for data in FOUND_PROGRAMME:
        check_programme(tmp_path, data)


def check_programme(tmp_path: Path, data: bytes) -> None:
    from imatter.book.lint import lint_modules
    from imatter.programme import load_programme

    path = fresh(tmp_path, "programme").with_suffix(".yml")
    path.write_bytes(data)
    try:
        load_programme(path)
    except Exception as err:  # noqa: BLE001 - checked to be a clear ProgrammeError
        assert_clear(err, path)
        assert isinstance(err, ProgrammeError)
        assert_names_a_line(err, path, data)
    # The module linter reads the same file leniently: findings, never an exception.
    findings = lint_modules(tmp_path / "no-modules", path)
    assert all(f.path == path for f in findings)


@fuzz(20)
@given(data=yaml_input(PROGRAMME_TEXT))
def test_imatter_init_refuses_a_bad_programme_and_writes_nothing(tmp_path, run_cli, data):
    path = fresh(tmp_path, "programme").with_suffix(".yml")
    path.write_bytes(data)
    folder = fresh(tmp_path, "new-ws")
    code, out, err = run_cli("--programme", str(path), "init", str(folder))
    if code == 0:
        assert (folder / "workspace.yml").is_file()
    else:
        assert_cli_failed(code, out, err, path)
        assert not (folder / "workspace.yml").exists() and not (folder / "imatter.db").exists()


# ---------------------------------------------------------------------- workspace.yml
WORKSPACE_KEYS = st.sampled_from(["programme", "db", "credentials_url", "other"])


@st.composite
def workspace_yml(draw, programme: Path):  # type: ignore[no-untyped-def]
    values = st.one_of(
        st.just(str(programme)),
        st.just("sqlite:///imatter.db"),
        st.just("https://example.org/credentials"),
        st.sampled_from(ODD_VALUES),
        st.text(max_size=15),
    )
    keys = draw(st.lists(WORKSPACE_KEYS, max_size=4))
    return "".join(f"{k}: {draw(values)}\n" for k in keys).encode("utf-8", "surrogatepass")


@fuzz(80)
@given(data=st.data())
@example(data=None)
def test_workspace_yml_opens_or_says_what_is_wrong(tmp_path, monkeypatch, programme, data):
    from imatter.credentials.settings import settings_for
    from imatter.workspace import init_workspace, open_workspace

    for name in ("IMATTER_DB", "IMATTER_WORKSPACE", "IMATTER_PROGRAMME"):
        monkeypatch.delenv(name, raising=False)
    if data is None:
        content = b"programme: 5\ndb: [1]\n"
    else:
        content = data.draw(st.one_of(workspace_yml(programme.source), junk_bytes()))
    folder = fresh(tmp_path, "ws")
    folder.mkdir()
    config = folder / "workspace.yml"
    config.write_bytes(content)
    try:
        ws = open_workspace(folder)
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert_clear(err, config)
    else:
        assert isinstance(ws.db_url, str) and isinstance(ws.programme_path, Path)
        try:
            ws.programme  # noqa: B018 - loads the programme file it names
            settings_for(ws)
        except Exception as err:  # noqa: BLE001 - checked to be a clear error
            assert isinstance(err, ImatterError), repr(err)
            assert "\n" not in err.message
        else:
            return  # a good file: init would only make a database (slow, and not the point)
    # init reads the same file and rewrites it: on failure it is left exactly as it was.
    try:
        init_workspace(folder, db=f"sqlite:///{folder / 'x.db'}")
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert isinstance(err, ImatterError), repr(err)
        assert "\n" not in err.message
        assert config.read_bytes() == content


# ---------------------------------------------------------------------- rubrics
@fuzz(100)
@given(data=yaml_input(RUBRIC_TEXT))
@example(data=b"\xff")
@example(data=b"schema: 1\n\x07")
@example(data=b"[" * 600)
def test_a_rubric_loads_or_names_its_line(tmp_path, data):
    from imatter.assess.rubric import check_fits, load_rubric

    folder = fresh(tmp_path, "rubric")
    folder.mkdir()
    path = folder / "rubric.yml"
    path.write_bytes(data)
    try:
        rubric = load_rubric(path, assessment_id="foundation-a")
        check_fits(rubric, RUBRIC_DIR / "foundation-a.ipynb")
    except Exception as err:  # noqa: BLE001 - checked to be a clear RubricError
        assert_clear(err, path)
        assert isinstance(err, RubricError)
        assert_names_a_line(err, path, data)


# ---------------------------------------------------------------------- course.yml
@fuzz(60)
@given(data=yaml_input(COURSE_TEXT))
@example(data=b"\xff")
@example(data=b"schema: 1\n\x07")
def test_course_yml_gives_findings_not_exceptions(tmp_path, data):
    from imatter.book.lint import _read_catalogue, lint_course
    from imatter.book.project import read_course_yml

    catalogue, _ = _read_catalogue(ROOT / "modules" / "programme.yml")
    folder = fresh(tmp_path, "modules") / "foundation-a"
    folder.mkdir(parents=True)
    path = folder / "course.yml"
    path.write_bytes(data)
    findings = lint_course(folder, catalogue["foundation-a"], folder.parents[1])
    assert all(f.path in (path, folder) for f in findings)
    try:
        read_course_yml(path)
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert_clear(err, path)


# ---------------------------------------------------------------------- assessment course dir
COURSE_DIR_TEXT = "schema: 1\ncourse_id: st-marys-2026\ntimeout: 30\nexchange_root: /srv/x\n"


@fuzz(60)
@given(data=yaml_input(COURSE_DIR_TEXT))
@example(data=b"\xff")
@example(data=b"schema: 1\ncourse_id: a\n\x07")
def test_an_assessment_course_file_opens_or_says_why(tmp_path, data):
    from imatter.assess.course_dir import COURSE_FILE, open_course_dir

    folder = fresh(tmp_path, "course")
    folder.mkdir()
    path = folder / COURSE_FILE
    path.write_bytes(data)
    try:
        course = open_course_dir(folder)
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert_clear(err, path)
    else:
        assert isinstance(course.course_id, str) and isinstance(course.timeout, int)


# ---------------------------------------------------------------------- the book's _config.yml
BOOK_CONFIG_TEXT = (ROOT / "_config.yml").read_text(encoding="utf-8")


@fuzz(40)
@given(data=yaml_input(BOOK_CONFIG_TEXT))
@example(data=b"title: x\n\x07")
@example(data=b"\xff")
def test_the_book_config_reads_or_names_its_line(tmp_path, data):
    from imatter.book.build import _read_config
    from imatter.book.project import BookProject

    root = fresh(tmp_path, "book")
    root.mkdir()
    project = BookProject(root, ROOT / "modules" / "programme.yml")
    project.config_path.write_bytes(data)
    try:
        assert isinstance(_read_config(project), dict)
    except Exception as err:  # noqa: BLE001 - checked to be a clear error
        assert_clear(err, project.config_path)
        assert_names_a_line(err, project.config_path, data)


@pytest.mark.parametrize("text", [PROGRAMME_TEXT, RUBRIC_TEXT, COURSE_TEXT, BOOK_CONFIG_TEXT])
def test_the_real_files_are_what_the_mutations_start_from(text):
    import yaml

    assert isinstance(yaml.safe_load(text), dict)
