"""The heart-rate POST's one-statement path (readings.api.fast_heart_rate) stores and answers
exactly what the general path does, and steps aside whenever what it remembers (the patient,
the organization's rules) is no longer what the database holds."""

from http import HTTPStatus

import pytest
from django.db import connection

from portal.models import AuditEvent
from readings.api import fast_heart_rate
from readings.models import Alert, Direction, Reading, RuleKind, Severity, ThresholdRule

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)

URL = "/api/v1/readings/heart-rate"


def body(stamp="2026-11-20T13:05:00Z", heart_rate=72, **more):
    return {"patientId": 30001, "heartRate": heart_rate, "readingTimestamp": stamp, **more}


@pytest.fixture
def counted(monkeypatch):
    """How many requests the one-statement path answered."""
    answered = []
    real = fast_heart_rate.heart_rate_fast

    def spy(request):
        response = real(request)
        answered.append(response is not None)
        return response

    monkeypatch.setattr("readings.api.ingest.heart_rate_fast", spy)
    return answered


def test_the_fast_answer_and_rows_are_the_general_paths(api, cuff, counted, monkeypatch):
    # The first request reads the rules (general path); the second is the fast path's.
    general = api.post(URL, body("2026-11-20T13:05:00Z"), format="json")
    fast = api.post(
        URL,
        body("2026-11-20T13:06:00-05:00", deviceTimeZoneOffset=3600, manual=True),
        format="json",
    )
    assert counted == [False, True]
    monkeypatch.setattr("readings.api.ingest.heart_rate_fast", lambda request: None)
    slow = api.post(
        URL,
        body("2026-11-20T13:06:00-05:00", deviceTimeZoneOffset=3600, manual=True),
        format="json",
    )
    assert general.status_code == fast.status_code == HTTPStatus.CREATED
    # The same body by the general path is the same reading: a replay of the fast one.
    assert slow.status_code == HTTPStatus.OK
    assert slow.json() == fast.json()
    assert fast.json()["readingTimestamp"] == "2026-11-20T18:06:00Z"
    fast_reading = Reading.objects.get(pk=fast.json()["id"])
    assert fast_reading.source_record_id.startswith("hr:")
    assert (fast_reading.manual, fast_reading.device_tz_offset) == (True, 3600)
    events = AuditEvent.objects.filter(action="reading.ingest").order_by("id")
    first, second = events[0], events[1]
    for name in ("organization_id", "api_key_id", "actor_id", "patient_id", "ip", "object_type"):
        assert getattr(first, name) == getattr(second, name), name
    assert second.detail == {
        "created": 1,
        "duplicates": 0,
        "patients": [fast_reading.patient_id],
        "sources": ["impilo"],
    }


def test_a_value_a_rule_alarms_on_takes_the_general_path(api, cuff, counted):
    api.post(URL, body("2026-11-20T13:05:00Z"), format="json")
    response = api.post(URL, body("2026-11-20T13:06:00Z", heart_rate=130), format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert counted == [False, False]
    assert Alert.objects.filter(patient=cuff.assigned_patient).count() == 1


def test_a_rule_changed_since_it_was_read_is_seen(api, cuff, counted, org):
    api.post(URL, body("2026-11-20T13:05:00Z"), format="json")  # rules read and remembered
    ThresholdRule.objects.create(
        organization=org,
        patient=cuff.assigned_patient,
        kind=RuleKind.SINGLE,
        metric="heart_rate",
        direction=Direction.ABOVE,
        value=70,
        severity=Severity.CRITICAL,
        reason="test",
    )
    response = api.post(URL, body("2026-11-20T13:06:00Z", heart_rate=75), format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert Alert.objects.filter(patient=cuff.assigned_patient, severity="critical").exists()


def test_a_patient_changed_since_it_was_read_is_seen(api, cuff, counted):
    api.post(URL, body("2026-11-20T13:05:00Z"), format="json")
    api.post(URL, body("2026-11-20T13:06:00Z"), format="json")  # the patient remembered
    patient = cuff.assigned_patient
    patient.time_zone = "America/Los_Angeles"
    patient.mrn = "MRN-NEW"
    patient.save()
    response = api.post(URL, body("2026-11-20T13:07:00Z"), format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["patientTimeZoneOffset"] == -8 * 3600
    assert response.json()["patient"]["externalId"] == "MRN-NEW"
    assert counted[-1] is False  # the statement refused the stale patient: general path
    again = api.post(URL, body("2026-11-20T13:08:00Z"), format="json")
    assert again.json()["patientTimeZoneOffset"] == -8 * 3600
    assert counted[-1] is True


def test_a_replay_of_a_fast_reading_is_the_general_paths_200(api, cuff, counted):
    api.post(URL, body("2026-11-20T13:05:00Z"), format="json")
    stored = api.post(URL, body("2026-11-20T13:06:00Z"), format="json")
    replay = api.post(URL, body("2026-11-20T13:06:00Z"), format="json")
    assert replay.status_code == HTTPStatus.OK
    assert replay.json() == stored.json()
    assert counted == [False, True, False]
    assert AuditEvent.objects.filter(action="reading.ingest").count() == 3


def test_a_revoked_key_is_refused_at_once(api, org_key, cuff):
    api.post(URL, body("2026-11-20T13:05:00Z"), format="json")
    assert api.post(URL, body("2026-11-20T13:06:00Z"), format="json").status_code == 201
    org_key[0].revoke()
    refused = api.post(URL, body("2026-11-20T13:07:00Z"), format="json")
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["error"] == "not_authenticated"
