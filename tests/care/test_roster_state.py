"""RosterState, the roster's per-patient state kept by PostgreSQL triggers (migration care
0003), always equals what the roster computes from the facts (`roster_patients_computed`):
after readings arrive (one, many, late, manual, with an offset), are deleted or corrected,
after alerts open, change severity and resolve, time is logged, edited and deleted, a patient
is renamed, deactivated, moved to another organization or given an episode start — and when
only the clock moves (a new 30-day period, a new month)."""

import datetime as dt
from http import HTTPStatus

from django.utils import timezone

from readings.alerts import alerts_check_no_data
from readings.care import selectors, services
from readings.care.models import RosterState
from readings.care.selectors import roster
from readings.device_days import readings_decide
from readings.models import Alert, AlertOutcome, Reading
from tests import clock
from tests.factories import AssignedDeviceFactory, PatientFactory, entry, evaluated, reading
from tests.factories.care import patient_device

COLUMNS = (
    "last_at",
    "last_reading_id",
    "crit_alerts",
    "warn_alerts",
    "month_minutes",
    "episode_start",
    "period_start",
    "period_days",
)


def columns(queryset) -> dict:
    return {p.pk: {c: getattr(p, c) for c in COLUMNS} for p in queryset}


def state_of(organization, now=None) -> dict:
    """The roster's columns as the maintained state gives them (after asserting that they
    are exactly what the facts give)."""
    now = now or timezone.now()
    maintained = columns(roster._roster_from_state(organization, now))
    computed = columns(selectors.roster_patients_computed(organization, now=now))
    assert maintained == computed
    return maintained


def days_ago(n, hours=0):
    return timezone.now() - dt.timedelta(days=n, hours=hours)


def noon(n, patient):
    """Local noon `n` (≥ 1) days before the patient's today: readings on distinct local days
    whatever the hour (n × 24 h before now is the same day as (n+1) × 24 h on a DST day)."""
    return clock.noon_days_ago(n, patient.tz)


def bulk_create(readings):
    """One INSERT statement of readings decided as the write paths decide them."""
    readings_decide(readings)
    Reading.objects.bulk_create(readings)


def test_a_new_patient_gets_an_empty_state(org):
    patient = PatientFactory(organization=org)
    row = RosterState.objects.get(patient=patient)
    assert (row.organization_id, row.is_active, row.last_name) == (org.pk, True, patient.last_name)
    assert state_of(org)[patient.pk] == {
        "last_at": None,
        "last_reading_id": None,
        "crit_alerts": 0,
        "warn_alerts": 0,
        "month_minutes": 0,
        "episode_start": None,
        "period_start": None,
        "period_days": 0,
    }


def test_readings_move_the_last_reading_and_the_device_days(org, patient):
    first = reading(patient, "systolic", 120, at=noon(3, patient))
    assert state_of(org)[patient.pk]["period_days"] == 1
    # two readings the same day count once; a manual reading is the last but no device day
    reading(patient, "diastolic", 80, at=first.measured_at + dt.timedelta(minutes=1))
    manual = reading(patient, "weight", 180, at=days_ago(0, hours=1), manual=True)
    got = state_of(org)[patient.pk]
    assert (got["last_reading_id"], got["period_days"]) == (manual.pk, 1)
    # a reading sent with its own offset counts on that offset's day (noon in New York is
    # the next day at +14:00)
    reading(patient, "heart_rate", 70, at=noon(1, patient), patient_tz_offset=14 * 3600)
    assert state_of(org)[patient.pk]["period_days"] == 2
    # a late reading older than the last one leaves the last alone
    reading(patient, "heart_rate", 70, at=noon(2, patient))
    got = state_of(org)[patient.pk]
    assert (got["last_reading_id"], got["period_days"]) == (manual.pk, 3)


def test_a_late_reading_before_the_episode_moves_the_episode(org, patient):
    reading(patient, "systolic", 120, at=days_ago(2))
    before = state_of(org)[patient.pk]["episode_start"]
    reading(patient, "systolic", 120, at=days_ago(40))  # the device synced an old reading
    after = state_of(org)[patient.pk]
    assert after["episode_start"] < before
    assert after["period_start"] == after["episode_start"] + dt.timedelta(days=30)


def test_one_statement_of_readings_for_many_patients(org):
    patients = PatientFactory.create_batch(3, organization=org, time_zone="America/Denver")
    bulk_create(
        [
            Reading(
                organization=org,
                patient=p,
                metric="heart_rate",
                value=70,
                unit="/min",
                measured_at=noon(d, p) - dt.timedelta(hours=i),
                source="impilo",
                device=patient_device(p),
                source_record_id=f"bulk-{p.pk}-{d}",
            )
            for i, p in enumerate(patients)
            for d in range(1, i + 3)
        ]
    )
    got = state_of(org)
    assert [got[p.pk]["period_days"] for p in patients] == [2, 3, 4]
    # a batch of older readings moves each episode's start back (each patient recomputed)
    bulk_create(
        [
            Reading(
                organization=org,
                patient=p,
                metric="heart_rate",
                value=71,
                unit="/min",
                measured_at=noon(10, p),
                source="impilo",
                device=patient_device(p),
                source_record_id=f"bulk2-{p.pk}",
            )
            for p in patients
        ]
    )
    got = state_of(org)
    assert [got[p.pk]["period_days"] for p in patients] == [3, 4, 5]
    # and a batch into periods that exist: folded into the rows in one UPDATE
    bulk_create(
        [
            Reading(
                organization=org,
                patient=p,
                metric="heart_rate",
                value=71,
                unit="/min",
                measured_at=noon(5, p),
                source="impilo",
                device=patient_device(p),
                source_record_id=f"bulk3-{p.pk}",
            )
            for p in patients
        ]
    )
    got = state_of(org)
    assert [got[p.pk]["period_days"] for p in patients] == [4, 5, 6]


