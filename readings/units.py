"""Metrics, their LOINC codes and UCUM units, and the conversions from vendor units.

Every reading is stored in its metric's canonical UCUM unit, so one chart/export never mixes
pounds and kilograms. The canonical units are the ones US care teams read (lb, °F, mg/dL).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Metric(models.TextChoices):
    HEART_RATE = "heart_rate", "Heart rate"
    SYSTOLIC = "systolic", "Systolic BP"
    DIASTOLIC = "diastolic", "Diastolic BP"
    MEAN_ARTERIAL_PRESSURE = "mean_arterial_pressure", "Mean arterial pressure"
    WEIGHT = "weight", "Weight"
    SPO2 = "spo2", "SpO₂"
    GLUCOSE = "glucose", "Blood glucose"
    TEMPERATURE = "temperature", "Body temperature"
    RESPIRATORY_RATE = "respiratory_rate", "Respiratory rate"
    STEPS = "steps", "Steps"


@dataclass(frozen=True)
class MetricInfo:
    loinc: str
    loinc_display: str
    unit: str  # canonical UCUM code
    unit_label: str  # what staff read
    low: float  # physiologically possible range: outside it the value is refused
    high: float
    alert_low: float | None  # default thresholds: outside them a value is "out of range"
    alert_high: float | None
    integer: bool = False


METRICS: dict[str, MetricInfo] = {
    Metric.HEART_RATE: MetricInfo("8867-4", "Heart rate", "/min", "bpm", 20, 300, 50, 110, True),
    Metric.SYSTOLIC: MetricInfo(
        "8480-6", "Systolic blood pressure", "mm[Hg]", "mmHg", 40, 300, 90, 160, True
    ),
    Metric.DIASTOLIC: MetricInfo(
        "8462-4", "Diastolic blood pressure", "mm[Hg]", "mmHg", 20, 200, 50, 100, True
    ),
    Metric.MEAN_ARTERIAL_PRESSURE: MetricInfo(
        "8478-0", "Mean blood pressure", "mm[Hg]", "mmHg", 30, 250, 65, 110
    ),
    Metric.WEIGHT: MetricInfo("29463-7", "Body weight", "[lb_av]", "lb", 2, 1000, None, None),
    Metric.SPO2: MetricInfo(
        "59408-5",
        "Oxygen saturation in Arterial blood by Pulse oximetry",
        "%",
        "%",
        50,
        100,
        90,
        None,
    ),
    Metric.GLUCOSE: MetricInfo(
        "2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", "mg/dL", 10, 1000, 70, 250
    ),
    Metric.TEMPERATURE: MetricInfo(
        "8310-5", "Body temperature", "[degF]", "°F", 80, 115, 95, 100.4
    ),
    Metric.RESPIRATORY_RATE: MetricInfo(
        "9279-1", "Respiratory rate", "/min", "breaths/min", 2, 80, 10, 28, True
    ),
    Metric.STEPS: MetricInfo(
        "55423-8", "Number of steps", "{steps}", "steps", 0, 200000, None, None, True
    ),
}

BP_PANEL_LOINC = ("85354-9", "Blood pressure panel with all children optional")

# Vendor unit spellings → (UCUM code, factor-or-function to the canonical unit of a metric).
UNIT_ALIASES = {
    "percent": "%",
    "%": "%",
    "bpm": "/min",
    "beats/min": "/min",
    "/min": "/min",
    "breaths/min": "/min",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "[lb_av]": "[lb_av]",
    "kg": "kg",
    "kilograms": "kg",
    "g": "g",
    "mmhg": "mm[Hg]",
    "mm[hg]": "mm[Hg]",
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "f": "[degF]",
    "°f": "[degF]",
    "fahrenheit": "[degF]",
    "[degf]": "[degF]",
    "c": "Cel",
    "°c": "Cel",
    "celsius": "Cel",
    "cel": "Cel",
    "steps": "{steps}",
    "{steps}": "{steps}",
    "count": "{steps}",
}

_CONVERSIONS = {
    ("kg", "[lb_av]"): lambda v: v / 0.45359237,
    ("g", "[lb_av]"): lambda v: v / 453.59237,
    ("mmol/L", "mg/dL"): lambda v: v * 18.016,
    ("Cel", "[degF]"): lambda v: v * 9 / 5 + 32,
}


class UnitError(ValueError):
    pass


def ucum(unit: str | None) -> str | None:
    """The UCUM code for a vendor's unit spelling, or None when it is not one we know."""
    if unit is None:
        return None
    return UNIT_ALIASES.get(unit.strip().lower())


