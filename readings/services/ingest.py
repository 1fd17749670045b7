"""The one normalising write path behind every source of readings: the checks a reading
passes (units, ranges, timestamps, offsets, device rules), the idempotent multi-row insert, and
`readings_ingest`, which stores, evaluates thresholds and audits in one transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from devices.models import Device
from portal import dates
from portal.audit import audit_event_record
from portal.models import Patient
from readings.alerts import alerts_evaluate_readings
from readings.models import Reading, ReadingSource
from readings.units import (
    METRICS,
    UnitError,
    check_range,
    document_unit,
    metric_label,
    to_canonical,
)

MAX_OFFSET_SECONDS = 14 * 3600


class IngestError(Exception):
    """A reading the portal refuses: HTTP-ish status, machine code, message, offending field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        super().__init__(message)

    @property
    def fields(self) -> dict:
        return {self.field: [self.message]} if self.field else {}


@dataclass
class ReadingInput:
    """A validated, normalised reading not yet stored."""

    patient: Patient
    metric: str
    measured_at: datetime
    source: str
    source_record_id: str
    value: float | None = None
    value_text: str = ""
    unit: str = ""
    device: Device | None = None
    device_tz_offset: int | None = None
    patient_tz_offset: int | None = None
    manual: bool = False
    is_phi: bool = True
    origin: str = ""
    source_checksum: str = ""
    measurement_group: str = ""
    metric_key: str = ""
    entered_by_id: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.source_record_id, self.metric)


@dataclass
class IngestResult:
    created: list[Reading] = field(default_factory=list)
    existing: list[Reading] = field(default_factory=list)

    @property
    def readings(self) -> list[Reading]:
        return sorted([*self.created, *self.existing], key=lambda r: r.pk)


def numeric_reading(
    *,
    patient,
    metric,
    value,
    unit=None,
    field_name="value",
    unit_field="unit",
    document=None,
    **kwargs,
) -> ReadingInput:
    """A numeric ReadingInput in the metric's canonical unit, range-checked. Without a unit, the
    one the vendor's document fixes for the metric (units.document_unit; `document` names the
    vendor when the reading's source does not), else a 422."""
    try:
        number = float(value)
    except OverflowError:  # an integer no float holds (JSON allows 400 digits)
        raise IngestError(422, "out_of_range", "is far too large", field_name) from None
    if unit is None or not unit.strip():
        unit = document_unit(document or kwargs["source"], metric)
        if unit is None:  # never guessed: only the source's document may fix it
            raise IngestError(
                422,
                "unit_required",
                f"a unit is required for {metric_label(metric).lower()} (none was sent, and "
                "the source's document does not fix one)",
                unit_field,
            )
    try:
        value, unit = to_canonical(metric, number, unit)
    except UnitError as exc:
        raise IngestError(422, "unsupported_unit", str(exc), unit_field) from exc
    problem = check_range(metric, value)
    if problem:
        raise IngestError(422, "out_of_range", problem, field_name)
    info = METRICS[metric]
    if info.integer:
        value = float(round(value))
    return ReadingInput(patient=patient, metric=metric, value=value, unit=unit, **kwargs)


def measured_at_checked(value: datetime, field_name: str) -> datetime:
    if timezone.is_naive(value):
        raise IngestError(422, "naive_timestamp", "must carry a UTC offset (e.g. ...Z)", field_name)
    try:  # before converting: a time near year 1 or 9999 is refused, never an overflow
        dates.READING_TIME.check(value)
    except dates.DateRefused as exc:
        code = "timestamp_out_of_range" if value < dates.EARLIEST_INSTANT else "future_timestamp"
        raise IngestError(422, code, str(exc), field_name) from None
    return value.astimezone(UTC)


def offset_checked(value, field_name):
    if value is not None and not -MAX_OFFSET_SECONDS <= value <= MAX_OFFSET_SECONDS:
        raise IngestError(
            422, "invalid_offset", "must be between -50400 and 50400 seconds", field_name
        )
    return value


def patient_offset_at(patient: Patient, instant: datetime) -> int:
    """The patient's UTC offset at `instant`, from their (ZIP-derived) IANA time zone — what
    Impilo calls patientTimeZoneOffset (seed 001, Device Timezones)."""
    offset = instant.astimezone(patient.tz).utcoffset()
    assert offset is not None  # astimezone() to a ZoneInfo always gives an aware datetime
    return int(offset.total_seconds())


