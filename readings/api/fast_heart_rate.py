"""The common heart-rate POST in one statement (issue 19): an API key posting a new reading
by Impilo patient id, without an Idempotency-Key, whose value no rule of the patient's can
alarm on. Everything else (a device id, a replay, a conflict, a value to evaluate, a stale
cache, an invalid body) takes the general path, `HeartRateReadingView.ingest`, which decides
and answers exactly as before: this module only ever stores what that path would have stored,
and answers what it would have answered.

What it saves: the patient look-up, BEGIN, the rules token, the audit INSERT and COMMIT as
separate round trips, and the ORM's compile steps. One statement, committed on its own (the
connection is in autocommit outside `atomic`; fsync and synchronous_commit stay on, so the
reading and its audit row are durable before the answer):

- checks that the patient this process remembers (id, zone, MRN, Impilo id) is still the one
  the database holds, and that the organization's rules token is still the one whose rules
  said the value cannot alarm (so evaluation against the rules of that snapshot opens
  nothing, as alerts_evaluate_readings would have found in the same transaction);
- inserts the reading (ON CONFLICT DO NOTHING: a replay or a conflicting value inserts
  nothing, and the general path then answers it);
- inserts the audit row, only when the reading was inserted;
- says which of these held, so the caller knows whether to answer or fall back."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import UTC, datetime
from http import HTTPStatus
from threading import Lock

import orjson
from django.db import connection
from django.utils import timezone
from rest_framework.response import Response

from portal import fast_sql
from portal.audit import client_ip
from portal.models import ApiKey, AuditEvent, Organization, Patient
from readings.alerts import value_may_breach
from readings.device_days import readings_decide
from readings.models import Reading, ReadingSource
from readings.serializers import iso_z
from readings.services.ingest import (
    READING_COLUMNS,
    IngestError,
    body_hash,
    measured_at_checked,
    numeric_reading,
    offset_checked,
    patient_offset_at,
    reading_row,
)
from readings.thresholds import cached_rules_in_force
from readings.units import Metric

FIELDS = frozenset(
    {
        "readingTimestamp",
        "deviceId",
        "deviceIdentifier",
        "patientId",
        "deviceTimeZoneOffset",
        "manual",
        "heartRate",
    }
)
MAX_ID = 2**63 - 1
# The shapes DRF's DateTimeField and this module read the same way; any other string (a date
# without time, a comma, seven fraction digits, no offset) takes the general path.
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)", re.ASCII)
ACTION = "reading.ingest"

# (organization id, Impilo patient id) -> (patient id, time zone, MRN): the statement checks
# each against the patient row, so a stale entry only sends one request the general way.
_patients: OrderedDict[tuple[int, int], tuple[int, str, str]] = OrderedDict()
_patients_lock = Lock()
PATIENTS_REMEMBERED = 20_000


def heart_rate_fast(request) -> Response | None:
    """The 201 answer, or None when the general path must take the request (nothing was
    stored then)."""
    if connection.vendor != "postgresql":
        return None  # the SQLite demo: the general path
    key = request.auth
    if not isinstance(key, ApiKey) or request.headers.get("Idempotency-Key"):
        return None
    try:
        fields = _fields(request.data)
    except (TypeError, ValueError, OverflowError):
        return None
    if fields is None:
        return None
    organization = request.organization
    patient = _patient(organization.pk, fields["patientId"])
    if patient is None:
        return None
    try:
        item = _reading(patient, fields)
    except IngestError:
        return None  # the general path refuses it, with its own message
    rules = cached_rules_in_force(organization.pk, patient.pk)
    if rules is None:
        return None
    version, in_force = rules
    if value_may_breach(in_force, item.metric, item.value):
        return None  # evaluated, and maybe alerted on, by the general path
    reading_id = _store(request, organization, patient, item, version)
    if reading_id is None:
        return None
    body = {
        "id": reading_id,
        "readingTimestamp": iso_z(item.measured_at),
        "manual": item.manual,
        "deviceTimeZoneOffset": item.device_tz_offset,
        "patientTimeZoneOffset": item.patient_tz_offset,
        "heartRate": int(item.value),
        "patient": {"id": fields["patientId"], "externalId": patient.mrn},
        "item": None,
        "device": None,
    }
    return Response(body, status=HTTPStatus.CREATED)


def _fields(data) -> dict | None:
    """The body's fields as HeartRateReadingRequest would validate them, when the body is the
    plain case (a patient id, no device, no unknown field); else None."""
    if not isinstance(data, dict) or not FIELDS.issuperset(data):
        return None
    if data.get("deviceId") is not None or data.get("deviceIdentifier") is not None:
        return None
    patient_id, heart_rate = data.get("patientId"), data.get("heartRate")
    if not (_integer(patient_id) and 1 <= patient_id <= MAX_ID and _integer(heart_rate)):
        return None
    offset = data.get("deviceTimeZoneOffset")
    if offset is not None and not _integer(offset):
        return None
    manual = data.get("manual")
    if manual is not None and not isinstance(manual, bool):
        return None
    stamp = data.get("readingTimestamp")
    if not isinstance(stamp, str) or not TIMESTAMP.fullmatch(stamp):
        return None
    at = datetime.fromisoformat(stamp).astimezone(UTC)  # DRF: default_timezone=UTC
    return {
        "patientId": patient_id,
        "heartRate": heart_rate,
        "deviceTimeZoneOffset": offset,
        "manual": manual,
        "readingTimestamp": at,
    }


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _patient(organization_id: int, impilo_id: int) -> Patient | None:
    """The patient as this process remembers it (read when not), or None when there is none:
    the general path answers 404 then."""
    remembered = _patients.get((organization_id, impilo_id))
    if remembered is None:
        with fast_sql.cursor() as cursor:
            cursor.execute(
                f"SELECT id, time_zone, mrn FROM {Patient._meta.db_table} "  # noqa: S608
                "WHERE organization_id = %s AND impilo_patient_id = %s",
                [organization_id, impilo_id],
            )
            rows = cursor.fetchall()
        if len(rows) != 1:
            return None
        remembered = tuple(rows[0])
        with _patients_lock:
            _patients[(organization_id, impilo_id)] = remembered
            while len(_patients) > PATIENTS_REMEMBERED:
                _patients.popitem(last=False)
    pk, time_zone, mrn = remembered
    known = {
        "id": pk,
        "organization_id": organization_id,
        "time_zone": time_zone,
        "mrn": mrn,
        "impilo_patient_id": impilo_id,
    }
    # from_db takes the values of the loaded fields in the model's field order.
    return Patient.from_db(connection.alias, list(known), [known[name] for name in _PATIENT_ORDER])


_PATIENT_ORDER = [
    f.attname
    for f in Patient._meta.concrete_fields
    if f.attname in {"id", "organization_id", "time_zone", "mrn", "impilo_patient_id"}
]


def _forget(organization_id: int, impilo_id: int) -> None:
    with _patients_lock:
        _patients.pop((organization_id, impilo_id), None)


def _reading(patient: Patient, fields: dict):
    """The ReadingInput sources.heart_rate_inputs builds for the same body (no device)."""
    measured_at = measured_at_checked(fields["readingTimestamp"], "readingTimestamp")
    device_offset = offset_checked(fields["deviceTimeZoneOffset"], "deviceTimeZoneOffset")
    manual = bool(fields["manual"])
    record = {
        "patient": patient.pk,
        "device": None,
        "at": measured_at.isoformat(),
        "hr": fields["heartRate"],
        "manual": manual,
        "offset": device_offset,
    }
    item = numeric_reading(
        patient=patient,
        metric=Metric.HEART_RATE,
        value=fields["heartRate"],
        field_name="heartRate",
        measured_at=measured_at,
        source=ReadingSource.IMPILO,
        source_record_id="hr:" + body_hash(record)[:40],
        device=None,
        device_tz_offset=device_offset,
        patient_tz_offset=patient_offset_at(patient, measured_at),
        manual=manual,
    )
    readings_decide([item])  # no device: no query
    return item


def _casts(model, columns) -> list[str]:
    """`%s::type` per column: INSERT ... SELECT gives parameters no column type to infer."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    out = []
    for name in columns:
        kind = by_column[name].db_type(connection)
        out.append("%s::" + ("text" if kind.startswith("varchar") else kind))
    return out


