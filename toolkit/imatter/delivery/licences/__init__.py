"""Licences and membership: invoices, renewals, the licence report, trainee applications.

The school licence rule itself is the eligibility engine's (`evaluate_setting_licence`) and the
organisation grants it (`records.grant_setting_licence`); membership is priced from the bands in
the programme file (`MembershipRule.fee_for`). This module adds what the organisation runs on:
- `membership_invoices` and `write_invoices_csv` / `write_invoices_pdf`: an invoice summary;
- `renewals_due`: memberships whose renewal falls in the next N days (or has lapsed);
- `licence_report`: every setting's licence, membership and what the rule still needs;
- trainee licence applications, valid only while the setting is licensed with a current
  membership: `apply_trainee_licence`, `decide_trainee_application`, `trainee_applications`;
- `held_roles`: the awards a person holds on a date, a licence counting only while its setting
  is licensed.

Split by concern: `loading` (settings and awards as the rules see them), `pricing` (bands,
invoices, renewals), `pdf` (the invoice PDF), `report` (the licence report) and `applications`
(trainee licence applications). Every public name is re-exported here, so that
`imatter.delivery.licences.X` (and the old `imatter.licences.X`) keeps working.

Dates are parameters; nothing here reads the clock.
"""

from .applications import (
    TraineeApplication,
    apply_trainee_licence,
    decide_trainee_application,
    trainee_applications,
)
from .loading import (
    TRAINEE_ROLE,
    check_setting_licence,
    held_roles,
    lapsed_licences,
    setting_facts,
    setting_problem,
)
from .pdf import write_invoices_pdf
from .pricing import (
    INVOICE_COLUMNS,
    InvoiceLine,
    Renewal,
    band_label,
    days_words,
    invoice_totals,
    membership_invoices,
    renewals_due,
    write_invoices_csv,
)
from .report import LicenceRow, licence_report

__all__ = [
    "INVOICE_COLUMNS",
    "TRAINEE_ROLE",
    "InvoiceLine",
    "LicenceRow",
    "Renewal",
    "TraineeApplication",
    "apply_trainee_licence",
    "band_label",
    "check_setting_licence",
    "days_words",
    "decide_trainee_application",
    "held_roles",
    "invoice_totals",
    "lapsed_licences",
    "licence_report",
    "membership_invoices",
    "renewals_due",
    "setting_facts",
    "setting_problem",
    "trainee_applications",
    "write_invoices_csv",
    "write_invoices_pdf",
]
