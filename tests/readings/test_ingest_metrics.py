"""POST /api/v1/patients/{patient_id}/metrics — patient-graph's contract (seed 002)."""

from http import HTTPStatus

import pytest

from readings.models import Reading

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

# seed 002 request schema: metric_key, value_numeric (string), value_text, unit,
# source (manual | api | upload), is_phi, recorded_at (date-time); required metric_key,
# source, recorded_at.
EXAMPLE = {
    "metric_key": "weight",
    "value_numeric": "182.4",
    "unit": "lbs",
    "source": "api",
    "is_phi": True,
    "recorded_at": "2026-11-20T12:00:00Z",
}
RESPONSE_FIELDS = {
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


def url(patient_id):
    return f"/api/v1/patients/{patient_id}/metrics"


def test_201_with_every_required_property_of_the_metric_entry(api, org, cuff, patient):
    org.patient_graph_brand_id = "brand-riverside"
    org.save()
    response = api.post(url("pg-9001"), EXAMPLE, format="json")
    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert set(body) == RESPONSE_FIELDS
    reading = Reading.objects.get()
    assert body == {
        "id": str(reading.pk),
        "patient_id": "pg-9001",
        "brand_id": "brand-riverside",
        "metric_key": "weight",
        "value_numeric": "182.4",
        "value_text": None,
        "unit": "lbs",
        "source": "api",
        "is_phi": True,
        "recorded_at": "2026-11-20T12:00:00Z",
        "created_at": body["created_at"],
    }
    assert isinstance(body["created_at"], str)
    assert body["created_at"].endswith("Z")
    assert (reading.metric, reading.value, reading.unit, reading.loinc) == (
        "weight",
        182.4,
        "[lb_av]",
        "29463-7",
    )


def test_kilograms_are_stored_in_pounds(api, cuff):
    body = {**EXAMPLE, "value_numeric": "80", "unit": "kg"}
    assert api.post(url("pg-9001"), body, format="json").status_code == HTTPStatus.CREATED
    assert Reading.objects.get().value == pytest.approx(176.37, abs=0.01)


def test_free_metric_key_and_text_values_are_kept(api, cuff):
    text = {
        "metric_key": "mood",
        "value_text": "tired",
        "source": "manual",
        "recorded_at": "2026-11-20T12:00:00Z",
    }
    response = api.post(url("pg-9001"), text, format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["value_text"] == "tired"
    assert response.json()["value_numeric"] is None
    reading = Reading.objects.get()
    assert (reading.metric, reading.value_text, reading.manual, reading.is_phi) == (
        "mood",
        "tired",
        True,
        False,
    )


def test_portal_patient_id_also_accepted(api, cuff, patient):
    response = api.post(url(patient.pk), EXAMPLE, format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["patient_id"] == str(patient.pk)


def test_unknown_patient_is_404_in_patient_graph_error_shape(api, cuff):
    response = api.post(url("pg-nobody"), EXAMPLE, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"error": "not_found", "message": "Patient not found"}


def test_an_absurd_numeric_patient_id_is_404_not_a_crash(api, cuff):
    response = api.post(url("9" * 40), EXAMPLE, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_outsider_gets_404(outsider_api, cuff):
    response = outsider_api.post(url("pg-9001"), EXAMPLE, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert set(response.json()) == {"error", "message"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric_key": ""}, "metric_key"),
        ({"source": "fax"}, "source"),
        ({"recorded_at": "noon"}, "recorded_at"),
        ({"value_numeric": "heavy"}, "value_numeric"),
        ({"value_numeric": 182.4}, "value_numeric"),
        ({"value_numeric": "1800"}, "value_numeric"),
        ({"unit": "stone"}, "unit"),
        ({"is_phi": "yes"}, "is_phi"),
        ({"recorded_at": "2026-11-20T12:00:00"}, "recorded_at"),  # RFC 3339 needs the offset
    ],
)
def test_invalid_bodies_are_422_naming_the_field(api, cuff, change, field):
    response = api.post(url("pg-9001"), {**EXAMPLE, **change}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["message"].startswith(field)
    assert not Reading.objects.exists()


def test_missing_required_properties_are_422(api, cuff):
    for name in ("metric_key", "source", "recorded_at"):
        body = {k: v for k, v in EXAMPLE.items() if k != name}
        response = api.post(url("pg-9001"), body, format="json")
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert response.json()["message"].startswith(name)


def test_replays_store_nothing_twice(api, cuff):
    first = api.post(url("pg-9001"), EXAMPLE, format="json")
    second = api.post(url("pg-9001"), EXAMPLE, format="json")
    keyed = api.post(url("pg-9001"), EXAMPLE, format="json", HTTP_IDEMPOTENCY_KEY="m1")
    keyed_again = api.post(url("pg-9001"), EXAMPLE, format="json", HTTP_IDEMPOTENCY_KEY="m1")
    assert first.status_code == HTTPStatus.CREATED
    assert second.status_code == HTTPStatus.OK
    assert second.json()["id"] == first.json()["id"] == keyed.json()["id"]
    assert keyed_again.json() == keyed.json()
    assert Reading.objects.count() == 1
