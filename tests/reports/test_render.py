"""Rendering: terminal table, CSV, XLSX and a self-contained HTML page, from the same report."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from imatter.errors import InvalidValue
from imatter.reports import Scope, build_report
from imatter.reports.render import render, to_html, to_text, write_csv, write_xlsx

from .world import TODAY


@pytest.fixture(scope="module")
def report(world_ws):
    return build_report(world_ws.store, world_ws.programme, Scope(), on=TODAY)


def test_text_report(report):
    text = to_text(report)
    assert text.startswith("I Matter report: Whole organisation\n")
    assert "Scope: whole organisation. Period: all records to 2026-11-28." in text
    line = next(x for x in text.splitlines() if x.startswith("1 ") and "Oak FB autumn" in x)
    assert line.split()[-5:] == ["6", "9", "67%", "80%", "2"]  # present, marked, rate, req, below


def test_csv_one_table_and_a_folder_of_tables(report, tmp_path):
    import pandas as pd

    paths = write_csv(report, tmp_path / "all")
    assert [p.name for p in paths] == [
        "staff.csv",
        "completions.csv",
        "attendance.csv",
        "assessments.csv",
        "roles.csv",
        "pipeline.csv",
        "licences.csv",
    ]
    completions = pd.read_csv(tmp_path / "all" / "completions.csv", index_col="course_id")
    assert completions.loc["foundation-a", "total"] == 6
    attendance = pd.read_csv(tmp_path / "all" / "attendance.csv", index_col="group_id")
    assert attendance.loc[1, "rate"] == pytest.approx(6 / 9)  # numbers stay numbers
    licences = pd.read_csv(tmp_path / "all" / "licences.csv")
    assert licences["ends_on"].tolist()[0] == "2024-03-10"
    with pytest.raises(InvalidValue, match="written as a folder of CSV files"):
        write_csv(report, tmp_path / "x.csv")


def test_single_table_csv_prints(world_ws):
    one = build_report(
        world_ws.store, world_ws.programme, Scope("setting", "oak"), on=TODAY, names=["roles"]
    )
    text, files = render(one, "csv")
    assert files == []
    assert text.splitlines()[0] == "role_id,role,kind,awarded,revoked,holders"
    assert "link-professional,Link Professional,role,3,0,3" in text.splitlines()


def test_xlsx_workbook(report, tmp_path):
    import pandas as pd

    path = write_xlsx(report, tmp_path / "report.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == [
        "About",
        "staff",
        "completions",
        "attendance",
        "assessments",
        "roles",
        "pipeline",
        "licences",
    ]
    roles = sheets["roles"].set_index("role_id")
    assert roles.loc["trainee-lead", "awarded"] == 2 and roles.loc["trainee-lead", "holders"] == 2
    assert sheets["attendance"].set_index("group_id").loc[2, "rate"] == pytest.approx(0.75)
    assert sheets["About"].iloc[0, 1] == "whole organisation"


def test_html_report_is_self_contained(report, tmp_path):
    page = to_html(report)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in page
    # No scripts, stylesheets, fonts or images from anywhere: everything is inline.
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    assert "http://" not in page and "https://" not in page and "url(" not in page
    images = re.findall(
        r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', page
    )
    assert len(images) == 6  # one chart per section with something to show
    svg = base64.b64decode(images[0][0]).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<image" not in svg  # no raster or linked images inside the charts either
    assert "Bar chart of 14 completions by term, coloured by course." in page
    # Figures appear in the tables.
    assert "<td>Oak FB autumn</td>" in page and '<td class="num">67%</td>' in page


def test_html_for_an_empty_scope(world_ws):
    empty = build_report(
        world_ws.store,
        world_ws.programme,
        Scope("setting", "gp-1"),
        on=TODAY,
        start=dt.date(2030, 1, 1),
        end=dt.date(2030, 2, 1),
        names=["completions", "attendance"],
    )
    page = to_html(empty)
    assert page.count("Nothing to report for this scope and period.") == 2
    assert "<img" not in page


def test_render_needs_an_output_for_files(report):
    with pytest.raises(
        InvalidValue, match=r"^--format xlsx writes a file: add --output FILE.xlsx$"
    ):
        render(report, "xlsx")
    with pytest.raises(InvalidValue, match="several tables need --output FOLDER"):
        render(report, "csv")
