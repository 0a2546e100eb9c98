"""A printable PDF certificate for an issued credential (A4 landscape, one page).

It shows the person, the role, the date, the issuer and a QR code. The QR code carries the
credential's id and the SHA-256 of the credential file as issued, so anyone holding the file
can check that the paper and the file belong together (`imatter credential verify FILE` prints
the same hash).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImatterError

_FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
)


@dataclass(frozen=True)
class CertificateData:
    person: str
    role: str
    kind: str
    issuer: str
    issuer_url: str
    awarded_on: dt.date
    valid_until: dt.date | None
    credential_id: str
    sha256: str


def qr_payload(credential_id: str, sha256: str) -> str:
    """What the QR code says: the credential id and the hash of the credential file."""
    return f"{credential_id}\nsha256:{sha256}"


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    if "ImatterSans" in registered:
        return "ImatterSans", "ImatterSans-Bold"
    for regular, bold in _FONT_CANDIDATES:
        if Path(regular).exists() and Path(bold).exists():
            pdfmetrics.registerFont(TTFont("ImatterSans", regular))
            pdfmetrics.registerFont(TTFont("ImatterSans-Bold", bold))
            return "ImatterSans", "ImatterSans-Bold"
    # reportlab ships Bitstream Vera, which covers Latin-1 and more than the base-14 fonts.
    pdfmetrics.registerFont(TTFont("ImatterSans", "Vera.ttf"))
    pdfmetrics.registerFont(TTFont("ImatterSans-Bold", "VeraBd.ttf"))
    return "ImatterSans", "ImatterSans-Bold"


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as PDF bytes."""
    import qrcode
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    regular, bold = _fonts()
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1)
    pdf.setTitle(f"{data.role}: {data.person}")
    pdf.setAuthor(data.issuer)
    pdf.setSubject(f"Certificate for credential {data.credential_id}")

    accent = colors.HexColor("#1f5f8b")
    pdf.setStrokeColor(accent)
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)

    centre = width / 2
    pdf.setFillColor(accent)
    pdf.setFont(bold, 15)
    pdf.drawCentredString(centre, height - 38 * mm, data.issuer.upper())
    pdf.setFillColor(colors.black)
    pdf.setFont(bold, 34)
    title = "Licence" if data.kind == "licence" else "Certificate"
    pdf.drawCentredString(centre, height - 58 * mm, title)
    pdf.setFont(regular, 14)
    pdf.drawCentredString(centre, height - 74 * mm, "This certifies that")
    pdf.setFont(bold, _fit(pdf, data.person, bold, 28, width - 80 * mm))
    pdf.drawCentredString(centre, height - 92 * mm, data.person)
    pdf.setFont(regular, 14)
    pdf.drawCentredString(
        centre,
        height - 106 * mm,
        "holds the licence of" if data.kind == "licence" else "holds the role of",
    )
    pdf.setFillColor(accent)
    pdf.setFont(bold, _fit(pdf, data.role, bold, 24, width - 80 * mm))
    pdf.drawCentredString(centre, height - 122 * mm, data.role)
    pdf.setFillColor(colors.black)
    pdf.setFont(regular, 12)
    dates = f"Awarded on {data.awarded_on.strftime('%d %B %Y').lstrip('0')}"
    if data.valid_until:
        dates += f", valid until {data.valid_until.strftime('%d %B %Y').lstrip('0')}"
    pdf.drawCentredString(centre, height - 136 * mm, dates)

    pdf.setFont(regular, 10)
    pdf.drawString(24 * mm, 34 * mm, f"Issued by {data.issuer}")
    pdf.drawString(24 * mm, 29 * mm, data.issuer_url)
    pdf.setFont(regular, 7.5)
    pdf.drawString(24 * mm, 23 * mm, f"Credential {data.credential_id}")
    pdf.drawString(24 * mm, 19.5 * mm, f"SHA-256 {data.sha256}")

    qr = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(qr_payload(data.credential_id, data.sha256))
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image()
    png = io.BytesIO()
    image.save(png, format="PNG")
    png.seek(0)
    size = 38 * mm
    pdf.drawImage(ImageReader(png), width - 24 * mm - size, 20 * mm, size, size)
    pdf.setFont(regular, 7)
    pdf.drawCentredString(width - 24 * mm - size / 2, 17.5 * mm, "Scan: credential id and hash")

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _fit(pdf, text: str, font: str, size: float, room: float) -> float:  # type: ignore[no-untyped-def]
    while size > 10 and pdf.stringWidth(text, font, size) > room:
        size -= 1
    return size


def certificate_for(ws, conn, ident: str, *, out: Path | None = None) -> Path:  # type: ignore[no-untyped-def]
    """Write the certificate of one credential (default `<workspace>/certificates/<uuid>.pdf`)."""
    from .keys import write_bytes_atomic
    from .registry import credential_details
    from .settings import settings_for

    details = credential_details(ws, conn, ident)
    settings = settings_for(ws)
    if not Path(details["path"]).exists():
        raise ImatterError(
            f"the credential file {details['path']} is missing; restore it from a backup"
        )
    data = CertificateData(
        person=details["person"],
        role=details["role"],
        kind=details["kind"],
        issuer=settings.issuer_name,
        issuer_url=settings.issuer_url,
        awarded_on=details["valid_from"],
        valid_until=details["valid_until"],
        credential_id=details["id"],
        sha256=details["sha256"],
    )
    target = out or settings.certificates_folder / f"{details['id'].rsplit(':', 1)[-1]}.pdf"
    write_bytes_atomic(target, render_certificate(data))
    return target