def device_checked(device: Device | None, patient: Patient | None, field_name: str) -> None:
    """Seed 001: readings from a decommissioned device are refused; a device must be assigned
    to the patient the reading is for."""
    if device is None:
        return
    if device.is_decommissioned:
        raise IngestError(
            409,
            "device_decommissioned",
            f"Device {device.identifier} is decommissioned; its readings are refused.",
            field_name,
        )
    if device.assigned_patient_id is None:
        raise IngestError(
            409,
            "device_not_assigned",
            f"Device {device.identifier} is not assigned to a patient.",
            field_name,
        )
    if patient is not None and device.assigned_patient_id != patient.pk:
        raise IngestError(
            409,
            "device_not_assigned",
            f"Device {device.identifier} is assigned to a different patient.",
            field_name,
        )


def body_hash(data) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    ).hexdigest()


# --- the one write path ---------------------------------------------------------------------
READING_COLUMNS = [
    "organization_id",
    "patient_id",
    "metric",
    "metric_key",
    "value",
    "value_text",
    "unit",
    "loinc",
    "measured_at",
    "device_tz_offset",
    "patient_tz_offset",
    "source",
    "device_id",
    "manual",
    "is_phi",
    "origin",
    "source_record_id",
    "source_checksum",
    "measurement_group",
    "entered_by_id",
    "created_at",
]
BATCH_ROWS = 1000


def reading_row(organization_id, item: ReadingInput, now) -> list:
    """`item` as the values of READING_COLUMNS: the row both write paths store (readings.bulk
    stages it without the first and last, which are the same for a whole batch)."""
    info = METRICS.get(item.metric)
    return [
        organization_id,
        item.patient.pk,
        item.metric,
        item.metric_key,
        item.value,
        item.value_text,
        item.unit,
        info.loinc if info else "",
        item.measured_at,
        item.device_tz_offset,
        item.patient_tz_offset,
        item.source,
        item.device.pk if item.device else None,
        item.manual,
        item.is_phi,
        item.origin,
        item.source_record_id,
        item.source_checksum,
        item.measurement_group,
        item.entered_by_id,
        now,
    ]


