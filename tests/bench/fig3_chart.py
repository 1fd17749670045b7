"""Figure 3 — chart query: one patient's 1-year heart-rate chart (bucketed by day), served by
readings.selectors.readings_series + readings.charts.chart_payload, when the readings table
holds 1M rows and when it holds 10M. Goals: 10M/1M ≤ 1.3 (cost follows the patient's rows, not
the table's size) and ≤ 3× a bare indexed SELECT of the same bucketed rows. Then (make bench
only) the same chart on the 10M rows converted to monthly partitions (fig3_partitions): its
ratio to the plain 1M-row chart, same goal."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from readings import charts, selectors
from readings.models import Reading
from readings.units import Metric
from tests.bench import fig3_partitions
from tests.bench.common import Cast, Figure, interleaved, ms, scale, scaled

SMALL = 1_000_000
LARGE = 10_000_000
PATIENT_EVERY_SECONDS = 300  # the charted patient: a heart rate every 5 minutes for a year
GOAL_GROWTH = 1.3
GOAL_BARE = 3.0
REPEAT = 25


def _secondary_indexes() -> list[str]:
    """CREATE statements of the table's indexes and unique constraint, primary key aside."""
    table = Reading._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) "
            "AND indexname NOT LIKE %s",
            [table, table, "%pkey"],
        )
        statements = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        statements += [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for name, definition in cursor.fetchall()
        ]
    return statements


YEAR = 365 * 86400


