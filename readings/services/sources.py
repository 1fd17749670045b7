"""The vendors' shapes, each normalised into ReadingInputs for the one write path: Impilo's
HeartRateReadingRequest (seed 000) and readings list, patient-graph's metric entry (seed 002),
and Validic Inform's measurement record (seed 004), which arrives as a version of a vendor
record (readings.services.records decides what a version does; readings.bulk stores it)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from devices.models import Device
from portal.models import Patient
from readings.models import Reading, ReadingSource
from readings.services.ingest import (
    IngestError,
    ReadingInput,
    body_hash,
    device_checked,
    measured_at_checked,
    numeric_reading,
    offset_checked,
    patient_offset_at,
)
from readings.services.records import Arrival
from readings.units import METRICS, Metric, known_metric, ucum


# --- shape 1: Impilo HeartRateReadingRequest (seed 000) -------------------------------------
def heart_rate_inputs(*, organization, data: dict) -> list[ReadingInput]:
    """Resolve and validate one `HeartRateReadingRequest` (already type-checked). Either a
    device id, device identifier, or patient id is required (seed 000)."""
    device = None
    if data.get("deviceId") is not None:
        by = ("deviceId", {"impilo_device_id": data["deviceId"]})
    elif data.get("deviceIdentifier"):
        by = ("deviceIdentifier", {"identifier": data["deviceIdentifier"]})
    else:
        by = None  # a patient id alone: no device look-up on the hot path
    if by is not None:
        field_name, lookup = by
        device = (
            Device.objects.filter(organization=organization, **lookup)
            .select_related("item")
            .first()
        )
        if device is None:
            raise IngestError(404, "unknown_device", "No such device.", field_name)
    patient = None
    if data.get("patientId") is not None:
        patient = Patient.objects.filter(
            organization=organization, impilo_patient_id=data["patientId"]
        ).first()
        if patient is None:
            raise IngestError(404, "unknown_patient", "No such patient.", "patientId")
    if device is None and patient is None:
        raise IngestError(
            422,
            "missing_subject",
            "Either deviceId, deviceIdentifier or patientId is required.",
            "patientId",
        )
    device_checked(device, patient, "deviceId" if data.get("deviceId") else "deviceIdentifier")
    if patient is None:  # then a device, which device_checked found assigned
        assert device is not None
        assert device.assigned_patient_id is not None
        patient = Patient.objects.get(pk=device.assigned_patient_id)
    if data.get("heartRate") is None:
        raise IngestError(422, "required", "heartRate is required.", "heartRate")
    measured_at = measured_at_checked(data["readingTimestamp"], "readingTimestamp")
    device_offset = offset_checked(data.get("deviceTimeZoneOffset"), "deviceTimeZoneOffset")
    record = {
        "patient": patient.pk,
        "device": device.pk if device else None,
        "at": measured_at.isoformat(),
        "hr": data["heartRate"],
        "manual": bool(data.get("manual")),
        "offset": device_offset,
    }
    return [
        numeric_reading(
            patient=patient,
            metric=Metric.HEART_RATE,
            value=data["heartRate"],
            field_name="heartRate",
            measured_at=measured_at,
            source=ReadingSource.IMPILO,
            source_record_id="hr:" + body_hash(record)[:40],
            device=device,
            device_tz_offset=device_offset,
            patient_tz_offset=patient_offset_at(patient, measured_at),
            manual=bool(data.get("manual")),
        )
    ]


# --- shape 2: patient-graph metric entry (seed 002) -----------------------------------------
# A decimal number in ASCII digits: float() alone also takes "1_000", "١٢" and "nan".
DECIMAL_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def patient_metric_inputs(*, patient, data: dict) -> list[ReadingInput]:
    """One patient-graph metric entry. Known metric keys map to our metrics (unit converted to
    UCUM); other keys are kept verbatim as their own series."""
    key = data["metric_key"].strip()
    # Lower case that keeps the length, so a 64-character key still fits (e.g. "İ" lowers to 2).
    metric = known_metric(key) or "".join(c.lower() if len(c.lower()) == 1 else c for c in key)
    measured_at = measured_at_checked(data["recorded_at"], "recorded_at")
    raw_numeric = data.get("value_numeric")
    text = data.get("value_text") or ""
    if raw_numeric in (None, "") and not text:
        raise IngestError(
            422, "required", "One of value_numeric or value_text is required.", "value_numeric"
        )
    common = {
        "measured_at": measured_at,
        "source": data["source"],
        "manual": data["source"] == ReadingSource.MANUAL,
        "is_phi": data.get("is_phi", False),
        "metric_key": key,
        "patient_tz_offset": None,
    }
    record_id = "pg:" + body_hash({"patient": patient.pk, **data})[:40]
    number = None
    if raw_numeric not in (None, ""):
        if not DECIMAL_NUMBER.fullmatch(raw_numeric):
            raise IngestError(
                422, "invalid", "value_numeric must be a decimal number.", "value_numeric"
            )
        number = float(raw_numeric)
        if number != number or number in (float("inf"), float("-inf")):
            raise IngestError(422, "invalid", "value_numeric must be finite.", "value_numeric")
        if metric in METRICS:
            item = numeric_reading(
                patient=patient,
                metric=metric,
                value=number,
                unit=data.get("unit"),
                # Its `source` ("manual": entered by the patient) is not the portal's staff
                # form: the unit is patient-graph's document's to fix (it fixes none).
                document=ReadingSource.PATIENT_GRAPH,
                field_name="value_numeric",
                source_record_id=record_id,
                **common,
            )
            item.value_text = text
            return [item]
    elif metric in METRICS:
        raise IngestError(
            422, "invalid", f"{key} needs a numeric value (value_numeric).", "value_numeric"
        )
    # A key of its own, with a number, a text or both: the unit as sent, or its UCUM code when
    # the spelling is one we know.
    unit = data.get("unit") or ""
    return [
        ReadingInput(
            patient=patient,
            metric=metric,
            value=number,
            value_text=text,
            unit=ucum(unit) or unit,
            source_record_id=record_id,
            **common,
        )
    ]


# --- shape 3: Validic measurement record (seed 004) -----------------------------------------
def validic_record_inputs(
    *, organization, record: dict, check_device=True, lookup=None
) -> list[ReadingInput]:
    """One Validic Inform `measurement` record: each entry of `metrics` becomes a reading of the
    same measurement group; `utc_offset` is the device's offset (`offset_origin` source).
    `lookup` (a readings.bulk.ValidicLookup) answers patient and device look-ups of a whole
    batch from memory; without it each record queries the database."""
    user = record["user"]
    if lookup is not None:
        patient = lookup.patient(user)
    else:
        patients = Patient.objects.filter(organization=organization)
        patient = patients.filter(validic_user_id=user.get("user_id")).first()
        if patient is None and user.get("uid"):
            patient = patients.filter(mrn=user["uid"]).first()
    if patient is None:
        raise IngestError(404, "unknown_patient", "No patient with this Validic user.", "user")
    device = None
    source_device = (record.get("source") or {}).get("device") or {}
    if source_device.get("id"):
        if lookup is not None:
            device = lookup.device(str(source_device["id"]))
        else:
            device = (
                Device.objects.filter(
                    organization=organization, identifier=str(source_device["id"])
                )
                .select_related("item")
                .first()
            )
        if device is None and check_device:
            raise IngestError(
                404, "unknown_device", "No device with this IMEI.", "source.device.id"
            )
        if check_device:
            device_checked(device, patient, "source.device.id")
    start = record["start_time"]
    if isinstance(start, str):  # a pulled record, not one the API serializer parsed
        start = datetime.fromisoformat(start.replace("Z", "+00:00"))
    measured_at = measured_at_checked(start, "start_time")
    offset = offset_checked(record.get("utc_offset"), "utc_offset")
    items = []
    for index, entry in enumerate(record["metrics"]):
        metric = known_metric(entry["type"])
        if metric is None:
            raise IngestError(
                422,
                "unsupported_metric",
                f"metric type '{entry['type']}' is not one the portal records",
                f"metrics[{index}].type",
            )
        origin = entry.get("origin") or ""
        if not isinstance(origin, str) or len(origin) > ORIGIN_LENGTH:
            raise IngestError(
                422,
                "invalid",
                f"origin must be a string of at most {ORIGIN_LENGTH} characters",
                f"metrics[{index}].origin",
            )
        item = numeric_reading(
            patient=patient,
            metric=metric,
            value=entry["value"],
            unit=entry.get("unit"),
            field_name=f"metrics[{index}].value",
            unit_field=f"metrics[{index}].unit",
            measured_at=measured_at,
            source=ReadingSource.VALIDIC,
            source_record_id=record["id"],
            source_checksum=record.get("checksum") or "",
            measurement_group=_validic_group(record["id"]),
            device=device,
            device_tz_offset=offset,
            metric_key=entry["type"],
            origin=origin,  # kept as sent: device days count `device` only (readings.billing)
        )
        items.append(item)
    if len({i.metric for i in items}) != len(items):
        raise IngestError(422, "duplicate_metric", "a metric type appears twice", "metrics")
    return items


ORIGIN_LENGTH = Reading._meta.get_field("origin").max_length or 32


def _validic_group(record_id: str) -> str:
    """`validic:<record id>`, or the id's hash when that would not fit the column (the
    contract allows 128-character ids; the prefix would push those past it)."""
    group = f"validic:{record_id}"
    max_length = Reading._meta.get_field("measurement_group").max_length
    assert max_length is not None  # a CharField has one (Django's checks refuse it otherwise)
    if len(group) <= max_length:
        return group
    return "validic:sha256:" + hashlib.sha256(record_id.encode()).hexdigest()


def validic_arrival(
    *, organization, record: dict, index: int = 0, check_device=True, lookup=None
) -> Arrival:
    """One Validic record as a version of its record: a deletion (`deleted_at` set: nothing
    else of it is read) or the readings it normalises to (validic_record_inputs)."""
    record_id, checksum = record["id"], record.get("checksum") or ""
    for name, value in (("id", record_id), ("checksum", checksum)):
        if not isinstance(value, str) or len(value) > 128 or (name == "id" and not value):
            raise IngestError(
                422, "invalid", f"{name} must be a string of 1 to 128 characters", name
            )
    deleted_at = record.get("deleted_at")
    if deleted_at:
        if isinstance(deleted_at, str):  # a pulled record, not one the API serializer parsed
            deleted_at = datetime.fromisoformat(deleted_at.replace("Z", "+00:00"))
        if deleted_at.tzinfo is None:
            deleted_at = deleted_at.replace(tzinfo=UTC)
        return Arrival(record_id, checksum, deleted_at=deleted_at, index=index)
    items = validic_record_inputs(
        organization=organization, record=record, check_device=check_device, lookup=lookup
    )
    return Arrival(record_id, checksum, items=items, index=index)


# --- Impilo's readings list (the pull) -----------------------------------------------------
def impilo_reading_inputs(
    *, organization, obj: dict, patients: dict, devices: dict
) -> list[ReadingInput]:
    """Normalise one reading object from Impilo's readings list (the HeartRateReading object of
    seed 000, with `systolic`/`diastolic` and `weight` for cuffs and scales)."""
    patient = patients.get((obj.get("patient") or {}).get("id"))
    if patient is None:
        raise IngestError(404, "unknown_patient", "reading for a patient not in the mirror")
    device = devices.get((obj.get("device") or {}).get("id"))
    measured_at = datetime.fromisoformat(obj["readingTimestamp"].replace("Z", "+00:00"))
    common = {
        "patient": patient,
        "measured_at": measured_at.astimezone(UTC),
        "source": ReadingSource.IMPILO,
        "source_record_id": str(obj["id"]),
        "device": device,
        "device_tz_offset": obj.get("deviceTimeZoneOffset"),
        "patient_tz_offset": obj.get("patientTimeZoneOffset"),
        "manual": bool(obj.get("manual")),
    }
    # (metric, value, unit as sent or None, the unit's field). Without a unit, the one seed 000
    # fixes (units.DOCUMENT_UNITS), else refused: a weight without `weightUnit` is not lb.
    values: list[tuple[Metric, Any, str | None, str]] = []
    if obj.get("systolic") is not None:
        values += [
            (Metric.SYSTOLIC, obj["systolic"], None, "systolic"),
            (Metric.DIASTOLIC, obj["diastolic"], None, "diastolic"),
        ]
    if obj.get("heartRate") is not None:
        values.append(
            (Metric.HEART_RATE, obj["heartRate"], obj.get("heartRateUnit"), "heartRateUnit")
        )
    if obj.get("weight") is not None:
        values.append((Metric.WEIGHT, obj["weight"], obj.get("weightUnit"), "weightUnit"))
    group = f"impilo:{obj['id']}" if len(values) > 1 else ""
    return [
        numeric_reading(metric=m, value=v, unit=u, unit_field=f, measurement_group=group, **common)
        for m, v, u, f in values
    ]
