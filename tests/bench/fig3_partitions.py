"""Figure 3 on monthly partitions: readings.partitioning converts the populated readings table
(10M rows over 24 months at BENCH_SCALE=1) to declarative monthly range partitions — a copy: the
plain table is kept aside and takes its name back afterwards — and figure 3's chart measurement
runs again on the partitioned table. `make bench` only (BENCH_PARTITIONS=0 skips it)."""

from __future__ import annotations

import os
import time

from django.db import connection, transaction

from readings.partitioning import readings_partition, readings_unpartition

PLAIN = "readings_reading_plain"


def wanted() -> bool:
    return os.environ.get("BENCH_PARTITIONS", "1") != "0"


def on_partitions(measure, patient):
    """(measure(patient)'s result on the partitioned copy, partitions, rows moved, seconds the
    conversion took)."""
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        converted = readings_partition(cursor, keep_old_as=PLAIN)
    seconds = time.monotonic() - started
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) readings_reading")
        result = measure(patient)
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            readings_unpartition(cursor, old=PLAIN)
    return result, converted.partitions, converted.rows, seconds
