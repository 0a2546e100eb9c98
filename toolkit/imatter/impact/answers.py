"""Answers files: one learner's questionnaire answers at one stage, as a small JSON file.

Widget state is lost too easily in saved notebooks (DECISIONS 4), so the questionnaire writes
`imatter-answers/<course>-<stage>.json` beside the notebook. The file carries a schema version
and is validated against `imatter/schemas/impact-answers.schema.json` when read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ImatterError
from ..safejson import MAX_DEPTH, MAX_DIGITS, refuse_hostile
from .items import (
    ANSWERS_FOLDER,
    ITEM_IDS,
    PSEUDONYM_HELP,
    QUESTIONNAIRE_VERSION,
    answers_filename,
    check_course,
    check_stage,
    normalise_pseudonym,
)

FORMAT = "imatter-impact-answers"
SCHEMA_VERSION = 1
SCHEMA_NAME = "impact-answers"


class AnswersFileError(ImatterError):
    """An answers file that cannot be read or does not match its schema (names the file)."""


@dataclass(frozen=True)
class Answers:
    """One learner's answers at one stage of a course, as read from a file."""

    course: str
    stage: str
    cohort: str | None
    pseudonym: str
    answered_at: dt.datetime
    scores: dict[str, int]
    source: Path
    sha256: str


def answers_document(
    course: str,
    stage: str,
    pseudonym: str,
    scores: dict[str, int],
    answered_at: dt.datetime,
    cohort: str | None = None,
) -> dict[str, Any]:
    """The JSON document for one set of answers (validated before it is returned)."""
    missing = [item for item in ITEM_IDS if item not in scores]
    if missing:
        raise ImatterError(f"answer every statement first (missing: {', '.join(missing)})")
    document = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "questionnaire_version": QUESTIONNAIRE_VERSION,
        "course": check_course(course),
        "stage": check_stage(stage),
        "cohort": cohort,
        "pseudonym": normalise_pseudonym(pseudonym),
        "answered_at": answered_at.replace(microsecond=0, tzinfo=None).isoformat(),
        "answers": {item: scores[item] for item in ITEM_IDS},
    }
    problem = _schema_problem(document)
    if problem:
        raise ImatterError(f"these answers cannot be saved: {problem}")
    return document


