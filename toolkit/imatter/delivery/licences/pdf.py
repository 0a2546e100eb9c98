"""The membership invoice summary as an A4 PDF (reportlab, imported on first use)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...programme import Programme
from .pricing import InvoiceLine, invoice_totals


def write_invoices_pdf(
    lines: list[InvoiceLine],
    path: str | Path,
    *,
    programme: Programme,
    issued_on: dt.date,
    period: tuple[dt.date, dt.date],
) -> Path:
    """The invoice summary as a one-table A4 PDF (reportlab), with the total per currency."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        title=f"{programme.name} membership invoices",
        author=programme.issuer_name,
    )
    story = [
        Paragraph(f"{programme.issuer_name}: membership invoice summary", styles["Title"]),
        Paragraph(
            f"Memberships starting {period[0].isoformat()} to {period[1].isoformat()}; "
            f"issued {issued_on.isoformat()}; programme {programme.version}.",
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]
    data = [["Setting", "Kind", "Pupils", "Band", "From", "To", "Fee"]]
    for line in lines:
        data.append(
            [
                Paragraph(f"{_esc(line.name)} ({_esc(line.setting)})", styles["Normal"]),
                line.kind,
                "" if line.pupils_on_roll is None else str(line.pupils_on_roll),
                line.band,
                line.starts_on.isoformat(),
                line.ends_on.isoformat(),
                f"{line.currency} {line.fee:,.2f}",
            ]
        )
    for currency, total in invoice_totals(lines).items():
        data.append(["Total", "", "", "", "", "", f"{currency} {total:,.2f}"])
    if not lines:
        data.append(["No memberships start in this period.", "", "", "", "", "", ""])
    table = Table(data, repeatRows=1, colWidths=[230, 55, 50, 90, 75, 75, 90])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f5f99")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (2, 1), (2, -1), "RIGHT"),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return path


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)
