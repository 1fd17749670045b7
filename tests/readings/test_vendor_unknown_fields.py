"""Liberal in what vendors send, strict in our own API: a field a vendor's document does not
define is accepted and ignored in the three vendor-shaped bodies (its name logged once per
process, never its value), and refused as before in the portal's own inputs."""

import logging
import uuid
from http import HTTPStatus

import pytest

from readings.models import Reading

pytestmark = pytest.mark.django_db

LOGGER = "readings.serializers"


def unknown_name() -> str:
    # Each test's own name: "once per process" must not depend on which tests ran before.
    return f"newField{uuid.uuid4().hex[:10]}"


def noted(caplog, name) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and name in r.getMessage()]


def test_impilo_heart_rate_ignores_unknown_fields_and_logs_the_name_once(api, cuff, caplog):
    name = unknown_name()
    body = {
        "readingTimestamp": "2026-11-20T13:05:00Z",
        "deviceId": 80011,
        "heartRate": 72,
        name: "John Smith, DOB 1950-01-01",  # a value is never logged: it may be PHI
    }
    with caplog.at_level(logging.INFO, logger=LOGGER):
        first = api.post("/api/v1/readings/heart-rate", body, format="json")
        second = api.post(
            "/api/v1/readings/heart-rate",
            {**body, "readingTimestamp": "2026-11-20T13:06:00Z"},
            format="json",
        )
    assert (first.status_code, second.status_code) == (HTTPStatus.CREATED, HTTPStatus.CREATED)
    assert name not in first.json()
    assert Reading.objects.count() == 2
    assert noted(caplog, name) == [
        f"vendor shape HeartRateReadingRequest: unknown field '{name}' ignored"
    ]
    assert "John Smith" not in caplog.text


def test_patient_graph_metric_ignores_unknown_fields(api, cuff, caplog):
    name = unknown_name()
    body = {
        "metric_key": "heart_rate",
        "value_numeric": "72",
        "unit": "/min",
        "source": "api",
        "recorded_at": "2026-11-20T12:00:00Z",
        name: {"nested": [1, 2]},
    }
    with caplog.at_level(logging.INFO, logger=LOGGER):
        answer = api.post("/api/v1/patients/pg-9001/metrics", body, format="json")
    assert answer.status_code == HTTPStatus.CREATED, answer.content
    assert name not in answer.json()
    assert Reading.objects.get().value == 72
    assert len(noted(caplog, name)) == 1


def test_validic_record_ignores_unknown_fields_at_any_level(api, oximeter, caplog):
    top, inner = unknown_name(), unknown_name()
    record = {
        "id": "3de314260ccSAMPLE69c5bae6547f1",
        "checksum": "b0a2547d56SAMPLE5d57437a90b",
        "start_time": "2023-10-10T15:58:56Z",
        "metrics": [
            {"type": "spo2", "origin": "device", "unit": "percent", "value": 99.0, inner: 1}
        ],
        "source": {"type": "smart_meter", "device": {"id": "111111111111111", "firmware": "2"}},
        "type": "measurement",
        "user": {"user_id": "652572SAMPLEe18b8b8", "uid": "123456"},
        top: True,
    }
    with caplog.at_level(logging.INFO, logger=LOGGER):
        single = api.post("/api/v1/measurements", record, format="json")
        batch = api.post(
            "/api/v1/measurements", [{**record, "checksum": "new-version"}], format="json"
        )
    assert single.status_code == HTTPStatus.CREATED, single.content
    assert batch.json()["results"][0]["status"] == "updated"
    assert len(noted(caplog, top)) == 1
    assert len(noted(caplog, inner)) == 1


def test_our_own_api_still_refuses_unknown_fields(api, cuff):
    answer = api.post(
        "/api/v1/patients",
        {
            "mrn": "RHV-STRICT-1",
            "first_name": "Ada",
            "last_name": "Strict",
            "birth_date": "1950-01-01",
            "time_zone": "America/New_York",
            "middle_name": "X",
        },
        format="json",
    )
    assert answer.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert answer.json()["fields"] == {"middle_name": ["Unknown field."]}


def test_the_log_of_unknown_names_is_bounded(monkeypatch, caplog):
    from portal import vendor_shapes
    from readings import serializers

    monkeypatch.setattr(vendor_shapes, "_LOGGED", set())
    monkeypatch.setattr(vendor_shapes, "_LOGGED_MAX", 3)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        serializers.unknown_fields_note("Shape", [f"f{i}" for i in range(10)])
        serializers.unknown_fields_note("Shape", ["f0", "g"])
    assert len([r for r in caplog.records if r.name == LOGGER]) == 3
    assert len(vendor_shapes._LOGGED) == 3