def _load(
    rows: int, *, patient_ids: list[int], organization_id: int, charted=None, span=YEAR
) -> None:
    """Generate `rows` readings of other patients in SQL (and, once, the charted patient's
    year), in time order as ingestion would write them. Setup, not measured: indexes are
    dropped and rebuilt around the load and FK triggers skipped, as a restore would."""
    table = Reading._meta.db_table
    rebuild = _secondary_indexes()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
            [table, "%pkey"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM " + table)  # noqa: S608
        offset = cursor.fetchone()[0]
        parts = [
            # Other patients: a mix of metrics over the last year.
            "SELECT %(org)s AS organization_id, "
            "(%(patients)s::bigint[])[1 + (g %% %(n)s)] AS patient_id, "
            "(ARRAY['heart_rate','spo2','systolic','weight'])[1 + (g / %(n)s) %% 4] AS metric, "
            "60 + (g %% 50)::float AS value, "
            "now() - make_interval(secs => (g::bigint * 7919) %% %(span)s) AS measured_at, "
            "'gen' || (%(offset)s + g) AS source_record_id "
            "FROM generate_series(1, %(rows)s) AS g"
        ]
        params = {
            "org": organization_id,
            "patients": patient_ids,
            "n": len(patient_ids),
            "rows": rows,
            "offset": offset,
            "span": span,
        }
        if charted is not None:
            parts.append(
                "SELECT %(org)s, %(charted)s, 'heart_rate', 55 + (g %% 60)::float, "
                "now() - make_interval(secs => g * %(every)s), 'chart' || g "
                "FROM generate_series(1, %(charted_rows)s) AS g"
            )
            params.update(
                charted=charted.pk,
                every=PATIENT_EVERY_SECONDS,
                charted_rows=365 * 86400 // PATIENT_EVERY_SECONDS,
            )
        union = " UNION ALL ".join(parts)
        cursor.execute(
            f"INSERT INTO {table} (organization_id, patient_id, metric, metric_key, value, "  # noqa: S608
            "value_text, unit, loinc, measured_at, source, manual, is_phi, source_record_id, "
            "source_checksum, measurement_group, created_at, local_day, local_offset, "
            "transmitted, origin) "
            "SELECT organization_id, patient_id, metric, '', value, '', '', '', measured_at, "
            "'api', false, true, source_record_id, '', '', now(), "
            "(measured_at AT TIME ZONE 'UTC')::date, 0, false, '' "
            f"FROM ({union}) AS generated"
            # The first load is written in time order, as ingestion writes; the growth after it
            # is other patients' backfill, order irrelevant to the charted patient.
            + (" ORDER BY measured_at" if charted is not None else ""),
            params,
        )
        cursor.execute("SET session_replication_role = origin")
        for statement in rebuild:
            cursor.execute(statement)
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def _bare(sql, params, *, prefix=""):
    """The selector's own bucketed SQL, straight from the cursor: no selector, no payload."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{selectors.CHART_WORK_MEM}'")
        cursor.execute(prefix + sql, params)
        return cursor.fetchall()


def explain(sql, params) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the bucketed query: the profile of this figure."""
    rows = _bare(sql, params, prefix="EXPLAIN (ANALYZE, BUFFERS) ")
    return "\n".join("      " + row[0] for row in rows)


def _measure(patient) -> tuple[float, float, int]:
    end = datetime.now(tz=UTC) + timedelta(minutes=1)
    start = end - timedelta(days=365)
    size = selectors.bucket_seconds_for(start, end)
    sql, params = selectors.bucket_query(patient, [Metric.HEART_RATE], start, end, size)

    def chart():
        series = selectors.readings_series(patient, Metric.HEART_RATE, start, end)
        return charts.chart_payload(patient, Metric.HEART_RATE, series)

    payload = chart()
    if not payload["bucketed"] or len(payload["x"]) < 300:
        raise RuntimeError(f"expected a bucketed year, got {len(payload['x'])} points")
    # Best of REPEAT: the 1M and 10M states are minutes apart, so the least-disturbed run of
    # each is the fairest comparison on a shared machine (PostgreSQL's buffer counts in
    # BENCH_EXPLAIN=1 show the work is the same).
    chart_times, bare_times = interleaved(chart, lambda: _bare(sql, params), repeat=REPEAT)
    chart_time, bare_time = min(chart_times), min(bare_times)
    if os.environ.get("BENCH_EXPLAIN"):
        print(explain(sql, params), flush=True)
    return chart_time, bare_time, len(payload["x"])


def _rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {Reading._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0]


def run(cast: Cast) -> Figure:
    figure = Figure(3, "Chart query (1-year chart, bucketed)")
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Reading._meta.db_table} RESTART IDENTITY CASCADE")
    charted = cast.patients[0]
    others = [p.pk for p in cast.patients[1:]]
    charted_rows = 365 * 86400 // PATIENT_EVERY_SECONDS
    small = scaled(SMALL, 200_000)
    large = scaled(LARGE, 2_000_000)
    t0 = time.monotonic()
    _load(
        small - charted_rows,
        patient_ids=others,
        organization_id=cast.organization.pk,
        charted=charted,
    )
    small_rows = _rows()
    figure.notes.append(f"generated {small_rows:,} rows in {time.monotonic() - t0:.0f} s")
    chart_small, bare_small, points = _measure(charted)
    t0 = time.monotonic()
    # The growth spans two years (24 monthly partitions in fig3_partitions).
    _load(
        large - small_rows,
        patient_ids=others,
        organization_id=cast.organization.pk,
        span=2 * YEAR,
    )
    large_rows = _rows()
    figure.notes.append(f"grew to {large_rows:,} rows in {time.monotonic() - t0:.0f} s")
    chart_large, bare_large, _ = _measure(charted)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_table_size(%s::regclass), pg_indexes_size(%s::regclass)",
            [Reading._meta.db_table] * 2,
        )
        heap, indexes = cursor.fetchone()
    figure.notes.append(
        f"size at {large_rows:,} rows: table {heap / 2**30:.2f} GiB + indexes "
        f"{indexes / 2**30:.2f} GiB = {(heap + indexes) / large_rows:.0f} bytes per reading"
    )
    growth = chart_large / chart_small
    versus_bare = max(chart_large / bare_large, chart_small / bare_small)
    figure.measured = (
        f"{charted_rows:,} readings -> {points} daily buckets, best of {REPEAT}: "
        f"{ms(chart_small)} at {small_rows / 1e6:.1f}M rows, {ms(chart_large)} at "
        f"{large_rows / 1e6:.1f}M rows; bare SELECT {ms(bare_small)} / {ms(bare_large)}"
    )
    figure.check(
        f"{large_rows / 1e6:.1f}M/{small_rows / 1e6:.1f}M rows",
        growth,
        f"<= {GOAL_GROWTH}",
        growth <= GOAL_GROWTH,
    )
    figure.check("vs bare SELECT", versus_bare, f"<= {GOAL_BARE:g}", versus_bare <= GOAL_BARE)
    if fig3_partitions.wanted():
        (chart_parts, bare_parts, _), partitions, moved, seconds = fig3_partitions.on_partitions(
            _measure, charted
        )
        figure.measured += (
            f"; on {partitions} monthly partitions: {ms(chart_parts)}, bare {ms(bare_parts)}"
        )
        figure.notes.append(
            f"partitioned copy: {moved:,} rows into {partitions} monthly partitions + default "
            f"in {seconds:.0f} s (readings.partitioning.readings_partition)"
        )
        growth_parts = chart_parts / chart_small
        figure.check(
            f"partitioned {large_rows / 1e6:.1f}M/plain {small_rows / 1e6:.1f}M rows",
            growth_parts,
            f"<= {GOAL_GROWTH}",
            growth_parts <= GOAL_GROWTH,
        )
    if scale() != 1:
        figure.notes.append(
            f"scaled: {small_rows:,} and {large_rows:,} rows instead of {SMALL:,} and {LARGE:,}"
        )
    return figure
