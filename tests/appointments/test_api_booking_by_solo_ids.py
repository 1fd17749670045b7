"""The API for integrators who hold only Solo's ids: waiting rooms and their free slots (paged),
booking by SPID or HSID (the id must be one patient of the key's organization, else 404)."""

from datetime import timedelta
from http import HTTPStatus

import pytest

from appointments.models import Appointment
from portal.models import AuditEvent
from portal.sandbox import world as demo
from portal.sandbox.solo_common import VENDOR
from portal.sandbox.state import STORE
from tests import factories
from tests.appointments.conftest import future_slot

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def test_an_integrator_books_by_spid_through_the_room_and_slot_endpoints_alone(
    api, org, solo_account, solo_patient
):
    rooms = api.get("/api/v1/waiting-rooms")
    assert rooms.status_code == HTTPStatus.OK, rooms.json()
    room = next(r for r in rooms.json()["results"] if r["name"] == "RPM Check-in")
    start = future_slot(days=9, hour=0)
    slots = api.get(
        f"/api/v1/waiting-rooms/{room['id']}/slots",
        {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()},
    )
    assert slots.status_code == HTTPStatus.OK, slots.json()
    slot = slots.json()["results"][0]
    booked = api.post(
        f"/api/v1/appointments/by-spid/{solo_patient.solo_spid}",
        {"waiting_room": slot["waiting_room"], "starts_at": slot["starts_at"]},
        format="json",
    )
    assert booked.status_code == HTTPStatus.CREATED, booked.json()
    visit = Appointment.objects.get()
    assert booked.json()["id"] == visit.pk
    assert booked.json()["patient"] == solo_patient.pk
    assert booked.json()["starts_at"].startswith(slot["starts_at"][:16])
    theirs = STORE.get(VENDOR, "appointments", visit.solo_id)
    assert theirs["patientId"] == solo_patient.solo_id  # Solo found the patient by the SPID
    assert theirs["waitingRoom"] == "RPM Check-in"
    # The slot is taken now: the room offers it no more.
    again = api.get(
        f"/api/v1/waiting-rooms/{room['id']}/slots",
        {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()},
    )
    assert slot["starts_at"] not in [s["starts_at"] for s in again.json()["results"]]
    assert AuditEvent.objects.filter(action="appointment.book", patient=solo_patient).exists()


def test_booking_by_hsid(api, solo_account, solo_patient):
    solo_patient.solo_hsid = demo.demo_patients()[30].mrn  # the sandbox's HSID is the EHR MRN
    solo_patient.save()
    booked = api.post(
        f"/api/v1/appointments/by-hsid/{solo_patient.solo_hsid}",
        {"waiting_room": "Nurse Triage", "starts_at": future_slot(11, 14).isoformat()},
        format="json",
    )
    assert booked.status_code == HTTPStatus.CREATED, booked.json()
    visit = Appointment.objects.get()
    assert STORE.get(VENDOR, "appointments", visit.solo_id)["patientId"] == solo_patient.solo_id


def test_an_unknown_spid_or_hsid_is_404_json(api, solo_account, solo_patient):
    for kind in ("spid", "hsid"):
        response = api.post(
            f"/api/v1/appointments/by-{kind}/nobody",
            {"waiting_room": "Nurse Triage", "starts_at": future_slot(11, 14).isoformat()},
            format="json",
        )
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {
            "error": "not_found",
            "message": f"No patient of your organization has this {kind.upper()}.",
            "fields": {},
        }
    assert not Appointment.objects.exists()


def test_another_organizations_spid_is_404(outsider_api, solo_patient):
    response = outsider_api.post(
        f"/api/v1/appointments/by-spid/{solo_patient.solo_spid}",
        {"waiting_room": "Nurse Triage", "starts_at": future_slot(11, 14).isoformat()},
        format="json",
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_spid_two_patients_share_books_nobody(api, org, solo_account, solo_patient):
    factories.PatientFactory(organization=org, solo_spid=solo_patient.solo_spid)
    response = api.post(
        f"/api/v1/appointments/by-spid/{solo_patient.solo_spid}",
        {"waiting_room": "Nurse Triage", "starts_at": future_slot(11, 14).isoformat()},
        format="json",
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Appointment.objects.exists()


def test_unknown_fields_are_refused(api, solo_account, solo_patient):
    response = api.post(
        f"/api/v1/appointments/by-spid/{solo_patient.solo_spid}",
        {
            "waiting_room": "Nurse Triage",
            "starts_at": future_slot(11, 14).isoformat(),
            "patient": solo_patient.pk,
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["fields"] == {"patient": ["Unknown field."]}


def test_waiting_rooms_are_paged_and_scoped(api, outsider_api, solo_account):
    first = api.get("/api/v1/waiting-rooms", {"page_size": 2})
    body = first.json()
    assert len(body["results"]) == 2
    assert set(body["results"][0]) == {"id", "name", "service_line", "service_type"}
    rest = api.get(body["next"]).json()
    names = [r["name"] for r in body["results"] + rest["results"]]
    assert names == sorted(n for n, *_ in demo.WAITING_ROOMS)  # each once, in name order
    # The other organization has no Solo account: it is told so, and sees none of our rooms.
    outsider = outsider_api.get("/api/v1/waiting-rooms")
    assert outsider.status_code == HTTPStatus.CONFLICT
    assert outsider.json()["error"] == "solo_not_configured"
    assert "not set up for this organization" in outsider.json()["message"]


def test_slots_are_paged_in_order_without_gaps_or_repeats(api, rooms):
    room = rooms["Cardiology Follow-up"]
    start = future_slot(days=9, hour=0)
    query = {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}
    whole = api.get(f"/api/v1/waiting-rooms/{room.pk}/slots", query).json()
    assert whole["next"] is None
    paged, url, params = [], f"/api/v1/waiting-rooms/{room.pk}/slots", {**query, "page_size": 5}
    while url:
        page = api.get(url, params).json()
        paged += page["results"]
        url, params = page["next"], None
    assert paged == whole["results"]
    assert len(paged) > 5
    first = paged[0]
    assert set(first) == {"starts_at", "ends_at", "duration_seconds", "waiting_room"}
    assert first["waiting_room"] == "Cardiology Follow-up"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "to"),
        ({"from": "2030-01-01T00:00:00Z", "to": "2030-03-01T00:00:00Z"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"duration_seconds": "0"}, "duration_seconds"),
    ],
)
def test_a_bad_slot_query_is_422_naming_the_field(api, rooms, query, field):
    room = rooms["Nurse Triage"]
    response = api.get(f"/api/v1/waiting-rooms/{room.pk}/slots", query)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == [field]


def test_slots_of_another_organizations_room_are_404(outsider_api, rooms):
    response = outsider_api.get(f"/api/v1/waiting-rooms/{rooms['Nurse Triage'].pk}/slots")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_solo_down_is_503_for_slots(api, rooms, faults):
    faults.inject("solo", "error", count=10, path_contains="appointment-slots")
    response = api.get(f"/api/v1/waiting-rooms/{rooms['Nurse Triage'].pk}/slots")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["error"] == "solo_unavailable"
