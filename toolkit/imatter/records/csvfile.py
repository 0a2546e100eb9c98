"""Reading CSV files as people save them: from Excel, LibreOffice or a school's MIS.

A byte-order mark, CRLF line ends, headers in any case and spacing ("Email Address",
"Legal Surname"), UK dates (31/12/2026) and ISO dates (2026-12-31) are all fine, and so are
values separated by tabs (a MIS's text export, Excel's "Unicode Text", which is UTF-16) or by
semicolons (Excel where the comma is the decimal mark) when the header row has no comma, and
an Excel workbook (.xlsx: its first sheet, values as Excel shows them, never formulas). A
quote left open, text that is not UTF-8 (or UTF-16 with its byte-order mark), or a row with
more values than the header is an error naming the line. Rows are (line the row starts on,
{field: value}).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import cast

from ..errors import ImatterError, ImportRowError

EXTRA = "__extra__"


def header_key(header: str) -> str:
    """A header as compared: case, spacing, '_' and '-' do not matter ("E-mail_Address")."""
    text = header.strip(" \t\ufeff").replace("_", " ").replace("-", " ")
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A CSV file's rows under known fields, and the headers that were not used.

    A plain file (no quotes, every row as wide as the header) is also held by column:
    `columns` {field: values, stripped} and `lines` (the line of each row), so that an import
    can check a whole column at once; `rows` is then made from them when first asked for.
    """

    path: Path
    fields: tuple[str, ...]  # the fields the header provides
    ignored: tuple[str, ...] = field(default=())
    lines: list[int] | None = None
    columns: dict[str, list[str]] | None = None
    read_rows: list[tuple[int, dict[str, str]]] | None = None
    _made_rows: list[tuple[int, dict[str, str]]] = field(
        default_factory=list, compare=False, repr=False
    )

    @property
    def rows(self) -> list[tuple[int, dict[str, str]]]:
        """(line, {field: value}) for every row that is not blank (made once, when asked)."""
        if self.read_rows is not None:
            return self.read_rows
        assert self.lines is not None and self.columns is not None
        if not self._made_rows and self.lines:
            names = tuple(self.columns)
            by_row = zip(*self.columns.values(), strict=True)
            self._made_rows.extend(
                (line, dict(zip(names, values, strict=True)))
                for line, values in zip(self.lines, by_row, strict=True)
            )
        return self._made_rows


def read_table(
    path: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    *,
    aliases: Mapping[str, str] | None = None,
    ignore_unknown: bool = False,
    how_to_map: str = "",
) -> CsvFile:
    """Read a CSV file; ImportRowError for unreadable or empty files and missing columns.

    `aliases` maps other headers (compared with `header_key`) to fields; the field's own name
    always works. With `ignore_unknown`, other columns are skipped (and listed as ignored).
    `how_to_map` is the hint given with a missing column when the file has other columns and
    the caller can be told which of them means what (e.g. `--map "HEADER=FIELD"`).
    """
    text = _text(path)
    if not text.strip():
        raise ImportRowError(f"{path}: the file is empty; add a header row ({', '.join(required)})")
    known = {header_key(f): f for f in required + optional}
    for alias, target in (aliases or {}).items():
        known.setdefault(header_key(alias), target)
    sep = delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except csv.Error:
        raise ImportRowError(
            f"{path}:1: the header row cannot be read (is a quote left open?); fix it and "
            "import again; nothing was imported"
        ) from None
    columns: list[str | None] = []
    unknown: list[str] = []
    for raw in header:
        name = known.get(header_key(raw))
        if name is None and header_key(raw) and header_key(raw) != "ignore":
            unknown.append(raw.strip(" \t\ufeff"))
        # A field given by two columns takes the first that has a value (see _values).
        columns.append(name)
    provided = tuple(dict.fromkeys(c for c in columns if c))
    missing = [c for c in required if c not in provided]
    if missing:
        others = f"; its other columns: {', '.join(map(_shown, unknown))}" if unknown else ""
        raise ImportRowError(
            f"{path}:1: missing column(s) {', '.join(missing)}; the header must include "
            f"{', '.join(required)} (optional: {', '.join(optional)}){others}; "
            "nothing was imported",
            hints=[how_to_map] if how_to_map and unknown else [],
        )
    if unknown and not ignore_unknown:
        raise ImportRowError(
            f"{path}:1: unknown column(s) {', '.join(_shown(h) for h in unknown)}; "
            f"expected {', '.join(required + optional)}"
        )
    simple = None not in columns and len(set(columns)) == len(columns)
    width = len(columns)
    start = reader.line_num + 1
    named = [c for c in columns if c is not None]
    if len(set(named)) == len(named) and '"' not in text:
        found = _split_columns(text, columns, start, sep)
        if found is None:
            found = _plain_columns(reader, columns, start)
        if found is not None:
            lines, by_field = found
            if not lines:
                raise ImportRowError(f"{path}: no rows under the header; nothing to import")
            return CsvFile(path, provided, tuple(unknown), lines=lines, columns=by_field)
        # not plain after all: read it again, row by row
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        next(reader)
        start = reader.line_num + 1
    rows: list[tuple[int, dict[str, str]]] = []
    for line, record in _records(reader, path, text, start):
        if len(record) > width:
            rows.append((line, {EXTRA: "yes"}))
            continue
        if simple and len(record) == width:
            values = dict(zip(cast("list[str]", columns), map(str.strip, record), strict=True))
        else:
            values = _values(columns, record)
        if not any(values.values()):
            continue  # a blank line
        rows.append((line, values))
    if not rows:
        raise ImportRowError(f"{path}: no rows under the header; nothing to import")
    return CsvFile(path, provided, tuple(unknown), read_rows=rows)


