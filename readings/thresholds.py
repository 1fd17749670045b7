"""Thresholds: the organization's defaults and the rules in force for a patient (cached per
organization, see `effective_rules`), read by alert evaluation at ingestion (readings.alerts).
A clinician's per-patient override is written by care (readings.care.thresholds)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.db import connection

from portal.models import Organization
from readings.models import Direction, RuleKind, Severity, ThresholdRule
from readings.units import Metric

# The organization's default thresholds, created once per organization (see
# threshold_defaults_ensure). Values are in each metric's canonical unit (weight in lb).
DEFAULT_RULES = [
    # (kind, metric, direction, value, readings_count, days, severity)
    (RuleKind.SINGLE, Metric.SYSTOLIC, Direction.ABOVE, 180, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.SYSTOLIC, Direction.BELOW, 90, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.SYSTOLIC, Direction.ABOVE, 160, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.DIASTOLIC, Direction.ABOVE, 110, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.DIASTOLIC, Direction.ABOVE, 100, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.ABOVE, 120, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.BELOW, 40, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.ABOVE, 110, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.BELOW, 50, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.SPO2, Direction.BELOW, 88, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.SPO2, Direction.BELOW, 92, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.GLUCOSE, Direction.ABOVE, 300, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.GLUCOSE, Direction.BELOW, 54, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.GLUCOSE, Direction.BELOW, 70, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.TEMPERATURE, Direction.ABOVE, 100.4, None, None, Severity.WARNING),
    (RuleKind.AVERAGE, Metric.SYSTOLIC, Direction.ABOVE, 140, 5, None, Severity.WARNING),
    # 2 kg (4.4 lb) in 3 days: the usual heart-failure fluid-retention warning.
    (RuleKind.WEIGHT_GAIN, Metric.WEIGHT, Direction.ABOVE, 4.4, None, 3, Severity.WARNING),
    (RuleKind.NO_DATA, "", Direction.BELOW, None, None, 3, Severity.WARNING),
]


# --- the rules in force -------------------------------------------------------------------
def threshold_defaults_ensure(*, organization) -> int:
    """Create the default rules for an organization that has none (idempotent)."""
    if ThresholdRule.objects.filter(organization=organization, patient=None).exists():
        return 0
    rows = [
        ThresholdRule(
            organization=organization,
            kind=kind,
            metric=metric,
            direction=direction,
            value=value,
            readings_count=count,
            days=days,
            severity=severity,
            reason="Portal default",
        )
        for kind, metric, direction, value, count, days, severity in DEFAULT_RULES
    ]
    ThresholdRule.objects.bulk_create(rows, ignore_conflicts=True)
    thresholds_changed(organization.pk)  # bulk_create sends no post_save
    return len(rows)


# Rules change a few times a day and are read for every stored reading. Each organization row
# carries `thresholds_version`, a token replaced in the same transaction as any write to one of
# its rules (`thresholds_changed`, called from the post_save/post_delete signals in apps.py and
# by threshold_defaults_ensure); each process keeps the rules it read last under that token and
# reads the token — one indexed primary-key look-up — in the caller's transaction. So a reading
# is evaluated against exactly the rules it would have read from the table then, and an edit
# (page, API or Django admin) is seen by every process at its next reading.
_cache: dict[int, tuple[uuid.UUID, list[ThresholdRule], dict[int, dict[tuple, ThresholdRule]]]]
_cache = {}


def thresholds_changed(organization_id: int) -> None:
    Organization.objects.filter(pk=organization_id).update(thresholds_version=uuid.uuid4())


def rule_written(sender, instance, **kwargs):
    """post_save/post_delete receiver for ThresholdRule (connected in apps.py)."""
    thresholds_changed(instance.organization_id)


def _version(organization_id: int) -> uuid.UUID | None:
    # A bare cursor: this runs for every ingested reading, and the ORM's compile step costs
    # more than the look-up itself.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT thresholds_version FROM {Organization._meta.db_table} WHERE id = %s",  # noqa: S608 — our table name
            [organization_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0]))


def _organization_rules(organization):
    """(defaults, {patient_id: {override_key: rule}}) of current rules, from the cache when
    the organization's token has not changed."""
    version = _version(organization.pk)
    cached = _cache.get(organization.pk)
    if cached is not None and version is not None and cached[0] == version:
        return cached[1], cached[2]
    if threshold_defaults_ensure(organization=organization):
        version = _version(organization.pk)
    defaults: list[ThresholdRule] = []
    overrides: dict[int, dict[tuple, ThresholdRule]] = defaultdict(dict)
    for rule in ThresholdRule.objects.filter(organization=organization, superseded_at=None):
        if rule.patient_id is None:
            defaults.append(rule)
        else:
            overrides[rule.patient_id][rule.override_key] = rule
    if version is not None:
        _cache[organization.pk] = (version, defaults, dict(overrides))
    return defaults, overrides


def effective_rules(organization, patient_ids) -> dict[int, list[ThresholdRule]]:
    """Per patient, the rules in force: the organization's defaults, each replaced by the
    patient's override with the same key (an inactive override switches the default off).
    One primary-key look-up when the organization's rules are cached, two queries when not,
    whatever the number of patients. The rule objects are shared: read them, never change
    them."""
    defaults, overrides = _organization_rules(organization)
    default_keys = {d.override_key for d in defaults}
    out = {}
    for pid in patient_ids:
        mine = overrides.get(pid, {})
        rules = [mine.get(r.override_key, r) for r in defaults]
        rules += [r for key, r in mine.items() if key not in default_keys]
        out[pid] = [r for r in rules if r.is_active]
    return out
