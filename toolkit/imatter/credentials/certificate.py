"""Printable PDF certificates (A4 landscape, one page).

- A role or licence certificate for an issued credential: the person, the role, the setting,
  the dates, the issuer and a QR code. The QR code opens the credential's public page (an https
  address under the organisation's credentials URL, see `pages`), which shows what it is and its
  status and offers the signed JSON for a wallet. The credential id and the SHA-256 of the file
  as issued are printed too (`imatter credential verify FILE` prints the same hash).
- A course-completion certificate for a completed course: the person, the course, the date, the
  setting, the Lead who ran the study group and the course's hours (from the programme file).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Conflict, ImatterError, NotFound

_FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
)


@dataclass(frozen=True)
class CertificateData:
    """What a role certificate shows: person, role, issuer, dates and the credential it stands
    for."""

    person: str
    role: str
    kind: str
    issuer: str
    issuer_url: str
    awarded_on: dt.date
    valid_until: dt.date | None
    credential_id: str
    sha256: str
    url: str = ""  # the credential's public page (what the QR code opens)
    setting: str | None = None


@dataclass(frozen=True)
class CompletionCertificateData:
    """What a course-completion certificate shows: person, course, date, hours, setting and Lead."""

    person: str
    course: str
    completed_on: dt.date
    hours: float | None
    setting: str | None
    lead: str | None
    issuer: str
    issuer_url: str
    reference: str


def qr_payload(url: str) -> str:
    """What the QR code says: the https address of the credential's public page."""
    if not url.startswith("https://") and not url.startswith("http://"):
        raise ImatterError(f"a certificate's QR code must open a web address, not '{url}'")
    return url


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


def _day(value: dt.date) -> str:
    return value.strftime("%d %B %Y").lstrip("0")


class _Page:
    """One landscape A4 page with the certificate's frame and heading."""

    def __init__(self, title: str, issuer: str, subject: str) -> None:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import mm
        from reportlab.pdfgen import canvas

        self.mm = mm
        self.colors = colors
        self.regular, self.bold = _fonts()
        self.width, self.height = landscape(A4)
        self.buffer = io.BytesIO()
        pdf = canvas.Canvas(self.buffer, pagesize=(self.width, self.height), invariant=1)
        pdf.setTitle(title)
        pdf.setAuthor(issuer)
        pdf.setSubject(subject)
        self.pdf = pdf
        self.accent = colors.HexColor("#1f5f8b")
        pdf.setStrokeColor(self.accent)
        pdf.setLineWidth(3)
        pdf.rect(12 * mm, 12 * mm, self.width - 24 * mm, self.height - 24 * mm)
        pdf.setLineWidth(0.8)
        pdf.rect(16 * mm, 16 * mm, self.width - 32 * mm, self.height - 32 * mm)
        pdf.setFillColor(self.accent)
        pdf.setFont(self.bold, 15)
        pdf.drawCentredString(self.width / 2, self.height - 38 * mm, issuer.upper())
        pdf.setFillColor(colors.black)

    def line(
        self, text: str, y_mm: float, size: float, *, bold: bool = False, accent=False
    ) -> None:
        font = self.bold if bold else self.regular
        self.pdf.setFillColor(self.accent if accent else self.colors.black)
        self.pdf.setFont(font, _fit(self.pdf, text, font, size, self.width - 80 * self.mm))
        self.pdf.drawCentredString(self.width / 2, self.height - y_mm * self.mm, text)
        self.pdf.setFillColor(self.colors.black)

    def small(self, x_mm: float, y_mm: float, text: str, size: float = 10) -> None:
        self.pdf.setFont(self.regular, size)
        self.pdf.drawString(x_mm * self.mm, y_mm * self.mm, text)

    def qr(self, payload: str, caption: str) -> None:
        import qrcode
        from reportlab.lib.utils import ImageReader

        mm = self.mm
        qr = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(payload)
        qr.make(fit=True)
        image = qr.make_image(fill_color="black", back_color="white").get_image()
        png = io.BytesIO()
        image.save(png, format="PNG")
        png.seek(0)
        size = 38 * mm
        x = self.width - 24 * mm - size
        self.pdf.drawImage(ImageReader(png), x, 20 * mm, size, size)
        self.pdf.setFont(self.regular, 7)
        self.pdf.drawCentredString(x + size / 2, 17.5 * mm, caption)
        self.pdf.linkURL(payload, (x, 20 * mm, x + size, 20 * mm + size), relative=0)

    def done(self) -> bytes:
        self.pdf.showPage()
        self.pdf.save()
        return self.buffer.getvalue()


