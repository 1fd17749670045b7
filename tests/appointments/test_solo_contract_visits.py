"""Contract: patients, appointments, links, waiting rooms and slots (seed 003) through
SoloClient against the sandbox over real HTTP, with the document's example bodies."""

from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
import requests

from appointments.clients import SoloClient, VendorError
from portal.sandbox import world as demo
from portal.sandbox.solo_common import PRACTICE_TZ
from tests.appointments import seed_examples as ex

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself

ROOM = "Cardiology Follow-up"


def tomorrow_at(hour, minute=0) -> int:
    day = datetime.now(PRACTICE_TZ).date() + timedelta(days=20)
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=PRACTICE_TZ).timestamp())


def refused(call, status, message):
    with pytest.raises(VendorError) as caught:
        call()
    assert caught.value.status == status
    assert caught.value.message == message
    assert message in caught.value.staff_message
    return caught.value


def test_a_wrong_api_key_is_refused(sandbox_url):
    bad = SoloClient(f"{sandbox_url}/solo/", secrets={"api_key": "nope"})
    refused(bad.waiting_rooms, HTTPStatus.UNAUTHORIZED, "Invalid or missing Api-Key")


def test_create_patient_with_the_documents_example_answers_a_spid_and_reads_back(solo):
    spid = solo.patient_create({"id": "ext-42", **ex.PATIENT})
    assert isinstance(spid, int)
    assert solo.patient_get("ext-42") == ex.PATIENT
    assert solo.patient_get_by_spid(str(spid)) == ex.PATIENT


def test_create_patient_requires_id_and_deceased_at_exactly_when_deceased(solo):
    refused(lambda: solo.patient_create(ex.PATIENT), 400, "Field id is required")
    no_date = {**ex.PATIENT, "id": "x1", "deceasedAt": None}
    refused(
        lambda: solo.patient_create(no_date),
        400,
        "Field deceasedAt is required if deceased is true",
    )
    alive_with_date = {**ex.PATIENT, "id": "x2", "deceased": False}
    refused(
        lambda: solo.patient_create(alive_with_date),
        400,
        "Field deceasedAt can only be specified when deceased is true",
    )
    undefined = {k: v for k, v in ex.PATIENT.items() if k != "deceased"} | {"id": "x3"}
    refused(
        lambda: solo.patient_create(undefined),
        400,
        "Field deceasedAt can only be specified when deceased is true",
    )


def test_update_patient_by_id_and_by_spid(solo):
    first = demo.demo_patients()[0]
    assert solo.patient_update(first.solo_id, {"preferredLanguage": "Spanish"}) == []
    assert solo.patient_get(first.solo_id)["preferredLanguage"] == "Spanish"
    update = {k: v for k, v in ex.PATIENT.items() if k != "sharedEmailGroup"}
    update |= {"groupType": "family", "groupName": "Family Name"}
    assert solo.patient_update_by_spid(first.solo_spid, update) == []
    assert solo.patient_get_by_spid(first.solo_spid)["groupName"] == "Family Name"
    refused(
        lambda: solo.patient_update(first.solo_id, {"deceased": False, "deceasedAt": "2020-03-31"}),
        400,
        "Field deceasedAt can only be specified when deceased is true",
    )
    refused(lambda: solo.patient_get("nobody"), 404, "Patient not found")
    refused(lambda: solo.patient_get_by_spid("0"), 404, "Patient not found")


def appointment_body(**overrides):
    return {**ex.APPOINTMENT, "waitingRoom": ROOM, "date": tomorrow_at(10), **overrides}


