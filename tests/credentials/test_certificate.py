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
from imatter.errors import ImatterError

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


def test_qr_payload_is_a_web_address():
    assert qr_payload("https://x.example/c/1.html") == "https://x.example/c/1.html"
    with pytest.raises(ImatterError, match="must open a web address"):
        qr_payload("urn:uuid:x")


# ---------------------------------------------------------------- issue 15, point 3
zxingcpp = pytest.importorskip("zxingcpp")


def decode_qr(image) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.text for r in zxingcpp.read_barcodes(image)]


def add_setting(ws, setting_id: str = "oakfield", name: str = "Oakfield Primary School") -> str:  # type: ignore[no-untyped-def]
    from imatter.store.schema import settings

    from .conftest import GRANTED

    with ws.store.write() as conn:
        conn.execute(
            settings.insert().values(id=setting_id, name=name, kind="school", created_at=GRANTED)
        )
    return setting_id


def test_the_qr_code_opens_the_credentials_public_page(issuer):
    import sqlalchemy as sa
    from imatter.store.schema import awards

    add_setting(issuer.ws)
    made = issuer.add_award(issue=False)
    with issuer.ws.store.write() as conn:
        conn.execute(
            awards.update().where(awards.c.id == made["award_id"]).values(setting_id="oakfield")
        )
        from imatter.credentials.issue import issue_award_credential

        row = issue_award_credential(issuer.ws, conn, made["award_id"])
    with issuer.ws.store.read() as conn:
        path = certificate_for(issuer.ws, conn, row["id"])
    image, text = page_image_and_text(path.read_bytes())
    uuid = row["id"].rsplit(":", 1)[-1]
    url = f"https://imatter.example.org/credentials/c/{uuid}.html"
    assert decode_qr(image) == [url]
    assert "at Oakfield Primary School" in text  # the role certificate names the setting
    assert f"Check it: {url}" in text

    page = issuer.settings.public_folder / "c" / f"{uuid}.html"
    html = page.read_text()
    assert "<h1>Link Professional</h1>" in html
    assert '<p class="status valid" id="status"><strong>Valid</strong>' in html
    assert f'href="{uuid}.json" download' in html
    assert "Zoë" not in html  # the public page does not name the holder
    published = issuer.settings.public_folder / "c" / f"{uuid}.json"
    assert published.read_bytes() == issuer.credential_path(row).read_bytes()

    from imatter.credentials.registry import revoke

    with issuer.ws.store.write() as conn:
        revoke(
            issuer.ws,
            conn,
            row["id"],
            reason="issued in error",
            revoked_by="admin",
            revoked_on=dt.date(2027, 1, 5),
            now=dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC),
        )
    html = page.read_text()
    assert (
        '<p class="status revoked" id="status"><strong>Revoked on 5 January 2027</strong>' in html
    )
    assert sa  # imported for the update above


def test_a_course_completion_certificate_names_the_setting_the_lead_and_the_hours(issuer, tmp_path):
    import sqlalchemy as sa
    from imatter.credentials.certificate import completion_certificate_for
    from imatter.store.schema import affiliations, completions, group_members, study_groups

    from .conftest import GRANTED

    add_setting(issuer.ws)
    lead = issuer.add_person("Lena Lead", "lena@oak.example")
    ann = issuer.add_person("Ann Able", "ann@oak.example")
    with issuer.ws.store.write() as conn:
        conn.execute(
            affiliations.insert().values(person_id=ann, setting_id="oakfield", position="teacher")
        )
        done = conn.execute(
            completions.insert().values(
                person_id=ann,
                course_id="foundation-a",
                completed_on=dt.date(2026, 12, 3),
                recorded_by="Lena Lead",
                recorded_at=GRANTED,
            )
        ).inserted_primary_key[0]
        group = conn.execute(
            study_groups.insert().values(
                name="Foundation A autumn",
                course_id="foundation-a",
                audience="staff",
                setting_id="oakfield",
                term="2026-27-t1",
                leader_id=lead,
                created_by="Lena Lead",
                created_at=GRANTED,
            )
        ).inserted_primary_key[0]
        conn.execute(
            group_members.insert().values(
                group_id=group, person_id=ann, enrolled_on=dt.date(2026, 9, 20), completion_id=done
            )
        )
    with issuer.ws.store.read() as conn:
        path = completion_certificate_for(issuer.ws, conn, done)
        hours = issuer.ws.programme.course("foundation-a").hours
    assert path == issuer.settings.certificates_folder / f"completion-{done}.pdf"
    image, text = page_image_and_text(path.read_bytes())
    assert 0.01 < dark_share(image) < 0.5
    for expected in (
        "Certificate of completion",
        "Ann Able",
        "has completed",
        "Foundation A",
        f"on 3 December 2026 ({hours:g} hours of study)",
        "at Oakfield Primary School",
        "Study group led by Lena Lead",
        "I Matter Training",
    ):
        assert expected in text, expected
    from imatter.credentials.certificate import group_certificates

    with issuer.ws.store.read() as conn:
        made = group_certificates(issuer.ws, conn, group, folder=tmp_path / "group")
    assert made == [tmp_path / "group" / f"completion-{done}.pdf"]
    assert made[0].read_bytes()[:4] == b"%PDF"
    with issuer.ws.store.write() as conn:
        conn.execute(completions.update().where(completions.c.id == done).values(withdrawn=True))
        assert conn.execute(sa.select(completions.c.withdrawn)).scalar()
    from imatter.errors import Conflict

    with issuer.ws.store.read() as conn, pytest.raises(Conflict, match="was withdrawn"):
        completion_certificate_for(issuer.ws, conn, done)