def _plain_columns(
    reader: Iterator[list[str]], columns: list[str | None], start: int
) -> tuple[list[int], dict[str, list[str]]] | None:
    """(lines, {field: stripped values}) of a file without quotes whose rows are all as wide
    as the header (blank lines skipped), read in one pass in C; None for any other file.
    Columns without a field (None) are left out.

    Without quotes no value spans lines, so the row after the header on line `start` + i is
    the i-th line read. A row that cannot be read (a value too long) is also None: the row by
    row reader says which line it is on.
    """
    try:
        records = list(reader)
    except csv.Error:
        return None
    width = len(columns)
    lines = list(range(start, start + len(records)))
    if set(map(len, records)) - {width}:
        widths = list(map(len, records))
        if set(widths) - {0, width}:
            return None
        kept = [i for i, w in enumerate(widths) if w]
        lines = [lines[i] for i in kept]
        records = [records[i] for i in kept]
    every = [list(map(itemgetter(i), records)) for i in range(width)]
    return _named(every, columns, lines)


def _split_columns(
    text: str, columns: list[str | None], start: int, sep: str = ","
) -> tuple[list[int], dict[str, list[str]]] | None:
    """What `_plain_columns` gives for a text without quotes, found by splitting the lines
    under the header at `sep` when each holds exactly one value per column (as the csv
    module reads such a line); None for any other text (a CR not followed by LF, a NUL, a
    blank or ragged line, a value longer than the csv module allows)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # (as a spreadsheet saves it)
    if "\r" in text or "\x00" in text:
        return None
    body = text.split("\n")[1:]  # (without quotes, the header is the first line)
    if body and not body[-1]:
        body.pop()  # the file's last line end
    width = len(columns)
    if not body or set(map(str.count, body, repeat(sep))) != {width - 1}:
        return None
    if len(text) > csv.field_size_limit() and max(map(len, body)) > csv.field_size_limit():
        return None  # (a line that long may hold a value too long)
    flat = sep.join(body).split(sep)
    return _named(
        [flat[i::width] for i in range(width)], columns, list(range(start, start + len(body)))
    )


def _named(
    every: list[list[str]], columns: list[str | None], lines: list[int]
) -> tuple[list[int], dict[str, list[str]]]:
    """(lines, {field: stripped values}) from each column's values (`every`, one list per
    column of the file), rows whose values are all empty (blank lines) left out."""
    named = [(i, c) for i, c in enumerate(columns) if c is not None]
    if not lines:
        return [], {c: [] for _, c in named}
    strip = str.strip
    values = [list(map(strip, every[i])) for i, _ in named]
    # A row of empty values (",,,") is a blank line (none when some column has no gaps).
    if not any(map(all, values)) and not all(map(any, zip(*values, strict=True))):
        gone = {i for i, row in enumerate(zip(*values, strict=True)) if not any(row)}
        lines = [line for i, line in enumerate(lines) if i not in gone]
        values = [[v for i, v in enumerate(column) if i not in gone] for column in values]
    return lines, {c: column for (_, c), column in zip(named, values, strict=True)}


def read_csv(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {column: value}); ImportRowError for unreadable or empty files."""
    return read_table(path, required, optional).rows