# The unit a source's own document fixes for a metric it sends without a unit: the only case in
# which a value without a unit is stored. Anything else without a unit is refused (422 naming
# the unit field): a unit is never guessed (Validic glucose 12 is not 12 mg/dL, patient-graph
# weight "82" is not 82 lb).
DOCUMENT_UNITS: dict[tuple[str, str], str] = {
    # Validic Inform, seed 004 "Smart Meter Data": spo2 is sent in "percent", pulse in "bpm".
    ("validic", Metric.SPO2): "%",
    ("validic", Metric.HEART_RATE): "/min",
    # Impilo, seed 000: `heartRate` is "the heart rate measurement value", an integer with no
    # unit field; the reading object's systolic/diastolic likewise carry none (mm[Hg]). Weight
    # comes with `weightUnit`, and without it is refused.
    ("impilo", Metric.HEART_RATE): "/min",
    ("impilo", Metric.SYSTOLIC): "mm[Hg]",
    ("impilo", Metric.DIASTOLIC): "mm[Hg]",
    # patient-graph (seed 002): `unit` is free text and fixes nothing: no entry.
}


def document_unit(source: str, metric: str) -> str | None:
    """The unit `source`'s document fixes for `metric`, or None (then a unit must be sent).
    Staff's manual entry form names the canonical unit beside each metric (readings.forms)."""
    if source == "manual":
        return METRICS[metric].unit
    return DOCUMENT_UNITS.get((source, metric))


def to_canonical(metric: str, value: float, unit: str | None) -> tuple[float, str]:
    """(value, UCUM unit) in the metric's canonical unit. A missing unit is a UnitError (the
    caller first asks document_unit); so is an unknown or incompatible one: never guessed."""
    info = METRICS[metric]
    if unit is None or unit.strip() == "":
        raise UnitError(f"a unit is required for {metric_label(metric).lower()}")
    code = ucum(unit)
    if code is None:
        raise UnitError(f"unit '{unit}' is not a unit we know for {metric}")
    if code == info.unit:
        return value, code
    convert = _CONVERSIONS.get((code, info.unit))
    if convert is None:
        raise UnitError(f"unit '{unit}' cannot be used for {metric} (expected {info.unit_label})")
    return round(convert(value), 2), info.unit


# Vendor metric names → our metrics (Validic `type`, patient-graph `metric_key`).
METRIC_ALIASES = {
    "pulse": Metric.HEART_RATE,
    "heart_rate": Metric.HEART_RATE,
    "heartrate": Metric.HEART_RATE,
    "systolic": Metric.SYSTOLIC,
    "blood_pressure_systolic": Metric.SYSTOLIC,
    "diastolic": Metric.DIASTOLIC,
    "blood_pressure_diastolic": Metric.DIASTOLIC,
    "mean_arterial_pressure": Metric.MEAN_ARTERIAL_PRESSURE,
    "map": Metric.MEAN_ARTERIAL_PRESSURE,
    "weight": Metric.WEIGHT,
    "body_weight": Metric.WEIGHT,
    "spo2": Metric.SPO2,
    "oxygen_saturation": Metric.SPO2,
    "blood_glucose": Metric.GLUCOSE,
    "glucose": Metric.GLUCOSE,
    "body_temperature": Metric.TEMPERATURE,
    "temperature": Metric.TEMPERATURE,
    "respiratory_rate": Metric.RESPIRATORY_RATE,
    "steps": Metric.STEPS,
}


def known_metric(name: str) -> str | None:
    return METRIC_ALIASES.get(name.strip().lower())


def metric_label(metric: str) -> str:
    try:
        return Metric(metric).label
    except ValueError:
        return metric.replace("_", " ").capitalize()


def unit_label(unit: str) -> str:
    for info in METRICS.values():
        if info.unit == unit:
            return info.unit_label
    return unit


def check_range(metric: str, value: float) -> str | None:
    """Why `value` cannot be a real `metric` reading, or None."""
    info = METRICS.get(metric)
    if info is None:
        return None
    if not info.low <= value <= info.high:
        return (
            f"{value:g} {info.unit_label} is outside the possible range for "
            f"{metric_label(metric).lower()} ({info.low:g} to {info.high:g} {info.unit_label})"
        )
    return None


def is_out_of_range(metric: str, value: float | None) -> bool:
    info = METRICS.get(metric)
    if info is None or value is None:
        return False
    return (info.alert_low is not None and value < info.alert_low) or (
        info.alert_high is not None and value > info.alert_high
    )
