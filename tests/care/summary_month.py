"""Harriet's October (Chicago), hand-computed, for the monthly summary's tests: the selector's
(tests/care/test_monthly_summary.py), its views' and the browser's."""

import datetime as dt

from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from portal.enrolment_models import PatientDiagnosis, Program
from readings.care.models import OutreachAttempt
from readings.models import Alert, AlertStatus
from tests import clock
from tests.factories import PatientFactory, entry, reading

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


def harriets_october(org, alice, bob, petra):
    """Harriet's October in Chicago. BP 130/80 and 150/95 on the 3rd, 110/70 on the 10th,
    140/90 at 23:30 on the 31st (already November in UTC); a reading at 23:30 on Sep 30 (Oct 1
    in UTC) is September's. Heart rate 70 on the 3rd, weight 180.5 (cuff) on the 10th and
    182.5 entered by staff on the 12th (a day with readings, not a device day)."""
    # The built-in program (a data migration's row; a browser test's flush removes it).
    hypertension, _ = Program.objects.get_or_create(
        organization=None, code="hypertension", defaults={"name": "Hypertension"}
    )
    patient = PatientFactory(
        organization=org,
        first_name="Harriet",
        last_name="Quimby",
        time_zone="America/Chicago",
        monitoring_started_on=MONTH,
        program=hypertension,
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
    september = dt.date(2026, 9, 1)
    for code, removed in (("I10", None), ("E11.9", at(20)), ("I50.22", at(2, month=september))):
        PatientDiagnosis.objects.create(
            patient=patient, code=code, description=f"about {code}", removed_at=removed
        )
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
    november = dt.date(2026, 11, 1)
    for outcome, when in (
        ("no_answer", at(8)),
        ("reached", at(9)),
        ("no_answer", at(1, 0, 30, month=november)),  # November's
    ):
        OutreachAttempt.objects.create(
            organization=org,
            patient=patient,
            performed_by=bob,
            at=when,
            medium="phone",
            outcome=outcome,
        )
    for solo_id, status, when in (
        (1, AppointmentStatus.COMPLETED, at(15, 10)),
        (2, AppointmentStatus.CANCELLED, at(16, 10)),  # did not take place
    ):
        Appointment.objects.create(
            organization=org, patient=patient, solo_id=solo_id, status=status, starts_at=when
        )
    return patient
