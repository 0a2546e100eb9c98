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
from typing import TYPE_CHECKING, Any

from .errors import ImatterError

if TYPE_CHECKING:
    import yaml

    #: What loading a YAML text can raise besides ImatterError (RecursionError: nesting so
    #: deep that PyYAML's recursive composer gives up).
    YAML_FAILURES: tuple[type[yaml.YAMLError], type[RecursionError]]
    #: The fast safe loader (libyaml's), or the pure-Python one where libyaml is missing.
    FastSafeLoader: type


def __getattr__(name: str) -> Any:
    """`YAML_FAILURES` and `FastSafeLoader`, made on first use: reading a file's text (and a
    read command, which finds its YAML files parsed in the cache) needs no PyYAML."""
    if name not in ("YAML_FAILURES", "FastSafeLoader"):  # `__path__` asked by every import
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import yaml

    if name == "YAML_FAILURES":
        value: Any = (yaml.YAMLError, RecursionError)
    elif name == "FastSafeLoader":
        value = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    globals()[name] = value
    return value


def load(text: str, fast: type | None = None, exact: type | None = None) -> Any:
    """Parse `text` with the `fast` loader (default libyaml's); on any failure parse it again
    with `exact` (a pure-Python loader with the same constructors; default `yaml.SafeLoader`),
    which gives PyYAML's own result or error."""
    import yaml

    fast = fast or __getattr__("FastSafeLoader")
    exact = exact or yaml.SafeLoader
    try:
        return yaml.load(text, Loader=fast)  # noqa: S506 - safe loaders only
    except __getattr__("YAML_FAILURES"):
        return yaml.load(text, Loader=exact)  # noqa: S506 - safe loaders only


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, through libyaml when it is there (see `load`)."""
    return load(text)


def compose(text: str) -> Any:
    """`yaml.compose` (nodes with their lines), through libyaml when it can (see `load`)."""
    import yaml

    try:
        return yaml.compose(text, Loader=__getattr__("FastSafeLoader"))
    except __getattr__("YAML_FAILURES"):
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
    import yaml

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
