"""Timestamps, dates and numbers written with another script's digits are refused with a 422
naming the field, as the README promises: Python's int() and Django's `\\d` regexes read
"٢٠٢٦-١١-٢٠" as 2026-11-20, so without the check they were stored."""

from http import HTTPStatus

import pytest

from readings.models import Reading
from tests.readings.test_ingest_measurements import sample

pytestmark = pytest.mark.django_db

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def foreign(text: str, table=ARABIC_INDIC) -> str:
    return text.translate(table)


@pytest.mark.parametrize(
    "timestamp",
    [
        foreign("2026-11-20T13:05:00Z"),
        "2026-11-20T1" + foreign("3") + ":05:00Z",
        foreign("2026-11-20T13:05:00Z", FULLWIDTH),
    ],
)
def test_a_heart_rate_timestamp_in_foreign_digits_is_422(api, cuff, timestamp):
    body = {"readingTimestamp": timestamp, "deviceId": 80011, "heartRate": 72}
    response = api.post("/api/v1/readings/heart-rate", body, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["fields"] == {
        "readingTimestamp": ["Use ASCII digits (0-9): digits of other scripts are not accepted."]
    }
    assert not Reading.objects.exists()


def test_a_patient_graph_timestamp_in_foreign_digits_is_422_in_its_shape(api, cuff):
    body = {
        "metric_key": "weight",
        "value_numeric": "182.4",
        "unit": "lbs",
        "source": "api",
        "recorded_at": foreign("2026-11-20T12:00:00Z"),
    }
    response = api.post("/api/v1/patients/pg-9001/metrics", body, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json() == {
        "error": "validation_error",
        "message": "recorded_at: Use ASCII digits (0-9): digits of other scripts are not accepted.",
    }
    assert not Reading.objects.exists()


def test_a_validic_record_with_a_foreign_start_time_is_an_error_and_stores_nothing(api, oximeter):
    record = sample(start_time=foreign("2023-10-10T15:58:56Z"))
    response = api.post("/api/v1/measurements", [record], format="json")
    [result] = response.json()["results"]
    assert result["status"] == "error"
    assert "start_time" in result["error"]["fields"]
    assert not Reading.objects.exists()


@pytest.mark.parametrize("key", ["we\tight", "a\x07b", "bp\u202e", "x\u2028y"])
def test_a_metric_key_with_a_control_character_is_422(api, cuff, key):
    body = {
        "metric_key": key,
        "value_text": "ok",
        "source": "api",
        "recorded_at": "2026-11-20T12:00:00Z",
    }
    response = api.post("/api/v1/patients/pg-9001/metrics", body, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["message"].startswith("metric_key: Identifiers cannot hold control")
    assert not Reading.objects.exists()
