"""From the vendor's own document to the alert queue: seed 000's HeartRateReadingRequest posted
over real HTTP to the ingestion endpoint, then evaluated as the ingestion hook will
(`alerts_evaluate_readings` with the stored readings; the lead wires the call at merge)."""

from http import HTTPStatus

import requests

from readings.alerts import alerts_evaluate_readings
from readings.models import Alert, Reading
from tests.factories import AssignedDeviceFactory


def seed_000_request(**overrides):
    # seed 000 "Request": readingTimestamp, deviceId, deviceTimeZoneOffset, manual, heartRate
    body = {
        "readingTimestamp": "2026-11-20T13:05:00Z",
        "deviceId": 80011,
        "deviceTimeZoneOffset": -18000,
        "manual": False,
        "heartRate": 72,
    }
    body.update(overrides)
    return body


def test_an_out_of_range_impilo_heart_rate_opens_one_alert(live_server, org, patient, org_key):
    patient.impilo_patient_id = 30001
    patient.save()
    AssignedDeviceFactory(organization=org, assigned_patient=patient, impilo_device_id=80011)
    url = f"{live_server.url}/api/v1/readings/heart-rate"
    headers = {"Authorization": f"Bearer {org_key[1]}", "Idempotency-Key": "hr-1"}
    body = seed_000_request(heartRate=131)
    first = requests.post(url, json=body, headers=headers, timeout=10)
    replay = requests.post(url, json=body, headers=headers, timeout=10)
    assert first.status_code == replay.status_code == HTTPStatus.CREATED
    assert first.json() == replay.json()
    assert first.json()["heartRate"] == 131

    stored = list(Reading.objects.select_related("patient__organization"))
    assert len(stored) == 1
    alerts_evaluate_readings(readings=stored)
    alerts_evaluate_readings(readings=stored)  # the hook running twice changes nothing
    alert = Alert.objects.get()
    assert (alert.patient, alert.severity, alert.rule_key, alert.breach_count) == (
        patient,
        "critical",
        "single:heart_rate:above",
        1,
    )


def test_a_normal_impilo_heart_rate_opens_nothing(live_server, org, patient, org_key):
    patient.impilo_patient_id = 30001
    patient.save()
    AssignedDeviceFactory(organization=org, assigned_patient=patient, impilo_device_id=80011)
    response = requests.post(
        f"{live_server.url}/api/v1/readings/heart-rate",
        json=seed_000_request(),
        headers={"Authorization": f"Bearer {org_key[1]}"},
        timeout=10,
    )
    assert response.status_code == HTTPStatus.CREATED
    alerts_evaluate_readings(readings=list(Reading.objects.all()))
    assert not Alert.objects.exists()
