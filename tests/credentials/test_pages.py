"""The public page of a credential is made by its Jinja2 template, with names escaped."""

from __future__ import annotations

import dataclasses

NASTY = "<script>alert('x')</script> & Co"
ESCAPED = "&lt;script&gt;"


def test_the_public_credential_page_escapes_names(issuer):
    """A role titled with markup shows as text on its public page."""
    from imatter.credentials.pages import page_path

    programme = issuer.ws.programme
    role = programme.roles["link-professional"]
    programme.roles["link-professional"] = dataclasses.replace(role, title=NASTY, description=NASTY)
    try:
        row = issuer.add_award()["row"]
    finally:
        programme.roles["link-professional"] = role
    html = page_path(issuer.settings, row["id"]).read_text(encoding="utf-8")
    assert "<script" not in html
    assert f"<h1>{ESCAPED}alert(&#39;x&#39;)&lt;/script&gt; &amp; Co</h1>" in html
