"""A quote-free CSV file read by splitting its lines gives exactly what the csv module gives.

`read_table` reads a plain file (no quotes) by splitting each line at its commas (or the tabs
or semicolons its header is separated by) when every line holds one value per column; any other
text goes to the csv module. Whatever the text,
the rows, their line numbers, and any refusal must be the same either way.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imatter.errors import ImatterError
from imatter.records import csvfile

FIELDS = ("group", "date", "person")


def _read(path):
    try:
        table = csvfile.read_table(path, FIELDS, ("present",))
    except ImatterError as err:
        return ("refused", err.message)
    return ("read", table.rows, table.columns is not None)


def _both(path, monkeypatch):
    split = _read(path)
    with monkeypatch.context() as m:
        m.setattr(csvfile, "_split_columns", lambda *a: None)
        reference = _read(path)
    return split, reference


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(
        [
            "group,date,person",
            "Group, Date ,person,present",
            "person,date,group,x",
            "group\tdate\tperson",  # a text export
            "Group; Date ;person;present",  # a spreadsheet where ',' is the decimal mark
            "group;date,person",  # a comma in the header: commas separate
        ]
    ),
    body=st.text(alphabet=list("ab ,;\n\r\t\x00é"), max_size=60),
)
def test_any_quote_free_text_reads_as_the_csv_module_reads_it(tmp_path, monkeypatch, header, body):
    path = tmp_path / "register.csv"
    path.write_bytes(f"{header}\n{body}".encode())
    split, reference = _both(path, monkeypatch)
    assert split[:2] == reference[:2]


@pytest.mark.parametrize(
    "body",
    [
        "1,2026-09-01,a@example.org\n2,2026-09-02,b@example.org\n",
        "1,2026-09-01,a@example.org\n2,2026-09-02,b@example.org",  # no last line end
        " 1 ,\t2026-09-01, a@example.org \n",  # spaces and a tab around values
        "1,2026-09-01,a@example.org\n\n2,2026-09-02,b@example.org\n",  # a blank line
        "1,2026-09-01,a@example.org\n,,\n",  # a row of empty values
        "1,2026-09-01\n",  # a short row
        "1,2026-09-01,a@example.org,extra\n",  # a long row
        "1,2026-09-01,a@example.org\r\n",  # CRLF
        "1,2026-09-01\r2,b@example.org\n",  # a lone CR ends a line too
        "1,2026-09-01," + "x" * 200_000 + "\n",  # longer than the csv module allows
    ],
)
def test_awkward_plain_files_read_as_the_csv_module_reads_them(tmp_path, monkeypatch, body):
    path = tmp_path / "register.csv"
    path.write_text("group,date,person\n" + body, encoding="utf-8", newline="")
    split, reference = _both(path, monkeypatch)
    assert split[:2] == reference[:2]


@pytest.mark.parametrize("end", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_a_plain_register_is_read_by_splitting_it(tmp_path, monkeypatch, end):
    """Lines numbered from 2 (the header is line 1), values stripped, columns kept."""
    path = tmp_path / "register.csv"
    text = "group,date,person\n1, 2026-09-01,a@example.org\n2,01/09/2026,b@x.org\n"
    path.write_bytes(text.replace("\n", end).encode())
    found = []
    real = csvfile._split_columns
    monkeypatch.setattr(csvfile, "_split_columns", lambda *a: found.append(real(*a)) or found[-1])
    table = csvfile.read_table(path, FIELDS, ())
    assert found[0] is not None and table.columns is not None
    assert table.rows == [
        (2, {"group": "1", "date": "2026-09-01", "person": "a@example.org"}),
        (3, {"group": "2", "date": "01/09/2026", "person": "b@x.org"}),
    ]
