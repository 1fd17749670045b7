"""One Impilo measurement is one reading, whichever way it reaches the portal first: a hub
posting it to the Impilo-shaped endpoint (keyed by its body) and the pull from Impilo (keyed by
Impilo's id) meet on constraint `reading_impilo_once_per_device_instant`."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from portal.sync import sync_run_start
from readings.models import Reading
from readings.sync import IMPILO_READINGS, impilo_readings_sync

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]  # also on SQLite

AT = "2026-11-20T14:30:00Z"
INSTANT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def hub_post(api, at=AT, heart_rate=77):
    return api.post(
        "/api/v1/readings/heart-rate",
        {
            "deviceId": 80011,
            "heartRate": heart_rate,
            "readingTimestamp": at,
            "deviceTimeZoneOffset": -18000,
        },
        format="json",
    )


def impilo_has(sandbox, reading_id, at=AT, heart_rate=77, device_id=80011):
    """The same measurement as Impilo lists it (seed 000's reading object)."""
    sandbox.put(
        "impilo",
        "readings",
        reading_id,
        {
            "id": reading_id,
            "readingTimestamp": at,
            "receivedAt": at.replace(":30:", ":31:"),
            "manual": False,
            "patientTimeZoneOffset": -18000,
            "patient": {"id": 30001},
            "item": {"id": 101, "name": "BodyTrace BT105 Blood Pressure Monitor"},
            "device": {"id": device_id, "identifier": "BT105-1"},
            "type": "heartRate",
            "deviceTimeZoneOffset": -18000,
            "heartRate": heart_rate,
            "heartRateUnit": "bpm",
        },
    )


def heart_rates(patient):
    return list(Reading.objects.filter(patient=patient, metric="heart_rate", measured_at=INSTANT))


def test_posted_by_the_hub_then_pulled_from_impilo_is_stored_once(
    api, org, patient, cuff, vendor_accounts, sandbox
):
    posted = hub_post(api)
    assert posted.status_code == HTTPStatus.CREATED
    impilo_has(sandbox, 990001)
    impilo_readings_sync(run=sync_run_start(organization=org, kind=IMPILO_READINGS))
    assert [r.pk for r in heart_rates(patient)] == [posted.json()["id"]]


def test_pulled_from_impilo_then_posted_by_the_hub_answers_the_stored_reading(
    api, org, patient, cuff, vendor_accounts, sandbox
):
    impilo_has(sandbox, 990002)
    impilo_readings_sync(run=sync_run_start(organization=org, kind=IMPILO_READINGS))
    (pulled,) = heart_rates(patient)
    posted = hub_post(api)
    assert posted.status_code == HTTPStatus.OK  # already recorded: nothing new
    assert posted.json()["id"] == pulled.pk
    assert posted.json()["heartRate"] == 77
    assert heart_rates(patient) == [pulled]


def test_another_instant_or_device_is_another_reading(
    api, org, patient, cuff, vendor_accounts, sandbox
):
    assert hub_post(api).status_code == HTTPStatus.CREATED
    impilo_has(sandbox, 990003, at="2026-11-20T14:30:01Z")  # a second later
    impilo_readings_sync(run=sync_run_start(organization=org, kind=IMPILO_READINGS))
    stored = Reading.objects.filter(
        patient=patient,
        metric="heart_rate",
        measured_at__range=(INSTANT, INSTANT + timedelta(seconds=1)),
    )
    assert sorted(r.measured_at.second for r in stored) == [0, 1]
