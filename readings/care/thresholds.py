"""Thresholds: the organization's defaults, per-patient overrides with their history, and the
rules in force for a patient (cached per organization, see `effective_rules`)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import Organization, Patient
from readings.care.models import (
    Direction,
    RuleKind,
    Severity,
    ThresholdRule,
)
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


@transaction.atomic
def threshold_override_set(
    *,
    patient: Patient,
    by,
    kind: str,
    metric: str,
    direction: str,
    severity: str,
    value: float | None,
    readings_count: int | None = None,
    days: int | None = None,
    is_active: bool = True,
    reason: str,
    request=None,
) -> ThresholdRule:
    """A clinician's threshold for one patient. The previous override with the same key is
    superseded (kept, with who and when); `reason` is required."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this patient needs a different threshold."})
    now = timezone.now()
    previous = (
        ThresholdRule.objects.select_for_update()
        .filter(
            patient=patient,
            kind=kind,
            metric=metric,
            direction=direction,
            severity=severity,
            superseded_at__isnull=True,
        )
        .first()
    )
    if previous:
        previous.superseded_at = now
        previous.superseded_by = by
        previous.save(update_fields=["superseded_at", "superseded_by"])
    rule = ThresholdRule(
        organization=patient.organization,
        patient=patient,
        kind=kind,
        metric=metric,
        direction=direction,
        severity=severity,
        value=value,
        readings_count=readings_count,
        days=days,
        is_active=is_active,
        reason=reason.strip(),
        created_by=by,
    )
    _rule_checked(rule)
    rule.save()
    audit_event_record(
        action="threshold.override",
        request=request,
        actor=by,
        patient=patient,
        obj=rule,
        detail={"key": rule.rule_key, "superseded": previous.pk if previous else None},
    )
    return rule


def _rule_checked(rule: ThresholdRule) -> None:
    rule.full_clean(exclude=["organization", "patient", "created_by", "superseded_by"])
    errors = {}
    if rule.kind != RuleKind.NO_DATA and not rule.metric:
        errors["metric"] = "Choose the metric this rule watches."
    if rule.kind != RuleKind.NO_DATA and rule.value is None and rule.is_active:
        errors["value"] = "Enter the threshold value."
    if rule.kind == RuleKind.AVERAGE and not (rule.readings_count and rule.readings_count >= 2):
        errors["readings_count"] = "Average over at least 2 readings."
    if rule.kind in (RuleKind.WEIGHT_GAIN, RuleKind.NO_DATA) and not rule.days:
        errors["days"] = "Enter the number of days."
    if rule.kind == RuleKind.WEIGHT_GAIN and rule.metric != Metric.WEIGHT:
        errors["metric"] = "Weight-gain rules watch weight."
    if errors:
        raise ValidationError(errors)
