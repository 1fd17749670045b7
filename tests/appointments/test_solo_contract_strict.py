"""Contract: the Solo sandbox is as strict as seed 003, over real HTTP. Each test quotes the
sentence of the document it enforces; refusals come in the document's error shape
(`{"error": {"message": ...}}`, read by SoloClient into VendorError.message)."""

import datetime as dt
from http import HTTPStatus

import pytest
import requests

from appointments.crypto import solo_decrypt_json
from portal.sandbox import world as demo
from portal.sandbox.solo_common import DATE_OUT_OF_RANGE, SPID_NOT_INT
from portal.sandbox.state import STORE
from tests.appointments import seed_examples as ex
from tests.appointments.test_solo_contract_visits import ROOM, refused, tomorrow_at

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself

YEAR_572367 = 18_000_000_000_000  # an int, and a "timestamp" no calendar can write


@pytest.fixture(autouse=True)
def warm_live_server(solo):
    """The live server's first request loads the whole URLconf, which on a loaded machine can
    take longer than the tests' 2 s read timeout; a POST is not retried (it must not book
    twice), so let a GET, with a patient timeout, pay that cost before the test's first POST."""
    requests.get(
        f"{solo.base_url}qapi/v1/waiting-rooms", headers={"Api-Key": demo.SOLO_API_KEY}, timeout=60
    ).raise_for_status()


# --- appointment dates ------------------------------------------------------------------------
def test_an_appointment_date_no_calendar_holds_is_refused_and_the_reports_still_answer(
    solo, live_server
):
    """Seed 003, Create/Update Appointment: `"date": 1499441179, // [timestamp] (optional)
    appointment date` and `"date": 1508584382, // [int] timestamp`."""
    patient = demo.demo_patients()[24]
    body = {"waitingRoom": ROOM, "date": YEAR_572367}
    refused(lambda: solo.appointment_create(patient.solo_id, body), 400, DATE_OUT_OF_RANGE)
    refused(
        lambda: solo.appointment_create(patient.solo_id, {**body, "date": -1}),
        400,
        DATE_OUT_OF_RANGE,
    )
    created = solo.appointment_create(
        patient.solo_id, {"waitingRoom": ROOM, "date": tomorrow_at(9)}
    )
    refused(
        lambda: solo.appointment_update(created["id"], {"date": YEAR_572367}),
        400,
        DATE_OUT_OF_RANGE,
    )
    # The CSV and the encounter report write every stored date: they answer, never 500.
    assert solo.csv_data_dump(start=dt.date(1970, 1, 1), end=dt.date(9999, 12, 31))
    report = solo.encounter_report_create(
        start=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        end=dt.datetime(9999, 12, 30, tzinfo=dt.UTC),
        preset_id=ex.ENCOUNTER_REPORT["presetId"],
        password=ex.ENCOUNTER_REPORT["password"],
    )
    solo.encounter_report_status(report["id"])
    solo.encounter_report_status(report["id"])
    assert solo.encounter_report_download(report["id"])[:2] == b"PK"


def test_an_encounter_report_range_with_no_local_day_is_refused_not_a_500(solo):
    """Seed 003, Set encounter-report generation: `from`/`to` are ATOM date-times; year 1 at
    +00:00 is one, but has no day in the practice's zone to report on."""
    refused(
        lambda: solo.encounter_report_create(
            start=dt.datetime(1, 1, 1, tzinfo=dt.UTC),
            end=dt.datetime(2024, 8, 15, tzinfo=dt.UTC),
            preset_id=ex.ENCOUNTER_REPORT["presetId"],
            password=ex.ENCOUNTER_REPORT["password"],
        ),
        400,
        "Fields from and to are required ATOM date-times (Y-m-d\\TH:i:sP)",
    )


# --- patients: deceased, dates ---------------------------------------------------------------
def test_update_refuses_deceased_at_without_deceased_even_for_a_deceased_patient(solo):
    """Seed 003, Update Patient: "When deceased is false or is not defined, and deceasedAt is
    specified, an error should be received." """
    patient = demo.demo_patients()[25]
    solo.patient_update(patient.solo_id, {"deceased": True, "deceasedAt": "2020-03-31 10:12 AM"})
    refused(
        lambda: solo.patient_update(patient.solo_id, {"deceasedAt": "2021-01-02 09:00 AM"}),
        400,
        "Field deceasedAt can only be specified when deceased is true",
    )
    assert solo.patient_get(patient.solo_id)["deceasedAt"] == "2020-03-31 10:12 AM"


def test_update_requires_deceased_at_in_the_body_when_deceased_is_true(solo):
    """Seed 003, Update Patient: "Field deceasedAt is required if deceased is true." """
    patient = demo.demo_patients()[26]
    refused(
        lambda: solo.patient_update_by_spid(str(patient.solo_spid), {"deceased": True}),
        400,
        "Field deceasedAt is required if deceased is true",
    )


