"""Thresholds and alerts moved from care to readings (readings 0004, care 0004: state only).
A database that already holds them loses nothing: rows written by the care models before the
move are read back through readings' models after it, and the permissions granted on the
moved models still hold."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from readings.models import Alert, AlertEvent, AlertReading, ThresholdRule
from tests.factories import reading

BEFORE_THE_MOVE = [
    ("care", "0003_roster_state"),
    ("readings", "0003_impilo_once_per_device_instant"),
]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def _applied_state():
    """The models as the migrations applied now have them (every app, not only care)."""
    loader = MigrationExecutor(connection).loader
    applied = [node for node in loader.applied_migrations if node in loader.graph.nodes]
    return loader.project_state(applied).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it(org, patient):
    breach = reading(patient, "systolic", 190, at=dt.datetime(2026, 10, 5, 14, tzinfo=dt.UTC))
    try:
        _migrate(BEFORE_THE_MOVE)
        old = _applied_state()
        rule = old.get_model("care", "ThresholdRule").objects.create(
            organization_id=org.pk,
            patient_id=patient.pk,
            kind="single",
            metric="systolic",
            direction="above",
            value=170,
            severity="critical",
            reason="Known hypertensive",
            created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        )
        alert = old.get_model("care", "Alert").objects.create(
            organization_id=org.pk,
            patient_id=patient.pk,
            rule_id=rule.pk,
            rule_key="single:systolic:above",
            rule_text="Systolic BP at or above 170 mmHg",
            kind="single",
            metric="systolic",
            severity="critical",
            status="acknowledged",
            breach_count=1,
            first_triggered_at=breach.measured_at,
            last_triggered_at=breach.measured_at,
        )
        old.get_model("care", "AlertReading").objects.create(
            alert_id=alert.pk, reading_id=breach.pk, patient_id=patient.pk, rule_key=alert.rule_key
        )
        old.get_model("care", "AlertEvent").objects.create(
            alert_id=alert.pk, action="acknowledged", note="Called the patient"
        )
        care_alert = old.get_model("contenttypes", "ContentType").objects.get(
            app_label="care", model="alert"
        )
        permission = old.get_model("auth", "Permission").objects.get(
            content_type=care_alert, codename="view_alert"
        )
        old.get_model("auth", "Group").objects.create(name="Alert readers").permissions.add(
            permission
        )
    finally:
        _migrate(_latest())
    ContentType.objects.clear_cache()

    moved = Alert.objects.get()
    assert (moved.pk, moved.patient, moved.status, moved.rule_key, moved.breach_count) == (
        alert.pk,
        patient,
        "acknowledged",
        "single:systolic:above",
        1,
    )
    assert moved.rule == ThresholdRule.objects.get(pk=rule.pk)
    assert (moved.rule.patient, moved.rule.value, moved.rule.reason) == (
        patient,
        170,
        "Known hypertensive",
    )
    assert list(moved.readings.all()) == [breach]
    assert AlertReading.objects.get().rule_key == "single:systolic:above"
    assert [(e.action, e.note) for e in AlertEvent.objects.filter(alert=moved)] == [
        ("acknowledged", "Called the patient")
    ]
    # The content type moved with the model: same row, so the group keeps its permission.
    assert ContentType.objects.get_for_model(Alert).pk == care_alert.pk
    assert not ContentType.objects.filter(app_label="care", model="alert").exists()
    granted = Group.objects.get(name="Alert readers").permissions
    assert list(granted.values_list("content_type__app_label", "codename")) == [
        ("readings", "view_alert")
    ]