def render_certificate(data: CertificateData) -> bytes:
    """A role or licence certificate as PDF bytes."""
    page = _Page(
        f"{data.role}: {data.person}",
        data.issuer,
        f"Certificate for credential {data.credential_id}",
    )
    page.line("Licence" if data.kind == "licence" else "Certificate", 58, 34, bold=True)
    page.line("This certifies that", 74, 14)
    page.line(data.person, 92, 28, bold=True)
    page.line("holds the licence of" if data.kind == "licence" else "holds the role of", 106, 14)
    page.line(data.role, 122, 24, bold=True, accent=True)
    dates = f"Awarded on {_day(data.awarded_on)}"
    if data.valid_until:
        dates += f", valid until {_day(data.valid_until)}"
    if data.setting:
        page.line(f"at {data.setting}", 132, 13)
    page.line(dates, 142 if data.setting else 136, 12)
    page.small(24, 34, f"Issued by {data.issuer}")
    page.small(24, 29, data.issuer_url)
    page.small(24, 23, f"Credential {data.credential_id}", 7.5)
    page.small(24, 19.5, f"SHA-256 {data.sha256}", 7.5)
    if data.url:
        page.small(24, 40, f"Check it: {data.url}", 8)
        page.qr(qr_payload(data.url), "Scan to check this credential")
    return page.done()


def render_completion_certificate(data: CompletionCertificateData) -> bytes:
    """A course-completion certificate as PDF bytes."""
    page = _Page(
        f"{data.course}: {data.person}", data.issuer, f"Course completion {data.reference}"
    )
    page.line("Certificate of completion", 58, 30, bold=True)
    page.line("This certifies that", 74, 14)
    page.line(data.person, 92, 28, bold=True)
    page.line("has completed", 106, 14)
    page.line(data.course, 122, 24, bold=True, accent=True)
    details = f"on {_day(data.completed_on)}"
    if data.hours:
        details += f" ({data.hours:g} hours of study)"
    page.line(details, 134, 13)
    y = 144
    if data.setting:
        page.line(f"at {data.setting}", y, 13)
        y += 9
    if data.lead:
        page.line(f"Study group led by {data.lead}", y, 12)
    page.small(24, 34, f"Issued by {data.issuer}")
    page.small(24, 29, data.issuer_url)
    page.small(24, 23, f"Reference {data.reference}", 7.5)
    return page.done()


def _fit(pdf, text: str, font: str, size: float, room: float) -> float:
    while size > 10 and pdf.stringWidth(text, font, size) > room:
        size -= 1
    return size


def certificate_for(ws, conn, ident: str, *, out: Path | None = None) -> Path:
    """Write the certificate of one credential (default `<workspace>/certificates/<uuid>.pdf`)."""
    from .keys import write_bytes_atomic
    from .pages import page_url
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
        url=page_url(settings, details["id"]),
        setting=details.get("setting"),
    )
    target = out or settings.certificates_folder / f"{details['id'].rsplit(':', 1)[-1]}.pdf"
    write_bytes_atomic(target, render_certificate(data))
    return target


