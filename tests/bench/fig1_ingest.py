"""Figure 1 — bulk ingestion, on the path production uses: the Validic pull
(readings.sync.validic_measurements_sync), fed the records exactly as the Validic client returns
them (JSON-decoded seed 004 records: timestamps as strings), page by page at the pull's own page
size, each page validated and normalised as the pull does (no device rule: check_device=False)
and stored by readings.bulk.validic_records_bulk_ingest in its own transaction with its cursor
saved — the one write path the push (POST /api/v1/measurements) shares. The stream ends with
later versions of some records (corrections and deletions), as Validic's stream carries them.
Versus a raw psycopg `COPY` of the same readings into the same table, in one transaction.
Only the HTTP transport is left out (the client is stubbed in process). Goal: ≥ 0.75 of COPY."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from unittest import mock

from django.db import connection, transaction

from portal.sync import sync_run_start
from readings import bulk, sync
from readings.clients import Page, ValidicMeasurementsClient
from readings.models import Reading
from tests.bench.common import Cast, Figure, rate, rng, scaled, timed

READINGS = 1_000_000  # at BENCH_SCALE=1; two metrics per record, as in seed 004's example
GOAL = 0.75
# The pull's own page size: each page is one call of the write path and one transaction.
PAGE = inspect.signature(sync.validic_measurements_sync).parameters["page_size"].default
CORRECT_EVERY = 100  # 1 record in 100 gets a corrected version later in the stream
DELETE_EVERY = 500  # 1 in 500 is deleted later in the stream


def validic_records(cast: Cast, count: int) -> list[dict]:
    """`count` measurement records shaped exactly like seed 004's Smart Meter sample (spo2 +
    pulse from an iPulseOx), spread over the last year across the cast."""
    random = rng("fig1")
    now = datetime.now(tz=UTC).replace(microsecond=0)
    records = []
    for i in range(count):
        patient = cast.patients[i % len(cast.patients)]
        device = cast.devices[i % len(cast.devices)]
        start = now - timedelta(seconds=random.randrange(60, 365 * 86400))
        stamp = start.isoformat().replace("+00:00", "Z")
        records.append(
            {
                "checksum": f"{random.getrandbits(96):024x}",
                "created_at": stamp,
                "deleted_at": None,
                "end_time": stamp,
                "id": f"bench{i:012d}",
                "log_id": str(500000000000000 + i),
                "metrics": [
                    {
                        "type": "spo2",
                        "origin": "device",
                        "unit": "percent",
                        # Mostly normal, about 1 in 100 low enough to open an alert.
                        "value": float(random.randint(93, 100) if i % 100 else 91),
                    },
                    {"type": "pulse", "origin": "device", "unit": "bpm", "value": 55 + i % 50},
                ],
                "offset_origin": "source",
                "source": {
                    "type": "smart_meter",
                    "device": {
                        "id": device.identifier,
                        "model": "smc-ox",
                        "manufacturer": "smart meter",
                        "diagnostics": [],
                    },
                },
                "start_time": stamp,
                "tags": [],
                "type": "measurement",
                "user": {
                    "organization_id": "5ef0ef69SAMPLEba562",
                    "user_id": patient.validic_user_id,
                    "uid": patient.mrn,
                },
                "user_notes": [],
                "utc_offset": -14400,
                "version": "1.0",
            }
        )
    return records


def copy_rows(cast: Cast, records: list[dict]) -> list[tuple]:
    """The rows the service would store, built outside the clock: the COPY baseline gets them
    ready-made, which is what "raw COPY of the same rows" means."""
    from readings.device_days import readings_decide
    from readings.services.sources import validic_record_inputs

    lookup = bulk.ValidicLookup(cast.organization, records)
    now = datetime.now(tz=UTC)
    items = [
        item
        for record in records
        for item in validic_record_inputs(
            organization=cast.organization, record=record, lookup=lookup, check_device=False
        )
    ]
    readings_decide(items)  # each row's local day and device-day flag, as the service stores
    return [(cast.organization.pk, *bulk.staged_row(item), now) for item in items]


def readings_empty() -> None:
    table = Reading._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        cursor.execute("CHECKPOINT")


def copy_baseline(rows: list[tuple]) -> None:
    table = Reading._meta.db_table
    columns = ", ".join(["organization_id", *bulk.STAGED_COLUMNS, "created_at"])
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def later_versions(records: list[dict]) -> tuple[list[dict], int, int]:
    """Corrections (a new checksum, another pulse) and deletions (`deleted_at` set) of some of
    `records`, as Validic's stream carries them after the first versions."""
    random = rng("fig1-versions")
    versions, corrected, deleted = [], 0, 0
    for i, record in enumerate(records):
        if i % CORRECT_EVERY == CORRECT_EVERY // 2:
            version = {**record, "checksum": f"{random.getrandbits(96):024x}"}
            version["metrics"] = [record["metrics"][0], {**record["metrics"][1], "value": 77}]
            versions.append(version)
            corrected += 1
        elif i % DELETE_EVERY == 7:
            stamp = record["created_at"]
            checksum = f"{random.getrandbits(96):024x}"
            versions.append({**record, "checksum": checksum, "deleted_at": stamp})
            deleted += 1
    return versions, corrected, deleted


