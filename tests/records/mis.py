"""Messy school MIS staff exports, as they come (synthetic names): a BOM, CRLF line ends,
the MIS's own headers and columns, UK dates, position labels as the school writes them."""

from __future__ import annotations

import unicodedata
from pathlib import Path

BOM = "\ufeff"
NFC_ZOE = unicodedata.normalize("NFC", "zoë.marsh@brook.sch.uk")
NFD_ZOE = unicodedata.normalize("NFD", "Zoë.Marsh@Brook.sch.uk")

HEADER = (
    "Staff Code,Legal Surname,Legal Forename,Preferred Forename,Email Address,Staff Role,"
    "Start Date,Date of Birth"
)
AUTUMN = [
    "AOK,Okafor,Adaeze,Ada,ada.okafor@brook.sch.uk,Headteacher,01/09/2015,12/03/1975",
    "BPR,Price,Benjamin,Ben,Ben.Price@Brook.sch.uk,Class Teacher,1/9/2019,02/11/1988",
    f"ZMA,Marsh,Zoë,,{NFC_ZOE},SENCo,2021-01-04,17/07/1990",
    "CLI,Li,Chen,,c.li@brook.sch.uk,teaching assistant,03/01/2022,30/05/1995",
    "DHU,Hughes,Dafydd,Dai,d.hughes@brook.sch.uk,TA,05/09/2023,09/09/1999",
    "ENW,Nwosu,Esther,,e.nwosu@brook.sch.uk,HLTA,04/09/2017,21/01/1980",
    "FRO,Roberts,Fiona,,f.roberts@brook.sch.uk,Deputy Head,01/09/2012,14/02/1972",
    "GBA,Bakr,Ghada,,,Midday Supervisor,06/01/2020,11/11/1966",
]
# Next term: Dai becomes a teacher, a new starter, Ghada (no email) again, Zoë typed in NFD.
SPRING = [
    *AUTUMN[:2],
    AUTUMN[2].replace(NFC_ZOE, NFD_ZOE),
    AUTUMN[3],
    "DHU,Hughes,Dafydd,Dai,d.hughes@brook.sch.uk,Teacher,05/09/2023,09/09/1999",
    *AUTUMN[5:],
    "HSE,Sethi,Harpreet,Harry,h.sethi@brook.sch.uk,Teaching Assistant,02/11/2026,03/08/2001",
]


def write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    """The export as the MIS saves it: UTF-8 with a BOM, CRLF line ends."""
    path.write_bytes((BOM + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    return path
