"""Every write to readings: one normalising ingestion path behind the three vendor shapes, the
vendor syncs, and manual entry with its outbox. Views, API and tasks only call these."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from devices.models import Device
from portal import dates
from portal.audit import audit_event_record
from portal.models import Patient, SyncRun, Vendor
from readings.models import (
    IngestionReplay,
    OutboxMessage,
    OutboxStatus,
    Reading,
    ReadingSource,
)
from readings.units import (
    METRICS,
    Metric,
    UnitError,
    check_range,
    known_metric,
    to_canonical,
    ucum,
)

logger = logging.getLogger(__name__)

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
    *, patient, metric, value, unit=None, field_name="value", unit_field="unit", **kwargs
) -> ReadingInput:
    """A numeric ReadingInput in the metric's canonical unit, range-checked."""
    try:
        number = float(value)
    except OverflowError:  # an integer no float holds (JSON allows 400 digits)
        raise IngestError(422, "out_of_range", "is far too large", field_name) from None
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
    return int(instant.astimezone(patient.tz).utcoffset().total_seconds())


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
_COLUMNS = [
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
    "source_record_id",
    "source_checksum",
    "measurement_group",
    "entered_by_id",
    "created_at",
]
BATCH_ROWS = 1000


def _row(organization_id, item: ReadingInput, now) -> list:
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
    created, _now = _insert(organization, items)
    return list(created.values())


def _insert(organization, items: list[ReadingInput]) -> tuple[dict[tuple, int], datetime]:
    """({(source, source_record_id, metric): id} of the rows created, their created_at)."""
    now = timezone.now()
    if not items:
        return {}, now
    table = Reading._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    created: dict[tuple, int] = {}
    field_by_column = {f.column: f for f in Reading._meta.concrete_fields}
    with connection.cursor() as cursor:
        for start in range(0, len(items), BATCH_ROWS):
            chunk = items[start : start + BATCH_ROWS]
            params: list = []
            for item in chunk:
                row = _row(organization.pk, item, now)
                params.extend(
                    field_by_column[c].get_db_prep_value(v, connection, prepared=False)
                    for c, v in zip(_COLUMNS, row, strict=True)
                )
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {placeholders} "  # noqa: S608 — names are ours
                "ON CONFLICT DO NOTHING RETURNING id, source, source_record_id, metric",
                params,
            )
            created.update({(s, r, m): pk for pk, s, r, m in cursor.fetchall()})
    return created, now


def _reading_from(organization, item: ReadingInput, pk: int, now) -> Reading:
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
    replace_changed: bool = False,
) -> IngestResult:
    """Store `items` idempotently and write one audit event. With `replace_changed`, a source
    record stored before with a different checksum is replaced (a vendor's corrected record).
    Created rows come back built from what was inserted; only duplicates are read back."""
    if replace_changed:
        _drop_changed_records(organization, items)
    created_by_key, now = _insert(organization, items)
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
            result.created.append(_reading_from(organization, item, pk, now))
    result.existing = _stored_for(organization, duplicates)
    # Thresholds are checked in the same transaction, so a stored reading is never left
    # unevaluated; evaluation is idempotent, and a replay (no new rows) evaluates nothing.
    from readings.alerts import alerts_evaluate_readings

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


def _stored_for(organization, items: list[ReadingInput]) -> list[Reading]:
    """The stored rows of items that inserted nothing: the same source record, or — for an
    Impilo device reading — the same measurement stored under the other path's key
    (constraint `reading_impilo_once_per_device_instant`)."""
    keys = {i.key for i in items}
    if not keys:
        return []
    related = ("patient", "device", "device__item")
    rows = Reading.objects.filter(
        organization=organization,
        source__in={k[0] for k in keys},
        source_record_id__in={k[1] for k in keys},
    ).select_related(*related)
    found = [r for r in rows if (r.source, r.source_record_id, r.metric) in keys]
    missing = keys - {(r.source, r.source_record_id, r.metric) for r in found}
    twins = {
        (i.patient.pk, i.metric, i.measured_at, i.device.pk)
        for i in items
        if i.key in missing and i.source == ReadingSource.IMPILO and i.device is not None
    }
    if twins:
        rows = Reading.objects.filter(
            source=ReadingSource.IMPILO,
            patient_id__in={t[0] for t in twins},
            measured_at__in={t[2] for t in twins},
        ).select_related(*related)
        found += [r for r in rows if (r.patient_id, r.metric, r.measured_at, r.device_id) in twins]
    return found


