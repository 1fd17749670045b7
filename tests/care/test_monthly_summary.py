"""The monthly patient summary's figures (readings.care.selectors.monthly_summary), against a
month of hand-computed data in the patient's zone (Chicago): readings per metric with
min/avg/max, days with readings and device days, alerts by severity and outcome, care time and
codes, calls, outreach, visits that took place, the signature — the same on both databases,
in a number of queries that does not grow with the readings."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from portal.enrolment_models import PatientDiagnosis, Program
from readings.care import signing
from readings.care.models import OutreachAttempt
from readings.care.selectors.monthly_summary import default_month, monthly_summary
from readings.models import Alert, AlertStatus
from tests import clock
from tests.factories import PatientFactory, entry, reading

pytestmark = pytest.mark.both_databases  # day and minute counts must agree on both databases

MONTH = dt.date(2026, 10, 1)  # long over whenever the test runs (after Nov 2026)
CHICAGO = PatientFactory.build(time_zone="America/Chicago").tz


def at(day: int, hour: int = 12, minute: int = 0, month: dt.date = MONTH) -> dt.datetime:
    """An instant at hour:minute on `day` of `month`, on the patient's (Chicago) wall clock."""
    return clock.local_time(month.replace(day=day), CHICAGO, hour, minute)


def bp(patient, when, systolic, diastolic):
    reading(patient, "systolic", systolic, at=when)
    reading(patient, "diastolic", diastolic, at=when)


def make_alert(patient, key, severity, raised, outcome=""):
    return Alert.objects.create(
        organization=patient.organization,
        patient=patient,
        rule_key=key,
        rule_text="Systolic BP at or above 180 mmHg",
        kind="single",
        metric="systolic",
        severity=severity,
        status=AlertStatus.RESOLVED if outcome else AlertStatus.OPEN,
        first_triggered_at=raised,
        last_triggered_at=raised,
        outcome=outcome,
    )


@pytest.fixture
def october(org, alice, bob, petra):
    """Harriet's October in Chicago. BP 130/80 and 150/95 on the 3rd, 110/70 on the 10th,
    140/90 at 23:30 on the 31st (already November in UTC); a reading at 23:30 on Sep 30 (Oct 1
    in UTC) is September's. Heart rate 70 on the 3rd, weight 180.5 (cuff) on the 10th and
    182.5 entered by staff on the 12th (a day with readings, not a device day)."""
    patient = PatientFactory(
        organization=org,
        first_name="Harriet",
        last_name="Quimby",
        time_zone="America/Chicago",
        monitoring_started_on=MONTH,
        program=Program.objects.get(code="hypertension", organization=None),
        primary_nurse=alice,
        ordering_physician=petra,
        consent_on=dt.date(2026, 9, 28),
        consent_method="verbal",
        consent_text_version="v3",
    )
    bp(patient, at(3), 130, 80)
    reading(patient, "heart_rate", 70, at=at(3))
    bp(patient, at(3, 20), 150, 95)
    bp(patient, at(10), 110, 70)
    reading(patient, "weight", 180.5, at=at(10))
    reading(patient, "weight", 182.5, at=at(12), manual=True)
    bp(patient, at(31, 23, 30), 140, 90)
    bp(patient, at(30, 23, 30, month=dt.date(2026, 9, 1)), 200, 120)
    # Diagnoses: one current, one removed during October (listed), one removed before it.
    for code, removed in (
        ("I10", None),
        ("E11.9", at(20)),
        ("I50.22", at(2, month=dt.date(2026, 9, 1))),
    ):
        PatientDiagnosis.objects.create(patient=patient, code=code, description=f"about {code}", removed_at=removed)  # fmt: skip
    PatientDiagnosis.objects.filter(patient=patient).update(
        added_at=at(1, month=dt.date(2026, 8, 1))
    )
    make_alert(patient, "crit", "critical", at(3, 20), outcome="contacted")
    make_alert(patient, "warn", "warning", at(10), outcome="measurement_error")
    make_alert(patient, "info", "information", at(31, 23, 30))
    make_alert(patient, "sept", "critical", at(30, 23, 0, month=dt.date(2026, 9, 1)))
    # Time: 15 min call + 6 min review by the nurse = 21 management minutes (99457); the
    # coordinator's 7 are not billable; the physician's 31 interpretation minutes do not bill
    # 99091 in a month billed with 99457. A deleted call is no call.
    entry(patient, alice, minutes=15, day=MONTH.replace(day=3), interactive=True)
    entry(patient, alice, minutes=6, day=MONTH.replace(day=4))
    entry(patient, bob, minutes=7, day=MONTH.replace(day=5))
    entry(patient, petra, minutes=31, day=MONTH.replace(day=6), activity="interpretation")
    gone = entry(patient, alice, minutes=9, day=MONTH.replace(day=7), interactive=True)
    gone.deleted_at = timezone.now()
    gone.save(update_fields=["deleted_at"])
    for outcome, when in (
        ("no_answer", at(8)),
        ("reached", at(9)),
        ("no_answer", at(1, 0, 30, month=dt.date(2026, 11, 1))),
    ):
        OutreachAttempt.objects.create(organization=org, patient=patient, performed_by=bob, at=when, medium="phone", outcome=outcome)  # fmt: skip
    for solo_id, status, when in (
        (1, AppointmentStatus.COMPLETED, at(15, 10)),
        (2, AppointmentStatus.CANCELLED, at(16, 10)),
    ):
        Appointment.objects.create(organization=org, patient=patient, solo_id=solo_id, status=status, starts_at=when)  # fmt: skip
    return patient


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
