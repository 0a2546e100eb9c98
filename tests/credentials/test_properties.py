"""Property tests (hypothesis): tampering of any kind is rejected, each failure its own message.

- every single-bit flip of a signed credential file that still parses is rejected;
- an extra undefined property at any level (proof included) is rejected as undefined;
- sign -> verify round-trips for any role, email and dates;
- validity in time: expired, not yet valid and valid each at the right moments.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from imatter.credentials.jsonld import loads_strict
from imatter.credentials.keys import KeyDocument
from imatter.credentials.verify import verify_credential, verify_file_bytes
from imatter.errors import InvalidCredential

from .conftest import DURING

SLOW = settings(
    max_examples=int(__import__("os").environ.get("IMATTER_PROPERTY_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Signed:
    """One issued credential (with an expiry) and what is needed to verify it in memory."""

    def __init__(self, issuer) -> None:  # type: ignore[no-untyped-def]
        made = issuer.add_award(
            role_id="trainee-lead", kind="licence", valid_until=dt.date(2028, 11, 1)
        )
        self.payload = issuer.credential_path(made["row"]).read_bytes()
        self.document = json.loads(self.payload)
        public = issuer.settings.public_folder
        self.keys = KeyDocument.from_json(json.loads((public / "issuer.json").read_text()))
        status = json.loads((public / "status" / "revocation-1.json").read_text())
        self.status = {status["id"]: status}

    def verify_bytes(self, payload: bytes, now: dt.datetime = DURING):  # type: ignore[no-untyped-def]
        return verify_file_bytes(payload, keys=self.keys, resolve_status=self.status.get, now=now)

    def verify(self, document, now: dt.datetime = DURING):  # type: ignore[no-untyped-def]
        return verify_credential(document, keys=self.keys, resolve_status=self.status.get, now=now)


@pytest.fixture(scope="module")
def signed(module_issuer) -> Signed:  # type: ignore[no-untyped-def]
    return Signed(module_issuer)


def _parseable_flips(payload: bytes) -> list[int]:
    flips = []
    for i in range(len(payload) * 8):
        flipped = bytearray(payload)
        flipped[i // 8] ^= 0x80 >> (i % 8)
        try:
            loads_strict(bytes(flipped))
        except InvalidCredential:
            continue
        flips.append(i)
    return flips


@pytest.fixture(scope="module")
def parseable(signed) -> list[int]:  # type: ignore[no-untyped-def]
    flips = _parseable_flips(signed.payload)
    assert len(flips) > 1000  # most flips inside strings still parse: the interesting ones
    return flips


def test_the_untouched_credential_verifies(signed):
    signed.verify_bytes(signed.payload)


@SLOW
@given(data=st.data())
def test_every_single_bit_flip_that_still_parses_is_rejected(signed, parseable, data):
    bit = data.draw(st.sampled_from(parseable), label="bit")
    flipped = bytearray(signed.payload)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    with pytest.raises(InvalidCredential):
        signed.verify_bytes(bytes(flipped))


@settings(max_examples=200, deadline=None)
@given(bit=st.integers(min_value=0))
def test_every_single_bit_flip_is_rejected_even_if_it_breaks_the_json(signed, bit):
    bit %= len(signed.payload) * 8
    flipped = bytearray(signed.payload)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    with pytest.raises(InvalidCredential):
        signed.verify_bytes(bytes(flipped))


def _leaf_strings(value, path=()):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaf_strings(item, (*path, i))
    elif isinstance(value, str):
        yield path, value


def test_a_flipped_character_in_every_single_field_is_rejected(signed):
    """Deterministic companion to the sampled test: one flip in each string value."""
    seen = 0
    for path, value in _leaf_strings(signed.document):
        for position in (0, len(value) // 2, len(value) - 1):
            changed = chr(ord(value[position]) ^ 0x01)
            if not changed.isprintable():
                continue
            document = copy.deepcopy(signed.document)
            node = document
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value[:position] + changed + value[position + 1 :]
            with pytest.raises(InvalidCredential):
                signed.verify(document)
            seen += 1
    assert seen > 60


def _object_paths(value, path=()):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        yield path
        for key, item in value.items():
            yield from _object_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _object_paths(item, (*path, i))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"\A[a-z][A-Za-z]{0,8}\Z"), inner, max_size=3)
    ),
    max_leaves=6,
)


@SLOW
@given(data=st.data())
def test_an_extra_undefined_property_at_any_level_is_rejected(signed, data):
    paths = list(_object_paths(signed.document))
    assert len(paths) >= 10  # top, issuer, subject, identifier, achievement, criteria, ...
    where = data.draw(st.sampled_from(paths), label="where")
    name = "imatter" + data.draw(st.from_regex(r"\A[A-Z][A-Za-z0-9]{0,10}\Z"), label="name")
    value = data.draw(json_values, label="value")
    document = copy.deepcopy(signed.document)
    node = document
    for key in where:
        node = node[key]
    assume(name not in node)
    node[name] = value
    with pytest.raises(InvalidCredential) as err:
        signed.verify(document)
    assert err.value.message.startswith("undefined property: "), err.value.message
    assert f"'{name}'" in err.value.message


@SLOW
@given(
    now=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2035, 1, 1),
        timezones=st.just(dt.UTC),
    )
)
@example(now=dt.datetime(2028, 11, 1, tzinfo=dt.UTC))  # the last day is still valid
@example(now=dt.datetime(2028, 11, 2, tzinfo=dt.UTC))  # the next day is not
def test_validity_in_time(signed, now):
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    # the award is valid until 1 November 2028 inclusive: validUntil is the next midnight
    end = dt.datetime(2028, 11, 2, tzinfo=dt.UTC)
    if now < start:
        with pytest.raises(InvalidCredential, match="^not yet valid: "):
            signed.verify(signed.document, now)
    elif now >= end:
        with pytest.raises(InvalidCredential, match="^expired: "):
            signed.verify(signed.document, now)
    else:
        assert signed.verify(signed.document, now).id == signed.document["id"]


# ------------------------------------------------------------------------------ round trip
names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip())
emails = st.emails()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    role=st.sampled_from(["link-professional", "trainee-lead", "school-lead", "trainer"]),
    email=emails,
    title=names,
    start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    years=st.none() | st.integers(1, 5),
)
def test_sign_then_verify_round_trips(module_issuer, role, email, title, start, years):
    """Any role, email, role title and dates: the signed credential verifies as issued."""
    import dataclasses

    from imatter.credentials.issue import EvidenceItem, Issuer, build_credential
    from imatter.credentials.proof import sign
    from imatter.credentials.status_list import status_entry

    settings_ = module_issuer.settings
    programme = module_issuer.ws.programme
    base = programme.roles[role]
    the_role = dataclasses.replace(base, title=title)
    until = start.replace(year=start.year + years) if years else None
    document = build_credential(
        credential_id="urn:uuid:2f1c8a94-5b7e-4c39-9d2a-0e6b1f7c3a51",
        issuer=Issuer(settings_.issuer_id, settings_.issuer_name, settings_.issuer_url),
        base_url=settings_.base_url,
        programme=programme,
        role=the_role,
        kind=base.kind,
        award_id="award-1",
        email=email,
        salt="0123456789abcdef0123456789abcdef",
        valid_from=start,
        valid_until=until,
        evidence=[EvidenceItem("foundation-a", start)],
        status=status_entry(settings_.status_list_url("revocation-1"), 7),
    )
    key, vm = settings_.key_store().signing_key()
    credential = sign(
        document, key, verification_method=vm, created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    payload = json.dumps(credential, indent=2, ensure_ascii=False).encode()
    assert email.lower().encode() not in payload.lower()
    public = settings_.public_folder
    keys = KeyDocument.from_json(json.loads((public / "issuer.json").read_text()))
    if not (public / "status" / "revocation-1.json").exists():
        module_issuer.add_award()
    status = json.loads((public / "status" / "revocation-1.json").read_text())
    now = dt.datetime.combine(start, dt.time(12), tzinfo=dt.UTC)
    result = verify_file_bytes(
        payload, keys=keys, resolve_status={status["id"]: status}.get, now=now
    )
    assert result.achievement == title


def test_single_bit_flips_across_the_whole_credential(signed, parseable):
    """Every 30th parseable flip, spread over the whole file (about 600); every one of them
    with IMATTER_EXHAUSTIVE_FLIPS=1 (about 18,000 for a 3.8 KB credential, several minutes)."""
    import os

    stride = 1 if os.environ.get("IMATTER_EXHAUSTIVE_FLIPS") else 30
    parseable = parseable[::stride]
    assert len(parseable) > 100
    accepted = []
    for bit in parseable:
        flipped = bytearray(signed.payload)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        try:
            signed.verify_bytes(bytes(flipped))
        except InvalidCredential:
            continue
        accepted.append(bit)
    assert accepted == []
