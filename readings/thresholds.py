"""Thresholds: the organization's defaults and the rules in force for a patient (cached per
organization, see `effective_rules`), read by alert evaluation at ingestion (readings.alerts).
A clinician's per-patient override is written by care (readings.care.thresholds)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection

from portal.models import Organization
from readings.models import SEVERITY_RANK, Direction, RuleKind, Severity, ThresholdRule
from readings.units import METRICS, Metric, UnitError, check_range, metric_label, to_canonical, ucum

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
    # The heart-failure fluid-retention warnings (AHA/HFSA patient advice): 3 lb in a day or
    # 5 lb in a week, each its own rule and its own alert.
    (RuleKind.WEIGHT_GAIN, Metric.WEIGHT, Direction.ABOVE, 3, None, 1, Severity.WARNING),
    (RuleKind.WEIGHT_GAIN, Metric.WEIGHT, Direction.ABOVE, 5, None, 7, Severity.WARNING),
    (RuleKind.NO_DATA, "", Direction.BELOW, None, None, 3, Severity.WARNING),
]


# --- a threshold as a clinician types it -----------------------------------------------------
# The units a threshold may be typed in, per metric; the stored value is always canonical.
THRESHOLD_UNITS = {
    Metric.WEIGHT: ("[lb_av]", "kg"),
    Metric.TEMPERATURE: ("[degF]", "Cel"),
    Metric.GLUCOSE: ("mg/dL", "mmol/L"),
}
UNIT_CHOICES = [
    ("", "The metric's usual unit"),
    ("[lb_av]", "lb"),
    ("kg", "kg"),
    ("[degF]", "°F"),
    ("Cel", "°C"),
    ("mg/dL", "mg/dL"),
    ("mmol/L", "mmol/L"),
]
_UNIT_TEXT = dict(UNIT_CHOICES[1:])
# A weight gain worth an alert, in lb: under half a pound is scale noise (every weigh-in would
# alarm); over 50 lb no fluid gain would ever reach it.
WEIGHT_GAIN_RANGE = (0.5, 50.0)


def threshold_value_canonical(*, kind: str, metric: str, value: float, unit: str) -> float:
    """`value` typed in `unit` (blank: the metric's canonical unit), converted to the canonical
    unit. A unit the metric does not take, or a value no real threshold could have (a
    temperature threshold of 38 typed as °F, meant as °C), is a ValidationError naming the
    field: a threshold that can never fire, or always fires, is refused rather than stored."""
    info = METRICS.get(metric)
    if info is None:
        return value
    code = ucum(unit) if unit else info.unit
    allowed = THRESHOLD_UNITS.get(metric, (info.unit,))
    if code not in allowed:
        raise ValidationError(
            {
                "unit": f"{metric_label(metric)} thresholds are entered in "
                + " or ".join(_UNIT_TEXT.get(u, info.unit_label) for u in allowed)
                + "."
            }
        )
    try:
        canonical, _ = to_canonical(metric, value, code)
    except UnitError as exc:  # unreachable with the table above; kept as a refusal, not a 500
        raise ValidationError({"unit": str(exc)}) from None
    typed = f"{value:g} {_UNIT_TEXT.get(code, info.unit_label)}"
    if kind == RuleKind.WEIGHT_GAIN:
        low, high = WEIGHT_GAIN_RANGE
        if not low <= canonical <= high:
            raise ValidationError(
                {
                    "value": f"A weight gain of {typed} is not a usable threshold: enter "
                    f"between {low:g} and {high:g} lb ({low * 0.4536:.1f} to "
                    f"{high * 0.4536:.0f} kg)."
                }
            )
        return canonical
    problem = check_range(metric, canonical)
    if problem is None:
        return canonical
    message = (
        f"{typed} is not a possible {metric_label(metric).lower()} threshold "
        f"({info.low:g} to {info.high:g} {info.unit_label})."
    )
    for other in allowed:
        if other != code and check_range(metric, to_canonical(metric, value, other)[0]) is None:
            message += f" Did you mean {value:g} {_UNIT_TEXT[other]}? Choose that unit."
            break
    raise ValidationError({"value": message})


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
    whatever the number of patients. The lists (patients without an override share one) and
    the rule objects are shared: read them, never change them."""
    defaults, overrides = _organization_rules(organization)
    return _in_force(defaults, overrides, patient_ids)


def cached_rules_in_force(organization_id: int, patient_id: int):
    """(the token, the patient's rules in force) as this process last read them, or None when
    it has not: no query. The caller must check the token is still the organization's in the
    transaction that relies on the rules (readings.api.fast_heart_rate does, in its one
    statement), as effective_rules does by reading it."""
    cached = _cache.get(organization_id)
    if cached is None:
        return None
    version, defaults, overrides = cached
    return version, _in_force(defaults, overrides, [patient_id])[patient_id]


def _in_force(defaults, overrides, patient_ids) -> dict[int, list[ThresholdRule]]:
    # Most patients have no override: they share one list (a page of a pull names hundreds of
    # patients, and rebuilding the defaults for each was most of the look-up's time).
    shared = [r for r in defaults if r.is_active]
    default_keys = {d.override_key for d in defaults}
    out = {}
    for pid in patient_ids:
        mine = overrides.get(pid)
        if not mine:
            out[pid] = shared
            continue
        rules = [mine.get(r.override_key, r) for r in defaults]
        rules += [r for key, r in mine.items() if key not in default_keys]
        out[pid] = [r for r in rules if r.is_active]
    return out


def single_rules_for(rules: list[ThresholdRule], metric: str) -> list[ThresholdRule]:
    """The single-reading rules of `metric` among a patient's rules in force, most severe
    first: the lines a chart draws and what makes a reading out of range."""
    found = [r for r in rules if r.kind == RuleKind.SINGLE and r.metric == metric]
    found = [r for r in found if r.value is not None]
    return sorted(found, key=lambda r: (-SEVERITY_RANK[r.severity], r.direction, r.value))


def rule_crossed(rules: list[ThresholdRule], metric: str, value: float | None):
    """The most severe single-reading rule in force that `value` crosses, or None."""
    if value is None:
        return None
    for rule in single_rules_for(rules, metric):
        if value >= rule.value if rule.direction == Direction.ABOVE else value <= rule.value:
            return rule
    return None


def organization_rules_in_force(organization):
    """(the defaults in force — what a patient without overrides has —, {patient_id: rules in
    force} for each patient with an override), from the cache when it is current."""
    defaults, overrides = _organization_rules(organization)
    return [r for r in defaults if r.is_active], _in_force(defaults, overrides, sorted(overrides))
