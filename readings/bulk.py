"""Bulk ingestion: the write path for volume (vendor pulls, backfills; `make bench` figure 1).

The same validation and normalisation as one reading (services.validic_record_inputs,
services.numeric_reading), but look-ups are made once per batch, and rows reach PostgreSQL with
`COPY` into a temporary staging table followed by one `INSERT ... SELECT ... ON CONFLICT DO
NOTHING`: dedupe stays the database's rule (`reading_unique_source_record`), exactly as for one
reading, and a replayed or concurrent batch inserts nothing twice. On other databases (the
SQLite demo) the multi-row INSERT of services.readings_insert does the same job more slowly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from devices.models import Device
from portal.audit import audit_event_record
from portal.models import Patient
from readings.alerts import alerts_evaluate_readings, readings_needing_evaluation
from readings.device_days import readings_decide
from readings.models import Reading, ReadingSource
from readings.services.ingest import (
    READING_COLUMNS,
    IngestError,
    ReadingInput,
    changed_records_drop,
    reading_from_inserted,
    reading_row,
    readings_insert_by_key,
)
from readings.services.sources import validic_record_inputs

# Columns the staging table carries; organization_id and created_at are the same for a batch
# and are added by the INSERT ... SELECT.
STAGED_COLUMNS = [c for c in READING_COLUMNS if c not in ("organization_id", "created_at")]
# Records per transaction: big enough that COPY dominates, small enough that a failure
# redoes little and locks are held briefly.
CHUNK_RECORDS = 20_000


@dataclass
class BulkResult:
    """Counts only: a bulk caller wants totals, not a million model instances back."""

    staged: int = 0
    created: int = 0
    replaced: int = 0
    deleted: int = 0
    errors: list[tuple[str, IngestError]] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.staged - self.created

    def add(self, other: BulkResult) -> None:
        self.staged += other.staged
        self.created += other.created
        self.replaced += other.replaced
        self.deleted += other.deleted
        self.errors += other.errors


def staged_row(item: ReadingInput) -> tuple:
    """The one write path's row without organization_id and created_at (added by the
    INSERT ... SELECT), so both paths store a reading the same way."""
    return tuple(reading_row(None, item, None)[1:-1])


def readings_bulk_insert(
    *, organization, items: list[ReadingInput], replace_changed: bool = False
) -> BulkResult:
    """Store `items` in one transaction; returns how many were new. With `replace_changed`, a
    source record stored before with a different checksum is replaced (a vendor's corrected
    record), as services.readings_ingest does for one record."""
    result = BulkResult(staged=len(items))
    if not items:
        return result
    with transaction.atomic():
        if connection.vendor != "postgresql":
            if replace_changed:
                result.replaced = changed_records_drop(organization, items)
            created_by_key, now = readings_insert_by_key(organization, items)
            result.created = len(created_by_key)
            _alerts_evaluate(organization, items, created_by_key, now)
            return result
        readings_decide(items)
        table = connection.ops.quote_name(Reading._meta.db_table)
        columns = ", ".join(STAGED_COLUMNS)
        with connection.cursor() as cursor:
            # Names are ours; values travel as COPY data or parameters.
            cursor.execute("DROP TABLE IF EXISTS pg_temp.reading_stage")
            cursor.execute(
                "CREATE TEMP TABLE reading_stage ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            with cursor.copy(f"COPY reading_stage ({columns}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row(staged_row(item))
            if replace_changed:
                cursor.execute(
                    f"SELECT DISTINCT r.id FROM {table} r JOIN reading_stage s "  # noqa: S608
                    "ON r.source = s.source AND r.source_record_id = s.source_record_id "
                    "WHERE r.organization_id = %s AND r.source_checksum <> s.source_checksum",
                    [organization.pk],
                )
                stale = [row[0] for row in cursor.fetchall()]
                if stale:
                    # The ORM delete, so anything that cascades from a reading goes too.
                    result.replaced, _ = Reading.objects.filter(pk__in=stale).delete()
            now = timezone.now()
            cursor.execute(
                f"INSERT INTO {table} ({columns}, organization_id, created_at) "  # noqa: S608
                f"SELECT {columns}, %s, %s FROM reading_stage ON CONFLICT DO NOTHING "
                "RETURNING id, source, source_record_id, metric",
                [organization.pk, now],
            )
            created_by_key = {(s, r, m): pk for pk, s, r, m in cursor.fetchall()}
            result.created = len(created_by_key)
            cursor.execute("DROP TABLE pg_temp.reading_stage")
        _alerts_evaluate(organization, items, created_by_key, now)
    return result


def _alerts_evaluate(organization, items, created_by_key, now) -> None:
    """Thresholds are checked in the ingestion transaction, as for one reading
    (services.readings_ingest): a stored reading is never left unevaluated."""
    stored, seen = [], set()
    for item in items:
        pk = created_by_key.get(item.key)
        if pk is not None and item.key not in seen:
            seen.add(item.key)
            stored.append((pk, item))
    # Only readings that can breach a rule become Reading objects (most of an import is
    # normal values): building 40,000 of them was most of a 20,000-record batch's time.
    keep = readings_needing_evaluation(
        organization, [(item.patient.pk, item.metric, item.value) for _, item in stored]
    )
    created = [reading_from_inserted(organization, stored[i][1], stored[i][0], now) for i in keep]
    alerts_evaluate_readings(readings=created)


@transaction.atomic
def readings_bulk_ingest(
    *,
    organization,
    items: list[ReadingInput],
    action: str,
    request=None,
    replace_changed: bool = False,
) -> BulkResult:
    """readings_bulk_insert plus the one audit event of the batch (ids and counts, no values)."""
    result = readings_bulk_insert(
        organization=organization, items=items, replace_changed=replace_changed
    )
    patients = sorted({i.patient.pk for i in items})
    audit_event_record(
        action=action,
        organization=organization,
        request=request,
        detail={
            "created": result.created,
            "duplicates": result.duplicates,
            "replaced": result.replaced,
            "patients": patients[:50],
            "patient_count": len(patients),
            "sources": sorted({i.source for i in items}),
        },
    )
    return result


class ValidicLookup:
    """The patients and devices a batch of Validic records names, fetched with at most three
    queries whatever the batch's size."""

    def __init__(self, organization, records: list[dict]):
        user_ids, uids, imeis = set(), set(), set()
        for record in records:
            user = record.get("user") or {}
            if user.get("user_id"):
                user_ids.add(user["user_id"])
            if user.get("uid"):
                uids.add(user["uid"])
            imei = ((record.get("source") or {}).get("device") or {}).get("id")
            if imei:
                imeis.add(str(imei))
        patients = Patient.objects.filter(organization=organization)
        self.by_user_id = {
            p.validic_user_id: p for p in patients.filter(validic_user_id__in=user_ids)
        }
        self.by_mrn = {p.mrn: p for p in patients.filter(mrn__in=uids)} if uids else {}
        self.by_imei = {
            d.identifier: d
            for d in Device.objects.filter(
                organization=organization, identifier__in=imeis
            ).select_related("item")
        }

    def patient(self, user: dict) -> Patient | None:
        found = self.by_user_id.get(user.get("user_id"))
        if found is None and user.get("uid"):
            found = self.by_mrn.get(user["uid"])
        return found

    def device(self, imei: str) -> Device | None:
        return self.by_imei.get(imei)


