"""Visit times (portal/dates.py): a visit is booked or moved only to a time not in the past and
at most 365 days ahead, refused before anything reaches Solo; list and slot days are 2000–2100;
and a visit stored before these checks (9999-12-31T23:59:59Z) still renders everywhere."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse

from appointments.models import Appointment, WaitingRoom
from portal.sandbox.state import STORE
from tests.appointments.conftest import future_slot
from tests.clock import freeze, iso_z

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)

EDGE = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


@pytest.fixture
def coordinator_client(client, bob):
    client.force_login(bob)
    return client


def solo_visits() -> list[dict]:
    return STORE.all("solo", "appointments")


def book_body(patient, starts_at: str) -> dict:
    return {"patient": patient.pk, "waiting_room": "Cardiology Follow-up", "starts_at": starts_at}


# --- the API: book and reschedule ------------------------------------------------------------
@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
        "2020-01-01T10:00:00Z",  # the past
        "2100-01-01T10:00:00Z",  # more than 365 days ahead
    ],
)
def test_booking_out_of_range_is_422_naming_starts_at_and_nothing_reaches_solo(
    api, rooms, solo_patient, starts_at
):
    in_solo = solo_visits()
    response = api.post("/api/v1/appointments", book_body(solo_patient, starts_at), format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    body = response.json()
    assert (body["error"], list(body["fields"])) == ("validation_error", ["starts_at"])
    assert not Appointment.objects.exists()
    assert solo_visits() == in_solo


def test_booking_edges(api, rooms, solo_patient, monkeypatch):
    now = freeze(monkeypatch)
    last = now + dt.timedelta(days=365)
    # The sandbox's world books visits in this room around today; the edges are fixed instants,
    # so free the room in Solo first (otherwise a world visit at, say, 10:00 ET takes "now").
    for visit in solo_visits():
        if visit["waitingRoom"] == "Cardiology Follow-up":
            STORE.delete("solo", "appointments", visit["id"])
    in_solo = len(solo_visits())
    for refused in (now - dt.timedelta(seconds=1), last + dt.timedelta(seconds=1)):
        body = book_body(solo_patient, iso_z(refused))
        response = api.post("/api/v1/appointments", body, format="json")
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, refused
        assert "starts_at" in response.json()["fields"]
    assert len(solo_visits()) == in_solo
    for accepted in (now + dt.timedelta(minutes=1), last):
        body = book_body(solo_patient, iso_z(accepted))
        response = api.post("/api/v1/appointments", body, format="json")
        assert response.status_code == HTTPStatus.CREATED, (accepted, response.content)
    assert sorted(v.starts_at for v in Appointment.objects.all()) == [
        now + dt.timedelta(minutes=1),
        last,
    ]
    assert len(solo_visits()) == in_solo + 2


@pytest.mark.parametrize("starts_at", ["9999-12-31T23:59:59Z", "2000-01-01T00:00:00Z"])
def test_rescheduling_out_of_range_is_422_and_solo_keeps_the_time(api, book, starts_at):
    visit = book()
    before = STORE.get("solo", "appointments", visit.solo_id)["date"]
    response = api.post(
        f"/api/v1/appointments/{visit.pk}/reschedule", {"starts_at": starts_at}, format="json"
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert list(response.json()["fields"]) == ["starts_at"]
    assert STORE.get("solo", "appointments", visit.solo_id)["date"] == before
    assert Appointment.objects.get().starts_at == visit.starts_at


def test_the_service_refuses_a_visit_more_than_365_days_ahead(book, rooms, solo_patient, bob):
    from appointments.services.booking import appointment_book
    from appointments.services.common import VisitRefused

    in_solo = solo_visits()
    with pytest.raises(VisitRefused, match="365 days"):
        appointment_book(
            patient=solo_patient,
            waiting_room=rooms["Cardiology Follow-up"],
            starts_at=future_slot(366),
            by=bob,
        )
    assert solo_visits() == in_solo


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "0001-01-01T00:00:00Z"}, "from"),
        ({"to": "9999-12-31T23:59:59Z"}, "to"),
        ({"from": "1999-12-31T23:59:59Z"}, "from"),
        ({"to": "2026-11-20T10:00"}, "to"),  # no offset
    ],
)
def test_listing_with_a_range_out_of_bounds_is_refused_naming_it(api, params, field):
    response = api.get("/api/v1/appointments", params)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == [field]


def test_listing_at_the_edges_of_the_range(api):
    window = {"from": "2000-01-01T00:00:00Z", "to": "2101-01-01T00:00:00Z"}
    assert api.get("/api/v1/appointments", window).status_code == HTTPStatus.OK


# --- the pages -------------------------------------------------------------------------------
@pytest.mark.parametrize("slot", [int(EDGE.timestamp()), 10**20, -(10**20), 946684799])
def test_booking_a_slot_out_of_range_on_the_page_is_a_message(
    coordinator_client, rooms, solo_patient, slot
):
    in_solo = solo_visits()
    url = reverse("appointments:schedule", args=[solo_patient.pk])
    response = coordinator_client.post(
        url, {"waiting_room": rooms["Nurse Triage"].pk, "slot": slot}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "was not booked" in content or "cannot be booked" in content
    assert not Appointment.objects.exists()
    assert solo_visits() == in_solo


def test_moving_a_visit_out_of_range_on_the_page_is_a_message(coordinator_client, book):
    visit = book()
    before = STORE.get("solo", "appointments", visit.solo_id)["date"]
    url = reverse("appointments:reschedule", args=[visit.pk])
    for slot in (int(EDGE.timestamp()), 10**20):
        response = coordinator_client.post(url, {"slot": slot}, follow=True)
        assert response.status_code == HTTPStatus.OK
        content = response.content.decode()
        assert "was not moved" in content or "cannot be booked" in content
    assert STORE.get("solo", "appointments", visit.solo_id)["date"] == before


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("9999-12-31", "Choose a waiting room and a valid day"),
        ("0001-01-01", "Choose a waiting room and a valid day"),
        (None, "at most 365 days ahead"),  # today + 366 days
    ],
)
def test_free_slots_are_looked_up_only_within_a_year(
    coordinator_client, rooms, solo_patient, day, message
):
    day = day or (dt.datetime.now(solo_patient.tz).date() + dt.timedelta(days=366)).isoformat()
    url = reverse("appointments:schedule", args=[solo_patient.pk])
    response = coordinator_client.get(url, {"waiting_room": rooms["Nurse Triage"].pk, "day": day})
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()


def test_free_slots_for_a_move_are_looked_up_only_within_a_year(coordinator_client, book):
    visit = book()
    url = reverse("appointments:reschedule", args=[visit.pk])
    for day, message in [("9999-12-31", "2000-01-01 and 2100-12-31"), ("2099-01-01", "365 days")]:
        response = coordinator_client.get(url, {"day": day})
        assert response.status_code == HTTPStatus.OK
        assert message in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"day": "9999-12-31"},
        {"range": "week", "day": "9999-12-31"},
        {"day": "0001-01-01"},
        {"range": "week", "day": "0001-01-03"},
        {"day": "2101-01-01"},
    ],
)
def test_the_list_refuses_a_day_out_of_range_with_a_message(coordinator_client, query):
    response = coordinator_client.get(reverse("appointments:list"), query)
    assert response.status_code == HTTPStatus.OK
    assert "between 2000-01-01 and 2100-12-31" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"day": "2000-01-01"}, {"range": "week", "day": "2000-01-01"},
     {"range": "week", "day": "2100-12-31"}],
)  # fmt: skip
def test_the_list_at_the_edges_of_the_range(coordinator_client, query):
    response = coordinator_client.get(reverse("appointments:list"), query)
    assert response.status_code == HTTPStatus.OK
    assert "between 2000-01-01 and 2100-12-31" not in response.content.decode()


# --- what is already stored still renders ---------------------------------------------------
@pytest.fixture(params=["America/New_York", "Asia/Tokyo"])
def far_visit(request, org, patient):
    """A visit stored before start times were checked (the defect: booked and stored), for a
    patient west and one east of UTC (east, 9999-12-31T23:59:59Z is past Python's last day)."""
    patient.time_zone = request.param
    patient.save()
    room = WaitingRoom.objects.create(organization=org, solo_id="wr-1", name="Cardiology")
    return Appointment.objects.create(
        organization=org, patient=patient, waiting_room=room, solo_id=990001, starts_at=EDGE
    )


@pytest.mark.parametrize(
    "url",
    ["/appointments/", "/appointments/?range=week", "/appointments/?day=2100-12-31",
     "/appointments/{a}/", "/appointments/schedule/{p}/", "/patients/{p}/", "/roster/"],
)  # fmt: skip
def test_pages_render_a_stored_visit_in_year_9999(coordinator_client, far_visit, url):
    response = coordinator_client.get(url.format(a=far_visit.pk, p=far_visit.patient_id))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "url", ["/api/v1/appointments", "/api/v1/appointments/{a}", "/api/v1/roster"]
)
def test_endpoints_answer_with_a_stored_visit_in_year_9999(api, far_visit, url):
    response = api.get(url.format(a=far_visit.pk))
    assert response.status_code == HTTPStatus.OK, response.content


def test_a_stored_visit_in_year_9999_ends_at_the_last_instant_python_holds(api, far_visit):
    body = api.get(f"/api/v1/appointments/{far_visit.pk}").json()
    assert (body["starts_at"], body["ends_at"]) == (
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59.999999Z",  # not 15 minutes later: Python's calendar ends here
    )
