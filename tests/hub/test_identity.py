"""Identity on a hub when the hub cannot answer: nothing runs as a guessed person."""

from __future__ import annotations

import pytest
from imatter.errors import PermissionDenied

from .conftest import free_port


@pytest.fixture
def unreachable_hub(monkeypatch):
    from imatter.trust.access import hub

    url = f"http://127.0.0.1:{free_port()}/hub/api"
    monkeypatch.setenv("JUPYTERHUB_API_URL", url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "a-token")
    monkeypatch.setenv("IMATTER_USER", "someone")
    hub.hub_user.cache_clear()
    yield url
    hub.hub_user.cache_clear()


def test_an_unreachable_hub_refuses_rather_than_guess(unreachable_hub):
    from imatter.trust.access import identity

    with pytest.raises(PermissionDenied) as err:
        identity()
    assert str(err.value) == (
        f"cannot confirm who you are with the hub at {unreachable_hub}/user "
        "(ConnectionRefusedError); try again, or ask whoever runs the hub"
    )


def test_off_a_hub_the_variable_still_names_the_person(monkeypatch):
    from imatter.trust.access import hub, identity

    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    monkeypatch.setenv("IMATTER_USER", "sam")
    hub.hub_user.cache_clear()
    assert identity() == "sam"