def readings_insert(*, organization, items: list[ReadingInput]) -> list[int]:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING id (PostgreSQL, and SQLite ≥ 3.35):
    a record already stored, or stored concurrently by another request, inserts nothing.
    Returns the ids of the rows this call created."""
    created, _now = readings_insert_by_key(organization, items)
    return list(created.values())


def readings_insert_by_key(
    organization, items: list[ReadingInput]
) -> tuple[dict[tuple, int], datetime]:
    """({(source, source_record_id, metric): id} of the rows created, their created_at)."""
    now = timezone.now()
    if not items:
        return {}, now
    table = Reading._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in READING_COLUMNS)
    created: dict[tuple, int] = {}
    field_by_column = {f.column: f for f in Reading._meta.concrete_fields}
    with connection.cursor() as cursor:
        for start in range(0, len(items), BATCH_ROWS):
            chunk = items[start : start + BATCH_ROWS]
            params: list = []
            for item in chunk:
                row = reading_row(organization.pk, item, now)
                params.extend(
                    field_by_column[c].get_db_prep_value(v, connection, prepared=False)
                    for c, v in zip(READING_COLUMNS, row, strict=True)
                )
            placeholders = ", ".join(
                ["(" + ", ".join(["%s"] * len(READING_COLUMNS)) + ")"] * len(chunk)
            )
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {placeholders} "  # noqa: S608 — names are ours
                "ON CONFLICT DO NOTHING RETURNING id, source, source_record_id, metric",
                params,
            )
            created.update({(s, r, m): pk for pk, s, r, m in cursor.fetchall()})
    return created, now


def reading_from_inserted(organization, item: ReadingInput, pk: int, now) -> Reading:
    """The Reading a just-created row holds, built from what was inserted (no re-read).
    Model.from_db's positional path: a bulk batch builds tens of thousands of these, and
    keyword construction was half of its time (python -m tests.bench.profile bulk)."""
    info = METRICS.get(item.metric)
    values = {
        "id": pk,
        "organization_id": organization.pk,
        "patient_id": item.patient.pk,
        "metric": item.metric,
        "metric_key": item.metric_key,
        "value": item.value,
        "value_text": item.value_text,
        "unit": item.unit,
        "loinc": info.loinc if info else "",
        "measured_at": item.measured_at,
        "device_tz_offset": item.device_tz_offset,
        "patient_tz_offset": item.patient_tz_offset,
        "source": item.source,
        "device_id": item.device.pk if item.device is not None else None,
        "manual": item.manual,
        "is_phi": item.is_phi,
        "origin": item.origin,
        "source_record_id": item.source_record_id,
        "source_checksum": item.source_checksum,
        "measurement_group": item.measurement_group,
        "entered_by_id": item.entered_by_id,
        "created_at": now,
    }
    reading = Reading.from_db(
        connection.alias, _READING_FIELDS, [values[f] for f in _READING_FIELDS]
    )
    cache = reading._state.fields_cache
    cache["organization"] = organization
    cache["patient"] = item.patient
    if item.device is not None:
        cache["device"] = item.device
    # Threshold evaluation reads reading.patient.organization: known, not worth a query.
    if item.patient.organization_id == organization.pk:
        item.patient._state.fields_cache.setdefault("organization", organization)
    return reading


_READING_FIELDS = [f.attname for f in Reading._meta.concrete_fields]


@transaction.atomic
def readings_ingest(
    *,
    organization,
    items: list[ReadingInput],
    action: str,
    request=None,
    actor=None,
) -> IngestResult:
    """Store `items` idempotently and write one audit event. Created rows come back built from
    what was inserted; only duplicates are read back. A duplicate that is another reading (an
    Impilo device's other value at the same instant) is refused: 409 `conflicting_reading`.
    (Validic records, which have versions, are stored by readings.bulk.)"""
    created_by_key, now = readings_insert_by_key(organization, items)
    result = IngestResult()
    seen: set[tuple] = set()
    duplicates = []
    for item in items:
        if item.key in seen:
            continue
        seen.add(item.key)
        pk = created_by_key.get(item.key)
        if pk is None:
            duplicates.append(item)
        else:
            result.created.append(reading_from_inserted(organization, item, pk, now))
    stored = _stored_for(organization, duplicates)
    for item in duplicates:
        _conflict_check(item, stored.get(item.key))
    result.existing = list({r.pk: r for r in stored.values()}.values())
    # Thresholds are checked in the same transaction, so a stored reading is never left
    # unevaluated; evaluation is idempotent, and a replay (no new rows) evaluates nothing.
    alerts_evaluate_readings(readings=result.created)
    patients = sorted({i.patient.pk for i in items})
    audit_event_record(
        action=action,
        organization=organization,
        request=request,
        actor=actor,
        patient=items[0].patient if len(patients) == 1 else None,
        detail={
            "created": len(result.created),
            "duplicates": len(result.existing),
            "patients": patients[:50],
            "sources": sorted({i.source for i in items}),
        },
    )
    return result


# The request field a conflicting value was sent in (Impilo's HeartRateReadingRequest).
CONFLICT_FIELDS = {"heart_rate": "heartRate"}


def _conflict_check(item: ReadingInput, stored: Reading | None) -> None:
    """A device takes one value of a metric at one instant: the same value again is a replay
    (answered with the stored reading); another value is a second, conflicting reading, and
    storing either silently would hide one from the care team."""
    if stored is None or (stored.value == item.value and stored.value_text == item.value_text):
        return
    where = f"device {stored.device.identifier}" if stored.device is not None else "this patient"
    raise IngestError(
        409,
        "conflicting_reading",
        f"Another {metric_label(stored.metric).lower()} is already stored for {where} at "
        f"{stored.measured_at.astimezone(UTC).isoformat().replace('+00:00', 'Z')}: "
        f"{stored.display_value} {stored.unit} (reading {stored.pk}); this one says "
        f"{item.value if item.value is None else f'{item.value:g}'} {item.unit}.",
        CONFLICT_FIELDS.get(item.metric, "value"),
    )


def _stored_for(organization, items: list[ReadingInput]) -> dict[tuple, Reading]:
    """{item key: the stored row} of items that inserted nothing: the same source record, or —
    for an Impilo device reading — the same measurement stored under the other path's key
    (constraint `reading_impilo_once_per_device_instant`)."""
    keys = {i.key for i in items}
    if not keys:
        return {}
    related = ("patient", "device", "device__item")
    rows = Reading.objects.filter(
        organization=organization,
        source__in={k[0] for k in keys},
        source_record_id__in={k[1] for k in keys},
    ).select_related(*related)
    found = {key: r for r in rows if (key := (r.source, r.source_record_id, r.metric)) in keys}
    twins: dict[tuple, tuple[str, str, str]] = {
        (i.patient.pk, i.metric, i.measured_at, i.device.pk): i.key
        for i in items
        if i.key not in found and i.source == ReadingSource.IMPILO and i.device is not None
    }
    if twins:
        rows = Reading.objects.filter(
            source=ReadingSource.IMPILO,
            patient_id__in={t[0] for t in twins},
            measured_at__in={t[2] for t in twins},
        ).select_related(*related)
        for r in rows:
            twin = twins.get((r.patient_id, r.metric, r.measured_at, r.device_id))
            if twin is not None:
                found[twin] = r
    return found
