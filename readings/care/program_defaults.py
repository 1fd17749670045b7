"""The alert rules each built-in program gives a patient on enrolment. They are written as the
patient's threshold overrides (readings.care.thresholds), like any clinician's change: with who,
when and why ("program default: <program>"), replacing the organization's rule with the same
key, and changed later on the patient's thresholds page like any other. A program the
organization made itself has none: its patients keep the organization's rules.

Values are in each metric's canonical unit (lb, mg/dL, %, mm[Hg]); `Direction.ABOVE` is "at or
above", `BELOW` "at or below" (readings.alert_models). The organization's defaults they refine
are readings.thresholds.DEFAULT_RULES. These are starting points a clinic's physicians review,
not orders; the sources say where each number comes from."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from readings.care.thresholds import threshold_override_set
from readings.models import Direction, RuleKind, Severity, ThresholdRule
from readings.units import Metric


@dataclass(frozen=True)
class DefaultRule:
    kind: str
    metric: str
    direction: str
    value: float
    severity: str
    readings_count: int | None = None
    days: int | None = None


PROGRAM_DEFAULTS: dict[str, tuple[DefaultRule, ...]] = {
    # 2017 ACC/AHA High Blood Pressure Guideline, Table 11: a home average of 135/85 mm Hg
    # corresponds to 140/90 in the office (stage 2 threshold). Averaged over 5 readings, so one
    # high morning reading does not alert; the single-reading crisis limits (180/110) stay the
    # organization's.
    "hypertension": (
        DefaultRule(RuleKind.AVERAGE, Metric.SYSTOLIC, Direction.ABOVE, 135, Severity.WARNING, 5),
        DefaultRule(RuleKind.AVERAGE, Metric.DIASTOLIC, Direction.ABOVE, 85, Severity.WARNING, 5),
    ),
    # Heart failure fluid retention: HFSA and AHA patient guidance ("call if you gain 2-3 lb in
    # a day or 5 lb in a week"); 2 lb in a day is the tighter end (2022 AHA/ACC/HFSA HF
    # guideline, self-care section, daily weights). Each window is its own rule and alert.
    "heart_failure": (
        DefaultRule(
            RuleKind.WEIGHT_GAIN, Metric.WEIGHT, Direction.ABOVE, 2, Severity.WARNING, days=1
        ),
        DefaultRule(
            RuleKind.WEIGHT_GAIN, Metric.WEIGHT, Direction.ABOVE, 5, Severity.WARNING, days=7
        ),
    ),
    # ADA Standards of Care in Diabetes 2025, section 6: level 1 hypoglycaemia < 70 mg/dL and
    # level 2 < 54 mg/dL (the organization's rules already alert at both); above 250 mg/dL the
    # ADA advises checking ketones (type 1) and contacting the care team, so warn there,
    # before the organization's critical 300.
    "diabetes": (
        DefaultRule(RuleKind.SINGLE, Metric.GLUCOSE, Direction.ABOVE, 250, Severity.WARNING),
    ),
    # GOLD 2025 report and the BTS oxygen guideline (2017): a target saturation of 88-92 % for
    # people with COPD at risk of hypercapnia. The organization's warning at 92 % would alert
    # on a COPD patient's usual readings; warn below the target range (87 % or less) and
    # raise a critical alert at 84 % or less.
    "copd": (
        DefaultRule(RuleKind.SINGLE, Metric.SPO2, Direction.BELOW, 87, Severity.WARNING),
        DefaultRule(RuleKind.SINGLE, Metric.SPO2, Direction.BELOW, 84, Severity.CRITICAL),
    ),
}


def program_defaults_for(program) -> tuple[DefaultRule, ...]:
    """The default rules of a built-in program; none for an organization's own program."""
    if program is None or not program.is_built_in:
        return ()
    return PROGRAM_DEFAULTS.get(program.code, ())


@transaction.atomic
def program_defaults_apply(*, patient, by, request=None) -> list[ThresholdRule]:
    """Write the patient's program defaults as their overrides (superseding an earlier override
    with the same key, kept with its history)."""
    reason = f"program default: {patient.program.name}" if patient.program else ""
    return [
        threshold_override_set(
            patient=patient,
            by=by,
            kind=rule.kind,
            metric=rule.metric,
            direction=rule.direction,
            severity=rule.severity,
            value=rule.value,
            readings_count=rule.readings_count,
            days=rule.days,
            reason=reason,
            request=request,
        )
        for rule in program_defaults_for(patient.program)
    ]
