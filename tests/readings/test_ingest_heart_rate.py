"""POST /api/v1/readings/heart-rate — Impilo's HeartRateReadingRequest (seed 000)."""

from http import HTTPStatus

import pytest

from portal.models import AuditEvent
from readings.models import Reading

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

URL = "/api/v1/readings/heart-rate"


def request_body(**overrides):
    # Every HeartRateReadingRequest field of seed 000 ("Request": readingTimestamp, deviceId,
    # deviceIdentifier, patientId, deviceTimeZoneOffset, manual, heartRate).
    body = {
        "readingTimestamp": "2026-11-20T13:05:00Z",
        "deviceId": 80011,
        "deviceTimeZoneOffset": -18000,
        "manual": False,
        "heartRate": 72,
    }
    body.update(overrides)
    return body


def test_records_a_reading_and_answers_with_the_impilo_reading_object(api, cuff, patient):
    response = api.post(URL, request_body(), format="json")
    assert response.status_code == HTTPStatus.CREATED
    reading = Reading.objects.get()
    # seed 000 "Response": id, readingTimestamp, manual, deviceTimeZoneOffset,
    # patientTimeZoneOffset, heartRate, patient, item, device.
    assert response.json() == {
        "id": reading.pk,
        "readingTimestamp": "2026-11-20T13:05:00Z",
        "manual": False,
        "deviceTimeZoneOffset": -18000,
        "patientTimeZoneOffset": -18000,  # New York in November, from the patient's ZIP zone
        "heartRate": 72,
        "patient": {"id": 30001, "externalId": patient.mrn},
        "item": {
            "id": 101,
            "name": "BodyTrace BT105 Blood Pressure Monitor",
            "kind": "blood_pressure",
        },
        "device": {"id": 80011, "identifier": "BT105-1", "currentStatus": "assigned"},
    }
    assert (reading.metric, reading.value, reading.unit, reading.loinc) == (
        "heart_rate",
        72.0,
        "/min",
        "8867-4",
    )
    assert reading.patient == patient
    assert reading.device == cuff
    event = AuditEvent.objects.get(action="reading.ingest")
    assert event.patient == patient
    assert event.detail["created"] == 1


def test_patient_id_alone_is_enough_and_device_identifier_works_too(api, cuff):
    by_patient = api.post(URL, request_body(deviceId=None, patientId=30001), format="json")
    assert by_patient.status_code == HTTPStatus.CREATED
    assert by_patient.json()["device"] is None
    by_identifier = api.post(
        URL,
        request_body(deviceId=None, deviceIdentifier="BT105-1", heartRate=80),
        format="json",
    )
    assert by_identifier.status_code == HTTPStatus.CREATED
    assert by_identifier.json()["device"]["id"] == 80011


def test_replay_without_a_key_stores_nothing_twice(api, cuff):
    first = api.post(URL, request_body(), format="json")
    again = api.post(URL, request_body(), format="json")
    assert again.status_code == HTTPStatus.OK
    assert again.json() == first.json()
    assert Reading.objects.count() == 1


def test_replay_with_an_idempotency_key_returns_the_first_answer(api, cuff):
    first = api.post(URL, request_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(URL, request_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (HTTPStatus.CREATED, HTTPStatus.CREATED)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Reading.objects.count() == 1
    reused = api.post(URL, request_body(heartRate=99), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert reused.json()["error"] == "idempotency_key_reused"


@pytest.mark.parametrize("rate", [-5, 900, 0, 19, 301])
def test_impossible_heart_rate_is_422_naming_the_field(api, cuff, rate):
    response = api.post(URL, request_body(heartRate=rate), format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    body = response.json()
    assert body["error"] == "out_of_range"
    assert list(body["fields"]) == ["heartRate"]
    assert "outside the possible range" in body["fields"]["heartRate"][0]
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"readingTimestamp": None}, "readingTimestamp"),
        ({"readingTimestamp": "yesterday"}, "readingTimestamp"),
        ({"readingTimestamp": "2099-01-01T00:00:00Z"}, "readingTimestamp"),
        ({"heartRate": "72"}, "heartRate"),
        ({"heartRate": 72.5}, "heartRate"),
        ({"heartRate": None}, "heartRate"),
        ({"deviceId": "80011"}, "deviceId"),
        ({"deviceId": 10**30}, "deviceId"),
        ({"deviceId": None, "patientId": -1}, "patientId"),
        ({"manual": "yes"}, "manual"),
        ({"deviceTimeZoneOffset": 99999}, "deviceTimeZoneOffset"),
        # An unknown field is ignored in a vendor shape (test_vendor_unknown_fields.py): the
        # misspelt value is not read as the heart rate, which is then missing.
        ({"heartRate": None, "heartrate": 72}, "heartRate"),
        ({"deviceId": None}, "patientId"),
    ],
)
def test_bad_fields_are_422_with_the_field(api, cuff, overrides, field):
    response = api.post(URL, request_body(**overrides), format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.json()
    assert field in response.json()["fields"]
    assert not Reading.objects.exists()


def test_a_timestamp_without_offset_is_utc_as_seed_000_says(api, cuff):
    response = api.post(URL, request_body(readingTimestamp="2026-11-20T13:05:00"), format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["readingTimestamp"] == "2026-11-20T13:05:00Z"


def test_unknown_device_or_patient_is_404(api, cuff):
    assert api.post(URL, request_body(deviceId=1), format="json").status_code == 404
    response = api.post(URL, request_body(deviceId=None, patientId=1), format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"] == "unknown_patient"


def test_decommissioned_device_is_refused_with_409(api, cuff, decommissioned):
    response = api.post(URL, request_body(deviceId=80099), format="json")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == "device_decommissioned"
    assert not Reading.objects.exists()


def test_unassigned_or_someone_elses_device_is_refused(api, org, cuff):
    from tests.factories import AssignedDeviceFactory, PatientFactory

    AssignedDeviceFactory(organization=org, impilo_device_id=80012, assigned_patient=None)
    response = api.post(URL, request_body(deviceId=80012), format="json")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == "device_not_assigned"
    PatientFactory(organization=org, impilo_patient_id=30002)
    response = api.post(URL, request_body(patientId=30002), format="json")
    assert response.status_code == HTTPStatus.CONFLICT
    assert "different patient" in response.json()["message"]


def test_malformed_json_is_400(api, cuff):
    response = api.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "malformed_request"


def test_outsider_key_gets_404_for_our_device(outsider_api, cuff):
    response = outsider_api.post(URL, request_body(), format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Reading.objects.exists()


def test_anonymous_is_401_and_read_only_key_is_403(client, org, cuff):
    from rest_framework.test import APIClient

    from tests.factories import api_key

    assert client.post(URL, request_body(), content_type="application/json").status_code == 401
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(org, ['readings:read'])[1]}")
    assert reader.post(URL, request_body(), format="json").status_code == 403


def test_coordinator_session_is_403(client, bob, cuff):
    client.force_login(bob)
    response = client.post(URL, request_body(), content_type="application/json")
    assert response.status_code == HTTPStatus.FORBIDDEN
