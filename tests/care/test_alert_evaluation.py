"""Alert evaluation: one table-driven test per threshold rule, folding, idempotency, and the
database constraints that hold them."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from portal.models import AuditEvent
from readings.alerts import alerts_check_no_data, alerts_evaluate_readings
from readings.care import services
from readings.models import (
    Alert,
    AlertOutcome,
    AlertReading,
    AlertStatus,
    Direction,
    RuleKind,
    Severity,
    ThresholdRule,
)
from readings.thresholds import effective_rules, threshold_defaults_ensure
from tests import clock
from tests.factories import evaluated, reading

NOW = dt.datetime.now(tz=dt.UTC)
NO_ACTION = AlertOutcome.NO_ACTION


def ago(hours=0, days=0):
    return NOW - dt.timedelta(hours=hours, days=days)


# --- single reading ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("systolic", 180, "critical"),  # ≥ 180 is the edge, inclusive
        ("systolic", 179, "warning"),  # ≥ 160 warning tier
        ("systolic", 160, "warning"),
        ("systolic", 159, None),
        ("systolic", 91, None),
        ("systolic", 90, "critical"),  # ≤ 90, inclusive
        ("heart_rate", 39, "critical"),
        ("heart_rate", 50, "warning"),
        ("heart_rate", 72, None),
        ("spo2", 91, "warning"),
        ("spo2", 88, "critical"),
        ("glucose", 301, "critical"),
        ("temperature", 100.4, "warning"),
    ],
)
def test_single_reading_rule(patient, metric, value, expected):
    evaluated(patient, metric, value, at=ago(1))
    alerts = list(Alert.objects.filter(patient=patient))
    if expected is None:
        assert alerts == []
    else:
        assert [(a.severity, a.kind, a.metric, a.breach_count) for a in alerts] == [
            (expected, RuleKind.SINGLE, metric, 1)
        ]


def test_a_reading_crossing_two_tiers_links_once_at_the_highest(patient):
    r = evaluated(patient, "systolic", 200, at=ago(1))
    alert = Alert.objects.get(patient=patient)
    assert alert.severity == Severity.CRITICAL
    assert list(alert.links.values_list("reading_id", flat=True)) == [r.pk]
    assert alert.rule_text == "Systolic BP at or above 180 mmHg"


def test_a_warning_alert_rises_to_critical_when_a_worse_reading_arrives(patient):
    evaluated(patient, "systolic", 165, at=ago(3))
    evaluated(patient, "systolic", 185, at=ago(2))
    alert = Alert.objects.get(patient=patient)
    assert (alert.severity, alert.breach_count) == (Severity.CRITICAL, 2)


# --- folding and idempotency --------------------------------------------------------------
def test_burst_of_fifty_breaches_gives_one_alert_with_fifty_readings(patient):
    burst = [
        reading(patient, "systolic", 185 + i % 5, at=ago(minutes))
        for minutes in range(1, 51)
        for i in [minutes]
    ]
    alerts_evaluate_readings(readings=burst)
    alert = Alert.objects.get(patient=patient)
    assert alert.breach_count == 50
    assert set(alert.links.values_list("reading_id", flat=True)) == {r.pk for r in burst}


def test_burst_arriving_one_by_one_still_folds_into_one_alert(patient):
    for i in range(50):
        evaluated(patient, "systolic", 190, at=ago(hours=50 - i))
    assert Alert.objects.filter(patient=patient).count() == 1
    assert Alert.objects.get(patient=patient).breach_count == 50


def test_a_reading_evaluated_twice_links_once(patient, breach):
    alerts_evaluate_readings(readings=[breach])
    alerts_evaluate_readings(readings=[breach])
    alerts_evaluate_readings(readings=[breach, breach])
    assert AlertReading.objects.filter(reading=breach).count() == 1
    assert Alert.objects.get(patient=patient).breach_count == 1


def test_resolving_then_a_new_breach_opens_a_new_alert(patient, breach, alice):
    alerts_evaluate_readings(readings=[breach])
    first = Alert.objects.get(patient=patient)
    services.alert_resolve(alert=first, by=alice, note="Repeat reading normal", outcome=NO_ACTION)
    evaluated(patient, "systolic", 188, at=ago(1))
    alerts = list(Alert.objects.filter(patient=patient).order_by("id"))
    assert [a.status for a in alerts] == [AlertStatus.RESOLVED, AlertStatus.OPEN]
    assert alerts[1].breach_count == 1


def test_a_replayed_reading_does_not_reopen_a_resolved_alert(patient, breach, alice):
    alerts_evaluate_readings(readings=[breach])
    services.alert_resolve(
        alert=Alert.objects.get(patient=patient), by=alice, note="Normal", outcome=NO_ACTION
    )
    alerts_evaluate_readings(readings=[breach])
    assert list(Alert.objects.filter(patient=patient).values_list("status", flat=True)) == [
        AlertStatus.RESOLVED
    ]


def test_database_refuses_a_second_open_alert_for_the_same_rule(patient, breach):
    alerts_evaluate_readings(readings=[breach])
    alert = Alert.objects.get(patient=patient)
    with pytest.raises(IntegrityError):
        Alert.objects.create(
            organization=alert.organization,
            patient=patient,
            rule_key=alert.rule_key,
            kind=alert.kind,
            severity=alert.severity,
            first_triggered_at=NOW,
            last_triggered_at=NOW,
        )


def test_different_rules_open_different_alerts(patient):
    evaluated(patient, "systolic", 190, at=ago(2))
    evaluated(patient, "heart_rate", 130, at=ago(1))
    assert sorted(Alert.objects.values_list("rule_key", flat=True)) == [
        "single:heart_rate:above",
        "single:systolic:above",
    ]


def test_evaluation_writes_one_audit_event_without_values(patient, breach):
    alerts_evaluate_readings(readings=[breach])
    event = AuditEvent.objects.get(action="alert.evaluate")
    assert event.detail == {"alerts": [Alert.objects.get().pk], "readings": 1}
    assert "190" not in str(event.detail)


def test_readings_without_alerts_write_nothing(patient):
    evaluated(patient, "systolic", 120, at=ago(1))
    assert not Alert.objects.exists()
    assert not AuditEvent.objects.filter(action="alert.evaluate").exists()


# --- average over N readings ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "expected_alert"),
    [
        ([150, 150, 150, 150, 150], True),  # average 150 ≥ 140
        ([140, 140, 140, 140, 140], True),  # edge: equal counts
        ([150, 150, 150, 150, 95], False),  # average 139, just under
        ([150, 150, 150, 150], False),  # only 4 readings: no average of 5 yet
        ([100, 100, 150, 150, 150, 150, 150], True),  # the last 5, not all
    ],
)
def test_average_of_last_five_systolic(patient, values, expected_alert):
    stored = [
        reading(patient, "systolic", v, at=ago(hours=len(values) - i)) for i, v in enumerate(values)
    ]
    alerts_evaluate_readings(readings=stored)
    alerts = Alert.objects.filter(patient=patient, kind=RuleKind.AVERAGE)
    assert alerts.exists() is expected_alert
    if expected_alert:
        assert alerts.get().detail["latest"]["average"] >= 140


def test_average_uses_readings_stored_before_this_batch(patient):
    for i in range(4):
        reading(patient, "systolic", 150, at=ago(hours=10 - i))
    evaluated(patient, "systolic", 150, at=ago(1))
    assert Alert.objects.filter(patient=patient, kind=RuleKind.AVERAGE).count() == 1


# --- weight gain ---------------------------------------------------------------------------
# The heart-failure defaults: 3 lb within 1 day and 5 lb within 7 days, two rules, two alerts.
@pytest.mark.parametrize(
    ("earlier", "latest", "expected_windows"),
    [
        ([(24, 180.0)], 183.0, {1}),  # 3 lb in 23 hours: the 1-day edge
        ([(24, 180.0)], 182.9, set()),
        ([(27, 180.0)], 183.5, set()),  # 26 hours: outside the day, and under 5 lb
        ([(6 * 24, 180.0)], 185.0, {7}),  # 5 lb in 6 days: the 7-day edge
        ([(6 * 24, 180.0)], 184.9, set()),
        ([(8 * 24, 180.0)], 186.0, set()),  # over more than 7 days
        ([(6 * 24, 180.0), (20, 182.0)], 185.5, {1, 7}),  # both at once: two alerts
        ([(20, 185.0)], 180.0, set()),  # a loss
    ],
)
def test_weight_gain_rules_each_raise_their_own_alert(patient, earlier, latest, expected_windows):
    for hours, value in earlier:
        reading(patient, "weight", value, at=ago(hours))
    evaluated(patient, "weight", latest, at=ago(1))
    alerts = Alert.objects.filter(patient=patient, kind=RuleKind.WEIGHT_GAIN)
    assert {a.rule.days for a in alerts} == expected_windows
    assert sorted(a.rule_key for a in alerts) == sorted(
        f"weight_gain:weight:above:{days}d" for days in expected_windows
    )


def test_each_weight_gain_alert_folds_its_own_later_breaches(patient):
    reading(patient, "weight", 180.0, at=ago(6 * 24))
    reading(patient, "weight", 182.0, at=ago(20))
    evaluated(patient, "weight", 185.5, at=ago(2))
    evaluated(patient, "weight", 186.0, at=ago(1))
    alerts = Alert.objects.filter(patient=patient, kind=RuleKind.WEIGHT_GAIN).order_by("rule_key")
    assert [(a.rule_text, a.breach_count) for a in alerts] == [
        ("Weight gain of 3 lb (1.4 kg) or more within 1 day", 2),
        ("Weight gain of 5 lb (2.3 kg) or more within 7 days", 2),
    ]


def test_a_patient_override_replaces_only_the_weight_gain_rule_with_its_window(patient, alice):
    services.threshold_override_set(
        patient=patient,
        by=alice,
        kind=RuleKind.WEIGHT_GAIN,
        metric="weight",
        direction=Direction.ABOVE,
        severity=Severity.WARNING,
        value=2,
        days=1,
        reason="NYHA III; cardiology wants a call at 2 lb in a day",
    )
    rules = effective_rules(patient.organization, [patient.pk])[patient.pk]
    gains = sorted((r.days, r.value, r.patient_id) for r in rules if r.kind == "weight_gain")
    assert gains == [(1, 2.0, patient.pk), (7, 5.0, None)]
    reading(patient, "weight", 180.0, at=ago(20))
    evaluated(patient, "weight", 182.0, at=ago(1))
    assert Alert.objects.get(patient=patient).rule_key == "weight_gain:weight:above:1d"


def test_the_database_holds_one_current_rule_per_weight_gain_window(org):
    threshold_defaults_ensure(organization=org)
    common = {
        "organization": org,
        "kind": RuleKind.WEIGHT_GAIN,
        "metric": "weight",
        "direction": Direction.ABOVE,
        "severity": Severity.WARNING,
    }
    ThresholdRule.objects.create(value=10, days=14, **common)  # a third window: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        ThresholdRule.objects.create(value=4, days=7, **common)
    # The window is no part of other kinds' key: one current 'no data' default, whatever N.
    with pytest.raises(IntegrityError), transaction.atomic():
        ThresholdRule.objects.create(
            organization=org, kind=RuleKind.NO_DATA, direction=Direction.BELOW, days=5
        )


# --- no data for N days --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("last_device_day_before_today", "hour", "expected_alert"),
    # Local days of device silence, whatever the hour: 23:30 two days ago is still 2 days.
    [(1, 9, False), (2, 23, False), (3, 0, True), (3, 23, True), (10, 12, True)],
)
def test_no_data_for_three_days(org, patient, last_device_day_before_today, hour, expected_alert):
    today = clock.local_day(NOW, patient.tz)
    at = clock.local_time(
        today - dt.timedelta(days=last_device_day_before_today), patient.tz, hour, 30
    )
    reading(patient, "systolic", 120, at=at)
    opened = alerts_check_no_data(organization=org, now=NOW)
    assert bool(opened) is expected_alert
    assert Alert.objects.filter(patient=patient, kind=RuleKind.NO_DATA).exists() is expected_alert


def test_no_data_check_is_idempotent_and_respects_resolution(org, patient, alice):
    reading(patient, "systolic", 120, at=NOW - dt.timedelta(days=5))
    alerts_check_no_data(organization=org, now=NOW)
    alerts_check_no_data(organization=org, now=NOW)
    alert = Alert.objects.get(patient=patient, kind=RuleKind.NO_DATA)
    services.alert_resolve(alert=alert, by=alice, note="Patient travelling", outcome=NO_ACTION)
    # Still silent an hour later: the resolved alert covers this silence.
    alerts_check_no_data(organization=org, now=NOW + dt.timedelta(hours=1))
    assert Alert.objects.filter(patient=patient, kind=RuleKind.NO_DATA).count() == 1
    # Data resumes, then stops again for 3 days: a new alert.
    reading(patient, "systolic", 120, at=NOW + dt.timedelta(hours=2))
    alerts_check_no_data(organization=org, now=NOW + dt.timedelta(days=4))
    assert Alert.objects.filter(patient=patient, kind=RuleKind.NO_DATA).count() == 2


def test_patients_never_monitored_get_no_no_data_alert(org, patient):
    assert alerts_check_no_data(organization=org, now=NOW) == []


# --- per-patient overrides -----------------------------------------------------------------
def test_patient_override_replaces_the_default(patient, alice):
    services.threshold_override_set(
        patient=patient,
        by=alice,
        kind=RuleKind.SINGLE,
        metric="systolic",
        direction=Direction.ABOVE,
        severity=Severity.WARNING,
        value=170,
        reason="Baseline hypertension; cardiology agrees 170 is acceptable",
    )
    evaluated(patient, "systolic", 165, at=ago(1))
    assert not Alert.objects.exists()
    evaluated(patient, "systolic", 171, at=ago(0.5))
    assert Alert.objects.get().severity == Severity.WARNING


def test_an_inactive_override_switches_a_default_off(patient, other_org, alice):
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
    evaluated(patient, "heart_rate", 45, at=ago(1))
    assert not Alert.objects.exists()


def test_override_history_keeps_who_when_why(patient, alice, ada):
    common = {
        "patient": patient,
        "kind": RuleKind.SINGLE,
        "metric": "systolic",
        "direction": Direction.ABOVE,
        "severity": Severity.WARNING,
    }
    first = services.threshold_override_set(by=alice, value=170, reason="first", **common)
    second = services.threshold_override_set(by=ada, value=175, reason="second", **common)
    first.refresh_from_db()
    assert (first.superseded_by, first.superseded_at is not None) == (ada, True)
    assert (second.created_by, second.reason, second.superseded_at) == (ada, "second", None)
    assert AuditEvent.objects.filter(action="threshold.override", patient=patient).count() == 2


def test_override_needs_a_reason(patient, alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Say why"):
        services.threshold_override_set(
            patient=patient,
            by=alice,
            kind=RuleKind.SINGLE,
            metric="systolic",
            direction=Direction.ABOVE,
            severity=Severity.WARNING,
            value=170,
            reason="  ",
        )


def test_another_organizations_override_does_not_apply(patient, other_patient, olga):
    services.threshold_override_set(
        patient=other_patient,
        by=olga,
        kind=RuleKind.SINGLE,
        metric="systolic",
        direction=Direction.ABOVE,
        severity=Severity.WARNING,
        value=200,
        reason="theirs",
    )
    evaluated(patient, "systolic", 165, at=ago(1))
    assert Alert.objects.get(patient=patient).severity == Severity.WARNING


# --- Celery ---------------------------------------------------------------------------------
def test_no_data_check_runs_hourly_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["care-no-data-alerts"]
    assert entry == {"task": "readings.care.tasks.alerts_check_no_data_all", "schedule": 3600.0}


def test_tasks_call_the_services(org, patient, breach):
    from readings.care import tasks

    reading(patient, "systolic", 120, at=NOW - dt.timedelta(days=4))
    assert tasks.alerts_evaluate.delay([breach.pk]).get() == 1
    assert tasks.alerts_evaluate.delay([breach.pk]).get() == 0  # idempotent
    assert Alert.objects.get(kind=RuleKind.SINGLE).breach_count == 1
    # the breach (2 h ago) is recent: no patient has been silent for 3 days
    assert tasks.alerts_check_no_data_all.delay().get() == 0


def test_a_folded_breach_is_noted_in_plain_words(patient):
    evaluated(patient, "systolic", 190, at=ago(hours=2))
    evaluated(patient, "systolic", 191, at=ago(hours=1))
    alert = Alert.objects.get(patient=patient)
    assert list(alert.events.filter(action="breach").values_list("note", flat=True)) == [
        "1 more reading"
    ]
