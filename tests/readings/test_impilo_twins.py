"""One Impilo measurement is one reading, whichever way it reaches the portal first: a hub
posting it to the Impilo-shaped endpoint (keyed by its body) and the pull from Impilo (keyed by
Impilo's id) meet on constraint `reading_impilo_once_per_device_instant`. Another value from
the same device at the same instant is a second reading: 409 `conflicting_reading` naming the
stored one (issue 15)."""

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


def pulled_from_impilo(org, sandbox, heart_rate):
    impilo_has(sandbox, 990010, heart_rate=heart_rate)
    impilo_readings_sync(run=sync_run_start(organization=org, kind=IMPILO_READINGS))


def posted_by_the_hub(org, sandbox, api, heart_rate):
    assert hub_post(api, heart_rate=heart_rate).status_code == HTTPStatus.CREATED


@pytest.mark.parametrize(
    ("first", "second_value", "status"),
    [
        (pulled_from_impilo, 77, HTTPStatus.OK),  # the same reading: a replay
        (pulled_from_impilo, 80, HTTPStatus.CONFLICT),
        (posted_by_the_hub, 77, HTTPStatus.OK),
        (posted_by_the_hub, 80, HTTPStatus.CONFLICT),
    ],
)
def test_another_value_for_the_same_device_and_instant_is_a_conflict(
    api, org, patient, cuff, vendor_accounts, sandbox, first, second_value, status
):
    if first is pulled_from_impilo:
        first(org, sandbox, 77)
    else:
        first(org, sandbox, api, 77)
    (stored,) = heart_rates(patient)
    response = hub_post(api, heart_rate=second_value)
    assert response.status_code == status, response.content
    if status == HTTPStatus.OK:
        assert response.json()["id"] == stored.pk
    else:
        message = (
            f"Another heart rate is already stored for device BT105-1 at 2026-11-20T14:30:00Z: "
            f"77 /min (reading {stored.pk}); this one says 80 /min."
        )
        assert response.json() == {
            "error": "conflicting_reading",
            "message": message,
            "fields": {"heartRate": [message]},
        }
    assert heart_rates(patient) == [stored]  # nothing new stored, the first value kept
