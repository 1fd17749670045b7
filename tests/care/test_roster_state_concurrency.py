"""Two transactions changing one patient's facts at once both land in RosterState: the second
waits on the state row, then counts (alerts) or folds (readings) with what the first committed
— not with the snapshot it started with. Each test holds the first transaction open until the
second is seen waiting on the lock, so the interleaving is the same on every run."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from readings.care import selectors
from readings.care.selectors import roster
from readings.models import Alert
from tests import clock
from tests.conftest import wait_for
from tests.factories import reading

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def _interleave(first, second):
    """Run `first` in a transaction that stays open until `second` (in its own transaction)
    is blocked on a lock, then let both commit."""
    started, release, errors = threading.Event(), threading.Event(), []

    def run_first():
        try:
            with transaction.atomic():
                first()
                started.set()
                release.wait(20)
        except Exception as exc:  # reported by _interleave
            errors.append(exc)
            started.set()
        finally:
            connection.close()

    def run_second():
        try:
            with transaction.atomic():
                second()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    one = threading.Thread(target=run_first)
    one.start()
    assert started.wait(20)
    two = threading.Thread(target=run_second)
    two.start()
    try:
        wait_for(_waiting_on_a_lock, message="the second transaction to wait on the state row")
    finally:
        release.set()
        one.join(20)
        two.join(20)
    assert errors == []


def _columns(org):
    now = timezone.now()
    maintained = {p.pk: p for p in roster._roster_from_state(org, now)}
    computed = {p.pk: p for p in selectors.roster_patients_computed(org, now=now)}
    return maintained, computed


def _alert(patient, key, severity):
    now = timezone.now()
    return Alert.objects.create(
        organization=patient.organization,
        patient=patient,
        rule_key=key,
        rule_text=key,
        kind="single",
        metric="systolic",
        severity=severity,
        first_triggered_at=now,
        last_triggered_at=now,
    )


def test_two_alerts_opened_at_once_are_both_counted(org, patient):
    _interleave(
        lambda: _alert(patient, "single:systolic:above", "critical"),
        lambda: _alert(patient, "single:heart_rate:above", "warning"),
    )
    maintained, computed = _columns(org)
    got = maintained[patient.pk]
    assert (got.crit_alerts, got.warn_alerts) == (1, 1)
    assert (computed[patient.pk].crit_alerts, computed[patient.pk].warn_alerts) == (1, 1)


def test_two_readings_of_different_days_at_once_are_both_device_days(org, patient):
    # local noon of three past days: n × 24 h back from now may be the same day on a DST day
    def noon(n):
        return clock.noon_days_ago(n, patient.tz)

    reading(patient, "systolic", 120, at=noon(3))  # the period exists
    _interleave(
        lambda: reading(patient, "systolic", 121, at=noon(2)),
        lambda: reading(patient, "systolic", 122, at=noon(1)),
    )
    maintained, computed = _columns(org)
    assert maintained[patient.pk].period_days == computed[patient.pk].period_days == 3
