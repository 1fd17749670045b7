"""Bulk ingestion: the write path for volume (vendor pulls, backfills; `make bench` figure 1).

The same validation and normalisation as one reading (services.validic_record_inputs,
services.numeric_reading), but look-ups are made once per batch, and rows reach PostgreSQL as
one `INSERT ... SELECT ... FROM unnest(<one array per column>) ON CONFLICT DO NOTHING` per few
thousand rows: one round trip, no staging table (the COPY into a temporary table it replaced
cost five round trips and catalog churn per batch, and an ON COMMIT DROP table is all a
transaction-pooled connection may hold). Dedupe stays the database's rule
(`reading_unique_source_record`), exactly as for one reading, and a replayed or concurrent batch
inserts nothing twice. On other databases (the SQLite demo) the multi-row INSERT of
services.readings_insert does the same job more slowly.

Validic records, pushed (POST /api/v1/measurements) or pulled (readings.sync), are all stored by
validic_records_bulk_ingest: one write path, one behaviour for replays, corrections and
deletions (readings.services.records). A record never seen (no stored reading, no ledger row) is
the common case, and the rule says CREATE for it without reading anything: those are inserted
by one statement whose NOT EXISTS conditions are the rule's (`_new_records_store`); what that
statement does not insert — deletions, records stored before, records with a ledger — is judged
by records_apply against what is stored.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from devices.models import Device
from portal.audit import audit_event_record
from portal.models import Patient
from readings.alerts import alerts_evaluate_readings, readings_needing_evaluation
from readings.device_days import readings_decide
from readings.models import Reading, ReadingSource, VendorRecord
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

# Columns sent per row; organization_id and created_at are the same for a batch and are added
# by the INSERT ... SELECT.
STAGED_COLUMNS = [c for c in READING_COLUMNS if c not in ("organization_id", "created_at")]
# Records per transaction: big enough that the insert dominates, small enough that a failure
# redoes little and locks are held briefly.
CHUNK_RECORDS = 20_000
# Rows per INSERT statement: its arrays travel as one query's parameters.
STATEMENT_ROWS = 5_000


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
        else:
            created_by_key, now = _rows_insert(organization, items)
        result.created, result.created_ids = len(created_by_key), created_by_key
        _alerts_evaluate(organization, items, created_by_key, now)
    return result


@functools.cache
def _row_columns() -> str:
    """The staged columns read from one JSON array per row, each cast to its column's type."""
    fields = {f.column: f for f in Reading._meta.concrete_fields}
    return ", ".join(
        f"(e->>{i})::{fields[c].db_type(connection)} AS {c}" for i, c in enumerate(STAGED_COLUMNS)
    )


def _json_value(value):
    if isinstance(value, date):  # datetimes too: ISO 8601 with the offset, as PostgreSQL reads
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a reading row")


def _rows_insert(organization, items: list[ReadingInput], *, new_records_only: bool = False):
    """({key: id} of the rows created, their created_at), PostgreSQL. The rows travel as one
    JSON parameter (json.dumps is C; a list per column or COPY's row formatting cost several
    times more Python per row). With `new_records_only`, rows of a record that has a stored
    reading or a ledger row in this organization are not inserted either: the rule
    (records.step_for) says CREATE only for a record never seen."""
    now = timezone.now()
    _decide(items)
    table = connection.ops.quote_name(Reading._meta.db_table)
    columns = ", ".join(STAGED_COLUMNS)
    only_new, extra = "", []
    if new_records_only:
        ledger = connection.ops.quote_name(VendorRecord._meta.db_table)
        # OFFSET 0 keeps the NOT EXISTS a per-row probe of the unique index: as an anti-join
        # the planner may hash every reading of the organization (seen: 38,000 rows scanned
        # for a page of 1,000, growing with the table). The ledger is read once per statement,
        # for this batch's record ids only, and hashed: probed per row, its small table was
        # walked through its organization index (every ledger row of the organization, for
        # every row inserted: a pull's corrections slowed each later page).
        only_new = (
            f"WHERE (s.source, s.source_record_id) NOT IN (SELECT v.source, v.source_record_id "  # noqa: S608
            f"FROM {ledger} v WHERE v.organization_id = %s AND v.source = ANY(%s) "
            "AND v.source_record_id = ANY(%s)) "
            f"AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.organization_id = %s "
            "AND r.source = s.source AND r.source_record_id = s.source_record_id OFFSET 0) "
        )
        extra = [
            organization.pk,
            sorted({i.source for i in items}),
            sorted({i.source_record_id for i in items}),
            organization.pk,
        ]
    sql = (
        f"INSERT INTO {table} ({columns}, organization_id, created_at) "  # noqa: S608
        f"SELECT s.*, %s, %s FROM (SELECT {_row_columns()} "
        f"FROM jsonb_array_elements(%s::jsonb) AS e) AS s {only_new}"
        "ON CONFLICT DO NOTHING RETURNING id, source, source_record_id, metric"
    )
    created: dict[tuple, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(items), STATEMENT_ROWS):
            rows = [staged_row(item) for item in items[start : start + STATEMENT_ROWS]]
            data = json.dumps(rows, default=_json_value, separators=(",", ":"))
            cursor.execute(sql, [organization.pk, now, data, *extra])
            created.update({(s, r, m): pk for pk, s, r, m in cursor.fetchall()})
    return created, now


