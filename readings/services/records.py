"""The ordering rule for vendor records that carry an id and a checksum (Validic measurement
records, seed 004), applied the same way to the push (POST /api/v1/measurements) and the pull
(the 5-minute Validic sync): both reach it through readings.bulk.validic_records_bulk_ingest.

The rule (issue 15, DESIGN.md "Data rules"):
- a checksum already seen for a record id is a replay: acknowledged, nothing changes;
- a version never seen before replaces the stored one in place (same reading ids, so alerts
  and links keep pointing at them), and the replaced values are kept as a version row;
- a version with `deleted_at` removes the record's readings (their values kept as a version
  row) and leaves a tombstone; it stays deleted whatever old version is replayed, until a
  version never seen before arrives without `deleted_at`, which brings the record back.
Versions are told apart by checksum alone: the vendor sends no sequence number, so a version
first seen late (c3, then a never-seen c2) is taken as the newest. Where state lives, and why
the ledger is sparse: readings.vendor_records.

Set-based: a round of arrivals (at most one per record id) costs a fixed number of queries;
records that change (corrections, deletions) add a fixed number more."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, models
from django.utils import timezone

from readings.alerts import alerts_evaluate_readings
from readings.device_days import readings_decide
from readings.models import (
    AlertReading,
    Reading,
    VendorRecord,
    VendorRecordVersion,
    VersionChange,
)
from readings.services.ingest import ReadingInput, reading_from_inserted


@dataclass
class Arrival:
    """One vendor record as it arrived: a deletion (`deleted_at` set) or the readings its
    version normalised to (`items`, already validated)."""

    record_id: str
    checksum: str
    deleted_at: datetime | None = None
    items: list[ReadingInput] = field(default_factory=list)
    index: int = 0  # its place in the caller's list (outcomes are reported in that order)
    retried: bool = False


@dataclass
class Stored:
    pk: int
    metric: str
    checksum: str


@dataclass
class RecordState:
    ledger: VendorRecord | None = None
    stored: list[Stored] = field(default_factory=list)

    @property
    def live_seen(self) -> set[str]:
        seen = {s.checksum for s in self.stored}
        if self.ledger is not None:
            seen.update(self.ledger.checksums_seen)
        return seen

    @property
    def deletions_seen(self) -> set[str]:
        return set(self.ledger.deletions_seen) if self.ledger is not None else set()

    @property
    def is_deleted(self) -> bool:
        return self.ledger is not None and self.ledger.deleted_at is not None


class Step(enum.Enum):
    REPLAY = "replay"  # seen before: nothing changes
    CREATE = "create"  # a record never seen: store it
    CORRECT = "correct"  # a new version of a stored record: replace in place, keep history
    RESTORE = "restore"  # a new version of a deleted record: store it again
    DELETE = "delete"  # a deletion never seen: remove the readings, leave a tombstone


LEDGER_STEPS = {Step.CORRECT, Step.RESTORE, Step.DELETE}
STATUS = {
    Step.REPLAY: "duplicate",
    Step.CREATE: "created",
    Step.CORRECT: "updated",
    Step.RESTORE: "updated",
    Step.DELETE: "deleted",
}


def step_for(state: RecordState, arrival: Arrival) -> Step:
    """The rule, for one arrival given what is known of its record."""
    if arrival.deleted_at is not None:
        return Step.REPLAY if arrival.checksum in state.deletions_seen else Step.DELETE
    if arrival.checksum in state.live_seen:
        return Step.REPLAY
    if state.is_deleted:
        return Step.RESTORE
    if state.stored:
        return Step.CORRECT
    return Step.RESTORE if state.ledger is not None else Step.CREATE


def records_state(organization, source: str, record_ids) -> dict[str, RecordState]:
    """What is known of each record: its ledger row (if any) and its stored readings' ids,
    metrics and checksums. Two queries."""
    ids = list(record_ids)
    states = {record_id: RecordState() for record_id in ids}
    if not ids:
        return states
    for ledger in VendorRecord.objects.filter(
        organization=organization, source=source, source_record_id__in=ids
    ):
        states[ledger.source_record_id].ledger = ledger
    rows = Reading.objects.filter(
        organization=organization, source=source, source_record_id__in=ids
    ).values_list("pk", "source_record_id", "metric", "source_checksum")
    for pk, record_id, metric, checksum in rows:
        states[record_id].stored.append(Stored(pk, metric, checksum))
    return states


def records_lock(organization, source: str, record_ids: list[str]) -> None:
    """Hold the ledger rows of records about to change until the transaction ends (made first
    where missing), so a concurrent push and pull of one correction apply it once."""
    VendorRecord.objects.bulk_create(
        [
            VendorRecord(organization=organization, source=source, source_record_id=record_id)
            for record_id in record_ids
        ],
        ignore_conflicts=True,
    )
    list(
        VendorRecord.objects.select_for_update()
        .filter(organization=organization, source=source, source_record_id__in=record_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass
class Applied:
    """What a round did, and what is left for the caller: inserting `to_insert` (its own
    fastest way), then `settle` with the ids the insert created."""

    steps: dict[str, Step] = field(default_factory=dict)
    states: dict[str, RecordState] = field(default_factory=dict)
    to_insert: list[ReadingInput] = field(default_factory=list)
    updated: dict[str, list[int]] = field(default_factory=dict)  # record id → reading ids
    replaced: int = 0  # rows updated in place
    deleted: int = 0  # rows removed (deletions, metrics a correction dropped)


# Every column a new version may change; the row keeps its id, organization and created_at.
UPDATED_FIELDS = [
    f.name
    for f in Reading._meta.concrete_fields
    if f.name not in ("id", "organization", "created_at")
]


def records_apply(*, organization, source: str, arrivals: list[Arrival]) -> Applied:
    """Apply the rule to `arrivals` (at most one per record id) inside the caller's transaction:
    corrections, deletions, versions and ledger rows are written here; new rows are left in
    `to_insert`."""
    applied = Applied()
    states = records_state(organization, source, [a.record_id for a in arrivals])
    steps = {a.record_id: step_for(states[a.record_id], a) for a in arrivals}
    changing = [a.record_id for a in arrivals if steps[a.record_id] in LEDGER_STEPS]
    if changing:
        records_lock(organization, source, changing)
        fresh = records_state(organization, source, changing)  # as it is now that we hold it
        states.update(fresh)
        for arrival in arrivals:
            if arrival.record_id in fresh:
                steps[arrival.record_id] = step_for(fresh[arrival.record_id], arrival)
    applied.steps, applied.states = steps, states

    snapshot_of = _rows_of(
        s.pk
        for a in arrivals
        if steps[a.record_id] in (Step.CORRECT, Step.DELETE)
        for s in states[a.record_id].stored
    )
    # A correction rewrites the row in place: its day and device-day flag are decided again
    # from the new version (a corrected instant can move the reading to another day).
    readings_decide(
        [
            item
            for a in arrivals
            if steps[a.record_id] in (Step.CORRECT, Step.RESTORE)
            for item in a.items
        ]
    )
    now = timezone.now()
    versions: list[VendorRecordVersion] = []
    ledgers: list[VendorRecord] = []
    updates: list[Reading] = []
    drop: list[int] = []
    for arrival in arrivals:
        step, state = steps[arrival.record_id], states[arrival.record_id]
        if step is Step.REPLAY:
            continue
        if step is Step.CREATE:
            applied.to_insert.extend(arrival.items)
            continue
        ledger = state.ledger
        assert ledger is not None  # records_lock made it
        old = state.stored[0].checksum if state.stored else ledger.current_checksum
        if state.stored:
            versions.append(
                VendorRecordVersion(
                    record=ledger,
                    checksum=old,
                    replaced_by_checksum=arrival.checksum,
                    change=VersionChange.DELETED
                    if step is Step.DELETE
                    else VersionChange.CORRECTED,
                    values=[_snapshot(snapshot_of[s.pk]) for s in state.stored],
                    replaced_at=now,
                )
            )
        seen = list(dict.fromkeys([*ledger.checksums_seen, *(s.checksum for s in state.stored)]))
        if step is Step.DELETE:
            drop.extend(s.pk for s in state.stored)
            ledger.deletions_seen = list(dict.fromkeys([*ledger.deletions_seen, arrival.checksum]))
            ledger.deleted_at = arrival.deleted_at
            ledger.current_checksum = ""
        else:
            by_metric = {s.metric: s.pk for s in state.stored}
            for item in arrival.items:
                pk = by_metric.pop(item.metric, None)
                if pk is None:
                    applied.to_insert.append(item)
                else:
                    updates.append(reading_from_inserted(organization, item, pk, now))
                    applied.updated.setdefault(arrival.record_id, []).append(pk)
            drop.extend(by_metric.values())  # metrics the new version no longer has
            seen.append(arrival.checksum)
            ledger.deleted_at = None
            ledger.current_checksum = arrival.checksum
        ledger.checksums_seen = list(dict.fromkeys(seen))
        ledger.updated_at = now  # bulk_update does not touch auto_now fields
        ledgers.append(ledger)
    if updates:
        applied.replaced = rows_update(Reading, updates, UPDATED_FIELDS)
    if drop:
        # A withdrawn reading leaves the alerts it raised (their rule text and triage stay);
        # its values stay in the version row.
        AlertReading.objects.filter(reading_id__in=drop).delete()
        applied.deleted, _ = Reading.objects.filter(pk__in=drop).delete()
    if versions:
        VendorRecordVersion.objects.bulk_create(versions)
    if ledgers:
        rows_update(
            VendorRecord,
            ledgers,
            ["current_checksum", "checksums_seen", "deletions_seen", "deleted_at", "updated_at"],
        )
    # A corrected value is checked against the thresholds like a new one (idempotent).
    alerts_evaluate_readings(readings=updates)
    return applied


def rows_update(model, objs: list, fields: list[str]) -> int:
    """Model.objects.bulk_update(objs, fields), on PostgreSQL as one `UPDATE ... FROM
    unnest(<one array per column>)`: bulk_update's CASE WHEN per row and column cost 40 ms a
    corrected record at a page of 200 corrections (python -m tests.bench.profile bulk)."""
    if connection.vendor != "postgresql" or not objs:
        return model.objects.bulk_update(objs, fields) if objs else 0
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns, casts, sets, arrays = ["id"], ["%s::bigint[]"], [], [[o.pk for o in objs]]
    for name in fields:
        f = meta.get_field(name)
        column = connection.ops.quote_name(f.column)
        if isinstance(f, models.JSONField):
            values = [json.dumps(getattr(o, f.attname), cls=f.encoder) for o in objs]
            casts.append("%s::text[]")
            sets.append(f"{column} = v.{column}::jsonb")
        else:
            values = [f.get_db_prep_save(getattr(o, f.attname), connection) for o in objs]
            casts.append(f"%s::{f.db_type(connection)}[]")
            sets.append(f"{column} = v.{column}")
        columns.append(column)
        arrays.append(values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {', '.join(sets)} "  # noqa: S608 — names are ours
            f"FROM unnest({', '.join(casts)}) AS v({', '.join(columns)}) WHERE t.id = v.id",
            arrays,
        )
        return cursor.rowcount


def _rows_of(pks) -> dict[int, Reading]:
    pks = list(pks)
    return {r.pk: r for r in Reading.objects.filter(pk__in=pks)} if pks else {}


def _snapshot(reading: Reading) -> dict:
    """The values a version's reading had (ids, not names: no PHI beyond the values)."""
    return {
        "reading": reading.pk,
        "metric": reading.metric,
        "value": reading.value,
        "value_text": reading.value_text,
        "unit": reading.unit,
        "measured_at": reading.measured_at.isoformat(),
        "device": reading.device_id,
        "device_tz_offset": reading.device_tz_offset,
        "origin": reading.origin,
    }


def one_per_record(arrivals: list[Arrival]) -> tuple[list[Arrival], list[Arrival]]:
    """(the first arrival of each record id, the rest): a list may carry several versions of
    one record, and each must meet the state the one before it left."""
    first: list[Arrival] = []
    rest: list[Arrival] = []
    seen: set[str] = set()
    for arrival in arrivals:
        (rest if arrival.record_id in seen else first).append(arrival)
        seen.add(arrival.record_id)
    return first, rest
