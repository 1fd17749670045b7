"""POST /api/v1/measurements — Validic Inform measurement records (seed 004)."""

import copy
from http import HTTPStatus

import pytest

from readings.models import Reading

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

URL = "/api/v1/measurements"

# seed 004 "Sample Data", verbatim.
SAMPLE = {
    "checksum": "b0a2547d56SAMPLE5d57437a90b",
    "created_at": "2023-10-10T17:20:04.858Z",
    "deleted_at": None,
    "end_time": "2023-10-10T15:58:56Z",
    "id": "3de314260ccSAMPLE69c5bae6547f1",
    "log_id": "500000046950878",
    "metrics": [
        {"type": "spo2", "origin": "device", "unit": "percent", "value": 99.0},
        {"type": "pulse", "origin": "device", "unit": "bpm", "value": 82},
    ],
    "offset_origin": "source",
    "source": {
        "type": "smart_meter",
        "device": {
            "id": "111111111111111",
            "model": "smc-ox",
            "manufacturer": "smart meter",
            "diagnostics": [],
        },
    },
    "start_time": "2023-10-10T15:58:56Z",
    "tags": [],
    "type": "measurement",
    "user": {
        "organization_id": "5ef0ef69SAMPLEba562",
        "user_id": "652572SAMPLEe18b8b8",
        "uid": "123456",
    },
    "user_notes": [],
    "utc_offset": -14400,
    "version": "1.0",
}


def sample(**changes):
    record = copy.deepcopy(SAMPLE)
    record.update(changes)
    return record


def test_the_seed_sample_becomes_two_readings_of_one_measurement(api, oximeter, patient):
    response = api.post(URL, SAMPLE, format="json")
    assert response.status_code == HTTPStatus.CREATED
    spo2, pulse = Reading.objects.order_by("metric").reverse()
    assert response.json() == {
        "results": [
            {"id": SAMPLE["id"], "status": "created", "readings": sorted([spo2.pk, pulse.pk])}
        ],
        "created": 1,
        "duplicates": 0,
        "errors": 0,
    }
    assert (spo2.metric, spo2.value, spo2.unit, spo2.loinc) == ("spo2", 99.0, "%", "59408-5")
    assert (pulse.metric, pulse.value, pulse.unit) == ("heart_rate", 82.0, "/min")
    for reading in (spo2, pulse):
        assert reading.patient == patient
        assert reading.device == oximeter
        assert reading.device_tz_offset == -14400
        assert reading.patient_tz_offset is None
        assert reading.measurement_group == f"validic:{SAMPLE['id']}"
        assert reading.source_checksum == SAMPLE["checksum"]
        assert reading.measured_at.isoformat() == "2023-10-10T15:58:56+00:00"


def test_a_repeat_is_acknowledged_never_stored_twice(api, oximeter):
    api.post(URL, SAMPLE, format="json")
    again = api.post(URL, SAMPLE, format="json")
    assert again.status_code == HTTPStatus.OK
    assert again.json()["results"][0]["status"] == "duplicate"
    assert Reading.objects.count() == 2


def test_a_changed_checksum_replaces_and_deleted_at_removes(api, oximeter):
    api.post(URL, SAMPLE, format="json")
    changed = sample(checksum="c2")
    changed["metrics"][0]["value"] = 97.0
    response = api.post(URL, changed, format="json")
    assert response.json()["results"][0]["status"] == "updated"
    assert Reading.objects.get(metric="spo2").value == 97.0
    assert Reading.objects.count() == 2
    gone = api.post(URL, sample(checksum="c3", deleted_at="2023-10-11T00:00:00Z"), format="json")
    assert gone.json()["results"][0]["status"] == "deleted"
    assert not Reading.objects.exists()


def test_a_batch_reports_one_outcome_per_record(api, oximeter):
    good = sample(id="rec-good")
    bad_value = sample(id="rec-bad")
    bad_value["metrics"][0]["value"] = 140.0
    unknown_user = sample(id="rec-who", user={"user_id": "nobody"})
    broken = {"id": "rec-broken"}
    response = api.post(URL, [good, bad_value, unknown_user, broken, good], format="json")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "error",
        "error",
        "error",
        "duplicate",
    ]
    assert body["results"][1]["error"]["fields"] == {
        "metrics[0].value": ["140 % is outside the possible range for spo₂ (50 to 100 %)"]
    }
    assert body["results"][2]["error"]["error"] == "unknown_patient"
    assert "metrics" in body["results"][3]["error"]["fields"]
    assert (body["created"], body["duplicates"], body["errors"]) == (1, 1, 3)
    # the bad record stored nothing, not even its valid pulse
    assert set(Reading.objects.values_list("source_record_id", flat=True)) == {"rec-good"}


@pytest.mark.parametrize(
    ("record", "status", "code"),
    [
        (sample(user={"user_id": "nobody"}), 404, "unknown_patient"),
        (sample(source={"type": "smart_meter", "device": {"id": "999"}}), 404, "unknown_device"),
        (sample(metrics=[{"type": "mood", "unit": "", "value": 1}]), 422, "unsupported_metric"),
        (
            sample(metrics=[{"type": "spo2", "unit": "furlongs", "value": 97}]),
            422,
            "unsupported_unit",
        ),
        (
            sample(metrics=[{"type": "spo2", "unit": "percent", "value": "97"}]),
            422,
            "validation_error",
        ),
        (sample(metrics=[]), 422, "validation_error"),
        (sample(type="sleep"), 422, "validation_error"),
        (sample(start_time="2099-01-01T00:00:00Z"), 422, "future_timestamp"),
    ],
)
def test_single_bad_records_get_their_own_status(api, oximeter, record, status, code):
    response = api.post(URL, record, format="json")
    assert response.status_code == status
    assert response.json()["error"] == code
    assert not Reading.objects.exists()


def test_decommissioned_smart_meter_is_409(api, oximeter):
    oximeter.current_status = "decommissioned"
    oximeter.save()
    response = api.post(URL, SAMPLE, format="json")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == "device_decommissioned"


def test_empty_or_oversized_batches_are_refused(api, oximeter):
    assert api.post(URL, [], format="json").status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    # A list holds records (objects); anything else is not a batch (the schema says so).
    assert api.post(URL, [SAMPLE, 7], format="json").status_code == 422
    assert not Reading.objects.exists()
    response = api.post(URL, [SAMPLE] * 501, format="json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_outsider_gets_404_for_our_patient(outsider_api, oximeter):
    response = outsider_api.post(URL, SAMPLE, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Reading.objects.exists()


def test_idempotency_key_replays_a_batch_answer(api, oximeter):
    first = api.post(URL, [SAMPLE], format="json", HTTP_IDEMPOTENCY_KEY="b1")
    again = api.post(URL, [SAMPLE], format="json", HTTP_IDEMPOTENCY_KEY="b1")
    assert again.json() == first.json()
    assert again.json()["results"][0]["status"] == "created"
    assert Reading.objects.count() == 2