# ---------------------------------------------------------------------- course completion
def completion_details(ws: Any, conn: Any, completion_id: int) -> CompletionCertificateData:
    """What a course-completion certificate says, read from the records."""
    import sqlalchemy as sa

    from ..store import schema as t
    from ..trust.access import allowed
    from .settings import settings_for

    c = t.completions
    row = conn.execute(sa.select(c).where(c.c.id == completion_id)).first()
    if row is None or not allowed(conn, "people.read", person=row.person_id):
        raise NotFound(f"no completion {completion_id}; see `imatter complete history PERSON`")
    if row.withdrawn:
        raise Conflict(f"completion {completion_id} was withdrawn: {row.reason or 'no reason'}")
    later = conn.execute(sa.select(c.c.id).where(c.c.supersedes_id == completion_id)).scalar()
    if later is not None:
        raise Conflict(
            f"completion {completion_id} was corrected by completion {later}; print that one"
        )
    person = conn.execute(sa.select(t.people.c.name).where(t.people.c.id == row.person_id)).scalar()
    g, gm = t.study_groups, t.group_members
    group = conn.execute(
        sa.select(g.c.setting_id, t.people.c.name.label("lead"))
        .select_from(
            gm.join(g, g.c.id == gm.c.group_id).join(t.people, t.people.c.id == g.c.leader_id)
        )
        .where(gm.c.completion_id == completion_id)
    ).first()
    if group is None:  # a completion recorded by hand: the group the person was in, if any
        course_group = conn.execute(
            sa.select(g.c.setting_id, t.people.c.name.label("lead"))
            .select_from(
                gm.join(g, g.c.id == gm.c.group_id).join(t.people, t.people.c.id == g.c.leader_id)
            )
            .where(gm.c.person_id == row.person_id, g.c.course_id == row.course_id)
            .order_by(g.c.id.desc())
        ).first()
        group = course_group
    setting_id = group.setting_id if group is not None else None
    if setting_id is None:
        a = t.affiliations
        setting_id = conn.execute(
            sa.select(a.c.setting_id)
            .where(a.c.person_id == row.person_id)
            .order_by(a.c.until.is_not(None), a.c.id)
        ).scalar()
    setting = (
        conn.execute(sa.select(t.settings.c.name).where(t.settings.c.id == setting_id)).scalar()
        if setting_id
        else None
    )
    course = ws.programme.courses.get(row.course_id)
    settings = settings_for(ws)
    return CompletionCertificateData(
        person=person,
        course=course.title if course else row.course_id,
        completed_on=row.completed_on,
        hours=course.hours if course else None,
        setting=setting,
        lead=group.lead if group is not None else None,
        issuer=settings.issuer_name,
        issuer_url=settings.issuer_url,
        reference=f"completion {completion_id}",
    )


def completion_certificate_for(
    ws: Any, conn: Any, completion_id: int, *, out: Path | None = None
) -> Path:
    """Write the course-completion certificate of one completion (default
    `<workspace>/certificates/completion-<id>.pdf`)."""
    from .keys import write_bytes_atomic
    from .settings import settings_for

    data = completion_details(ws, conn, completion_id)
    target = out or settings_for(ws).certificates_folder / f"completion-{completion_id}.pdf"
    write_bytes_atomic(target, render_completion_certificate(data))
    return target


def group_certificates(
    ws: Any, conn: Any, group_id: int, *, folder: Path | None = None
) -> list[Path]:
    """Write a course-completion certificate for every learner of a study group who has
    completed its course (the Lead hands them out at the end of the term)."""
    import sqlalchemy as sa

    from ..delivery.groups.core import load_group
    from ..records.load import current_completions
    from ..store import schema as t

    group = load_group(conn, group_id)
    gm = t.group_members
    members = sorted(
        conn.execute(sa.select(gm.c.person_id).where(gm.c.group_id == group_id)).scalars()
    )
    done = [c for c in current_completions(conn, members) if c.course_id == group.course]
    paths = []
    for completion in sorted(done, key=lambda c: c.id):
        out = folder / f"completion-{completion.id}.pdf" if folder else None
        paths.append(completion_certificate_for(ws, conn, completion.id, out=out))
    return paths