def _drop_changed_records(organization, items: list[ReadingInput]) -> int:
    """Delete the stored rows of source records whose checksum changed (a vendor's corrected
    record, about to be stored again). Returns what the ORM deleted (cascades included)."""
    by_record = {(i.source, i.source_record_id): i.source_checksum for i in items}
    stale = Reading.objects.filter(
        organization=organization,
        source__in={s for s, _ in by_record},
        source_record_id__in={r for _, r in by_record},
    ).values_list("pk", "source", "source_record_id", "source_checksum")
    drop = [pk for pk, s, r, c in stale if by_record.get((s, r), c) != c]
    if not drop:
        return 0
    deleted, _ = Reading.objects.filter(pk__in=drop).delete()
    return deleted


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
    if patient is None:
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
                field_name="value_numeric",
                source_record_id=record_id,
                **common,
            )
            item.value_text = text
            return [item]
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
    if metric in METRICS:
        raise IngestError(
            422, "invalid", f"{key} needs a numeric value (value_numeric).", "value_numeric"
        )
    return [
        ReadingInput(
            patient=patient,
            metric=metric,
            value_text=text,
            unit=data.get("unit") or "",
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
        )
        items.append(item)
    if len({i.metric for i in items}) != len(items):
        raise IngestError(422, "duplicate_metric", "a metric type appears twice", "metrics")
    return items


def _validic_group(record_id: str) -> str:
    """`validic:<record id>`, or the id's hash when that would not fit the column (the
    contract allows 128-character ids; the prefix would push those past it)."""
    group = f"validic:{record_id}"
    if len(group) <= Reading._meta.get_field("measurement_group").max_length:
        return group
    return "validic:sha256:" + hashlib.sha256(record_id.encode()).hexdigest()


@dataclass
class RecordOutcome:
    record_id: str
    status: str  # created | duplicate | updated | deleted | error
    readings: list[Reading] = field(default_factory=list)
    error: IngestError | None = None


def validic_records_ingest(
    *, organization, records: list[dict], request=None
) -> list[RecordOutcome]:
    """Each record is all-or-nothing on its own (a batch reports one outcome per record), so one
    bad record in a stream does not hold back the others."""
    outcomes = []
    for record in records:
        outcomes.append(_validic_record_ingest(organization, record, request))
    return outcomes


def _validic_record_ingest(organization, record, request) -> RecordOutcome:
    record_id = record["id"]
    if record.get("deleted_at"):
        with transaction.atomic():
            deleted, _ = Reading.objects.filter(
                organization=organization, source=ReadingSource.VALIDIC, source_record_id=record_id
            ).delete()
            if deleted:
                audit_event_record(
                    action="reading.delete",
                    organization=organization,
                    request=request,
                    detail={"source": "validic", "record": record_id, "rows": deleted},
                )
        return RecordOutcome(record_id, "deleted")
    try:
        with transaction.atomic():
            items = validic_record_inputs(organization=organization, record=record)
            had = Reading.objects.filter(
                organization=organization, source=ReadingSource.VALIDIC, source_record_id=record_id
            ).exists()
            result = readings_ingest(
                organization=organization,
                items=items,
                action="reading.ingest",
                request=request,
                replace_changed=True,
            )
    except IngestError as exc:
        return RecordOutcome(record_id, "error", error=exc)
    status = ("updated" if had else "created") if result.created else "duplicate"
    return RecordOutcome(record_id, status, result.readings)


# --- manual entry + outbox ------------------------------------------------------------------
@transaction.atomic
def manual_reading_record(
    *,
    patient,
    metric: str,
    value: float,
    measured_at: datetime,
    by,
    second_value=None,
    request=None,
) -> list[Reading]:
    """A reading staff took over the phone. Stored with manual=true, then forwarded through the
    outbox: heart rate to Impilo's Record Heart Rate Reading (seed 000) when the patient is
    known to Impilo, anything else to patient-graph's metrics endpoint (seed 002)."""
    from portal.celery import task_send
    from readings import tasks

    measured_at = measured_at_checked(measured_at, "measured_at")
    group = f"manual:{timezone.now().timestamp():.6f}:{by.pk}"
    pairs = [(metric, value)]
    if metric == Metric.SYSTOLIC:
        if second_value is None:
            raise IngestError(422, "required", "Enter the diastolic value too.", "second_value")
        pairs.append((Metric.DIASTOLIC, second_value))
    items = [
        numeric_reading(
            patient=patient,
            metric=m,
            value=v,
            field_name="value" if i == 0 else "second_value",
            measured_at=measured_at,
            source=ReadingSource.MANUAL,
            source_record_id=group,
            measurement_group=group if len(pairs) > 1 else "",
            manual=True,
            patient_tz_offset=patient_offset_at(patient, measured_at),
            entered_by_id=by.pk,
        )
        for i, (m, v) in enumerate(pairs)
    ]
    if len(items) == 2 and items[0].value <= items[1].value:
        raise IngestError(422, "invalid", "Systolic must be higher than diastolic.", "second_value")
    result = readings_ingest(
        organization=patient.organization,
        items=items,
        action="reading.manual_create",
        request=request,
        actor=by,
    )
    messages = [message for reading in result.created if (message := _outbox_message_for(reading))]
    for message in messages:
        transaction.on_commit(lambda pk=message.pk: task_send(tasks.outbox_deliver, pk))
    return result.created


def _outbox_message_for(reading: Reading) -> OutboxMessage | None:
    patient = reading.patient
    if reading.metric == Metric.HEART_RATE and patient.impilo_patient_id:
        payload = {
            "readingTimestamp": reading.measured_at.isoformat().replace("+00:00", "Z"),
            "patientId": patient.impilo_patient_id,
            "manual": True,
            "heartRate": int(reading.value),
        }
        vendor, operation = Vendor.IMPILO, "record_heart_rate_reading"
    elif patient.patient_graph_id:
        payload = {
            "metric_key": reading.metric,
            "value_numeric": reading.display_value,
            "unit": reading.unit,
            "source": "manual",
            "is_phi": True,
            "recorded_at": reading.measured_at.isoformat().replace("+00:00", "Z"),
        }
        vendor, operation = Vendor.PATIENT_GRAPH, "create_metric"
    else:
        return None
    return OutboxMessage.objects.create(
        organization=reading.organization,
        reading=reading,
        vendor=vendor,
        operation=operation,
        payload=payload,
        next_attempt_at=timezone.now(),
    )


OUTBOX_BACKOFF = [30, 60, 300, 900, 3600]


def outbox_deliver(*, message_id: int) -> str:
    """Send one outbox message. The row is locked while sending (two workers never send the
    same message at once) and the vendor call carries the message's idempotency key, so a retry
    after a lost answer is never applied twice. Returns the message's status afterwards."""
    from portal.http import VendorError
    from readings.clients import ImpiloReadingsClient, PatientGraphClient

    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .select_related("reading__patient", "organization")
            .filter(pk=message_id, status=OutboxStatus.PENDING)
            .first()
        )
        if message is None:
            return "skipped"
        message.attempts += 1
        try:
            if message.vendor == Vendor.IMPILO:
                client = ImpiloReadingsClient.for_organization(message.organization)
                answer = client.record_heart_rate_reading(
                    message.payload, idempotency_key=str(message.idempotency_key)
                )
            else:
                client = PatientGraphClient.for_organization(message.organization)
                answer = client.create_metric(
                    message.reading.patient.patient_graph_id,
                    message.payload,
                    idempotency_key=str(message.idempotency_key),
                )
        except VendorError as exc:
            message.last_error = exc.staff_message[:300]
            if exc.is_outage or exc.code == "not_configured":
                delay = OUTBOX_BACKOFF[min(message.attempts - 1, len(OUTBOX_BACKOFF) - 1)]
                message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            else:
                message.status = OutboxStatus.REFUSED
                message.next_attempt_at = None
            message.save()
            logger.warning("outbox message=%s vendor=%s failed", message.pk, message.vendor)
            return message.status
        message.status = OutboxStatus.DELIVERED
        message.delivered_at = timezone.now()
        message.next_attempt_at = None
        message.last_error = ""
        message.vendor_record_id = str((answer or {}).get("id", ""))[:64]
        message.save()
        return message.status