def _decide(items: list[ReadingInput]) -> None:
    """readings_decide, once per distinct input: the readings of one vendor record share the
    patient, instant, offsets, device, source and origin its answer depends on."""
    first: dict[tuple, ReadingInput] = {}
    copies = []
    for item in items:
        key = (
            item.patient.pk,
            item.measured_at,
            item.device.pk if item.device is not None else None,
            item.patient_tz_offset,
            item.manual,
            item.source,
            item.origin,
        )
        decided = first.setdefault(key, item)
        if decided is not item:
            copies.append((item, decided))
    readings_decide(list(first.values()))
    for item, decided in copies:
        item.local_day, item.local_offset = decided.local_day, decided.local_offset
        item.transmitted = decided.transmitted


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
    queries whatever the batch's size. One lookup may serve the pages of one pull: `add` fetches
    only what earlier pages did not name."""

    def __init__(self, organization, records: Sequence[dict] = ()):
        self.organization = organization
        self.by_user_id: dict = {}
        self.by_mrn: dict = {}
        self.by_imei: dict = {}
        self.add(records)

    def add(self, records: Sequence[dict]) -> None:
        user_ids, uids, imeis = set(), set(), set()
        for record in records:
            if not isinstance(record, dict):
                continue
            user = record.get("user") or {}
            if not isinstance(user, dict):
                continue
            if user.get("user_id") and user["user_id"] not in self.by_user_id:
                user_ids.add(user["user_id"])
            if user.get("uid") and user["uid"] not in self.by_mrn:
                uids.add(user["uid"])
            source = record.get("source") or {}
            imei = ((source.get("device") or {}) if isinstance(source, dict) else {}).get("id")
            if imei and str(imei) not in self.by_imei:
                imeis.add(str(imei))
        patients = Patient.objects.filter(organization=self.organization)
        if user_ids:
            self.by_user_id.update(
                (p.validic_user_id, p) for p in patients.filter(validic_user_id__in=user_ids)
            )
        if uids:
            self.by_mrn.update((p.mrn, p) for p in patients.filter(mrn__in=uids))
        if imeis:
            self.by_imei.update(
                (d.identifier, d)
                for d in Device.objects.filter(
                    organization=self.organization, identifier__in=imeis
                ).select_related("item")
            )

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
    lookup: ValidicLookup | None = None,
) -> BulkResult:
    """Validic Inform measurement records (seed 004), pushed or pulled: the one write path.
    Each record is validated on its own: a bad one is reported in `errors` (record id,
    IngestError) and contributes nothing, the others are stored. Replays, corrections and
    deletions follow readings.services.records. One transaction and one audit event per chunk;
    with `outcomes`, one RecordOutcome per record is appended to it, in the records' order.
    `lookup` carries patients and devices over from an earlier call (the pages of one pull)."""
    total = BulkResult()
    for start in range(0, len(records), chunk_records):
        chunk = records[start : start + chunk_records]
        if lookup is None:
            lookup = ValidicLookup(organization, chunk)
        else:
            lookup.add(chunk)
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
    """Records never seen first, in one statement; then, round by round (each record id at
    most once a round), apply the rule to the rest, insert what is new, and fill in each
    arrival's outcome."""
    result = BulkResult(staged=sum(len(a.items) for a in arrivals if a.deleted_at is None))
    first, later = one_per_record(arrivals)
    pending = _new_records_store(organization, first, outcomes, result) + later
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


def _new_records_store(organization, arrivals: list[Arrival], outcomes, result) -> list[Arrival]:
    """Insert the readings of `arrivals` (one per record id) whose record was never seen, and
    return the arrivals left for the rule: deletions, and records this inserted nothing for
    (stored before, with a ledger row, or stored meanwhile by a concurrent request — the
    statement waits for it and inserts nothing, and the rule then reads what it stored)."""
    fresh = [a for a in arrivals if a.deleted_at is None and a.items]
    if connection.vendor != "postgresql" or not fresh:
        return arrivals
    items = [item for arrival in fresh for item in arrival.items]
    created_by_key, now = _rows_insert(organization, items, new_records_only=True)
    result.created += len(created_by_key)
    rest = [a for a in arrivals if a.deleted_at is not None or not a.items]
    for arrival in fresh:
        ids = [pk for i in arrival.items if (pk := created_by_key.get(i.key)) is not None]
        if ids:
            outcomes[arrival.index] = RecordOutcome(arrival.record_id, "created", sorted(ids))
        else:
            arrival.retried = True  # the rule's judgement is final: no second attempt
            rest.append(arrival)
    _alerts_evaluate(organization, items, created_by_key, now)
    return rest