def _values(columns: list[str | None], record: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in zip(columns, record, strict=False):
        if name is not None and not values.get(name):
            values[name] = value.strip()
    for name in columns:
        if name is not None:
            values.setdefault(name, "")
    return values


def delimiter(text: str) -> str:
    """What separates a file's values: a comma, unless its header row has none and has tabs
    (a text export) or semicolons (a spreadsheet where the comma is the decimal mark)."""
    end = text.find("\n")
    header = text if end < 0 else text[:end]
    if "," not in header:
        for sep in ("\t", ";"):
            if sep in header:
                return sep
    return ","


def _text(path: Path) -> str:
    """A file's text: UTF-8 (with or without a byte-order mark), UTF-16 with one, or the
    first sheet of an Excel workbook (.xlsx) as CSV."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImatterError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ImatterError(f"{path}: is a folder, not a CSV file") from None
    if raw.startswith(b"PK\x03\x04"):  # a zip: an Excel workbook, if anything
        return _workbook_text(path, raw)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):  # the old binary Excel format
        raise ImportRowError(
            f"{path}: an old Excel (.xls) file; in Excel save it as 'Excel Workbook (.xlsx)' "
            "or 'CSV UTF-8', and import that; nothing was imported"
        )
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        text = raw.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as err:
        before = raw[: err.start]
        line = (
            before.decode("utf-16", errors="replace").count("\n") if utf16 else before.count(b"\n")
        ) + 1
        raise ImportRowError(
            f"{path}:{line}: not {'UTF-16' if utf16 else 'UTF-8'} text; save the file as "
            "'CSV UTF-8' and import again; nothing was imported"
        ) from None
    return text.removeprefix("\ufeff")  # a second BOM, from a file saved twice


def _workbook_text(path: Path, raw: bytes) -> str:
    """The first sheet of an Excel workbook as CSV text, one line per row, so that line numbers
    are the sheet's row numbers: dates as 31/12/2026, whole numbers without ".0", a formula's
    last computed value (never the formula), a line break within a cell as a space."""
    import openpyxl

    unreadable = ImportRowError(
        f"{path}: cannot be read as an Excel workbook (.xlsx); open it in Excel and save it "
        "again, or save it as 'CSV UTF-8', and import that; nothing was imported"
    )
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # a damaged or foreign zip: openpyxl raises many kinds
        raise unreadable from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            writer.writerow([_cell_text(value) for value in row])
    except Exception:
        raise unreadable from None
    finally:
        book.close()
    return out.getvalue()


def _cell_text(value: object) -> str:
    """A workbook cell's value as the CSV text a spreadsheet would save for it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).splitlines())


def _records(
    reader: Iterator[list[str]], path: Path, text: str, start: int
) -> Iterator[tuple[int, list]]:
    """(line the row starts on, values); ImportRowError naming the line of a row that cannot
    be read, or of a quote that is never closed."""
    last = start
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise ImportRowError(
                f"{path}:{start}: a value longer than {csv.field_size_limit()} characters "
                "(is a quote left open?); fix it and import again; nothing was imported"
            ) from None
        last, start = start, reader.line_num + 1  # type: ignore[attr-defined]
        yield last, record
    _check_quotes_closed(path, text, last)


def _check_quotes_closed(path: Path, text: str, last: int) -> None:
    """ImportRowError if the file ends inside a quoted value: Python's csv accepts that
    silently, and the rest of the file would become one value of the last row."""
    tail = "".join(list(io.StringIO(text, newline=""))[last - 1 :])
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), strict=True):
            pass
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            raise ImportRowError(
                f'{path}:{last}: a quote (") opened on line {last} is never closed; close it '
                "or remove it, and import again; nothing was imported"
            ) from None


# ---------------------------------------------------------------- values
_UK = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MIDNIGHT = re.compile(r"[ T]00:00(:00(\.0+)?)?Z?$")


def parse_date(value: str, what: str = "date") -> dt.date:
    """An ISO (2026-12-31) or UK (31/12/2026) date; ValueError saying how to write it."""
    found = _date(value)
    if found is None:
        raise ValueError(
            f"{what} '{_shown(value)}' is not a date; write it as 31/12/2026 or 2026-12-31"
        )
    return found


@lru_cache(maxsize=8192)  # a file's dates repeat: start dates, session days
def _date(value: str) -> dt.date | None:
    text = _MIDNIGHT.sub("", value.strip())  # "2026-12-31 00:00:00" from a spreadsheet
    match = _ISO.match(text)
    if match:
        y, m, d = match.groups()
    else:
        match = _UK.match(text)
        if not match:
            return None
        d, m, y = match.groups()
    year = int(y) + (2000 if len(y) == 2 else 0)  # 31/12/26, as a spreadsheet may save it
    try:
        return dt.date(year, int(m), int(d))
    except ValueError:
        return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# Control characters (Unicode category Cc) and the bidirectional overrides used to disguise text.
_CC = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """A problem as one line: line breaks and control characters from a cell shown escaped."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _shown(value: str, limit: int = 60) -> str:
    value = one_line(value)
    return value if len(value) <= limit else value[: limit - 3] + "..."


def clean_name(value: str) -> str:
    """A person's name with spacing tidied; ValueError for control characters in it."""
    name = " ".join(value.split())
    if not name.isascii():
        name = unicodedata.normalize("NFC", name)
    if _CC.search(name):
        raise ValueError(f"name '{_shown(name)}' holds control characters; type the name again")
    return name


def name_key(name: str) -> str:
    """A name as compared when matching people without an email."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def shown(value: str, limit: int = 60) -> str:
    """A cell's value as an error message shows it: one line, shortened."""
    return _shown(value, limit)
