"""FHIR R4 `Observation` resources in the vital-signs profile: LOINC code, UCUM
`valueQuantity`, `effectiveDateTime` with the patient's offset, blood pressure as one
Observation with systolic and diastolic components."""

from __future__ import annotations

from readings.models import Reading
from readings.units import BP_PANEL_LOINC, METRICS, Metric, unit_label

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
PROFILES = {
    Metric.HEART_RATE: "http://hl7.org/fhir/StructureDefinition/heartrate",
    Metric.WEIGHT: "http://hl7.org/fhir/StructureDefinition/bodyweight",
    Metric.SPO2: "http://hl7.org/fhir/StructureDefinition/oxygensat",
    Metric.TEMPERATURE: "http://hl7.org/fhir/StructureDefinition/bodytemp",
    Metric.RESPIRATORY_RATE: "http://hl7.org/fhir/StructureDefinition/resprate",
    "bp": "http://hl7.org/fhir/StructureDefinition/bp",
}
VITAL_SIGNS = {
    Metric.HEART_RATE,
    Metric.WEIGHT,
    Metric.SPO2,
    Metric.TEMPERATURE,
    Metric.RESPIRATORY_RATE,
    Metric.SYSTOLIC,
    Metric.DIASTOLIC,
    Metric.MEAN_ARTERIAL_PRESSURE,
}


def _effective(reading: Reading) -> str:
    return reading.local_measured_at.isoformat()


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit_label(unit), "system": UCUM, "code": unit}


def _concept(metric: str) -> dict:
    info = METRICS[metric]
    return {
        "coding": [{"system": LOINC, "code": info.loinc, "display": info.loinc_display}],
        "text": info.loinc_display,
    }


def _base(reading: Reading, resource_id: str, profile_key) -> dict:
    category = (
        "vital-signs"
        if reading.metric in VITAL_SIGNS
        else ("activity" if reading.metric == Metric.STEPS else "laboratory")
    )
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


def observations(readings: list[Reading]) -> list[dict]:
    """Observations for `readings` (ordered as given); a systolic and diastolic of one
    measurement group become one BP Observation. Non-canonical metrics are left out (no LOINC)."""
    out = []
    groups: dict[tuple, dict[str, Reading]] = {}
    for reading in readings:
        if reading.metric in (Metric.SYSTOLIC, Metric.DIASTOLIC):
            key = (reading.patient_id, reading.measurement_group or f"r{reading.pk}")
            groups.setdefault(key, {})[reading.metric] = reading
    emitted = set()
    for reading in readings:
        if reading.value is None or reading.metric not in METRICS:
            continue
        if reading.metric in (Metric.SYSTOLIC, Metric.DIASTOLIC):
            key = (reading.patient_id, reading.measurement_group or f"r{reading.pk}")
            pair = groups[key]
            if key in emitted or len(pair) < 2:
                continue
            emitted.add(key)
            systolic, diastolic = pair[Metric.SYSTOLIC], pair[Metric.DIASTOLIC]
            resource = _base(systolic, f"bp-{systolic.pk}", "bp")
            resource["code"] = {
                "coding": [
                    {"system": LOINC, "code": BP_PANEL_LOINC[0], "display": BP_PANEL_LOINC[1]}
                ],
                "text": "Blood pressure",
            }
            resource["component"] = [
                {
                    "code": _concept(Metric.SYSTOLIC),
                    "valueQuantity": _quantity(systolic.value, systolic.unit),
                },
                {
                    "code": _concept(Metric.DIASTOLIC),
                    "valueQuantity": _quantity(diastolic.value, diastolic.unit),
                },
            ]
            out.append(resource)
            continue
        resource = _base(reading, f"reading-{reading.pk}", reading.metric)
        resource["code"] = _concept(reading.metric)
        resource["valueQuantity"] = _quantity(reading.value, reading.unit)
        out.append(resource)
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
