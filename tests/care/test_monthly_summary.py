"""The monthly patient summary's figures (readings.care.selectors.monthly_summary), against a
month of hand-computed data in the patient's zone (Chicago): readings per metric with
min/avg/max, days with readings and device days, alerts by severity and outcome, care time and
codes, calls, outreach, visits that took place, the signature — the same on both databases,
in a number of queries that does not grow with the readings."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readings.care import signing
from readings.care.selectors.monthly_summary import default_month, monthly_summary
from tests.care.summary_month import MONTH, at, bp, harriets_october

pytestmark = pytest.mark.both_databases  # day and minute counts must agree on both databases


@pytest.fixture
def october(org, alice, bob, petra):
    return harriets_october(org, alice, bob, petra)


def test_readings_per_metric_with_low_average_high(october):
    summary = monthly_summary(october, MONTH)
    lines = [(m.label, m.unit, m.count, m.low, m.mean, m.high) for m in summary.metrics]
    assert lines == [
        # (130+150+110+140)/4 = 132.5 → 133; (80+95+70+90)/4 = 83.75 → 84
        ("Blood pressure", "mmHg", 4, "110/70", "133/84", "150/95"),
        ("Heart rate", "bpm", 1, "70", "70", "70"),
        ("Weight", "lb", 2, "180.5", "181.5", "182.5"),
    ]


def test_days_with_readings_and_device_days_in_the_patients_zone(october):
    summary = monthly_summary(october, MONTH)
    assert summary.reading_days == 4  # the 3rd, 10th, 12th and 31st
    assert summary.device_days == 3  # the 12th's weight was entered by staff
    assert (summary.to_date, summary.days_counted, summary.zone) == (False, 31, "America/Chicago")


def test_alerts_by_severity_and_outcome(october):
    summary = monthly_summary(october, MONTH)
    assert summary.alert_total == 3
    assert [(c.severity, c.count) for c in summary.severities] == [
        ("critical", 1),
        ("warning", 1),
        ("information", 1),
    ]
    assert [a.rule_key for a in summary.alerts] == ["crit", "warn", "info"]
    outcomes = dict(summary.outcomes)
    assert outcomes["Patient contacted and advised"] == 1
    assert outcomes["Device or measurement error"] == 1
    assert outcomes["Not recorded"] == 1
    assert sum(outcomes.values()) == 3


def test_care_time_codes_calls_outreach_and_visits(october, alice):
    summary = monthly_summary(october, MONTH)
    time = summary.billing.time
    assert (time.management_minutes, time.interpretation_minutes) == (21, 31)
    assert (time.not_billable_minutes, time.interactive) == (7, True)
    # The period Oct 1–30 has 2 device days (the 31st opens the next one): set-up and 99445.
    assert sorted(summary.billing.code_names) == ["99445", "99453", "99457"]
    assert [(c.day.day, c.performed_by, c.minutes) for c in summary.contacts] == [(3, alice, 15)]
    assert summary.outreach_total == 2
    assert dict(summary.outreach_counts) == {"No answer": 1, "Left a message": 0, "Reached": 1}
    assert [v.solo_id for v in summary.visits] == [1]


def test_header_fields(october):
    summary = monthly_summary(october, MONTH)
    assert [d.code for d in summary.diagnoses] == ["I10", "E11.9"]
    assert summary.consent == "Given Sep 28, 2026, verbal (consent text v3)"
    assert summary.age == 76  # born Mar 14, 1950; on Oct 31, 2026


def test_signed_month_is_said(october, petra):
    assert monthly_summary(october, MONTH).signature is None
    signature, _ = signing.billing_month_sign(
        organization=october.organization, month=MONTH, by=petra
    )
    summary = monthly_summary(october, MONTH)
    assert (summary.signature, summary.signed_line) == (signature, True)


def test_current_month_is_to_date_and_default_is_last_complete_month(october):
    now = at(12, month=dt.date(2026, 11, 1))
    summary = monthly_summary(october, dt.date(2026, 11, 1), now=now)
    assert (summary.to_date, summary.as_of, summary.days_counted) == (
        True,
        dt.date(2026, 11, 12),
        12,
    )
    assert summary.reading_days == 0
    assert default_month(october, now) == MONTH
    # 00:30 on Nov 1 in Chicago (05:30 UTC): October is complete there.
    assert default_month(october, at(1, 0, 30, month=dt.date(2026, 11, 1))) == MONTH


def test_query_count_does_not_grow_with_readings(october, org):
    def queries(patient) -> int:
        patient = type(patient).objects.get(pk=patient.pk)
        with CaptureQueriesContext(connection) as ctx:
            monthly_summary(patient, MONTH)
        return len(ctx.captured_queries)

    few = queries(october)
    for day in range(1, 29):
        bp(october, at(day, 9), 120 + day, 80)
    assert queries(october) == few
    assert few <= 16
