"""The patient search in the top bar of every page: name, MRN, birth date; one organization."""

import datetime as dt
from http import HTTPStatus

import pytest

from portal.models import AuditEvent
from portal.selectors import birth_date_in
from tests.factories import PatientFactory


@pytest.fixture
def june(org):
    return PatientFactory(
        organization=org,
        first_name="June",
        last_name="Carter",
        mrn="RHV-4410",
        birth_date=dt.date(1961, 7, 4),
    )


@pytest.mark.parametrize("url", ["/patients/", "/devices/", "/alerts/", "/accounts/profile/"])
def test_every_page_has_the_search_box_with_its_shortcut_hint(nurse_client, url):
    response = nurse_client.get(url)
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert 'role="search" action="/patients/"' in content
    assert 'aria-keyshortcuts="/"' in content
    assert "js/search-shortcut.js" in content


def test_signed_out_pages_have_no_search(client, db):
    assert b'id="nav-search"' not in client.get("/accounts/login/").content


@pytest.mark.parametrize(
    "query", ["Carter", "june carter", "RHV-4410", "4410", "07/04/1961", "7/4/1961", "1961-07-04"]
)
def test_search_finds_by_name_mrn_and_birth_date(nurse_client, june, patient, query):
    response = nurse_client.get("/patients/", {"q": query})
    assert b"Carter, June" in response.content, query
    assert b"Quimby, Harriet" not in response.content, query


def test_birth_date_search_never_shows_another_organizations_patient(nurse_client, june, other_org):
    PatientFactory(
        organization=other_org, first_name="Jay", last_name="Twin", birth_date=dt.date(1961, 7, 4)
    )
    response = nurse_client.get("/patients/", {"q": "07/04/1961"})
    assert b"Carter, June" in response.content
    assert b"Twin, Jay" not in response.content


def test_search_is_audited_like_the_patient_list(nurse_client, alice, june):
    nurse_client.get("/patients/", {"q": "07/04/1961"})
    event = AuditEvent.objects.get(action="patient.list")
    assert event.actor == alice
    assert event.detail == {"page": 1, "searched": True}
    assert "1961" not in str(event.detail)  # the query itself (PHI) is not logged


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("03/14/1950", dt.date(1950, 3, 14)),
        ("3/4/1950", dt.date(1950, 3, 4)),
        ("03-14-1950", dt.date(1950, 3, 14)),
        ("1950-03-14", dt.date(1950, 3, 14)),
        ("1950-3-4", dt.date(1950, 3, 4)),
        ("14/03/1950", None),  # day first is not a US form: no guess
        ("02/30/1950", None),
        ("RHV-1950", None),
        ("1950", None),
    ],
)
def test_birth_date_forms(text, day):
    assert birth_date_in(text) == day
