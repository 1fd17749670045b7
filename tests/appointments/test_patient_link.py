"""The patient's join link on the visit page and in the API: fetched fresh from Solo (Get
Provider and Patient Appointment Link with SAID) each time, never stored, audited."""

from html import escape
from http import HTTPStatus

import pytest
from django.urls import reverse

from appointments.services.booking import appointment_cancel
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


@pytest.fixture
def coordinator(client, bob):
    client.force_login(bob)
    return client


def test_the_visit_page_offers_the_patients_link_and_the_fragment_brings_a_fresh_one(
    coordinator, book
):
    visit = book()
    page = coordinator.get(reverse("appointments:detail", args=[visit.pk]))
    assert "Show the patient's link" in page.content.decode()
    url = reverse("appointments:patient_link", args=[visit.pk])
    first = coordinator.get(url, HTTP_HX_REQUEST="true")
    second = coordinator.get(url, HTTP_HX_REQUEST="true")
    assert first.status_code == HTTPStatus.OK
    link = first.context["url"]
    assert "role=patient" in link
    assert link != second.context["url"]  # Solo makes a new one on every call
    assert f'value="{escape(link)}"' in first.content.decode()
    assert b"data-copy=" in first.content
    assert (
        AuditEvent.objects.filter(
            action="appointment.patient_link", object_id=str(visit.pk)
        ).count()
        == 2
    )


def test_a_closed_visit_has_no_link_to_show(coordinator, book, bob):
    visit = book()
    appointment_cancel(appointment=visit, reason="Patient asked", by=bob)
    response = coordinator.get(reverse("appointments:patient_link", args=[visit.pk]))
    assert response.status_code == HTTPStatus.CONFLICT
    assert "This visit is closed" in response.content.decode()
    page = coordinator.get(reverse("appointments:detail", args=[visit.pk]))
    assert "Show the patient's link" not in page.content.decode()


def test_solo_down_is_said_in_words_inside_the_fragment(coordinator, book, faults):
    visit = book()
    faults.inject("solo", "error", count=10, path_contains="video-call-links")
    response = coordinator.get(
        reverse("appointments:patient_link", args=[visit.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == HTTPStatus.OK  # htmx swaps only 2xx: the words must land
    assert "could not be fetched" in response.content.decode()
    assert AuditEvent.objects.filter(action="appointment.patient_link.failed").count() == 1


def test_another_organizations_staff_get_404(client, olga, book):
    visit = book()
    client.force_login(olga)
    response = client.get(reverse("appointments:patient_link", args=[visit.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_api_patient_link_is_fresh_and_scoped(api, outsider_api, book):
    visit = book()
    first = api.post(f"/api/v1/appointments/{visit.pk}/patient-link")
    second = api.post(f"/api/v1/appointments/{visit.pk}/patient-link")
    assert first.status_code == HTTPStatus.OK, first.json()
    assert first.json() == {"appointment": visit.pk, "url": first.json()["url"]}
    assert "role=patient" in first.json()["url"]
    assert first.json()["url"] != second.json()["url"]
    outsider = outsider_api.post(f"/api/v1/appointments/{visit.pk}/patient-link")
    assert outsider.status_code == HTTPStatus.NOT_FOUND
    assert outsider.json()["error"] == "not_found"


def test_api_patient_link_of_a_cancelled_visit_is_409(api, book, bob):
    visit = book()
    appointment_cancel(appointment=visit, reason="Patient asked", by=bob)
    response = api.post(f"/api/v1/appointments/{visit.pk}/patient-link")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == "visit_refused"
