"""The readings sandboxes over real HTTP, through the portal's own clients (seed 000, 002, 004
shapes; the conventions the seeds leave open are in each sandbox module's docstring)."""

import pytest
import requests

from devices.clients import ImpiloClient
from portal.http import VendorError
from portal.sandbox import world as demo
from readings.clients import ImpiloReadingsClient, PatientGraphClient, ValidicMeasurementsClient

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself

READING_FIELDS = {
    "id",
    "readingTimestamp",
    "manual",
    "deviceTimeZoneOffset",
    "patientTimeZoneOffset",
    "heartRate",
    "patient",
    "item",
    "device",
}
# seed 004 "Sample Data": every key of the sample record.
VALIDIC_RECORD_FIELDS = {
    "checksum",
    "created_at",
    "deleted_at",
    "end_time",
    "id",
    "log_id",
    "metrics",
    "offset_origin",
    "source",
    "start_time",
    "tags",
    "type",
    "user",
    "user_notes",
    "utc_offset",
    "version",
}
CUFF_OF_PATIENT_0 = next(
    d for d in demo.demo_devices() if d.patient_index == 0 and d.item_id == 101
)
DECOMMISSIONED = next(d for d in demo.demo_devices() if d.status == "decommissioned")


@pytest.fixture
def impilo(sandbox_url):
    return ImpiloReadingsClient(f"{sandbox_url}/impilo/", secrets={"token": demo.IMPILO_TOKEN})


def hr_request(**changes):
    body = {
        "readingTimestamp": "2026-11-20T13:05:00Z",
        "deviceId": CUFF_OF_PATIENT_0.impilo_device_id,
        "deviceTimeZoneOffset": -25200,
        "manual": False,
        "heartRate": 72,
    }
    body.update(changes)
    return body


def test_record_heart_rate_reading_answers_the_seed_000_reading_object(impilo):
    answer = impilo.record_heart_rate_reading(hr_request(), idempotency_key="a")
    assert set(answer) == READING_FIELDS
    assert answer["readingTimestamp"] == "2026-11-20T13:05:00Z"
    assert answer["heartRate"] == 72
    assert answer["manual"] is False
    assert answer["deviceTimeZoneOffset"] == -25200
    assert answer["patientTimeZoneOffset"] == -18000  # patient 0 lives in ZIP 10027 (New York)
    assert answer["patient"]["id"] == demo.demo_patients()[0].impilo_patient_id
    assert answer["device"] == {
        "id": CUFF_OF_PATIENT_0.impilo_device_id,
        "identifier": CUFF_OF_PATIENT_0.identifier,
    }
    assert answer["item"] == {"id": 101}
    again = impilo.record_heart_rate_reading(hr_request(), idempotency_key="a")
    assert again == answer


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (hr_request(deviceId=DECOMMISSIONED.impilo_device_id), 409),
        (hr_request(deviceId=999_999), 404),
        (hr_request(deviceId=1), 409),  # seed 001's example device: in the warehouse, no patient
        (hr_request(deviceId=None, patientId=39999), 404),  # another customer's patient
        (hr_request(readingTimestamp=None), 400),
        (hr_request(heartRate="72"), 400),
        (hr_request(deviceId=None), 400),
    ],
)
def test_record_heart_rate_reading_errors(impilo, body, status):
    with pytest.raises(VendorError) as caught:
        impilo.record_heart_rate_reading(body, idempotency_key=f"e{status}{body}")
    assert caught.value.status == status
    assert set(caught.value.body) == {"status", "error", "message"}
    assert caught.value.body["status"] == status


def test_readings_follow_the_devices_current_assignment(impilo, sandbox_url):
    """Seed 001: devices "can also be manually assigned to patients" and "it's always possible
    to disassociate a device from a patient"; a reading by device goes to the patient the
    device is assigned to now, not to the one it had when the sandbox was seeded."""
    devices = ImpiloClient(f"{sandbox_url}/impilo/", secrets={"token": demo.IMPILO_TOKEN})
    patients = demo.demo_patients()
    cuff = CUFF_OF_PATIENT_0.impilo_device_id
    devices.disassociate_device(cuff)
    devices.associate_device(cuff, patient_id=patients[2].impilo_patient_id)
    moved = impilo.record_heart_rate_reading(hr_request(), idempotency_key="moved")
    assert moved["patient"]["id"] == patients[2].impilo_patient_id

    shelf = next(d for d in demo.demo_devices() if d.identifier == "BT105-S700")
    with pytest.raises(VendorError) as unassigned:  # on the shelf: nobody to record it for
        impilo.record_heart_rate_reading(
            hr_request(deviceId=shelf.impilo_device_id), idempotency_key="shelf"
        )
    assert unassigned.value.status == 409
    devices.associate_device(shelf.impilo_device_id, patient_id=patients[3].impilo_patient_id)
    fresh = impilo.record_heart_rate_reading(
        hr_request(deviceId=None, deviceIdentifier=shelf.identifier), idempotency_key="fresh"
    )
    assert fresh["patient"]["id"] == patients[3].impilo_patient_id
    assert fresh["device"] == {"id": shelf.impilo_device_id, "identifier": shelf.identifier}