AUDIT_COLUMNS = [
    "at",
    "organization_id",
    "api_key_id",
    "action",
    "patient_id",
    "object_type",
    "object_id",
    "ip",
    "detail",
]
_statement: str | None = None


def _sql() -> str:
    global _statement
    if _statement is None:
        quote = connection.ops.quote_name
        reading_columns = ", ".join(quote(c) for c in READING_COLUMNS)
        audit_columns = ", ".join(quote(c) for c in AUDIT_COLUMNS)
        _statement = (
            "WITH p AS ("  # noqa: S608 — names are ours, values are parameters
            f"SELECT id FROM {Patient._meta.db_table} WHERE id = %s AND organization_id = %s "
            "AND impilo_patient_id = %s AND time_zone = %s AND mrn = %s"
            "), o AS ("
            f"SELECT id FROM {Organization._meta.db_table} "
            "WHERE id = %s AND thresholds_version = %s"
            "), r AS ("
            f"INSERT INTO {Reading._meta.db_table} ({reading_columns}) "
            f"SELECT {', '.join(_casts(Reading, READING_COLUMNS))} FROM p, o "
            "ON CONFLICT DO NOTHING RETURNING id"
            "), a AS ("
            f"INSERT INTO {AuditEvent._meta.db_table} ({audit_columns}) "
            f"SELECT {', '.join(_casts(AuditEvent, AUDIT_COLUMNS))} FROM r RETURNING id"
            ") SELECT (SELECT id FROM r), EXISTS (SELECT 1 FROM p), EXISTS (SELECT 1 FROM o)"
        )
    return _statement


_READING_FIELDS = {f.column: f for f in Reading._meta.concrete_fields}


def _store(request, organization, patient, item, version) -> int | None:
    now = timezone.now()
    row = reading_row(organization.pk, item, now)
    params = [
        patient.pk,
        organization.pk,
        patient.impilo_patient_id,
        patient.time_zone,
        patient.mrn,
        organization.pk,
        version,
        *(
            _READING_FIELDS[c].get_db_prep_value(v, connection, prepared=False)
            for c, v in zip(READING_COLUMNS, row, strict=True)
        ),
        # The audit row audit_event_record writes for the general path.
        timezone.now(),
        organization.pk,
        request.auth.pk,
        ACTION,
        patient.pk,
        "",
        "",
        client_ip(request),
        orjson.dumps(
            {"created": 1, "duplicates": 0, "patients": [patient.pk], "sources": [item.source]}
        ).decode(),
    ]
    with fast_sql.cursor() as cursor:
        cursor.execute(_sql(), params)
        reading_id, patient_held, _rules_held = cursor.fetchone()
    if not patient_held:
        _forget(organization.pk, patient.impilo_patient_id)
    return reading_id
