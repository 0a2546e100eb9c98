"""The YAML files people edit (programme, workspace, rubrics, course files): reading them, and
turning any failure into one line that names the file and the line.

Every reader of such a file goes through `read_text` and `problem`, so that a character YAML
refuses, a file saved in another encoding or brackets nested too deeply give the same kind of
message as a syntax error: `FILE:LINE: what is wrong`.

Files are parsed with libyaml (`yaml.CSafeLoader`, about 5x faster than PyYAML's pure-Python
loader); when that fails, the text is parsed again with the pure-Python loader, so that what
is accepted and every error message (and its line) are exactly as PyYAML's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ImatterError

#: What loading a YAML text can raise besides ImatterError (RecursionError: nesting so deep
#: that PyYAML's recursive composer gives up).
YAML_FAILURES = (yaml.YAMLError, RecursionError)


#: The fast safe loader (libyaml's), or the pure-Python one where libyaml is missing.
FastSafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str, fast: type = FastSafeLoader, exact: type = yaml.SafeLoader) -> Any:
    """Parse `text` with the `fast` loader; on any failure parse it again with `exact` (a
    pure-Python loader with the same constructors), which gives PyYAML's own result or error."""
    try:
        return yaml.load(text, Loader=fast)  # noqa: S506 - safe loaders only
    except YAML_FAILURES:
        return yaml.load(text, Loader=exact)  # noqa: S506 - safe loaders only


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, through libyaml when it is there (see `load`)."""
    return load(text)


def compose(text: str) -> Any:
    """`yaml.compose` (nodes with their lines), through libyaml when it can (see `load`)."""
    try:
        return yaml.compose(text, Loader=FastSafeLoader)
    except YAML_FAILURES:
        return yaml.compose(text, Loader=yaml.SafeLoader)


def read_text(path: Path, error: type[ImatterError] = ImatterError) -> str:
    """The file's text; `error` naming the line of the first byte that is not UTF-8.

    FileNotFoundError is left to the caller, which knows what the missing file is for.
    """
    try:
        raw = Path(path).read_bytes()
    except ValueError:  # a NUL in the name
        raise error(f"{str(path)!r}: not a usable file name (it holds a NUL)") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text; save the file as UTF-8") from None


def problem(err: BaseException, text: str) -> tuple[int, str]:
    """(line, problem in one line) for an exception from loading YAML `text`."""
    if isinstance(err, RecursionError):
        return 1, "lists or mappings nested too deeply to read"
    if isinstance(err, yaml.reader.ReaderError):
        line = text[: err.position].count("\n") + 1
        char = err.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        return line, f"the character {shown} is not allowed in YAML; delete it"
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    what = getattr(err, "problem", None) or getattr(err, "context", None) or str(err)
    return line, " ".join(str(what).split())