def test_create_appointment_by_id_hsid_and_spid_with_the_documents_example(solo):
    first, second, third = demo.demo_patients()[20:23]
    created = solo.appointment_create(first.solo_id, appointment_body())
    assert set(created) == {"id", "visitUrl"}
    assert isinstance(created["id"], int)
    assert requests.get(created["visitUrl"], timeout=5).status_code == 200
    by_hsid = solo.appointment_create_by_hsid(
        second.mrn, appointment_body(externalId="ext-hsid", date=tomorrow_at(11))
    )
    by_spid = solo.appointment_create_by_spid(
        third.solo_spid, appointment_body(externalId="ext-spid", date=tomorrow_at(12))
    )
    got = solo.appointment_get(created["id"])
    assert set(got) == ex.APPOINTMENT_KEYS
    assert got["date"] == tomorrow_at(10)
    assert got["duration"] == 900
    assert got["reasons"] == ["headache"]
    assert got["status"] == "scheduled"
    assert got["externalId"] == ex.APPOINTMENT["externalId"]
    assert got["patient"]["id"] == first.solo_id
    assert got["patient"]["demographics"]["mrn"] == first.mrn
    assert set(got["providers"][0]) == {"id", "email", "firstName", "middleName", "lastName"}
    assert solo.appointment_get(by_hsid["id"])["patient"]["id"] == second.solo_id
    assert solo.appointment_get(by_spid["id"])["patient"]["id"] == third.solo_id


def test_create_appointment_documented_errors(solo):
    pid = demo.demo_patients()[20].solo_id
    no_room = {k: v for k, v in appointment_body().items() if k != "waitingRoom"}
    refused(lambda: solo.appointment_create(pid, no_room), 400, "Field waitingRoom is required")
    refused(
        lambda: solo.appointment_create(pid, appointment_body(waitingRoom="my waiting room")),
        404,
        'Waiting room "my waiting room" not found',
    )
    for duration in (0, 86401):
        refused(
            lambda d=duration: solo.appointment_create(pid, appointment_body(duration=d)),
            400,
            "Field duration should be in range [1, 86400]",
        )
    refused(lambda: solo.appointment_create("nobody", appointment_body()), 404, "Patient not found")
    refused(
        lambda: solo.appointment_create_by_hsid("nobody", appointment_body()),
        404,
        "Patient not found",
    )
    solo.appointment_create(pid, appointment_body(externalId=None))
    refused(
        lambda: solo.appointment_create(pid, appointment_body(externalId=None)),
        409,
        "The requested time is not available in this waiting room",
    )


def test_update_appointment_with_the_documents_example_cancels_it(solo):
    pid = demo.demo_patients()[20].solo_id
    created = solo.appointment_create(pid, appointment_body())
    answer = solo.appointment_update(created["id"], ex.APPOINTMENT_UPDATE)
    assert set(answer) == {"id", "visitUrl"}
    got = solo.appointment_get(created["id"])
    assert got["status"] == "cancelled"
    assert got["reasons"] == ["vomit"]
    assert got["date"] == 1499441179


def test_update_appointment_moves_it_and_refuses_other_statuses(solo):
    pid = demo.demo_patients()[20].solo_id
    created = solo.appointment_create(pid, appointment_body())
    solo.appointment_update(created["id"], {"date": tomorrow_at(14), "duration": 1800})
    got = solo.appointment_get(created["id"])
    assert (got["date"], got["duration"]) == (tomorrow_at(14), 1800)
    refused(
        lambda: solo.appointment_update(created["id"], {"status": "completed"}),
        400,
        'Only "cancelled" status is allowed',
    )
    refused(
        lambda: solo.appointment_update(created["id"], {"duration": 86401}),
        400,
        "Field duration should be in range [1, 86400]",
    )
    solo.appointment_cancel(created["id"])
    refused(
        lambda: solo.appointment_update(created["id"], {"date": tomorrow_at(15)}),
        409,
        "A cancelled appointment cannot be changed",
    )
    refused(lambda: solo.appointment_get(999999), 404, "Appointment not found")


def test_get_appointment_reports_every_documented_status(solo):
    from portal.sandbox.solo_common import APPOINTMENT_STATUSES

    assert APPOINTMENT_STATUSES == (
        "scheduled", "arrived", "in progress.intake.ready", "in progress.intake.progress",
        "in progress.exam.ready", "in progress.exam.progress", "discharge.ready",
        "discharge.progress", "completed", "sign off", "cancelled", "not showed up",
    )  # fmt: skip


