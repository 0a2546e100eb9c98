"""Verifiable qualifications: Open Badges 3.0 credentials for awarded roles.

    issue.py        build and issue an OpenBadgeCredential for an award (in its transaction)
    proof.py        Data Integrity proofs, cryptosuite eddsa-rdfc-2022 (Ed25519 + RDFC-1.0)
    jsonld.py       shipped contexts, an offline document loader, the "nothing unsigned" check
    shape.py        the exact JSON shape imatter issues (schemas/openbadge-credential.schema.json)
    keys.py         the issuer's Ed25519 keys and their published key document
    status_list.py  revocation with a W3C Bitstring Status List
    verify.py       offline verification that says exactly why a credential is not valid
    registry.py     find, describe, revoke; verify a file against a workspace
    certificate.py  the printable PDF certificate with its QR code
    settings.py     folders and public URLs of a workspace's credentials
    files.py        files written in a transaction, put back if it rolls back

Names are imported lazily so that `import imatter.credentials` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "issue_award_credential": "imatter.credentials.issue",
    "issuer_ready": "imatter.credentials.issue",
    "build_credential": "imatter.credentials.issue",
    "verify_credential": "imatter.credentials.verify",
    "verify_file": "imatter.credentials.registry",
    "revoke": "imatter.credentials.registry",
    "credential_details": "imatter.credentials.registry",
    "settings_for": "imatter.credentials.settings",
    "publish_all": "imatter.credentials.status_list",
    "certificate_for": "imatter.credentials.certificate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'imatter.credentials' has no attribute {name!r}")
