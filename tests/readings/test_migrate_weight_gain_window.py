"""readings 0007 (weight-gain window in the rule key): an organization still on the old portal
default (4.4 lb in 3 days) gets the heart-failure defaults, 3 lb in 1 day and 5 lb in 7 days
(the old row kept, superseded); one that changed it keeps its own; a weight-gain alert already
raised takes its rule's window into its key, so a later breach of that rule folds into it."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from readings.models import Alert, AlertReading, ThresholdRule
from tests.factories import OrganizationFactory, reading

BEFORE = [("readings", "0006_reading_local_day_and_transmitted")]  # just before 0007


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def _applied_state():
    loader = MigrationExecutor(connection).loader
    applied = [node for node in loader.applied_migrations if node in loader.graph.nodes]
    return loader.project_state(applied).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_old_weight_gain_defaults_and_alerts_move_to_windowed_rules(org, patient):
    own = OrganizationFactory(slug="own-rules")
    gained = reading(patient, "weight", 186.0, at=dt.datetime(2026, 10, 5, 14, tzinfo=dt.UTC))
    try:
        _migrate(BEFORE)
        old = _applied_state()
        rules = old.get_model("readings", "ThresholdRule").objects
        common = {"kind": "weight_gain", "metric": "weight", "direction": "above"}
        old_default = rules.create(
            organization_id=org.pk, value=4.4, days=3, reason="Portal default", **common
        )
        rules.create(organization_id=own.pk, value=4.0, days=3, reason="Portal default", **common)
        alert = old.get_model("readings", "Alert").objects.create(
            organization_id=org.pk,
            patient_id=patient.pk,
            rule_id=old_default.pk,
            rule_key="weight_gain:weight:above",
            rule_text="Weight gain of 4.4 lb (2.0 kg) or more within 3 days",
            kind="weight_gain",
            metric="weight",
            severity="warning",
            breach_count=1,
            first_triggered_at=gained.measured_at,
            last_triggered_at=gained.measured_at,
        )
        old.get_model("readings", "AlertReading").objects.create(
            alert_id=alert.pk, reading_id=gained.pk, patient_id=patient.pk, rule_key=alert.rule_key
        )
    finally:
        _migrate(_latest())

    def current(organization):
        return sorted(
            ThresholdRule.objects.filter(
                organization=organization, kind="weight_gain", superseded_at=None
            ).values_list("value", "days")
        )

    assert current(org) == [(3.0, 1), (5.0, 7)]
    assert ThresholdRule.objects.get(pk=old_default.pk).superseded_at is not None
    assert current(own) == [(4.0, 3)]
    assert Alert.objects.get().rule_key == "weight_gain:weight:above:3d"
    assert AlertReading.objects.get().rule_key == "weight_gain:weight:above:3d"
