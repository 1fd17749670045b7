"""Thresholds a clinician sets for one patient: an override with its reason, superseding the
previous one (kept, with who and when). The defaults and the rules in force live with alert
evaluation, in readings.thresholds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import Patient
from readings.models import WINDOW_KEY, RuleKind, ThresholdRule
from readings.thresholds import threshold_value_canonical
from readings.units import Metric, ucum


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
    unit: str = "",
    readings_count: int | None = None,
    days: int | None = None,
    is_active: bool = True,
    reason: str,
    request=None,
) -> ThresholdRule:
    """A clinician's threshold for one patient. `value` is typed in `unit` (blank: the
    metric's canonical unit) and stored converted, with what was typed. The previous override
    with the same key (a weight-gain rule's window included) is superseded (kept, with who and
    when); `reason` is required."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this patient needs a different threshold."})
    entered_value, entered_unit = value, (ucum(unit) or unit) if unit else ""
    if value is not None and kind != RuleKind.NO_DATA:
        value = threshold_value_canonical(kind=kind, metric=metric, value=value, unit=unit)
    now = timezone.now()
    probe = ThresholdRule(kind=kind, days=days)
    previous = (
        ThresholdRule.objects.select_for_update()
        .alias(window=WINDOW_KEY)
        .filter(
            patient=patient,
            kind=kind,
            metric=metric,
            direction=direction,
            severity=severity,
            window=probe.window,
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
        entered_value=entered_value,
        entered_unit=entered_unit,
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
