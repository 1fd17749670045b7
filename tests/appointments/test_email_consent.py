"""Recording the patient's agreement to receive visit links by email: whether, when and by
whom; an agreement needs an address; withdrawing is recorded the same way; audited."""

from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def _post(client, patient, **data):
    response = client.post(reverse("appointments:email_consent", args=[patient.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def test_agreement_is_recorded_with_address_time_and_who(client, alice, patient):
    client.force_login(alice)
    response, said = _post(client, patient, email="pat@example.org", agreed="on")
    assert said == ["Recorded: the patient agreed to receive visit links by email."]
    assert response.url == f"/patients/{patient.pk}/#email-links"
    patient.refresh_from_db()
    assert patient.email == "pat@example.org"
    assert patient.email_links_consent is True
    assert patient.email_links_consent_by == alice
    assert patient.email_links_consent_at is not None
    event = AuditEvent.objects.get(action="patient.email_links_consent")
    assert event.detail == {"agreed": True, "email_changed": True}
    assert event.patient == patient


def test_agreement_without_an_address_is_refused(client, alice, patient):
    patient.email = ""
    patient.save()
    client.force_login(alice)
    _, said = _post(client, patient, agreed="on")
    assert said == [
        "Nothing was recorded. Add the patient's email address to record their agreement."
    ]
    patient.refresh_from_db()
    assert patient.email_links_consent is False
    assert patient.email_links_consent_at is None


def test_a_bad_address_is_refused(client, alice, patient):
    client.force_login(alice)
    _, said = _post(client, patient, email="not an address", agreed="on")
    assert said == ["Nothing was recorded. Enter a valid email address."]
    patient.refresh_from_db()
    assert patient.email_links_consent is False


def test_withdrawal_is_recorded_and_the_page_says_so(client, alice, bob, patient):
    client.force_login(alice)
    _post(client, patient, email="pat@example.org", agreed="on")
    client.force_login(bob)
    _, said = _post(client, patient)
    assert said[-1] == "Recorded: the patient does not want visit links by email."
    patient.refresh_from_db()
    assert (patient.email_links_consent, patient.email_links_consent_by) == (False, bob)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Declined" in page


def test_next_stays_on_this_site(client, alice, patient):
    client.force_login(alice)
    response, _ = _post(
        client, patient, agreed="on", email="p@example.org", next="https://evil.example/"
    )
    assert response.url == f"/patients/{patient.pk}/#email-links"
    response, _ = _post(client, patient, agreed="on", next="/appointments/1/#patient-link")
    assert response.url == "/appointments/1/#patient-link"


def test_another_organizations_staff_get_404(client, olga, patient):
    client.force_login(olga)
    response = client.post(
        reverse("appointments:email_consent", args=[patient.pk]), {"agreed": "on"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    patient.refresh_from_db()
    assert patient.email_links_consent is False