def test_provider_link_is_fresh_on_every_call_and_opens(solo):
    appointment_id = 500  # seeded
    first = solo.provider_link(appointment_id)
    second = solo.provider_link(appointment_id)
    assert set(first) == {"id", "providerVisitUrl"}
    assert first["id"] == appointment_id
    assert first["providerVisitUrl"] != second["providerVisitUrl"]
    page = requests.get(first["providerVisitUrl"], timeout=5)
    assert "Joined as provider" in page.text
    refused(lambda: solo.provider_link(999999), 404, "Appointment not found")


def test_msteams_link_needs_the_teams_auth_token(solo, sandbox_url):
    link = solo.msteams_provider_link(500)
    assert set(link) == {"id", "msTeamsProviderVisitUrl"}
    assert "meetingjoin=true" in link["msTeamsProviderVisitUrl"]
    no_teams = SoloClient(f"{sandbox_url}/solo/", secrets={"api_key": demo.SOLO_API_KEY})
    refused(lambda: no_teams.msteams_provider_link(500), 401, "Invalid or missing Teams-Auth-Token")


def test_video_call_links_by_external_id_and_by_said(solo):
    pid = demo.demo_patients()[20].solo_id
    created = solo.appointment_create(pid, appointment_body())
    by_external = solo.video_call_links(ex.APPOINTMENT["externalId"])
    assert set(by_external) == {"appointmentExternalId", "providerVisitUrl", "patientVisitUrl"}
    assert by_external["appointmentExternalId"] == ex.APPOINTMENT["externalId"]
    by_said = solo.video_call_links_by_said(created["id"])
    assert by_said["appointmentExternalId"] == ex.APPOINTMENT["externalId"]
    refused(lambda: solo.video_call_links("unknown"), 404, "Appointment not found")
    refused(lambda: solo.video_call_links_by_said(999999), 404, "Appointment not found")


def test_waiting_rooms_have_the_documented_fields(solo):
    rooms = solo.waiting_rooms()
    assert [r["name"] for r in rooms] == ["Cardiology Follow-up", "Nurse Triage", "RPM Check-in"]
    for room in rooms:
        assert set(room) == {"id", "name", "serviceLine", "serviceType"}


def test_slots_are_free_times_in_the_range_and_skip_booked_visits(solo):
    after, before = tomorrow_at(9), tomorrow_at(11)
    slots = solo.appointment_slots(after=after, before=before, waiting_room=ROOM)
    assert slots[:2] == [{"date": after, "duration": 900}, {"date": after + 900, "duration": 900}]
    assert len(slots) == 8
    solo.appointment_create(
        demo.demo_patients()[20].solo_id, appointment_body(date=after + 900, externalId=None)
    )
    slots = solo.appointment_slots(after=after, before=before, waiting_room=ROOM)
    assert after + 900 not in [s["date"] for s in slots]
    assert len(slots) == 7
    half_hours = solo.appointment_slots(
        after=after, before=before, waiting_room=ROOM, duration=1800
    )
    assert {s["duration"] for s in half_hours} == {1800}


def test_slots_documented_errors(solo):
    refused(
        lambda: solo.json("GET", "qapi/v1/appointment-slots", params={"after": 1}),
        400,
        "Missing required parameters: before, waitingRoom",
    )
    refused(
        lambda: solo.appointment_slots(after=1, before=2, waiting_room="GreatRoom"),
        404,
        'Waiting room "GreatRoom" not found',
    )
    refused(
        lambda: solo.appointment_slots(
            after=tomorrow_at(9), before=tomorrow_at(10), waiting_room=ROOM, duration=0
        ),
        400,
        "Parameter duration should be in range [1, 86400]",
    )


def test_an_outage_is_a_vendor_error_that_says_nothing_changed(solo, faults):
    faults.inject("solo", "error", count=10)
    with pytest.raises(VendorError) as caught:
        solo.waiting_rooms()
    assert caught.value.is_outage
    assert "Nothing was changed" in caught.value.staff_message