class StreamClient:
    """ValidicMeasurementsClient's list_measurements over records already decoded, as its
    `json()` returns them: the pull runs unchanged, without the HTTP transport."""

    def __init__(self, records: list[dict]):
        self.records = records

    def list_measurements(self, *, cursor: str | None = None, limit: int = PAGE) -> Page:
        start = int(cursor or 0)
        items = self.records[start : start + limit]
        end = start + len(items)
        return Page(items, str(end), end < len(self.records), len(self.records) - start)


def pull(cast: Cast, stream: list[dict]):
    """The Validic pull (readings.sync) over `stream`, from an empty cursor."""
    run = sync_run_start(organization=cast.organization, kind=sync.VALIDIC_MEASUREMENTS)
    run.cursor = ""
    client = StreamClient(stream)
    with mock.patch.object(ValidicMeasurementsClient, "for_organization", return_value=client):
        return sync.validic_measurements_sync(run=run)


def run(cast: Cast) -> Figure:
    figure = Figure(1, "Bulk ingestion (the Validic pull -> readings)")
    readings = scaled(READINGS, 2000)
    records = validic_records(cast, readings // 2)
    versions, corrected, deleted = later_versions(records)
    rows = copy_rows(cast, records)
    count = len(rows)

    readings_empty()
    copy_seconds = timed(lambda: copy_baseline(rows))
    assert Reading.objects.count() == count
    rows.clear()  # free the memory before the service's run

    readings_empty()
    outcome = {}
    stream = records + versions
    service_seconds = timed(lambda: outcome.update(run=pull(cast, stream)))
    done = outcome["run"]
    if done.errors or done.created != count or done.processed != len(stream):
        raise RuntimeError(
            f"the pull stored {done.created} of {count} readings "
            f"({len(done.errors)} records refused: {done.errors[:3]})"
        )
    # Each correction replaced its 2 readings in place; each deletion removed 2.
    assert done.updated == 2 * (corrected + deleted), (done.updated, corrected, deleted)
    assert Reading.objects.count() == count - 2 * deleted
    # A replay of the last page's first versions inserts nothing (dedupe is part of the path).
    replay = bulk.validic_records_bulk_ingest(
        organization=cast.organization, records=records[-PAGE:], check_device=False
    )
    assert replay.created == 0
    assert replay.replaced == 0
    assert replay.duplicates == len(records[-PAGE:]) * 2

    ratio = copy_seconds / service_seconds
    figure.measured = (
        f"{count:,} readings pulled in pages of {PAGE} (+{corrected:,} corrections, "
        f"{deleted:,} deletions): service {rate(count, service_seconds)} "
        f"({service_seconds:.1f} s) vs COPY {rate(count, copy_seconds)} ({copy_seconds:.1f} s)"
    )
    figure.check("of COPY", ratio, f">= {GOAL}", ratio >= GOAL)
    figure.notes.append(
        "path: readings.sync.validic_measurements_sync -> readings.bulk."
        "validic_records_bulk_ingest (client stubbed in process)"
    )
    if readings != READINGS:
        figure.notes.append(f"scaled: {count:,} readings instead of {READINGS:,}")
    return figure