def test_impilo_needs_its_bearer_token(sandbox_url):
    response = requests.get(f"{sandbox_url}/impilo/v1/readings", timeout=5)
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "error": "Unauthorized",
        "message": "Missing or invalid bearer token",
    }


def test_readings_list_pages_with_a_resumable_cursor(impilo):
    first = impilo.list_readings(limit=100)
    assert len(first.items) == 100
    assert first.has_more
    assert first.total > 1000  # a month for ~33 cuffs and 25 scales
    second = impilo.list_readings(after=first.next_cursor, limit=100)
    assert {r["id"] for r in first.items}.isdisjoint({r["id"] for r in second.items})
    cuff = next(r for r in first.items if r.get("systolic") is not None)
    assert set(cuff) >= READING_FIELDS | {"systolic", "diastolic"}
    scale = next(r for r in first.items + second.items if r.get("weight") is not None)
    assert scale["weightUnit"] == "lb"
    assert scale["deviceTimeZoneOffset"] is None  # this scale sends no time zone


def test_validic_measurements_are_seed_004_records(sandbox_url):
    client = ValidicMeasurementsClient(
        f"{sandbox_url}/validic/",
        secrets={"token": demo.VALIDIC_TOKEN, "organization_id": demo.VALIDIC_ORG_ID},
    )
    page = client.list_measurements(limit=50)
    assert len(page.items) == 50
    assert page.has_more
    record = page.items[0]
    assert set(record) == VALIDIC_RECORD_FIELDS
    assert record["type"] == "measurement"
    assert record["offset_origin"] == "source"
    assert set(record["source"]["device"]) == {"id", "model", "manufacturer", "diagnostics"}
    assert set(record["user"]) == {"organization_id", "user_id", "uid"}
    assert {m["type"] for m in record["metrics"]} <= {"spo2", "pulse", "blood_glucose"}
    for metric in record["metrics"]:
        assert set(metric) == {"type", "origin", "unit", "value"}
    rest = client.list_measurements(cursor=page.next_cursor, limit=1000)
    assert not rest.has_more
    wrong = ValidicMeasurementsClient(
        f"{sandbox_url}/validic/", secrets={"token": "nope", "organization_id": "x"}
    )
    with pytest.raises(VendorError) as caught:
        wrong.list_measurements()
    assert caught.value.status == 401


def test_patient_graph_metrics_contract(sandbox_url):
    client = PatientGraphClient(
        f"{sandbox_url}/patient-graph/", secrets={"token": demo.PATIENT_GRAPH_TOKEN}
    )
    body = {
        "metric_key": "weight",
        "value_numeric": "182.4",
        "unit": "lb",
        "source": "manual",
        "is_phi": True,
        "recorded_at": "2026-11-20T12:00:00Z",
    }
    entry = client.create_metric("pg-9000", body, idempotency_key="pg1")
    assert set(entry) == {
        "id",
        "patient_id",
        "brand_id",
        "metric_key",
        "value_numeric",
        "value_text",
        "unit",
        "source",
        "is_phi",
        "recorded_at",
        "created_at",
    }
    assert entry["patient_id"] == "pg-9000"
    assert entry["brand_id"] == demo.PATIENT_GRAPH_BRAND_ID
    assert entry["value_text"] is None
    assert client.create_metric("pg-9000", body, idempotency_key="pg1") == entry
    with pytest.raises(VendorError) as missing:
        client.create_metric("pg-nobody", body, idempotency_key="pg2")
    assert missing.value.status == 404
    assert missing.value.body == {"error": "not_found", "message": "Patient not found"}
    # Seed 002 shows no status for a body that breaks the schema: 422, as the portal answers
    # (portal/sandbox/patient_graph.py; tests/readings/test_patient_graph_agreement.py).
    with pytest.raises(VendorError) as bad:
        client.create_metric("pg-9000", {**body, "source": "fax"}, idempotency_key="pg3")
    assert bad.value.status == 422
    assert bad.value.body == {
        "error": "validation_error",
        "message": "source must be one of manual, api, upload",
    }
    # "recorded_at": {"type": "string", "format": "date-time"}: RFC 3339 carries the offset.
    with pytest.raises(VendorError) as naive:
        client.create_metric(
            "pg-9000", {**body, "recorded_at": "2026-11-20T12:00:00"}, idempotency_key="pg4"
        )
    assert naive.value.status == 422
