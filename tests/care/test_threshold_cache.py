"""The rules in force are cached per process under the organization's `thresholds_version`
token: every way of writing a rule (service, Django admin, deletion) must be seen by the very
next evaluation, and a cached evaluation must not read the rules table."""

import datetime as dt
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from readings.care import services
from readings.models import Alert, Direction, RuleKind, Severity, ThresholdRule
from readings.thresholds import threshold_defaults_ensure
from tests.factories import evaluated

NOW = dt.datetime.now(tz=dt.UTC)


def ago(hours):
    return NOW - dt.timedelta(hours=hours)


def hr_default(org, direction=Direction.ABOVE, severity=Severity.WARNING):
    return ThresholdRule.objects.get(
        organization=org,
        patient=None,
        kind=RuleKind.SINGLE,
        metric="heart_rate",
        direction=direction,
        severity=severity,
    )


def test_a_cached_evaluation_reads_no_rule(patient):
    evaluated(patient, "heart_rate", 72, at=ago(3))  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        evaluated(patient, "heart_rate", 73, at=ago(2))
    assert not [q for q in queries.captured_queries if "care_thresholdrule" in q["sql"]]
    assert [q for q in queries.captured_queries if "thresholds_version" in q["sql"]]


def test_an_admin_edit_in_place_is_seen_by_the_next_reading(patient):
    evaluated(patient, "heart_rate", 100, at=ago(3))
    assert not Alert.objects.filter(patient=patient).exists()
    rule = hr_default(patient.organization)
    rule.value = 95  # what Django admin's change form does: save() on the same row
    rule.save()
    evaluated(patient, "heart_rate", 100, at=ago(2))
    assert [a.rule_text for a in Alert.objects.filter(patient=patient)] == [rule.describe()]


def test_a_patient_override_is_seen_by_the_next_reading(patient, alice):
    evaluated(patient, "heart_rate", 100, at=ago(3))
    services.threshold_override_set(
        patient=patient,
        by=alice,
        kind=RuleKind.SINGLE,
        metric="heart_rate",
        direction=Direction.ABOVE,
        severity=Severity.WARNING,
        value=90,
        reason="Beta-blocker started; tighter watch.",
    )
    evaluated(patient, "heart_rate", 100, at=ago(2))
    assert Alert.objects.filter(patient=patient, severity=Severity.WARNING).count() == 1


def test_a_deleted_rule_stops_alerting_at_the_next_reading(patient):
    evaluated(patient, "heart_rate", 72, at=ago(3))
    hr_default(patient.organization, Direction.BELOW, Severity.WARNING).delete()
    evaluated(patient, "heart_rate", 45, at=ago(2))  # 45 would cross "below 50" only
    assert not Alert.objects.filter(patient=patient).exists()


def test_the_token_changes_with_each_write_and_only_for_that_organization(patient, org, other_org):
    threshold_defaults_ensure(organization=other_org)
    org.refresh_from_db()
    other_org.refresh_from_db()
    before, other_before = org.thresholds_version, other_org.thresholds_version
    threshold_defaults_ensure(organization=org)  # creates the defaults: a write
    rule = hr_default(org)
    rule.save()
    org.refresh_from_db()
    other_org.refresh_from_db()
    assert isinstance(org.thresholds_version, uuid.UUID)
    assert org.thresholds_version != before
    assert other_org.thresholds_version == other_before
