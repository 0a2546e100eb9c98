"""Render a report as a terminal table, CSV, an XLSX workbook or a self-contained HTML page.

CSV and XLSX keep the numbers as numbers (rates as fractions); the table and the HTML page
show them for people (rates as percentages). The HTML page embeds its charts as base64 SVG and
its styles inline: it loads nothing from anywhere and can be emailed or archived as one file.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ImatterError, InvalidValue

if TYPE_CHECKING:
    import pandas as pd

    from . import Report, Section

FORMATS = ("table", "csv", "xlsx", "html")
PERCENT_COLUMNS = {"rate", "required", "share"}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _cell(column: str, value: Any) -> str:
    """One value as text for people: blanks for missing, percentages for rates."""
    if value is None:
        return ""
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "isoformat") and hasattr(value, "to_pydatetime"):
        return value.date().isoformat()
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if column in PERCENT_COLUMNS:
            return f"{value:.0%}"
        if column.endswith("_p"):
            return f"{value:.3f}" if value >= 0.001 else "<0.001"
        return f"{value:.2f}"
    return str(value)


def display_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and text rows of a frame (its index first, when the index is named)."""
    data = frame.reset_index() if frame.index.name else frame
    headers = [str(c) for c in data.columns]
    rows = [
        [_cell(str(col), value) for col, value in zip(data.columns, record, strict=True)]
        for record in data.itertuples(index=False, name=None)
    ]
    return headers, rows


def text_table(frame: pd.DataFrame) -> str:
    """A plain text table sized to its contents."""
    headers, rows = display_rows(frame)
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def to_text(report: Report) -> str:
    """The whole report for a terminal."""
    parts = [report.title, f"Scope: {report.scope}. Period: {report.period}.", ""]
    if report.headline:
        parts[2:2] = [report.headline, ""]
    for section in report.sections:
        parts += [section.title, "=" * len(section.title)]
        if section.frame.empty:
            parts.append("(nothing to report)")
        else:
            parts.append(text_table(section.frame))
        parts += [f"Note: {note}" for note in section.notes if not section.frame.empty]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def _target(path: str | Path) -> Path:
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise ImatterError(f"{path}: the folder {path.parent} does not exist")
    return path


def write_csv(report: Report, path: str | Path) -> list[Path]:
    """One section: a CSV file at `path`. Several: `path` is a folder with one CSV each."""
    path = Path(path)
    if len(report.sections) == 1:
        target = _target(path)
        _frame_csv(report.sections[0].frame, target)
        return [target]
    if path.suffix.lower() == ".csv":
        raise InvalidValue(
            f"{path}: a report with {len(report.sections)} tables is written as a folder of "
            "CSV files; give a folder name, or choose one report"
        )
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for section in report.sections:
        target = path / f"{section.name}.csv"
        _frame_csv(section.frame, target)
        written.append(target)
    return written


def _frame_csv(frame: pd.DataFrame, target: Path) -> None:
    from ..cells import safe_frame

    safe_frame(frame).to_csv(
        target,
        index=bool(frame.index.name),
        encoding="utf-8",
        lineterminator="\n",
        date_format="%Y-%m-%d",
    )


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub("-", name)[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def write_xlsx(report: Report, path: str | Path) -> Path:
    """An XLSX workbook: an About sheet, then one sheet per section (numbers kept as numbers)."""
    import pandas as pd

    from ..cells import force_text_cells, safe_frame

    target = _target(path)
    about = pd.DataFrame(
        {
            "": ["Report", "Scope", "Period", "Report date", *[s.title for s in report.sections]],
            " ": [
                report.title,
                report.scope,
                report.period,
                report.generated_for.isoformat(),
                *[s.description for s in report.sections],
            ],
        }
    )
    taken: set[str] = {"about"}
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        safe_frame(about).to_excel(writer, sheet_name="About", index=False, header=False)
        for section in report.sections:
            name = _sheet_name(section.name, taken)
            frame = section.frame
            frame = frame.reset_index() if frame.index.name else frame
            frame = frame.astype(
                {c: "float64" for c in frame.columns if str(frame[c].dtype) in ("Int64", "Float64")}
            )
            safe_frame(frame).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for i, column in enumerate(frame.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
                letter = sheet.cell(row=1, column=i).column_letter
                sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
            sheet.freeze_panes = "A2"
        for sheet in writer.sheets.values():
            force_text_cells(sheet)
        writer.sheets["About"].column_dimensions["A"].width = 40
        writer.sheets["About"].column_dimensions["B"].width = 90
    return target


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 64rem; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; font-size: 1.25rem; }
p.meta { color: #444; margin-top: 0; }
p.headline { font-size: 1.4rem; font-weight: bold; margin: .8rem 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #c8c8c8; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef2f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .5rem 0 1rem; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #444; }
.note { border-left: 4px solid #1f5f99; background: #eef4fa; padding: .3rem .7rem; }
"""


def section_html(section: Section, *, charts: bool = True) -> str:
    """One section: heading, description, chart (embedded), table and notes."""
    import pandas as pd

    from ..templates import render
    from .charts import chart_for

    context: dict = {"section": section, "empty": section.frame.empty, "chart": None}
    if not section.frame.empty:
        chart = chart_for(section) if charts else None
        if chart is not None:
            svg, text = chart
            context["chart"] = {"data": base64.b64encode(svg).decode("ascii"), "text": text}
        frame = section.frame
        data = frame.reset_index() if frame.index.name else frame
        headers, rows = display_rows(frame)
        numeric = [pd.api.types.is_numeric_dtype(data[c]) for c in data.columns]
        context["headers"] = headers
        context["rows"] = [list(zip(row, numeric, strict=True)) for row in rows]
    return render("report/section.html", **context)


def to_html(report: Report, *, charts: bool = True, progress: bool | None = None) -> str:
    """The whole report as one self-contained HTML page (no external files or links)."""
    from ..progress import progress_bar
    from ..templates import render

    sections = [
        section_html(s, charts=charts)
        for s in progress_bar(report.sections, desc="charts", unit="section", enabled=progress)
    ]
    return render(
        "report/report.html", title=report.title, css=_CSS, report=report, sections=sections
    )


def write_html(report: Report, path: str | Path, *, progress: bool | None = None) -> Path:
    target = _target(path)
    target.write_text(to_html(report, progress=progress), encoding="utf-8")
    return target


def render(
    report: Report, fmt: str, output: str | Path | None = None, *, progress: bool | None = None
) -> tuple[str | None, list[Path]]:
    """Render in a format; returns (text to print, files written).

    `table` prints (or writes `output`); csv, xlsx and html need `output`, except that a
    single-table CSV may be printed.
    """
    if fmt not in FORMATS:
        raise InvalidValue(f"format '{fmt}' must be one of: {', '.join(FORMATS)}")
    if fmt == "table":
        text = to_text(report)
        if output is None:
            return text, []
        target = _target(output)
        target.write_text(text, encoding="utf-8")
        return None, [target]
    if fmt == "csv":
        if output is None:
            if len(report.sections) != 1:
                raise InvalidValue(
                    "several tables need --output FOLDER for CSV; or choose one report"
                )
            from ..cells import safe_frame

            frame = report.sections[0].frame
            return safe_frame(frame).to_csv(
                index=bool(frame.index.name), lineterminator="\n", date_format="%Y-%m-%d"
            ), []
        return None, write_csv(report, output)
    if output is None:
        raise InvalidValue(f"--format {fmt} writes a file: add --output FILE.{fmt}")
    if fmt == "xlsx":
        return None, [write_xlsx(report, output)]
    return None, [write_html(report, output, progress=progress)]