def test_the_single_reading_api_updates_the_state(api, patient, org):
    patient.impilo_patient_id = 30001
    patient.save()
    AssignedDeviceFactory(organization=org, assigned_patient=patient, impilo_device_id=80011)
    body = {
        "readingTimestamp": (timezone.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "deviceId": 80011,
        "deviceTimeZoneOffset": -18000,
        "manual": False,
        "heartRate": 72,
    }
    response = api.post("/api/v1/readings/heart-rate", body, format="json")
    assert response.status_code == HTTPStatus.CREATED
    got = state_of(org)[patient.pk]
    assert (got["last_reading_id"], got["period_days"]) == (response.json()["id"], 1)


def test_deleted_and_corrected_readings_are_recomputed(org, patient):
    older = reading(patient, "systolic", 120, at=days_ago(2))
    newer = reading(patient, "systolic", 121, at=days_ago(1))
    assert state_of(org)[patient.pk]["last_reading_id"] == newer.pk
    Reading.objects.filter(pk=newer.pk).delete()
    got = state_of(org)[patient.pk]
    assert (got["last_reading_id"], got["period_days"]) == (older.pk, 1)
    Reading.objects.filter(pk=older.pk).update(measured_at=days_ago(0, hours=1))
    assert state_of(org)[patient.pk]["last_at"] == Reading.objects.get(pk=older.pk).measured_at
    Reading.objects.filter(pk=older.pk).update(transmitted=False)
    got = state_of(org)[patient.pk]
    assert (got["period_days"], got["episode_start"]) == (0, None)


def test_alerts_opened_escalated_and_resolved(org, patient, alice, petra):
    evaluated(patient, "systolic", 165, at=days_ago(0, hours=3))  # warning
    got = state_of(org)[patient.pk]
    assert (got["crit_alerts"], got["warn_alerts"]) == (0, 1)
    evaluated(patient, "systolic", 190, at=days_ago(0, hours=2))  # same problem, now critical
    evaluated(patient, "heart_rate", 115, at=days_ago(0, hours=2))  # another warning
    got = state_of(org)[patient.pk]
    assert (got["crit_alerts"], got["warn_alerts"]) == (1, 1)
    critical = Alert.objects.get(patient=patient, severity="critical")
    services.alert_acknowledge(alert=critical, by=alice)
    services.alert_escalate(alert=critical, by=alice, to=petra, note="Called the physician")
    assert state_of(org)[patient.pk]["crit_alerts"] == 1  # acknowledged or escalated: open
    services.alert_resolve(
        alert=critical, by=alice, note="Repeat reading normal", outcome=AlertOutcome.CONTACTED
    )
    got = state_of(org)[patient.pk]
    assert (got["crit_alerts"], got["warn_alerts"]) == (0, 1)


def test_no_data_alerts_opened_for_many_patients_at_once(org):
    silent = PatientFactory.create_batch(3, organization=org)
    for p in silent:
        reading(p, "systolic", 120, at=days_ago(5))
    alerts_check_no_data(organization=org)
    assert [state_of(org)[p.pk]["warn_alerts"] for p in silent] == [1, 1, 1]


def test_time_logged_edited_and_deleted(org, patient, alice):
    first = entry(patient, alice, minutes=12)
    entry(patient, alice, minutes=5)
    assert state_of(org)[patient.pk]["month_minutes"] == 17
    services.time_entry_update(entry=first, by=alice, seconds=20 * 60)
    assert state_of(org)[patient.pk]["month_minutes"] == 25
    services.time_entry_delete(entry=first, by=alice)
    assert state_of(org)[patient.pk]["month_minutes"] == 5


def test_a_patient_moving_to_another_organization_moves_its_row(org, other_org, patient):
    reading(patient, "systolic", 120, at=days_ago(1))
    patient.organization = other_org
    patient.save()
    assert patient.pk not in state_of(org)
    assert state_of(other_org)[patient.pk]["period_days"] == 1
    shown = selectors.roster_patients(other_org, selectors.RosterFilters())
    assert [p.pk for p in shown] == [patient.pk]
    assert list(selectors.roster_patients(org, selectors.RosterFilters())) == []


def test_renamed_deactivated_and_episode_start_follow_the_patient(org, patient):
    reading(patient, "systolic", 120, at=days_ago(1))
    patient.last_name = "Aaronson"
    patient.monitoring_started_on = (timezone.now() - dt.timedelta(days=45)).date()
    patient.time_zone = "Pacific/Auckland"
    patient.save()
    got = state_of(org)[patient.pk]
    assert got["period_start"] == patient.monitoring_started_on + dt.timedelta(days=30)
    assert RosterState.objects.get(patient=patient).last_name == "Aaronson"
    patient.is_active = False
    patient.save()
    assert state_of(org) == {}


def test_a_new_period_and_a_new_month_need_no_write(org, patient, alice):
    patient.monitoring_started_on = (timezone.now() - dt.timedelta(days=20)).date()
    patient.save()
    for d in range(1, 6):
        reading(patient, "heart_rate", 70, at=noon(d, patient))
    entry(patient, alice, minutes=30)
    assert state_of(org)[patient.pk]["period_days"] == 5
    later = timezone.now() + dt.timedelta(days=35)  # the next period, the next month
    got = state_of(org, now=later)[patient.pk]
    assert (got["period_days"], got["month_minutes"]) == (0, 0)
    assert got["period_start"] == patient.monitoring_started_on + dt.timedelta(days=30)