def validic_records_bulk_ingest(
    *,
    organization,
    records: list[dict],
    request=None,
    check_device: bool = True,
    chunk_records: int = CHUNK_RECORDS,
) -> BulkResult:
    """Validic Inform measurement records (seed 004) in volume. Each record is validated on its
    own: a bad one is reported in `errors` (record id, IngestError) and contributes nothing,
    the others are stored. A record with `deleted_at` removes what was stored for it; one whose
    `checksum` changed replaces it. One transaction and one audit event per chunk."""
    total = BulkResult()
    for start in range(0, len(records), chunk_records):
        chunk = records[start : start + chunk_records]
        lookup = ValidicLookup(organization, chunk)
        items: list[ReadingInput] = []
        errors: list[tuple[str, IngestError]] = []
        gone: list[str] = []
        for record in chunk:
            if record.get("deleted_at"):
                gone.append(record["id"])
                continue
            try:
                items.extend(
                    validic_record_inputs(
                        organization=organization,
                        record=record,
                        check_device=check_device,
                        lookup=lookup,
                    )
                )
            except IngestError as exc:
                errors.append((str(record.get("id", "")), exc))
            except (KeyError, TypeError, ValueError) as exc:
                errors.append(
                    (str(record.get("id", "")), IngestError(422, "invalid", f"bad record: {exc}"))
                )
        with transaction.atomic():
            deleted = 0
            if gone:
                deleted, _ = Reading.objects.filter(
                    organization=organization,
                    source=ReadingSource.VALIDIC,
                    source_record_id__in=gone,
                ).delete()
            if items:
                part = readings_bulk_ingest(
                    organization=organization,
                    items=items,
                    action="reading.bulk_ingest",
                    request=request,
                    replace_changed=True,
                )
            else:
                part = BulkResult()
            if deleted:
                audit_event_record(
                    action="reading.delete",
                    organization=organization,
                    request=request,
                    detail={"source": "validic", "records": len(gone), "rows": deleted},
                )
        part.deleted = deleted
        part.errors = errors
        total.add(part)
    return total
