"""The chart, the patient page's mini chart, the readings table and the out-of-range list show
the rules in force for the patient — the organization's defaults replaced by the patient's
overrides, warning and critical tiers — not a fixed table."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from readings import charts
from readings.care import services
from readings.models import Direction, RuleKind, Severity
from readings.selectors import Series
from readings.units import METRICS
from tests.factories import PatientFactory, ReadingFactory

NOW = datetime.now(tz=UTC)

SYSTOLIC_170 = {
    "kind": RuleKind.SINGLE,
    "metric": "systolic",
    "direction": Direction.ABOVE,
    "severity": Severity.WARNING,
    "value": 170,
    "reason": "Baseline hypertension; cardiology accepts up to 170",
}


def chart_json(content: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', content)
    return json.loads(found.group(1))


def bp_readings(patient, n=3):
    for i in range(n):
        at = NOW - timedelta(hours=2 + i)
        ReadingFactory(patient=patient, metric="systolic", value=150 + i, measured_at=at)
        ReadingFactory(patient=patient, metric="diastolic", value=85, measured_at=at)


BP_LINES_WITH_OVERRIDE = [
    ("Systolic \u2265 180 critical", 180, "critical", False),
    ("Systolic \u2264 90 critical", 90, "critical", False),
    ("Systolic \u2265 170 warning (this patient)", 170, "warning", True),
    ("Diastolic \u2265 110 critical", 110, "critical", False),
    ("Diastolic \u2265 100 warning", 100, "warning", False),
]


def lines(payload):
    return [(t["label"], t["value"], t["severity"], t["override"]) for t in payload["thresholds"]]


@pytest.mark.parametrize(
    ("page", "element_id"),
    [("/readings/patients/{pk}/?metric=bp&range=7d", "chart-data"), ("/patients/{pk}/", None)],
)
def test_chart_and_mini_chart_draw_the_patients_override_and_critical_lines(
    nurse_client, patient, alice, page, element_id
):
    services.threshold_override_set(patient=patient, by=alice, **SYSTOLIC_170)
    bp_readings(patient)
    content = nurse_client.get(page.format(pk=patient.pk)).content.decode()
    payload = chart_json(content, element_id or "panel-chart-data")
    assert lines(payload) == BP_LINES_WITH_OVERRIDE
    assert "Systolic BP at or above 170 mmHg" in content  # the list under the chart
    assert "this patient" in content


def test_another_patient_keeps_the_organization_defaults(nurse_client, org, patient, alice):
    services.threshold_override_set(patient=patient, by=alice, **SYSTOLIC_170)
    neighbour = PatientFactory(organization=org)
    bp_readings(neighbour)
    content = nurse_client.get(f"/readings/patients/{neighbour.pk}/?metric=bp").content.decode()
    assert ("Systolic \u2265 160 warning", 160, "warning", False) in lines(
        chart_json(content, "chart-data")
    )
    assert "170" not in json.dumps(chart_json(content, "chart-data")["thresholds"])


def test_an_inactive_override_removes_its_line(patient, alice):
    services.threshold_override_set(
        patient=patient,
        by=alice,
        kind=RuleKind.SINGLE,
        metric="heart_rate",
        direction=Direction.BELOW,
        severity=Severity.WARNING,
        value=50,
        is_active=False,
        reason="Athlete; resting rate in the 40s",
    )
    rules = charts.rules_in_force(patient, "heart_rate")
    assert [t["label"] for t in charts.threshold_lines(rules, "heart_rate")] == [
        "\u2265 120 critical",
        "\u2264 40 critical",
        "\u2265 110 warning",
    ]


@pytest.mark.parametrize(
    ("who", "metric", "value", "listed", "crossed"),
    [
        ("overridden", "systolic", 165, False, None),  # under this patient's 170
        ("overridden", "systolic", 170, True, "Systolic BP at or above 170 mmHg"),
        ("overridden", "systolic", 185, True, "Systolic BP at or above 180 mmHg"),
        ("default", "systolic", 160, True, "Systolic BP at or above 160 mmHg"),  # inclusive
        ("default", "systolic", 159, False, None),
        ("default", "spo2", 92, True, "SpO₂ at or below 92 %"),
        ("default", "heart_rate", 45, True, "Heart rate at or below 50 bpm"),
        ("default", "glucose", 60, True, "Blood glucose at or below 70 mg/dL"),
    ],
)
def test_out_of_range_list_follows_each_patients_rules(
    nurse_client, org, patient, alice, who, metric, value, listed, crossed
):
    services.threshold_override_set(patient=patient, by=alice, **SYSTOLIC_170)
    target = patient if who == "overridden" else PatientFactory(organization=org)
    ReadingFactory(patient=target, metric=metric, value=value)
    content = nurse_client.get("/readings/").content.decode()
    assert (f">{value:g} {METRICS[metric].unit_label}<" in content) is listed
    if crossed:
        assert crossed in content


def test_patient_panel_marks_the_latest_value_by_the_patients_rules(nurse_client, patient, alice):
    services.threshold_override_set(patient=patient, by=alice, **SYSTOLIC_170)
    ReadingFactory(patient=patient, metric="systolic", value=165)
    content = nurse_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "latest__item--warn" not in content
    ReadingFactory(patient=patient, metric="systolic", value=172, measured_at=NOW)
    content = nurse_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "latest__item--warn" in content
    assert "Systolic BP at or above 170 mmHg (this patient's threshold)" in content


@pytest.mark.parametrize(
    ("day_start", "expected"),
    [
        (
            "2026-03-08T05:00:00+00:00",
            "Mar 8 (UTC\u221205:00 \u2192 UTC\u221204:00, a 23-hour day: clocks changed)",
        ),
        (
            "2026-11-01T04:00:00+00:00",
            "Nov 1 (UTC\u221204:00 \u2192 UTC\u221205:00, a 25-hour day: clocks changed)",
        ),
        ("2026-11-02T05:00:00+00:00", "Nov 2 (UTC\u221205:00)"),
    ],
)
def test_hover_names_a_dst_day_and_its_length(patient, day_start, expected):
    x = int(datetime.fromisoformat(day_start).timestamp())
    series = Series("heart_rate", "Heart rate", True, 86400, [x], [70.0], [60.0], [80.0], [12], [])
    assert charts.chart_payload(patient, "heart_rate", [series])["hover"] == [
        f"{expected} · 12 readings"
    ]
