"""FHIR R4 `Observation` resources in the vital-signs profiles
(http://hl7.org/fhir/R4/observation-vitalsigns.html): LOINC code, UCUM `valueQuantity`,
`effectiveDateTime` with the patient's offset, blood pressure as one Observation with systolic
and diastolic components. Glucose and steps are not R4 vital signs: they are exported without a
vital-signs profile (category `laboratory` and `activity`)."""

from __future__ import annotations

from datetime import UTC

from readings.models import Reading
from readings.units import BP_PANEL_LOINC, METRICS, Metric, unit_label

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
_SD = "http://hl7.org/fhir/StructureDefinition/"
VITAL_SIGNS_PROFILE = _SD + "vitalsigns"
# The R4 profile of each vital sign; a vital sign without its own profile (a systolic whose
# diastolic is missing, the mean arterial pressure) claims the base vital-signs profile.
PROFILES = {
    Metric.HEART_RATE: _SD + "heartrate",
    Metric.WEIGHT: _SD + "bodyweight",
    Metric.SPO2: _SD + "oxygensat",
    Metric.TEMPERATURE: _SD + "bodytemp",
    Metric.RESPIRATORY_RATE: _SD + "resprate",
    Metric.SYSTOLIC: VITAL_SIGNS_PROFILE,
    Metric.DIASTOLIC: VITAL_SIGNS_PROFILE,
    Metric.MEAN_ARTERIAL_PRESSURE: VITAL_SIGNS_PROFILE,
    "bp": _SD + "bp",
}
CATEGORIES = {Metric.GLUCOSE: "laboratory", Metric.STEPS: "activity"}  # others: vital-signs
# Codings a profile fixes besides the reading's own LOINC code: the R4 oxygensat profile
# requires 2708-6; a pulse oximeter's reading is the more specific 59408-5, kept beside it.
PROFILE_CODINGS = {Metric.SPO2: [("2708-6", "Oxygen saturation in Arterial blood")]}
BP_PAIR = (Metric.SYSTOLIC, Metric.DIASTOLIC)


def _effective(reading: Reading) -> str:
    local = reading.local_measured_at
    if local.utcoffset().total_seconds() % 60:
        # A FHIR dateTime's offset is hours and minutes: an offset with seconds (never sent
        # by a real device) cannot be written, so the instant is given in UTC instead.
        local = reading.measured_at.astimezone(UTC)
    return local.isoformat()


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit_label(unit), "system": UCUM, "code": unit}


def _concept(metric: str) -> dict:
    info = METRICS[metric]
    codings = [
        {"system": LOINC, "code": code, "display": display}
        for code, display in PROFILE_CODINGS.get(metric, [])
    ]
    codings.append({"system": LOINC, "code": info.loinc, "display": info.loinc_display})
    return {"coding": codings, "text": info.loinc_display}


def _base(reading: Reading, resource_id: str, profile_key) -> dict:
    category = CATEGORIES.get(reading.metric, "vital-signs")
    resource = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": category}], "text": category}],
        "subject": {"reference": f"Patient/{reading.patient_id}"},
        "effectiveDateTime": _effective(reading),
    }
    if profile_key in PROFILES:
        resource["meta"] = {"profile": [PROFILES[profile_key]]}
    if reading.device_id:
        resource["device"] = {"display": reading.device.identifier}
    return resource


def _blood_pressure(systolic: Reading, diastolic: Reading) -> dict:
    resource = _base(systolic, f"bp-{systolic.pk}", "bp")
    resource["code"] = {
        "coding": [{"system": LOINC, "code": BP_PANEL_LOINC[0], "display": BP_PANEL_LOINC[1]}],
        "text": "Blood pressure",
    }
    resource["component"] = [
        {"code": _concept(r.metric), "valueQuantity": _quantity(r.value, r.unit)}
        for r in (systolic, diastolic)
    ]
    return resource


def _single(reading: Reading) -> dict:
    resource = _base(reading, f"reading-{reading.pk}", reading.metric)
    resource["code"] = _concept(reading.metric)
    resource["valueQuantity"] = _quantity(reading.value, reading.unit)
    return resource


def observations(readings: list[Reading]) -> list[dict]:
    """Observations for `readings` (ordered as given). A systolic and a diastolic of one
    measurement group become one BP Observation (the bp profile needs both); one without its
    partner is its own Observation under the base vital-signs profile, never dropped.
    Non-canonical metrics (no LOINC) and text-only readings are left out."""
    exportable = [r for r in readings if r.value is not None and r.metric in METRICS]
    groups: dict[tuple, dict[str, Reading]] = {}
    for reading in exportable:
        if reading.metric in BP_PAIR and reading.measurement_group:
            group = groups.setdefault((reading.patient_id, reading.measurement_group), {})
            group.setdefault(reading.metric, reading)  # a repeated systolic stays single
    out = []
    for reading in exportable:
        pair = groups.get((reading.patient_id, reading.measurement_group), {})
        paired = len(pair) == 2 and any(reading is r for r in pair.values())
        if not paired:
            out.append(_single(reading))
        elif reading.metric == Metric.SYSTOLIC:  # the pair's diastolic is in this one
            out.append(_blood_pressure(pair[Metric.SYSTOLIC], pair[Metric.DIASTOLIC]))
    return out


def bundle(resources: list[dict], *, self_url: str, next_url: str | None) -> dict:
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"urn:vitals-portal:Observation/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