def write_answers_file(
    folder: str | Path,
    course: str,
    stage: str,
    pseudonym: str,
    scores: dict[str, int],
    answered_at: dt.datetime,
    *,
    cohort: str | None = None,
) -> Path:
    """Write `<folder>/imatter-answers/<course>-<stage>.json` atomically; returns its path.

    `folder` is the notebook's folder. A second save replaces the first (the learner changed
    an answer); a half-written file is never left behind.
    """
    document = answers_document(course, stage, pseudonym, scores, answered_at, cohort)
    target_dir = Path(folder) / ANSWERS_FOLDER
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / answers_filename(course, stage)
    fd, tmp = tempfile.mkstemp(prefix=".answers-", suffix=".json", dir=target_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_answers_file(path: str | Path) -> Answers:
    """Read and validate one answers file; AnswersFileError names the file and the problem."""
    path = path if isinstance(path, Path) else Path(path)
    found = read_answers(str(path))
    return Answers(
        course=found.course,
        stage=found.stage,
        cohort=found.cohort,
        pseudonym=found.pseudonym,
        answered_at=found.answered_at,
        scores=found.scores,
        source=path,
        sha256=found.sha256,
    )


class Read(NamedTuple):
    """One answers file as `read_answers` finds it: plain values and the path as given."""

    course: str
    stage: str
    cohort: str | None
    pseudonym: str
    answered_at: dt.datetime
    scores: dict[str, int]
    sha256: str
    source: str


_BLOCK = 1 << 16
_DIGITS = b"0123456789"
_SEP = os.sep


def _bytes(shown: str) -> bytes:
    """The whole file, read with plain system calls (no file object per file)."""
    fd = os.open(shown, os.O_RDONLY)
    try:
        data = os.read(fd, _BLOCK)
        more = os.read(fd, _BLOCK) if data else b""  # b"": the end of the file
        if not more:
            return data
        parts = [data, more]
        while more := os.read(fd, _BLOCK):
            parts.append(more)
        return b"".join(parts)
    finally:
        os.close(fd)


def _plainly_tame(raw: bytes) -> bool:
    """Whether `safejson.hostile` certainly finds nothing in this text, counted on its bytes:
    too few brackets to nest too deep and too few digits for one absurd number (an answers
    file has about 30). False sends the text to the full check."""
    return (
        raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH
        and len(raw) - len(raw.translate(None, _DIGITS)) <= MAX_DIGITS
    )


def read_answers(shown: str) -> Read:
    """Read and validate the answers file at the path `shown` (a plain string, named as given
    in every message); AnswersFileError names the file and the problem. The file is read
    once, as bytes. A file laid out as this toolkit and the questionnaire write it is read
    with one pattern; any other is checked for hostile JSON, parsed, and checked directly
    against the schema (the validator only names the problem of a file that fails)."""
    try:
        raw = _bytes(shown)
    except OSError as err:
        raise AnswersFileError(f"{shown}: cannot be read ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersFileError(f"{shown}: not UTF-8 text; it is not an answers file") from None
    match = _LAID_OUT.fullmatch(text)
    if match is not None:
        course, stage, cohort, code, when, *scores = match.groups()
        answers = dict(zip(ITEM_IDS, map(_SCORE.__getitem__, scores), strict=True))
        expected = f"{course}-{stage}.json"
    else:
        course, stage, cohort, code, when, answers, expected = _document(text, raw, shown)
    name = shown[shown.rfind(_SEP) + 1 :]  # os.path.basename
    if name != expected:
        raise AnswersFileError(
            f"{shown}: the file says {course} {stage} but is named {name}; it should be {expected}"
        )
    try:
        answered_at = dt.datetime.fromisoformat(when)
    except ValueError:
        raise AnswersFileError(f"{shown}: answered_at '{when}' is not a date and time") from None
    if answered_at.tzinfo is not None:
        answered_at = answered_at.replace(tzinfo=None)
    return Read(
        course, stage, cohort, code, answered_at, answers, hashlib.sha256(raw).hexdigest(), shown
    )


def _document(text: str, raw: bytes, shown: str) -> tuple[Any, ...]:
    """An answers file's course, stage, cohort, code, answered_at text, answers and expected
    file name, parsed as JSON and checked against the schema (AnswersFileError if not)."""
    try:
        if not _plainly_tame(raw):
            refuse_hostile(text, source=shown, error=AnswersFileError)
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise AnswersFileError(
            f"{shown}:{err.lineno}: not valid JSON ({err.msg}); the file may be damaged"
        ) from None
    if _plainly_valid(document):
        course, stage = document["course"], document["stage"]
        expected = f"{course}-{stage}.json"  # what answers_filename gives for a valid file
    else:
        problem = _schema_problem(document)
        if problem:
            raise AnswersFileError(f"{shown}: {problem}")
        course, stage = document["course"], document["stage"]
        expected = answers_filename(course, stage)
    return (
        course,
        stage,
        document.get("cohort"),
        document["pseudonym"],
        document["answered_at"],
        document["answers"],  # the document is this reader's own: no copy needed
        expected,
    )


_COURSE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")  # the patterns of the schema, as it has them
_COHORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,79}$")
_CODE = re.compile(r"^(?=.*[0-9])[A-Z0-9][A-Z0-9-]{2,19}$")
_WHEN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
_REQUIRED = frozenset(
    ("format", "schema_version", "questionnaire_version", "course", "stage", "pseudonym")
    + ("answered_at", "answers")
)
_ALLOWED = _REQUIRED | {"cohort"}
_ITEMS = frozenset(ITEM_IDS)
_STAGES = ("pre", "post")


def _laid_out() -> re.Pattern[str]:
    """The whole text of a valid answers file as `write_answers_file` (json, indent 2) and
    the questionnaire (JSON.stringify, indent 2) lay it out, each value captured. A text it
    matches parses to a document that `_plainly_valid` accepts, with these very values: every
    field in the writers' order and once, each pattern the schema's (the checked string values
    hold no escape, quote or control character, so each is its own JSON text), and the
    scores single digits 1-5. Such a text cannot be hostile (outside its strings it holds two
    braces and a few digits). Anything else goes to the JSON parser and the schema checks."""
    text = r'[^"\\\x00-\x1f]'  # a character a JSON string holds as itself

    def bare(pattern: re.Pattern[str]) -> str:
        return pattern.pattern.removeprefix("^").removesuffix("$")

    fields = [
        f'"format": "{re.escape(FORMAT)}"',
        f'"schema_version": {SCHEMA_VERSION}',
        f'"questionnaire_version": {QUESTIONNAIRE_VERSION}',
        f'"course": "({bare(_COURSE)})"',
        r'"stage": "(pre|post)"',
        f'"cohort": (?:null|"({bare(_COHORT)})")',
        # _CODE, its look-ahead kept inside the value
        r'"pseudonym": "((?=[A-Z0-9-]*[0-9])[A-Z0-9][A-Z0-9-]{2,19})"',
        f'"answered_at": "({bare(_WHEN)}{text}*)"',
    ]
    scores = ",\n".join(f'    "{re.escape(item)}": ([1-5])' for item in ITEM_IDS)
    body = ",\n".join(f"  {field}" for field in fields)
    return re.compile(f'\\{{\n{body},\n  "answers": \\{{\n{scores}\n  \\}}\n\\}}\n?')


_LAID_OUT = _laid_out()
_SCORE = {str(n): n for n in range(1, 6)}


def _plainly_valid(document: Any) -> bool:
    """Whether the document certainly matches the answers schema, checked directly (the usual
    case, and much faster than the validator); False sends it to the validator."""
    if type(document) is not dict or not (_REQUIRED <= document.keys() <= _ALLOWED):
        return False
    d = document
    answers = d["answers"]
    if type(answers) is not dict or answers.keys() != _ITEMS:
        return False
    for value in answers.values():
        if type(value) is not int or not 1 <= value <= 5:
            return False
    cohort = d.get("cohort")
    course, code, when = d["course"], d["pseudonym"], d["answered_at"]
    return (
        d["format"] == FORMAT
        and type(d["schema_version"]) is int
        and d["schema_version"] == 1
        and type(d["questionnaire_version"]) is int
        and d["questionnaire_version"] == 1
        and d["stage"] in _STAGES
        and type(course) is str
        and type(code) is str
        and type(when) is str
        and _COURSE.search(course) is not None
        and _CODE.search(code) is not None
        and _WHEN.search(when) is not None
        and (cohort is None or (type(cohort) is str and _COHORT.search(cohort) is not None))
    )


def _schema_problem(document: Any) -> str | None:
    """The first schema error as 'field: problem', or None when the document is valid."""
    if _plainly_valid(document):
        return None
    if not isinstance(document, dict):
        return "expected a JSON object (an answers file), got something else"
    if document.get("format") != FORMAT:
        return f"not an I Matter answers file (format is not '{FORMAT}')"
    if document.get("schema_version") != SCHEMA_VERSION:
        return (
            f"schema_version {document.get('schema_version')!r} is not supported "
            f"(this toolkit reads {SCHEMA_VERSION}); upgrade imatter"
        )
    from .. import jsonschemas

    error = jsonschemas.best_error(SCHEMA_NAME, document)
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
    if where == "pseudonym":
        return f"field pseudonym: {error.instance!r} is not a valid code ({PSEUDONYM_HELP})"
    return f"field {where}: {error.message}"
