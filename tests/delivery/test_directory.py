"""The directory: opted-in people with a current credential; search; the static page."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from imatter.delivery import clusters, directory
from imatter.errors import Duplicate, NotFound

from .world import grant, revoke

D = dt.date
ON = D(2027, 1, 10)


def names(entries):
    return [e.name for e in entries]


def page_people(path):
    text = path.read_text(encoding="utf-8")
    match = re.search(r'id="imatter-directory-data">(.*?)</script>', text, re.S)
    return [p["name"] for p in json.loads(match.group(1))]


@pytest.fixture
def listed(world):
    s = world.store
    directory.give_consent(s, world.lead, D(2026, 9, 1), recorded_by="org", show_email=True)
    directory.give_consent(s, world.trainer, D(2026, 9, 1), recorded_by="org")
    directory.give_consent(s, world.trainee, D(2026, 9, 1), recorded_by="org")
    return world


def test_only_opted_in_holders_of_a_current_credential_are_listed(listed):
    w = listed
    entries = directory.directory_entries(w.store, w.programme, ON)
    # The trainee has opted in but a trainee licence is not a directory credential.
    assert names(entries) == ["Lena Lead", "Theo Trainer"]
    lena, theo = entries
    assert (lena.roles, lena.settings, lena.clusters, lena.areas, lena.email) == (
        ("School / Pastoral Lead Professional",),
        ("Oakfield Primary",),
        ("North Integrated Care Community",),
        ("Northtown",),
        "lena@oak.example",
    )
    assert (theo.roles, theo.settings, theo.email, theo.areas) == (
        ("I Matter Trainer",),
        (),
        None,
        ("Southtown",),
    )
    # A revoked credential takes a person out; so does an expired one.
    revoke(w.store, w.trainer_award, D(2027, 1, 1))
    assert names(directory.directory_entries(w.store, w.programme, ON)) == ["Lena Lead"]
    ann = w.person("Ann Expired", "ae@x.example")
    grant(w.store, ann, "community-lead", D(2025, 1, 1), until=D(2026, 12, 31))
    directory.give_consent(w.store, ann, D(2025, 2, 1), recorded_by="org")
    assert names(directory.directory_entries(w.store, w.programme, D(2026, 12, 31))) == [
        "Ann Expired",
        "Lena Lead",
        "Theo Trainer",
    ]  # all three were current on that day
    assert names(directory.directory_entries(w.store, w.programme, ON)) == ["Lena Lead"]


def test_search_by_name_role_setting_cluster_or_area(listed):
    w = listed
    entries = directory.directory_entries(w.store, w.programme, ON)
    assert names(directory.search_directory(entries, "lena")) == ["Lena Lead"]
    assert names(directory.search_directory(entries, role="trainer")) == ["Theo Trainer"]
    assert names(directory.search_directory(entries, role="school-lead")) == ["Lena Lead"]
    assert names(directory.search_directory(entries, setting="oakfield")) == ["Lena Lead"]
    assert names(directory.search_directory(entries, cluster="north")) == ["Lena Lead"]
    assert names(directory.search_directory(entries, area="south")) == ["Theo Trainer"]
    assert names(directory.search_directory(entries, "northtown lead")) == ["Lena Lead"]
    assert directory.search_directory(entries, "nobody") == []


def test_withdrawing_consent_removes_a_person_from_the_directory_and_its_page(listed, tmp_path):
    w = listed
    md, html_page = directory.publish_directory(w.store, w.programme, ON, tmp_path / "generated")
    assert page_people(md) == page_people(html_page) == ["Lena Lead", "Theo Trainer"]
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Directory of Lead Professionals and Trainers\n")
    assert "```{raw} html\n" in text and "lena@oak.example" in text
    assert "http://" not in text and "https://" not in text  # self-contained: no CDN

    directory.withdraw_consent(w.store, w.lead, D(2027, 1, 11))
    assert names(directory.directory_entries(w.store, w.programme, D(2027, 1, 11))) == [
        "Theo Trainer"
    ]
    # Listed before the withdrawal date, as the record shows.
    assert "Lena Lead" in names(directory.directory_entries(w.store, w.programme, ON))
    md, html_page = directory.publish_directory(
        w.store, w.programme, D(2027, 1, 11), tmp_path / "generated"
    )
    assert page_people(md) == page_people(html_page) == ["Theo Trainer"]
    assert "Lena" not in md.read_text(encoding="utf-8")
    assert "lena@oak.example" not in html_page.read_text(encoding="utf-8")

    with pytest.raises(NotFound, match="has not opted in"):
        directory.withdraw_consent(w.store, w.lead, D(2027, 1, 12))
    directory.give_consent(w.store, w.lead, D(2027, 2, 1), recorded_by="org")
    with pytest.raises(Duplicate):
        directory.give_consent(w.store, w.lead, D(2027, 2, 2), recorded_by="org")
    trail = [(c.name, c.given_on, c.withdrawn_on) for c in directory.consents(w.store)]
    assert trail[0] == ("Lena Lead", D(2026, 9, 1), D(2027, 1, 11))
    assert trail[-1] == ("Lena Lead", D(2027, 2, 1), None)


def test_page_data_cannot_close_its_script(listed, tmp_path):
    w = listed
    w.person("</script><b>x", "x@x.example")
    evil = w.person("Eve </script><script>alert(1)</script>", "eve@x.example", "oakfield")
    grant(w.store, evil, "school-lead", D(2026, 1, 1))
    directory.give_consent(w.store, evil, D(2026, 2, 1), recorded_by="org")
    _md, page = directory.publish_directory(w.store, w.programme, ON, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text
    assert "Eve </script><script>alert(1)</script>" in page_people(page)


def test_cluster_view_shows_who_is_trained_where(world):
    from imatter import records

    s, p = world.store, world.programme
    records.record_completion(
        s, p, world.ann, "foundation-a", D(2026, 11, 1), recorded_by="t", today=ON
    )
    records.record_completion(
        s, p, world.ann, "intermediate-a", D(2026, 12, 1), recorded_by="t", today=ON
    )
    nurse = world.person("Nia Nurse", "nia@nhs.example")
    clusters.add_cluster_contact(s, p, "north", nurse, "school-nurse", since=D(2026, 9, 1))
    with pytest.raises(Duplicate):
        clusters.add_cluster_contact(s, p, "north", nurse, "school-nurse")
    view = clusters.cluster_view(s, p, "north", ON)
    assert [v.setting for v in view.settings] == ["elm", "oakfield", "riverside-gp"]
    oak = {v.setting: v for v in view.settings}["oakfield"]
    assert oak.licensed and oak.level_counts()["intermediate"] == 1
    assert oak.role_counts() == {"school-lead": 1, "trainee-lead": 1}
    ann = next(x for x in oak.people if x.name == "Ann Able")
    assert (ann.level, ann.courses) == ("intermediate", ("foundation-a", "intermediate-a"))
    assert [(c.name, c.position, c.where) for c in view.contacts] == [
        ("Gita GP", "gp-safeguarding-lead", "Riverside GP Practice"),
        ("Nia Nurse", "school-nurse", "the cluster"),
    ]