def outbox_due_ids(limit: int = 200) -> list[int]:
    return list(
        OutboxMessage.objects.filter(
            status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )


# --- syncs ----------------------------------------------------------------------------------
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
    values = []
    if obj.get("systolic") is not None:
        values += [
            (Metric.SYSTOLIC, obj["systolic"], None),
            (Metric.DIASTOLIC, obj["diastolic"], None),
        ]
    if obj.get("heartRate") is not None:
        values.append((Metric.HEART_RATE, obj["heartRate"], None))
    if obj.get("weight") is not None:
        values.append((Metric.WEIGHT, obj["weight"], obj.get("weightUnit") or "lb"))
    group = f"impilo:{obj['id']}" if len(values) > 1 else ""
    return [
        numeric_reading(metric=m, value=v, unit=u, measurement_group=group, **common)
        for m, v, u in values
    ]


def _sync_start(organization, kind: str, triggered_by=None) -> SyncRun:
    last = (
        SyncRun.objects.filter(organization=organization, kind=kind)
        .exclude(cursor="")
        .order_by("-started_at", "-id")
        .first()
    )
    return SyncRun.objects.create(
        organization=organization,
        kind=kind,
        cursor=last.cursor if last else "",
        triggered_by=triggered_by,
    )


def _lookup_maps(organization):
    patients_by_impilo = {
        p.impilo_patient_id: p
        for p in Patient.objects.filter(organization=organization, impilo_patient_id__isnull=False)
    }
    devices_by_impilo = {
        d.impilo_device_id: d
        for d in Device.objects.filter(organization=organization, impilo_device_id__isnull=False)
    }
    # Readings the portal itself sent (manual entries through the outbox) come back in the
    # pull; the manual reading is already stored, so these are skipped, not stored twice.
    ours = set(
        OutboxMessage.objects.filter(
            organization=organization, vendor=Vendor.IMPILO, status=OutboxStatus.DELIVERED
        )
        .exclude(vendor_record_id="")
        .values_list("vendor_record_id", flat=True)
    )
    return patients_by_impilo, devices_by_impilo, ours


def impilo_readings_sync(*, organization, triggered_by=None, page_size: int = 500) -> SyncRun:
    """Pull new readings from Impilo, page by page from the last saved cursor. Each page is
    stored and its cursor saved in one transaction, so a crash resumes at the page it was on and
    a replayed page inserts nothing."""
    from readings.clients import ImpiloReadingsClient

    return _pull(
        organization,
        "impilo.readings",
        triggered_by,
        fetch=lambda cursor: ImpiloReadingsClient.for_organization(organization).list_readings(
            after=cursor or None, limit=page_size
        ),
        normalise=lambda obj, maps: (
            []
            if str(obj.get("id")) in maps[2]
            else impilo_reading_inputs(
                organization=organization, obj=obj, patients=maps[0], devices=maps[1]
            )
        ),
        maps=lambda: _lookup_maps(organization),
    )


def validic_measurements_sync(*, organization, triggered_by=None, page_size: int = 500) -> SyncRun:
    """Pull new Smart Meter measurements from Validic Inform (seed 004 record format)."""
    from readings.clients import ValidicMeasurementsClient

    return _pull(
        organization,
        "validic.measurements",
        triggered_by,
        fetch=lambda cursor: ValidicMeasurementsClient.for_organization(
            organization
        ).list_measurements(cursor=cursor or None, limit=page_size),
        normalise=lambda obj, maps: validic_record_inputs(
            organization=organization, record=obj, check_device=False
        ),
        maps=lambda: None,
    )


def _pull(organization, kind, triggered_by, *, fetch, normalise, maps) -> SyncRun:
    from portal.http import VendorError
    from readings.bulk import BulkResult, readings_bulk_ingest

    run = _sync_start(organization, kind, triggered_by)
    lookup = maps()
    try:
        while True:
            page = fetch(run.cursor)
            items, skipped = [], []
            for obj in page.items:
                try:
                    items.extend(normalise(obj, lookup))
                except (IngestError, KeyError, TypeError, ValueError) as exc:
                    skipped.append(f"record {obj.get('id')}: {exc}")
            with transaction.atomic():
                # A page only needs counts: the COPY path, not one model instance per row.
                result = (
                    readings_bulk_ingest(
                        organization=organization, items=items, action="reading.sync"
                    )
                    if items
                    else BulkResult()
                )
                if page.total is not None:  # what remained after our cursor, this page included
                    run.total = run.processed + page.total
                run.processed += len(page.items)
                run.created += result.created
                run.unchanged += result.duplicates
                run.errors = [*run.errors, *skipped][-50:]
                if page.next_cursor:
                    run.cursor = page.next_cursor
                run.save()
            if not page.has_more or not page.items:
                break
    except VendorError as exc:
        run.finish(error=exc.staff_message)
        raise
    run.finish()
    return run


# --- Idempotency-Key ------------------------------------------------------------------------
def ingestion_replay_find(*, organization, endpoint: str, key: str):
    return IngestionReplay.objects.filter(
        organization=organization, endpoint=endpoint, key=key
    ).first()


def ingestion_replay_claim(*, organization, endpoint: str, key: str, request_hash: str):
    """Claim `key` for this request before anything is written, inside the caller's
    transaction: the row's unique constraint lets one request hold it. On PostgreSQL a
    concurrent claim waits for the holder to commit (then fails) or roll back (then wins);
    SQLite serializes writers. Returns the claim, or None when another request committed one.
    (A look-up first, a write, and a remember-afterwards let 11–16 of 20 parallel twins with
    different bodies all store their reading.)"""
    try:
        with transaction.atomic():
            return IngestionReplay.objects.create(
                organization=organization,
                endpoint=endpoint,
                key=key,
                request_hash=request_hash,
                status_code=0,  # no one else sees this row until the answer is filled in
                response_body={},
            )
    except IntegrityError:
        return None


def ingestion_replay_complete(*, claim, status_code: int, body) -> None:
    """Keep the first successful answer for the claimed key, in the same transaction."""
    claim.status_code = status_code
    claim.response_body = body
    claim.save(update_fields=["status_code", "response_body"])
