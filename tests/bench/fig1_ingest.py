"""Figure 1 — bulk ingestion: Validic-shaped readings per second through the real ingestion
service (validation, normalisation, dedupe, insert: readings.bulk.validic_records_bulk_ingest)
versus a raw psycopg `COPY` of the same rows into the same table. Goal: ≥ 0.5 of COPY."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from readings import bulk
from readings.models import Reading
from tests.bench.common import Cast, Figure, rate, rng, scaled, timed

READINGS = 1_000_000  # at BENCH_SCALE=1; two metrics per record, as in seed 004's example
GOAL = 0.5


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
            organization=cast.organization, record=record, lookup=lookup
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


def run(cast: Cast) -> Figure:
    figure = Figure(1, "Bulk ingestion (Validic records -> readings)")
    readings = scaled(READINGS, 2000)
    records = validic_records(cast, readings // 2)
    rows = copy_rows(cast, records)
    count = len(rows)

    readings_empty()
    copy_seconds = timed(lambda: copy_baseline(rows))
    assert Reading.objects.count() == count
    rows.clear()  # free the memory before the service's run

    readings_empty()
    outcome = {}
    service_seconds = timed(
        lambda: outcome.update(
            result=bulk.validic_records_bulk_ingest(organization=cast.organization, records=records)
        )
    )
    result = outcome["result"]
    if result.errors or result.created != count:
        raise RuntimeError(
            f"ingestion stored {result.created} of {count} readings "
            f"({len(result.errors)} records refused: {result.errors[:3]})"
        )
    # A replay of the last chunk must insert nothing (dedupe is part of what is measured).
    replay = bulk.validic_records_bulk_ingest(
        organization=cast.organization, records=records[-1000:]
    )
    assert replay.created == 0
    assert replay.duplicates == len(records[-1000:]) * 2

    ratio = copy_seconds / service_seconds
    figure.measured = (
        f"{count:,} readings: service {rate(count, service_seconds)} "
        f"({service_seconds:.1f} s) vs COPY {rate(count, copy_seconds)} ({copy_seconds:.1f} s)"
    )
    figure.check("of COPY", ratio, f">= {GOAL}", ratio >= GOAL)
    if readings != READINGS:
        figure.notes.append(f"scaled: {count:,} readings instead of {READINGS:,}")
    return figure