def test_deceased_false_clears_the_old_deceased_at(solo):
    """Seed 003, Update Patient: "Field deceasedAt is required if deceased is true" — and
    only then: a patient who is not deceased has no date of death."""
    patient = demo.demo_patients()[27]
    solo.patient_update(patient.solo_id, {"deceased": True, "deceasedAt": "2020-03-31 10:12 AM"})
    assert solo.patient_update(patient.solo_id, {"deceased": False}) == []
    got = solo.patient_get(patient.solo_id)
    assert (got["deceased"], got["deceasedAt"]) == (False, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"birthDate": "15/08/1983"}, "Field birthDate must be a date in the format YYYY-MM-DD"),
        ({"birthDate": "1983-02-30"}, "Field birthDate must be a date in the format YYYY-MM-DD"),
        (
            {"deceased": True, "deceasedAt": "2020-03-31"},
            "Field deceasedAt must be a date-time in the format YYYY-MM-DD hh:mm AM",
        ),
        (
            {"deceased": True, "deceasedAt": "2020-03-31 22:12"},
            "Field deceasedAt must be a date-time in the format YYYY-MM-DD hh:mm AM",
        ),
    ],
)
def test_patient_dates_follow_the_documents_format(solo, fields, message):
    """Seed 003, Patient: `"birthDate": "1983-08-15"` and `"deceasedAt": "2020-03-31 10:12 AM"`."""
    patient = demo.demo_patients()[28]
    refused(lambda: solo.patient_update(patient.solo_id, fields), 400, message)
    refused(lambda: solo.patient_create({**ex.PATIENT, "id": "fmt-1", **fields}), 400, message)


# --- SPIDs are ints ----------------------------------------------------------------------------
def test_spids_are_ints_everywhere_the_document_says_int(solo, live_server):
    """Seed 003: Create Patient answers `12345 // [int] solo patient id`; Get Patient with SPID
    takes `solo_patient_id int`; Get Episode has `"soloPatientId": 854896, // [int]`; the
    patient events' payload is `"patientId": {"type": "int"}`."""
    spid = solo.patient_create({**ex.PATIENT, "id": "spid-int"})
    assert isinstance(spid, int)
    assert isinstance(demo.demo_patients()[0].solo_spid, int)
    episode = solo.episode_create("spid-int", ex.EPISODE)["episodeId"]
    assert solo.episode_get(episode)["soloPatientId"] == spid
    hook = solo.webhook_add(endpoint=f"{live_server.url}/nowhere", events=["patient:updated"])
    solo.patient_update_by_spid(str(spid), {"race": "White"})
    [sent] = [e for e in STORE.outbox if e["event"] == "patient:updated"]
    assert solo_decrypt_json(hook["encryptionKey"], sent["body"])["data"] == {"patientId": spid}
    for not_an_int in ("SPID-RHV-100200", "12a", "1.5"):
        refused(lambda v=not_an_int: solo.patient_get_by_spid(v), 400, SPID_NOT_INT)
        refused(
            lambda v=not_an_int: solo.appointment_create_by_spid(v, {"waitingRoom": ROOM}),
            400,
            SPID_NOT_INT,
        )


# --- the events Solo sends -------------------------------------------------------------------
def sent_events(hook) -> list[dict]:
    return [solo_decrypt_json(hook["encryptionKey"], e["body"]) for e in STORE.outbox]


@pytest.mark.parametrize(
    ("call", "event"), [("LWBS", "appointment:lwbs"), ("incomplete", "appointment:incompleted")]
)
def test_the_sandbox_emits_lwbs_and_incompleted_with_the_call_in_get_appointment(
    solo, live_server, call, event
):
    """Seed 003, Add Webhook events: "appointment:incompleted", "appointment:lwbs"; Get
    Appointment: `"videoCall": {..., "status": "waiting"} // one of ["LWBS", "incomplete",
    "complete", "finalizing", "on hold", "on call", "waiting"]`."""
    hook = solo.webhook_add(endpoint=f"{live_server.url}/nowhere", events=[event])
    created = solo.appointment_create(
        demo.demo_patients()[29].solo_id, {"waitingRoom": ROOM, "date": tomorrow_at(15)}
    )
    answer = solo.json("POST", f"_appointments/{created['id']}/status", json={"videoCall": call})
    assert answer["videoCall"]["status"] == call
    assert solo.appointment_get(created["id"])["videoCall"]["status"] == call
    assert sent_events(hook) == [{"event": event, "data": {"appointmentId": created["id"]}}]
    refused(
        lambda: solo.json("POST", f"_appointments/{created['id']}/status", json={"videoCall": "x"}),
        400,
        "videoCall must be one of LWBS, incomplete, complete, finalizing, on hold, on call, "
        "waiting",
    )


def test_the_sandbox_emits_patient_deactivated_and_get_patient_says_inactive(solo, live_server):
    """Seed 003, Add Webhook events: "patient:deactivated"; Patient: `"active": true`."""
    hook = solo.webhook_add(
        endpoint=f"{live_server.url}/nowhere", events=["patient:deactivated", "patient:updated"]
    )
    patient = demo.demo_patients()[31]
    response = requests.post(
        f"{solo.base_url}_patients/{patient.solo_spid}/active",
        json={"active": False},
        headers={"Api-Key": demo.SOLO_API_KEY},
        timeout=10,
    )
    assert response.status_code == HTTPStatus.OK
    assert solo.patient_get_by_spid(str(patient.solo_spid))["active"] is False
    solo.patient_update(patient.solo_id, {"active": True})
    assert sent_events(hook) == [
        {"event": "patient:deactivated", "data": {"patientId": patient.solo_spid}},
        {"event": "patient:updated", "data": {"patientId": patient.solo_spid}},
    ]
