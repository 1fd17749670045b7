"""A threshold is typed with its unit and stored in the metric's canonical unit (lb, °F,
mg/dL), with what was typed; a value no threshold of that metric could have is refused with a
message naming the field, on the page as in the service."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from readings.care import services
from readings.models import Direction, RuleKind, Severity, ThresholdRule


def override(patient, by, **fields):
    rule = {
        "patient": patient,
        "by": by,
        "kind": RuleKind.SINGLE,
        "direction": Direction.ABOVE,
        "severity": Severity.WARNING,
        "reason": "Cardiology's plan",
    }
    return services.threshold_override_set(**{**rule, **fields})


@pytest.mark.parametrize(
    ("kind", "metric", "direction", "value", "unit", "days", "stored", "describe"),
    [
        ("weight_gain", "weight", "above", 2, "kg", 3, 4.41, "Weight gain of 4.41 lb"),
        ("weight_gain", "weight", "above", 3, "lb", 1, 3.0, "Weight gain of 3 lb"),
        ("weight_gain", "weight", "above", 3, "", 1, 3.0, "Weight gain of 3 lb"),
        ("single", "temperature", "above", 38, "Cel", None, 100.4, "at or above 100.4 °F"),
        ("single", "temperature", "above", 38, "°C", None, 100.4, "at or above 100.4 °F"),
        ("single", "temperature", "above", 100.4, "[degF]", None, 100.4, "100.4 °F"),
        ("single", "glucose", "below", 3.9, "mmol/L", None, 70.26, "at or below 70.26 mg/dL"),
        ("single", "glucose", "above", 250, "mg/dL", None, 250.0, "at or above 250 mg/dL"),
        ("single", "weight", "above", 100, "kg", None, 220.46, "at or above 220.46 lb"),
    ],
)
def test_a_threshold_typed_in_another_unit_is_stored_converted(
    patient, alice, kind, metric, direction, value, unit, days, stored, describe
):
    rule = override(
        patient,
        alice,
        kind=kind,
        metric=metric,
        direction=direction,
        value=value,
        unit=unit,
        days=days,
    )
    rule.refresh_from_db()
    assert rule.value == stored
    assert describe in rule.describe()
    assert (rule.entered_value, rule.entered_unit) == (
        value,
        {"°C": "Cel", "lb": "[lb_av]"}.get(unit, unit),
    )


def test_history_says_what_the_clinician_typed(patient, alice):
    rule = override(patient, alice, metric="temperature", value=38, unit="Cel")
    assert rule.entered_text == "entered as 38 °C"
    assert override(patient, alice, metric="temperature", value=100.4).entered_text == ""


@pytest.mark.parametrize(
    ("kind", "metric", "value", "unit", "days", "field", "message"),
    [
        # 38 meant as °C, typed with °F (or the default unit): refused, the right unit named.
        ("single", "temperature", 38, "", None, "value", "Did you mean 38 °C?"),
        ("single", "temperature", 38, "[degF]", None, "value", "38 °F is not a possible"),
        ("single", "temperature", 101, "Cel", None, "value", "Did you mean 101 °F?"),
        ("single", "glucose", 5.5, "", None, "value", "Did you mean 5.5 mmol/L?"),
        ("single", "glucose", 250, "mmol/L", None, "value", "Did you mean 250 mg/dL?"),
        ("single", "systolic", 400, "", None, "value", "400 mmHg is not a possible"),
        ("single", "heart_rate", 100, "kg", None, "unit", "Heart rate thresholds are entered"),
        ("single", "temperature", 38, "kg", None, "unit", "entered in °F or °C"),
        ("weight_gain", "weight", 0.1, "kg", 1, "value", "between 0.5 and 50 lb"),
        ("weight_gain", "weight", 60, "lb", 7, "value", "not a usable threshold"),
    ],
)
def test_an_implausible_threshold_is_refused_naming_the_field(
    patient, alice, kind, metric, value, unit, days, field, message
):
    with pytest.raises(ValidationError) as refused:
        override(patient, alice, kind=kind, metric=metric, value=value, unit=unit, days=days)
    assert list(refused.value.message_dict) == [field]
    assert message in refused.value.message_dict[field][0]
    assert not ThresholdRule.objects.filter(patient=patient).exists()


def test_the_page_converts_kg_and_shows_what_was_typed(nurse_client, patient):
    url = f"/patients/{patient.pk}/thresholds/"
    response = nurse_client.post(
        url,
        {
            "kind": "weight_gain",
            "metric": "weight",
            "direction": "above",
            "value": "1",
            "unit": "kg",
            "days": "1",
            "severity": "warning",
            "is_active": "on",
            "reason": "NYHA III",
        },
        follow=True,
    )
    content = response.content.decode()
    assert "Threshold saved for this patient." in content
    assert "Weight gain of 2.2 lb (1.0 kg) or more within 1 day" in content
    assert "entered as 1 kg" in content
    assert ThresholdRule.objects.get(patient=patient).value == 2.2


def test_the_page_refuses_a_temperature_meant_as_celsius_with_a_message(nurse_client, patient):
    url = f"/patients/{patient.pk}/thresholds/"
    response = nurse_client.post(
        url,
        {
            "kind": "single",
            "metric": "temperature",
            "direction": "above",
            "value": "38",
            "unit": "[degF]",
            "severity": "warning",
            "is_active": "on",
            "reason": "Post-op",
        },
    )
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "38 °F is not a possible body temperature threshold" in content
    assert "Did you mean 38 °C? Choose that unit." in content
    assert not ThresholdRule.objects.filter(patient=patient).exists()


# --- the API ------------------------------------------------------------------------------
def api_url(patient):
    return f"/api/v1/patients/{patient.pk}/thresholds"


def test_api_sets_a_threshold_typed_in_celsius(api, patient):
    body = {
        "kind": "single",
        "metric": "temperature",
        "direction": "above",
        "severity": "warning",
        "value": 38,
        "unit": "°C",
        "reason": "Post-op: call at 38 °C",
    }
    response = api.post(api_url(patient), body, format="json")
    assert response.status_code == HTTPStatus.CREATED
    created = response.json()
    assert {k: created[k] for k in ("value", "unit", "entered_value", "entered_unit")} == {
        "value": 100.4,
        "unit": "°F",
        "entered_value": 38.0,
        "entered_unit": "Cel",
    }
    assert created["description"] == "Body temperature at or above 100.4 °F"
    listed = api.get(api_url(patient)).json()
    assert [r["value"] for r in listed if r["metric"] == "temperature"] == [100.4]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value": 38, "unit": "°F"}, "value", "Did you mean 38 °C?"),
        ({"value": 38}, "value", "Did you mean 38 °C?"),
        ({"value": 38, "unit": "kg"}, "unit", "entered in °F or °C"),
        ({"value": 38, "unit": "furlongs"}, "unit", "entered in °F or °C"),
    ],
)
def test_api_refuses_an_implausible_threshold_with_422_naming_the_field(
    api, patient, changes, field, message
):
    body = {
        "kind": "single",
        "metric": "temperature",
        "direction": "above",
        "severity": "warning",
        "reason": "Post-op",
        **changes,
    }
    response = api.post(api_url(patient), body, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    error = response.json()
    assert (error["error"], list(error["fields"])) == ("validation_error", [field])
    assert message in error["fields"][field][0]
    assert not ThresholdRule.objects.filter(patient=patient).exists()


def test_api_lists_both_heart_failure_weight_gain_rules(api, patient, outsider_api):
    rules = api.get(api_url(patient)).json()
    assert sorted(
        (r["days"], r["value"], r["description"]) for r in rules if r["kind"] == "weight_gain"
    ) == [
        (1, 3.0, "Weight gain of 3 lb (1.4 kg) or more within 1 day"),
        (7, 5.0, "Weight gain of 5 lb (2.3 kg) or more within 7 days"),
    ]
    assert outsider_api.get(api_url(patient)).status_code == HTTPStatus.NOT_FOUND
