"""Membership pricing, invoices, renewals, trainee licence applications and the report."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from imatter import records
from imatter.delivery import licences
from imatter.errors import Duplicate, InvalidValue, NotEligible

from .world import grant

D = dt.date


# ---------------------------------------------------------------- pricing at the band edges
@pytest.mark.parametrize(
    ("roll", "fee", "band"),
    [
        (0, 350, "up to 100"),
        (100, 350, "up to 100"),
        (101, 500, "101 to 250"),
        (250, 500, "101 to 250"),
        (251, 750, "251 to 500"),
        (500, 750, "251 to 500"),
        (501, 1000, "501 to 1000"),
        (1000, 1000, "501 to 1000"),
        (1001, 1400, "over 1000"),
        (5000, 1400, "over 1000"),
    ],
)
def test_membership_is_priced_by_band_at_the_edges(ws, roll, fee, band):
    records.add_setting(ws.store, "school", "A School", pupils_on_roll=roll)
    added = records.add_membership(
        ws.store, ws.programme, "school", D(2026, 9, 1), recorded_by="test"
    )
    assert added.fee == fee
    (line,) = licences.membership_invoices(ws.store, ws.programme, D(2026, 9, 1), D(2026, 9, 1))
    assert (line.fee, line.band, line.currency) == (fee, band, "GBP")


def test_a_service_pays_the_flat_fee(ws):
    records.add_setting(ws.store, "gp", "GP Practice", kind="service")
    records.add_membership(ws.store, ws.programme, "gp", D(2026, 9, 1), recorded_by="test")
    (line,) = licences.membership_invoices(ws.store, ws.programme, D(2026, 1, 1), D(2026, 12, 31))
    assert (line.fee, line.band) == (500, "service (flat fee)")


def test_invoice_summary_csv_and_pdf(ws, tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    for sid, roll, start in [
        ("sa", 90, D(2026, 9, 1)),
        ("sb", 800, D(2026, 10, 1)),
        ("sc", 300, D(2027, 1, 1)),
    ]:
        records.add_setting(ws.store, sid, f"School {sid[1].upper()}", pupils_on_roll=roll)
        records.add_membership(ws.store, ws.programme, sid, start, recorded_by="test")
    lines = licences.membership_invoices(ws.store, ws.programme, D(2026, 9, 1), D(2026, 12, 31))
    assert [x.setting for x in lines] == ["sa", "sb"]
    out = licences.write_invoices_csv(lines, tmp_path / "inv.csv")
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [(r["setting"], r["fee"], r["band"]) for r in rows] == [
        ("sa", "350.00", "up to 100"),
        ("sb", "1000.00", "501 to 1000"),
        ("", "1350.00", ""),
    ]
    assert rows[-1]["name"] == "TOTAL"
    pdf = licences.write_invoices_pdf(
        lines,
        tmp_path / "inv.pdf",
        programme=ws.programme,
        issued_on=D(2027, 1, 5),
        period=(D(2026, 9, 1), D(2026, 12, 31)),
    )
    doc = pdfium.PdfDocument(str(pdf))
    text = doc[0].get_textpage().get_text_range()
    doc.close()
    for expected in ("School A (sa)", "501 to 1000", "GBP 1,350.00", "issued 2027-01-05"):
        assert expected in text


# ---------------------------------------------------------------- renewals
def test_renewal_falls_the_day_after_the_membership_ends(ws):
    records.add_setting(ws.store, "oak", "Oak", pupils_on_roll=200)
    records.add_membership(ws.store, ws.programme, "oak", D(2026, 9, 1), recorded_by="t")
    assert licences.renewals_due(ws.store, ws.programme, D(2027, 8, 1), 30) == []
    (due,) = licences.renewals_due(ws.store, ws.programme, D(2027, 8, 2), 30)
    assert (due.ends_on, due.renews_on, due.days_left, due.state, due.fee) == (
        D(2027, 8, 31),
        D(2027, 9, 1),
        30,
        "due",
        500,
    )
    (lapsed,) = licences.renewals_due(ws.store, ws.programme, D(2027, 9, 5), 0)
    assert (lapsed.days_left, lapsed.state) == (-4, "lapsed")
    # Once renewed, it is no longer due.
    records.add_membership(ws.store, ws.programme, "oak", D(2027, 9, 1), recorded_by="t")
    assert licences.renewals_due(ws.store, ws.programme, D(2027, 9, 5), 60) == []


def test_renewal_across_a_leap_day(ws):
    records.add_setting(ws.store, "oak", "Oak", pupils_on_roll=200)
    records.add_membership(ws.store, ws.programme, "oak", D(2027, 3, 1), recorded_by="t")
    (due,) = licences.renewals_due(ws.store, ws.programme, D(2028, 2, 1), 30)
    assert (due.ends_on, due.renews_on, due.days_left) == (D(2028, 2, 29), D(2028, 3, 1), 29)


def test_negative_days_is_a_usage_error(ws):
    with pytest.raises(InvalidValue, match="--days cannot be negative"):
        licences.renewals_due(ws.store, ws.programme, D(2027, 1, 1), -1)


# ---------------------------------------------------------------- trainee applications
def test_application_states(world):
    s, p = world.store, world.programme
    app = licences.apply_trainee_licence(s, p, world.ann, "oakfield", D(2026, 10, 1))
    (row,) = licences.trainee_applications(s, D(2026, 10, 1))
    assert (row.id, row.state, row.setting) == (app, "submitted", "oakfield")
    with pytest.raises(Duplicate, match="awaiting a decision"):
        licences.apply_trainee_licence(s, p, world.ann, "oakfield", D(2026, 10, 2))

    # Only in a licensed setting, and only for its staff.
    elm = world.person("Eve Elm", "eve@elm.example", "elm")
    with pytest.raises(NotEligible, match="Elm Academy is not a licensed setting"):
        licences.apply_trainee_licence(s, p, elm, "elm", D(2026, 10, 1))
    with pytest.raises(NotEligible, match="not a current member of staff at oakfield"):
        licences.apply_trainee_licence(s, p, world.pat, "oakfield", D(2026, 10, 1))

    approved = licences.decide_trainee_application(
        s, app, approve=True, decided_by="org", on=D(2026, 10, 10)
    )
    assert (approved.state, approved.decided_on) == ("approved", D(2026, 10, 10))
    with pytest.raises(Duplicate, match="was already approved"):
        licences.decide_trainee_application(
            s, app, approve=False, decided_by="org", on=D(2026, 10, 11), reason="no"
        )
    # The approval is valid only while the setting's licence and membership are current.
    (later,) = licences.trainee_applications(s, D(2027, 9, 2))
    assert (later.state, later.problem) == (
        "lapsed",
        "licence lapsed: Oakfield Primary's membership ended on 2027-08-31",
    )
    assert licences.trainee_applications(s, D(2027, 9, 2), state="lapsed") == [later]

    ben = licences.apply_trainee_licence(s, p, world.ben, "oakfield", D(2026, 10, 1))
    with pytest.raises(InvalidValue, match="a refusal needs a --reason"):
        licences.decide_trainee_application(
            s, ben, approve=False, decided_by="org", on=D(2026, 10, 12)
        )
    refused = licences.decide_trainee_application(
        s,
        ben,
        approve=False,
        decided_by="org",
        on=D(2026, 10, 12),
        reason="complete Foundation B first",
    )
    assert (refused.state, refused.reason) == ("refused", "complete Foundation B first")

    cat = licences.apply_trainee_licence(s, p, world.cat, "oakfield", D(2027, 8, 1))
    with pytest.raises(NotEligible, match="cannot be approved: Oakfield Primary's membership"):
        licences.decide_trainee_application(
            s, cat, approve=True, decided_by="org", on=D(2027, 9, 2)
        )


def test_licence_report(world):
    s, p = world.store, world.programme
    licences.apply_trainee_licence(s, p, world.ann, "oakfield", D(2026, 10, 1))
    report = {r.setting: r for r in licences.licence_report(s, p, D(2027, 1, 10))}
    oak, elm = report["oakfield"], report["elm"]
    assert (oak.licensed, oak.licence_until, oak.membership_until, oak.problem) == (
        True,
        "open-ended",
        D(2027, 8, 31),
        None,
    )
    assert (oak.trainees, oak.applications_waiting) == (1, 1)
    assert not oak.rule_met and "needs an active action plan (take stock, then plan)" in oak.missing
    assert (elm.licensed, elm.problem, elm.trainees) == (
        False,
        "Elm Academy is not a licensed setting",
        0,
    )
    # A trainee licence held in an unlicensed setting is not counted.
    tina = world.person("Tina Elm", "tina@elm.example", "elm")
    grant(s, tina, "trainee-lead", D(2026, 9, 1), setting="elm", kind="licence")
    assert {r.setting: r.trainees for r in licences.licence_report(s, p, D(2027, 1, 10))}[
        "elm"
    ] == 0
