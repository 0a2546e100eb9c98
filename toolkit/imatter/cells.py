"""Spreadsheet-safe cells for every CSV and XLSX file the toolkit writes (OWASP CSV injection).

Excel and LibreOffice treat a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula. `safe_cell` puts a `'` in front of such text (spreadsheets show the text,
and hide the quote or show it harmlessly); numbers stay numbers. `unsafe_cell` undoes it, so
that the toolkit's own importers read back what they wrote. XLSX text cells are written as
strings (`write_xlsx_cell`), never formulas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with `'`; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return QUOTE + value
    return value


def unsafe_cell(value: str) -> str:
    """The text `safe_cell` was given: a `'` before a formula character is dropped."""
    if value.startswith(QUOTE) and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every text cell made safe."""
    return [safe_cell(v) for v in values]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A CSV DictWriter row with every text cell made safe."""
    return {k: safe_cell(v) for k, v in row.items()}


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a frame whose text cells (values, headers and a named index) are safe."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if is_object_dtype(column) or is_string_dtype(column):
            out.isetitem(i, column.map(safe_cell))
    out.columns = [safe_cell(c) for c in out.columns]
    if is_object_dtype(out.index) or is_string_dtype(out.index):
        out.index = out.index.map(safe_cell)
    if out.index.name is not None:
        out.index.name = safe_cell(out.index.name)
    return out


def write_xlsx_cell(cell: Any, value: Any) -> None:
    """Set an openpyxl cell: text made safe and typed as a string (never a formula)."""
    value = safe_cell(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def force_text_cells(sheet: Any) -> None:
    """Make every text cell of an openpyxl sheet safe and a string (after pandas wrote it)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                write_xlsx_cell(cell, cell.value)
