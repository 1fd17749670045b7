"""GET /api/v1/patients/{id}/observations — FHIR R4 Observations (vital-signs profile)."""

from datetime import UTC, datetime
from http import HTTPStatus

from fhir.resources.R4B.bundle import Bundle

from portal.models import AuditEvent
from tests.factories import ReadingFactory


def bp_and_weight(patient):
    at = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    common = {"patient": patient, "measured_at": at, "patient_tz_offset": -18000}
    ReadingFactory(
        metric="systolic", value=142, measurement_group="g1", source_record_id="r1", **common
    )
    ReadingFactory(
        metric="diastolic", value=91, measurement_group="g1", source_record_id="r1", **common
    )
    return ReadingFactory(metric="weight", value=182.4, source_record_id="r2", **common)


def test_bp_and_weight_validate_as_r4_observations(api, patient, time_machine):
    # Without from/to the export is the last 30 days: read it a few days after the readings
    # (on the real clock they would age out of the window on 2026-12-20).
    time_machine.move_to(datetime(2026, 11, 25, 15, tzinfo=UTC))
    weight = bp_and_weight(patient)
    response = api.get(f"/api/v1/patients/{patient.pk}/observations")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    Bundle.model_validate(body)  # raises on anything not R4(B)-valid
    assert len(body["entry"]) == 2  # one BP Observation with two components, one weight
    resources = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
    bp = next(r for key, r in resources.items() if key.startswith("bp-"))
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert bp["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bp"]
    assert bp["effectiveDateTime"] == "2026-11-20T07:30:00-05:00"
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in bp["component"]
    ] == [("8480-6", 142.0, "mm[Hg]"), ("8462-4", 91.0, "mm[Hg]")]
    assert "valueQuantity" not in bp
    body_weight = resources[f"reading-{weight.pk}"]
    assert body_weight["code"]["coding"][0]["code"] == "29463-7"
    assert body_weight["valueQuantity"] == {
        "value": 182.4,
        "unit": "lb",
        "system": "http://unitsofmeasure.org",
        "code": "[lb_av]",
    }
    assert body_weight["category"][0]["coding"][0]["code"] == "vital-signs"
    assert body_weight["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert AuditEvent.objects.filter(action="reading.export_fhir", patient=patient).count() == 1


def test_pages_never_split_a_blood_pressure(api, patient, django_assert_max_num_queries):
    from datetime import timedelta

    from readings.api.reads import ObservationsView

    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    for n in range(5):  # five cuff readings: systolic + diastolic at the same instant
        at = start - timedelta(hours=n)
        for metric, value in (("systolic", 120 + n), ("diastolic", 80 + n)):
            ReadingFactory(
                patient=patient,
                metric=metric,
                value=value,
                measured_at=at,
                measurement_group=f"g{n}",
                source_record_id=f"g{n}",
            )
    ObservationsView.page_size = 3  # would cut the second BP in half
    try:
        url = f"/api/v1/patients/{patient.pk}/observations?from=2026-11-01T00:00:00Z"
        seen = []
        while url:
            with django_assert_max_num_queries(9):
                body = api.get(url).json()
            Bundle.model_validate(body)
            seen += [e["resource"]["component"][0]["valueQuantity"]["value"] for e in body["entry"]]
            url = next((li["url"] for li in body["link"] if li["relation"] == "next"), None)
        assert seen == [120.0, 121.0, 122.0, 123.0, 124.0]
    finally:
        ObservationsView.page_size = 200
    for n in range(40):
        ReadingFactory(patient=patient, metric="weight", value=150 + n)
    with django_assert_max_num_queries(8):
        api.get(f"/api/v1/patients/{patient.pk}/observations")


def test_outsider_gets_404_and_anonymous_401(outsider_api, client, patient):
    bp_and_weight(patient)
    assert outsider_api.get(f"/api/v1/patients/{patient.pk}/observations").status_code == 404
    assert client.get(f"/api/v1/patients/{patient.pk}/observations").status_code == 401


def test_readings_list_endpoint(api, outsider_api, patient, django_assert_max_num_queries):
    for n in range(30):
        ReadingFactory(patient=patient, metric="heart_rate", value=60 + n)
    ReadingFactory(patient=patient, metric="weight", value=150)
    url = f"/api/v1/patients/{patient.pk}/readings"
    with django_assert_max_num_queries(8):
        body = api.get(url, {"metric": "heart_rate", "page_size": 10}).json()
    assert len(body["results"]) == 10
    assert {r["metric"] for r in body["results"]} == {"heart_rate"}
    first = body["results"][0]
    assert set(first) == {
        "id",
        "metric",
        "metric_key",
        "value",
        "value_text",
        "unit",
        "loinc",
        "measured_at",
        "local_time",
        "device_tz_offset",
        "patient_tz_offset",
        "source",
        "device",
        "manual",
        "measurement_group",
        "local_day",
        "transmitted",
    }
    assert api.get(url, {"from": "yesterday"}).status_code == HTTPStatus.BAD_REQUEST
    assert outsider_api.get(url).status_code == HTTPStatus.NOT_FOUND
    assert AuditEvent.objects.filter(action="reading.list", patient=patient).count() == 1
