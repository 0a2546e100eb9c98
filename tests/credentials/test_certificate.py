"""The printable PDF certificate: it renders, is not blank, and says who, what, when, by whom."""

from __future__ import annotations

import datetime as dt

import pytest
from imatter.credentials.certificate import (
    CertificateData,
    certificate_for,
    qr_payload,
    render_certificate,
)

pdfium = pytest.importorskip("pypdfium2")


def page_image_and_text(pdf_bytes: bytes):  # type: ignore[no-untyped-def]
    document = pdfium.PdfDocument(pdf_bytes)
    assert len(document) == 1
    page = document[0]
    image = page.render(scale=1.5).to_pil().convert("L")
    text = page.get_textpage().get_text_range()
    return image, text


def dark_share(image, box=None) -> float:  # type: ignore[no-untyped-def]
    region = image.crop(box) if box else image
    histogram = region.histogram()
    dark = sum(histogram[:128])
    return dark / (region.width * region.height)


def test_certificate_renders_a_page_that_is_not_blank(issuer, tmp_path):
    made = issuer.add_award(
        role_id="trainee-lead", kind="licence", valid_until=dt.date(2028, 11, 1)
    )
    with issuer.ws.store.read() as conn:
        path = certificate_for(issuer.ws, conn, made["row"]["id"])
    assert path == issuer.settings.certificates_folder / (
        made["row"]["id"].rsplit(":", 1)[-1] + ".pdf"
    )
    image, text = page_image_and_text(path.read_bytes())
    assert image.width > image.height  # landscape
    assert 0.01 < dark_share(image) < 0.5
    # the QR code sits at the bottom right: a dense black-and-white square
    w, h = image.size
    assert dark_share(image, (int(w * 0.78), int(h * 0.62), int(w * 0.95), int(h * 0.93))) > 0.2
    for expected in (
        "Zoë Example",
        "Trainee Lead Professional (licence)",
        "I Matter Training",
        "1 November 2026",
        "1 November 2028",
        made["row"]["id"],
        made["row"]["sha256"],
    ):
        assert expected in text, expected


def test_certificate_for_a_role(tmp_path):
    data = CertificateData(
        person="Łukasz Ngũgĩ O'Connor-Smith",
        role="Link Professional",
        kind="role",
        issuer="I Matter Training",
        issuer_url="https://imatter.example.org",
        awarded_on=dt.date(2026, 11, 1),
        valid_until=None,
        credential_id="urn:uuid:2f1c8a94-5b7e-4c39-9d2a-0e6b1f7c3a51",
        sha256="ab" * 32,
    )
    image, text = page_image_and_text(render_certificate(data))
    assert "Łukasz Ngũgĩ O'Connor-Smith" in text
    assert "holds the role of" in text and "Certificate" in text
    assert "valid until" not in text
    assert dark_share(image) > 0.01


def test_qr_payload_carries_the_id_and_the_file_hash():
    assert qr_payload("urn:uuid:x", "00ff") == "urn:uuid:x\nsha256:00ff"
