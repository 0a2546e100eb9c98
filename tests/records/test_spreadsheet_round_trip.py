"""Registers and completion files after a spreadsheet round trip import as they come.

`excel_round_trip` does what Excel (UK locale) does to a CSV opened and saved as "CSV UTF-8":
cells that look like dates become dates, numbers become numbers, and on saving the dates are
written dd/mm/yyyy, with a byte-order mark and CRLF line ends. The sheet goes through a real
.xlsx file (openpyxl) on the way.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from imatter.delivery import groups
from imatter.records import import_completions

from ..delivery.test_groups import foundation_group
from ..delivery.world import TODAY, build_world


def excel_round_trip(path: Path, headers: dict[str, str] | None = None) -> Path:
    """Open the CSV as a spreadsheet, save it as .xlsx, reopen it, and save it as CSV UTF-8
    the way Excel does; `headers` renames columns (someone tidying the header row)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            cell = sheet.cell(r, c)
            if r == 1:
                cell.value = (headers or {}).get(value, value)
            elif len(value) == 10 and value[4] == "-":
                cell.value = dt.datetime.fromisoformat(value)
                cell.number_format = "dd/mm/yyyy"
            elif value.isdigit():
                cell.value = int(value)
            else:
                cell.value = value
    xlsx = path.with_suffix(".xlsx")
    book.save(xlsx)
    sheet = openpyxl.load_workbook(xlsx).active
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in sheet.iter_rows():
        writer.writerow(
            [
                c.value.strftime("%d/%m/%Y")
                if isinstance(c.value, dt.datetime)
                else ("" if c.value is None else c.value)
                for c in row
            ]
        )
    saved = path.with_name(f"{path.stem} (Excel).csv")
    saved.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
    return saved


def test_the_register_template_imports_after_an_excel_round_trip(ws, tmp_path):
    world = build_world(ws)
    gid, _ = foundation_group(world)
    template = groups.write_register_template(world.store, gid, tmp_path / "register.csv", TODAY)
    text = template.read_text(encoding="utf-8").replace(",,", ",yes,")
    template.write_text(text, encoding="utf-8")
    saved = excel_round_trip(template, {"present": "Attended", "date": "Session Date"})
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfgroup,Session Date,person,Attended,name\r\n")
    assert b",01/10/2026," in raw and b"2026-10-01" not in raw
    result = groups.import_attendance(
        world.store, world.programme, saved, recorded_by=world.lead, today=TODAY
    )
    assert (result.added, result.corrected, result.unchanged) == (15, 0, 0)
    marks = groups.register(world.store, gid).marks
    assert len(marks) == 15 and all(marks.values())
    # Written in batch, audited in batch: the chain and every record still verify.
    from imatter.trust.audit import verify

    report = verify(world.ws)
    assert report.problem is None, report.problem


def test_a_completion_file_imports_after_an_excel_round_trip(ws, tmp_path):
    world = build_world(ws)
    path = tmp_path / "completions.csv"
    path.write_text(
        "person,course,date,evidence\n"
        "ann@oak.example,awareness,2026-10-01,register\n"
        f"{world.ben},awareness,2026-10-02,\n",
        encoding="utf-8",
    )
    saved = excel_round_trip(path, {"person": "Email Address", "date": "Completion Date"})
    count = import_completions(world.store, world.programme, saved, recorded_by="lead", today=TODAY)
    assert count == 2
