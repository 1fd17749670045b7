"""Bulk ingestion: the write path for volume (vendor pulls, backfills; `make bench` figure 1).

The same validation and normalisation as one reading (services.validic_record_inputs,
services.numeric_reading), but look-ups are made once per batch, and rows reach PostgreSQL with
`COPY` into a temporary staging table followed by one `INSERT ... SELECT ... ON CONFLICT DO
NOTHING`: dedupe stays the database's rule (`reading_unique_source_record`), exactly as for one
reading, and a replayed or concurrent batch inserts nothing twice. On other databases (the
SQLite demo) the multi-row INSERT of services.readings_insert does the same job more slowly.

Validic records, pushed (POST /api/v1/measurements) or pulled (readings.sync), are all stored by
validic_records_bulk_ingest: one write path, one behaviour for replays, corrections and
deletions (readings.services.records).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from devices.models import Device
from portal.audit import audit_event_record
from portal.models import Patient
from readings.alerts import alerts_evaluate_readings, readings_needing_evaluation
from readings.models import Reading, ReadingSource
from readings.services.ingest import (
    READING_COLUMNS,
    IngestError,
    ReadingInput,
    reading_from_inserted,
    reading_row,
    readings_insert_by_key,
)
from readings.services.records import STATUS, Arrival, Step, one_per_record, records_apply
from readings.services.sources import validic_arrival

# Columns the staging table carries; organization_id and created_at are the same for a batch
# and are added by the INSERT ... SELECT.
STAGED_COLUMNS = [c for c in READING_COLUMNS if c not in ("organization_id", "created_at")]
# Records per transaction: big enough that COPY dominates, small enough that a failure
# redoes little and locks are held briefly.
CHUNK_RECORDS = 20_000


@dataclass
class RecordOutcome:
    """What one vendor record did (the push answers one of these per record)."""

    record_id: str
    status: str  # created | duplicate | updated | deleted | error
    reading_ids: list[int] = field(default_factory=list)
    error: IngestError | None = None


@dataclass
class BulkResult:
    """Counts only: a bulk caller wants totals, not a million model instances back. Rows:
    `created` inserted, `replaced` updated in place by a new version, `deleted` removed."""

    staged: int = 0
    created: int = 0
    replaced: int = 0
    deleted: int = 0
    errors: list[tuple[str, IngestError]] = field(default_factory=list)
    created_ids: dict[tuple, int] = field(default_factory=dict)  # this call's only, not added

    @property
    def duplicates(self) -> int:
        return self.staged - self.created - self.replaced

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


def readings_bulk_insert(*, organization, items: list[ReadingInput]) -> BulkResult:
    """Store `items` in one transaction; returns how many were new (and their ids by key).
    A row whose key is stored already inserts nothing (ON CONFLICT DO NOTHING)."""
    result = BulkResult(staged=len(items))
    if not items:
        return result
    with transaction.atomic():
        if connection.vendor != "postgresql":
            created_by_key, now = readings_insert_by_key(organization, items)
            result.created, result.created_ids = len(created_by_key), created_by_key
            _alerts_evaluate(organization, items, created_by_key, now)
            return result
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
            now = timezone.now()
            cursor.execute(
                f"INSERT INTO {table} ({columns}, organization_id, created_at) "  # noqa: S608
                f"SELECT {columns}, %s, %s FROM reading_stage ON CONFLICT DO NOTHING "
                "RETURNING id, source, source_record_id, metric",
                [organization.pk, now],
            )
            created_by_key = {(s, r, m): pk for pk, s, r, m in cursor.fetchall()}
            result.created, result.created_ids = len(created_by_key), created_by_key
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
    *, organization, items: list[ReadingInput], action: str, request=None
) -> BulkResult:
    """readings_bulk_insert plus the one audit event of the batch (ids and counts, no values)."""
    result = readings_bulk_insert(organization=organization, items=items)
    _audit(organization, items, result, action, request)
    return result


def _audit(organization, items, result: BulkResult, action: str, request) -> None:
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
    action: str = "reading.bulk_ingest",
    outcomes: list[RecordOutcome] | None = None,
) -> BulkResult:
    """Validic Inform measurement records (seed 004), pushed or pulled: the one write path.
    Each record is validated on its own: a bad one is reported in `errors` (record id,
    IngestError) and contributes nothing, the others are stored. Replays, corrections and
    deletions follow readings.services.records. One transaction and one audit event per chunk;
    with `outcomes`, one RecordOutcome per record is appended to it, in the records' order."""
    total = BulkResult()
    for start in range(0, len(records), chunk_records):
        chunk = records[start : start + chunk_records]
        lookup = ValidicLookup(organization, chunk)
        arrivals: list[Arrival] = []
        part_outcomes: list[RecordOutcome | None] = [None] * len(chunk)
        errors: list[tuple[str, IngestError]] = []
        for index, record in enumerate(chunk):
            try:
                arrivals.append(
                    validic_arrival(
                        organization=organization,
                        record=record,
                        index=index,
                        check_device=check_device,
                        lookup=lookup,
                    )
                )
            except (IngestError, KeyError, TypeError, ValueError) as exc:
                if not isinstance(exc, IngestError):
                    exc = IngestError(422, "invalid", f"bad record: {exc}")
                record_id = str(record.get("id", "")) if isinstance(record, dict) else ""
                errors.append((record_id, exc))
                part_outcomes[index] = RecordOutcome(record_id, "error", error=exc)
        with transaction.atomic():
            part = _arrivals_store(organization, arrivals, part_outcomes)
            items = [i for a in arrivals if a.deleted_at is None for i in a.items]
            if items:
                _audit(organization, items, part, action, request)
            if part.deleted:
                audit_event_record(
                    action="reading.delete",
                    organization=organization,
                    request=request,
                    detail={"source": "validic", "rows": part.deleted},
                )
        part.errors = errors
        total.add(part)
        if outcomes is not None:
            outcomes.extend(o for o in part_outcomes if o is not None)
    return total


def _arrivals_store(organization, arrivals: list[Arrival], outcomes: list) -> BulkResult:
    """Round by round (each record id at most once a round), apply the rule, insert what is
    new, and fill in each arrival's outcome."""
    result = BulkResult(staged=sum(len(a.items) for a in arrivals if a.deleted_at is None))
    pending = arrivals
    while pending:
        this_round, pending = one_per_record(pending)
        applied = records_apply(
            organization=organization, source=ReadingSource.VALIDIC, arrivals=this_round
        )
        inserted = readings_bulk_insert(organization=organization, items=applied.to_insert)
        result.created += inserted.created
        result.replaced += applied.replaced
        result.deleted += applied.deleted
        lost = []
        for arrival in this_round:
            step = applied.steps[arrival.record_id]
            ids = [pk for i in arrival.items if (pk := inserted.created_ids.get(i.key)) is not None]
            if step is Step.CREATE and not ids and not arrival.retried:
                # Stored meanwhile by a concurrent request: judged again against what it stored.
                arrival.retried = True
                lost.append(arrival)
                result.staged += len(arrival.items)  # it is counted again next round
                continue
            if step is Step.REPLAY:
                stored = applied.states[arrival.record_id]
                ids = [] if stored.is_deleted else [s.pk for s in stored.stored]
            ids += applied.updated.get(arrival.record_id, [])
            outcomes[arrival.index] = RecordOutcome(arrival.record_id, STATUS[step], sorted(ids))
        pending = lost + pending
    return result
