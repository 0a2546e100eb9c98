"""Exports: xAPI statements for a learning record store, and a setting's credentials as a zip.

CSV and XLSX of any report are written by `imatter.reports.render` (`imatter report --format`).
"""

from __future__ import annotations

from .xapi import XAPI_VERSION, pseudonymous_id, write_xapi, xapi_statements
from .zips import ZipResult, zip_setting_credentials

__all__ = [
    "XAPI_VERSION",
    "ZipResult",
    "pseudonymous_id",
    "write_xapi",
    "xapi_statements",
    "zip_setting_credentials",
]
