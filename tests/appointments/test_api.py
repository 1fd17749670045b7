"""The appointments API: list/detail/book/reschedule/cancel/provider-link."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from appointments.models import Appointment, AppointmentStatus
from portal.models import ApiScope, AuditEvent
from portal.sandbox.state import STORE
from tests import factories
from tests.appointments.conftest import future_slot

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def test_book_then_reschedule_then_cancel(api, rooms, solo_patient):
    start = future_slot(13, 11)
    booked = api.post(
        "/api/v1/appointments",
        {
            "patient": solo_patient.pk,
            "waiting_room": "Cardiology Follow-up",
            "starts_at": start.isoformat(),
            "reasons": ["BP review"],
        },
        format="json",
    )
    assert booked.status_code == HTTPStatus.CREATED, booked.json()
    body = booked.json()
    visit = Appointment.objects.get()
    assert body == {
        "id": visit.pk,
        "patient": solo_patient.pk,
        "patient_mrn": solo_patient.mrn,
        "waiting_room": "Cardiology Follow-up",
        "solo_id": visit.solo_id,
        "said": visit.solo_id,
        "external_id": str(visit.external_id),
        "starts_at": body["starts_at"],
        "ends_at": body["ends_at"],
        "duration_seconds": 900,
        "status": "scheduled",
        "video_call_status": "",
        "took_place": False,
        "reasons": ["BP review"],
        "cancel_reason": "",
        "episode": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    moved = api.post(
        f"/api/v1/appointments/{visit.pk}/reschedule",
        {"starts_at": future_slot(14, 12).isoformat()},
        format="json",
    )
    assert moved.status_code == HTTPStatus.OK
    assert STORE.get("solo", "appointments", visit.solo_id)["date"] == int(
        future_slot(14, 12).timestamp()
    )
    cancelled = api.post(
        f"/api/v1/appointments/{visit.pk}/cancel", {"reason": "Duplicate"}, format="json"
    )
    assert cancelled.json()["status"] == AppointmentStatus.CANCELLED
    again = api.post(f"/api/v1/appointments/{visit.pk}/cancel", {"reason": "x"}, format="json")
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["error"] == "visit_refused"


def test_a_numeric_cancel_reason_is_refused(api, rooms, solo_patient):
    visit = _booked(api, solo_patient)
    response = api.post(f"/api/v1/appointments/{visit.pk}/cancel", {"reason": 5}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["fields"] == {"reason": ["Must be a string."]}
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.SCHEDULED


def _booked(api, patient):
    response = api.post(
        "/api/v1/appointments",
        {
            "patient": patient.pk,
            "waiting_room": "Cardiology Follow-up",
            "starts_at": future_slot(13, 11).isoformat(),
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    return Appointment.objects.get(pk=response.json()["id"])


def test_bad_input_is_a_422_with_fields_and_books_nothing(api, rooms, solo_patient):
    cases = [
        {"patient": solo_patient.pk, "waiting_room": "Cardiology Follow-up"},
        {
            "patient": solo_patient.pk,
            "waiting_room": "Nope",
            "starts_at": future_slot().isoformat(),
        },
        {
            "patient": solo_patient.pk,
            "waiting_room": "Cardiology Follow-up",
            "starts_at": future_slot().isoformat(),
            "duration_seconds": 86401,
        },
        {
            "patient": solo_patient.pk,
            "waiting_room": "Cardiology Follow-up",
            "starts_at": future_slot().isoformat(),
            "colour": "blue",
        },
    ]
    for payload in cases:
        response = api.post("/api/v1/appointments", payload, format="json")
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, payload
        assert set(response.json()) == {"error", "message", "fields"}
    assert not Appointment.objects.exists()


def test_a_taken_slot_is_409_with_solos_message(api, book, solo_patient):
    visit = book()
    response = api.post(
        "/api/v1/appointments",
        {
            "patient": solo_patient.pk,
            "waiting_room": "Cardiology Follow-up",
            "starts_at": visit.starts_at.isoformat(),
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == "solo_refused"
    assert "not available" in response.json()["message"]


def test_a_solo_outage_is_503(api, book, faults):
    visit = book()
    faults.inject("solo", "error", count=10, path_contains="provider-link")
    response = api.post(f"/api/v1/appointments/{visit.pk}/provider-link", {}, format="json")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["error"] == "solo_unavailable"


def test_provider_link_is_fresh(api, book):
    visit = book()
    first = api.post(f"/api/v1/appointments/{visit.pk}/provider-link", {}, format="json").json()
    second = api.post(
        f"/api/v1/appointments/{visit.pk}/provider-link", {"teams": True}, format="json"
    ).json()
    assert first["appointment"] == visit.pk
    assert "role=provider" in first["url"]
    assert second["teams"] is True
    assert "meetingjoin=true" in second["url"]


def test_list_and_detail_are_scoped_and_audited(api, book, django_assert_max_num_queries, org):
    visit = book()
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/appointments")
    assert [a["id"] for a in listed.json()["results"]] == [visit.pk]
    for i in range(5):
        factories_patient = factories.PatientFactory(organization=org)
        Appointment.objects.create(
            organization=org, patient=factories_patient, solo_id=80000 + i,
            starts_at=future_slot(20 + i),
        )  # fmt: skip
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/appointments").json()["results"]) == 6
    assert api.get(f"/api/v1/appointments/{visit.pk}").json()["solo_id"] == visit.solo_id
    assert AuditEvent.objects.filter(action="appointment.view").count() == 1
    assert AuditEvent.objects.filter(action="appointment.list").count() == 2
    filtered = api.get("/api/v1/appointments", {"status": "cancelled"})
    assert filtered.json()["results"] == []
    assert api.get("/api/v1/appointments", {"from": "yesterday"}).status_code == 422


def test_outsiders_get_404_anonymous_401_and_missing_scope_403(outsider_api, book, org):
    visit = book()
    for method, url in (
        ("get", f"/api/v1/appointments/{visit.pk}"),
        ("post", f"/api/v1/appointments/{visit.pk}/reschedule"),
        ("post", f"/api/v1/appointments/{visit.pk}/cancel"),
        ("post", f"/api/v1/appointments/{visit.pk}/provider-link"),
    ):
        response = getattr(outsider_api, method)(url, {}, format="json")
        assert response.status_code == HTTPStatus.NOT_FOUND, url
    booked_elsewhere = outsider_api.post(
        "/api/v1/appointments",
        {"patient": visit.patient.pk, "waiting_room": "RPM Check-in",
         "starts_at": future_slot(15).isoformat()},
        format="json",
    )  # fmt: skip
    assert booked_elsewhere.status_code == HTTPStatus.NOT_FOUND
    assert outsider_api.get("/api/v1/appointments").json()["results"] == []
    assert APIClient().get("/api/v1/appointments").status_code == HTTPStatus.UNAUTHORIZED
    read_only = APIClient()
    read_only.credentials(
        HTTP_AUTHORIZATION=f"Bearer {factories.api_key(org, [ApiScope.APPOINTMENTS_READ])[1]}"
    )
    refused = read_only.post(f"/api/v1/appointments/{visit.pk}/cancel", {"reason": "x"})
    assert refused.status_code == HTTPStatus.FORBIDDEN
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.SCHEDULED
