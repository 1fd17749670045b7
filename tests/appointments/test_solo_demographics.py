"""The patient's demographics in Solo on the patient page: read from Solo (Get Patient, by id,
or by SPID when the portal holds only that), edited by coordinators and admins (Update Patient,
the same way), the portal's own copy kept in step, errors said in words."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from portal.models import AuditEvent
from portal.sandbox import world as demo
from portal.sandbox.solo_common import VENDOR
from portal.sandbox.state import STORE

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


@pytest.fixture
def in_solo(solo_patient, solo_account):
    return solo_patient


def _url(patient, **query):
    url = reverse("appointments:solo_patient", args=[patient.pk])
    return url + ("?edit=1" if query.get("edit") else "")


def _form(**changes):
    data = {
        "first_name": "Harriet",
        "last_name": "Quimby",
        "birth_date": "1975-05-11",
        "gender": "female",
        "phone": "+1 555 0100",
        "email": "",
        "preferred_language": "English",
        "address_line": "1 Main St",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
    }
    return data | changes


def solo_record(patient):
    return STORE.get(VENDOR, "patients", demo.demo_patients()[30].solo_id)


def test_the_patient_page_has_the_panel_and_the_fragment_shows_solos_record(client, alice, in_solo):
    client.force_login(alice)
    page = client.get(reverse("patients:detail", args=[in_solo.pk])).content.decode()
    assert "Demographics in Solo" in page
    assert _url(in_solo) in page
    fragment = client.get(_url(in_solo), HTTP_HX_REQUEST="true")
    assert fragment.status_code == HTTPStatus.OK
    current = fragment.context["current"]
    theirs = solo_record(in_solo)
    assert current.first_name == theirs["name"][0]["firstName"]
    assert current.birth_date == theirs["birthDate"]
    assert b"Edit demographics" not in fragment.content  # a nurse reads them
    assert AuditEvent.objects.filter(action="patient.solo_view", patient=in_solo).count() == 1


def test_a_patient_known_only_by_spid_is_read_by_spid(client, alice, in_solo):
    in_solo.solo_id = None
    in_solo.save()
    client.force_login(alice)
    fragment = client.get(_url(in_solo))
    assert fragment.context["error"] is None
    assert fragment.context["current"].last_name == solo_record(in_solo)["name"][0]["lastName"]


def test_a_patient_not_in_solo_is_said_in_words(client, alice, patient, solo_account):
    client.force_login(alice)
    fragment = client.get(_url(patient))
    assert "not in Solo yet" in fragment.content.decode()


def test_solo_not_knowing_the_patient_is_said_in_words(client, alice, in_solo):
    in_solo.solo_id = "vp-gone"
    in_solo.save()
    client.force_login(alice)
    fragment = client.get(_url(in_solo))
    assert "Patient not found" in fragment.content.decode()


def test_a_coordinator_edits_and_solo_and_the_portal_both_change(client, bob, in_solo):
    client.force_login(bob)
    form = client.get(_url(in_solo, edit=True))
    assert form.context["form"] is not None
    response = client.post(
        _url(in_solo), _form(first_name="Hattie", city="Salem", postal_code="01970")
    )
    assert response.status_code == HTTPStatus.FOUND
    theirs = solo_record(in_solo)
    assert theirs["name"][0]["firstName"] == "Hattie"
    assert theirs["name"][0]["lastName"] == "Quimby"
    assert theirs["address"][0]["city"] == "Salem"
    assert theirs["address"][0]["postalcode"] == "01970"
    assert theirs["address"][0]["country"] == "USA"  # what staff do not edit is kept
    in_solo.refresh_from_db()
    assert (in_solo.first_name, in_solo.zip_code) == ("Hattie", "01970")
    event = AuditEvent.objects.get(action="patient.solo_update")
    assert "first_name" in event.detail["fields"]
    assert "Hattie" not in str(event.detail)  # names of fields, never their values


def test_by_spid_when_the_portal_holds_only_the_spid(client, ada, in_solo):
    in_solo.solo_id = None
    in_solo.save()
    client.force_login(ada)
    response = client.post(_url(in_solo), _form(preferred_language="Spanish"))
    assert response.status_code == HTTPStatus.FOUND
    assert solo_record(in_solo)["preferredLanguage"] == "Spanish"


def test_changing_the_email_withdraws_the_agreement_to_links(client, bob, in_solo):
    in_solo.email, in_solo.email_links_consent = "old@example.org", True
    in_solo.save()
    client.force_login(bob)
    client.post(_url(in_solo), _form(email="new@example.org"))
    in_solo.refresh_from_db()
    assert in_solo.email == "new@example.org"
    assert in_solo.email_links_consent is False
    assert in_solo.email_links_consent_by == bob


def test_bad_fields_send_nothing_and_say_why(client, bob, in_solo):
    client.force_login(bob)
    before = dict(solo_record(in_solo))
    response = client.post(_url(in_solo), _form(birth_date="1850-01-01", postal_code="ABC"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "nothing was sent to Solo" in html
    assert "between 1900 and today" in html
    assert solo_record(in_solo) == before


def test_solo_refusing_is_said_in_words(client, bob, in_solo, faults):
    client.force_login(bob)
    faults.inject("solo", "error", count=10, path_contains="patients/")
    response = client.post(_url(in_solo), _form(first_name="Hattie"))
    assert response.status_code == HTTPStatus.OK
    assert "The details were not saved." in response.content.decode()
    in_solo.refresh_from_db()
    assert in_solo.first_name == "Harriet"


def test_nurses_and_physicians_may_not_edit(client, alice, petra, in_solo):
    for user in (alice, petra):
        client.force_login(user)
        assert client.get(_url(in_solo, edit=True)).status_code == HTTPStatus.FORBIDDEN
        assert client.post(_url(in_solo), _form()).status_code == HTTPStatus.FORBIDDEN


def test_another_organizations_staff_get_404(client, olga, in_solo):
    client.force_login(olga)
    assert client.get(_url(in_solo)).status_code == HTTPStatus.NOT_FOUND
    assert client.post(_url(in_solo), _form()).status_code == HTTPStatus.NOT_FOUND
