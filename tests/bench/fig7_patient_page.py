"""Figure 7 — the patient page (`patients:detail`, care's whole page through the test client:
header with the devices' last readings, latest of each metric, the 30-day chart, timeline,
medications, billing numbers, alerts, every panel): render time and query count for a patient
with 5 years of minute-level readings from three devices (≈ 7.9 M rows) and for one with one
month of the same data, in the same database and run. Goal (issue 19): time ratio ≤ 1.3 and
the same query count.

Data in SQL (INSERT … SELECT generate_series, a year of one metric per statement, loaded by
`bulk_load`: triggers and secondary indexes off for the bench's own load, ~6 minutes at
BENCH_SCALE=1): a blood-pressure cuff sends systolic and diastolic every 2 minutes, a
heart-rate monitor and an oximeter a value a minute; once a day the cuff's systolic crosses
the organization's default rule (the timeline's "readings out of range").
BENCH_SCALE scales the years (0.1: six months)."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.bench.common import Figure, ms, scale

GOAL_TIME = 1.3
REPEAT = 9
YEARS = 5
CHUNK_DAYS = 366
# (metric, unit, LOINC, minutes between readings, minute offset, value expression of m)
STREAMS = {
    "cuff": [
        (
            "systolic",
            "mm[Hg]",
            "8480-6",
            2,
            0,
            "CASE WHEN m %% 1440 = 0 THEN 185 ELSE 110 + m %% 30 END",
        ),
        ("diastolic", "mm[Hg]", "8462-4", 2, 0, "70 + m %% 15"),
    ],
    "monitor": [("heart_rate", "/min", "8867-4", 1, 0, "60 + m %% 40")],
    "oximeter": [("spo2", "%", "59408-5", 1, 0, "94 + m %% 5")],
}


def _readings(patient, device_ids: dict, start: datetime, end: datetime) -> int:
    """Minute-level readings of the three devices from `start` to `end`: a year of one metric
    per statement (inside `bulk_load`). Record ids are zero-padded so every index grows at
    one end, as a device's stream does."""
    total = 0
    chunk_start = start
    with connection.cursor() as cursor:
        while chunk_start < end:
            chunk_end = min(end, chunk_start + timedelta(days=CHUNK_DAYS))
            for device, streams in STREAMS.items():
                for metric, unit, loinc, every, offset, value in streams:
                    cursor.execute(
                        f"""
                        INSERT INTO readings_reading (organization_id, patient_id, device_id,
                            metric, metric_key, value, value_text, unit, loinc, measured_at,
                            source, manual, is_phi, source_record_id, source_checksum,
                            measurement_group, created_at, local_day, local_offset,
                            transmitted, origin)
                        SELECT %s, %s, %s, %s, '', {value}, '', %s, %s, at, 'impilo', false,
                            true, %s || lpad(m::text, 8, '0'), '', '', now(),
                            (at AT TIME ZONE %s)::date,
                            extract(epoch FROM (at AT TIME ZONE %s) - (at AT TIME ZONE 'UTC')),
                            true, ''
                        FROM (SELECT m, %s + make_interval(mins => m) AS at
                              FROM generate_series(%s, %s, %s) m) g
                        """,  # noqa: S608 (the value expressions are this module's constants)
                        [
                            patient.organization_id,
                            patient.pk,
                            device_ids[device],
                            metric,
                            unit,
                            loinc,
                            f"page-{patient.pk}-{metric}-",
                            patient.time_zone,
                            patient.time_zone,
                            start,
                            int((chunk_start - start).total_seconds() // 60) + offset,
                            int((chunk_end - start).total_seconds() // 60) - 1,
                            every,
                        ],
                    )
                    total += cursor.rowcount
            chunk_start = chunk_end
    return total


@contextmanager
def bulk_load(patient_ids: list[int]):
    """The bench's own load of readings, on its own connection, at the speed of the disk
    rather than of the ingestion path: session_replication_role = replica switches off this
    session's triggers — the roster-state trigger (it folds every inserted row into the
    patient's state: ~4,400 rows/s, half an hour for five years of minute data) and the
    foreign-key checks (the ids are the ones just created) — and the readings' secondary
    indexes are dropped for the load and built again after it (one sort each instead of
    millions of insertions). Then the patients' roster state is computed once, as the
    trigger would have left it."""
    table = "readings_reading"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND i.indexrelid NOT IN (
                SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass)
            """,
            [table, table],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET session_replication_role = replica")
        try:
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            yield
        finally:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'care_roster_refresh'")
        if cursor.fetchone() is not None:
            cursor.execute("SELECT care_roster_refresh(%s::bigint[])", [patient_ids])


def _page(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"patient page answered {response.status_code}")
    return elapsed, len(queries.captured_queries)


def load(years: float) -> tuple:
    """(nurse, {label: url}, {label: rows}): the one-month and the `years` patients."""
    from portal.models import Organization, Role
    from readings.thresholds import threshold_defaults_ensure
    from tests import factories

    organization = Organization.objects.create(slug="patient-page", name="Patient page")
    threshold_defaults_ensure(organization=organization)
    nurse = factories.staff(organization, Role.NURSE, username="bench-nurse-page")
    now = datetime.now(tz=UTC).replace(second=0, microsecond=0)
    urls, rows, loads = {}, {}, []
    for label, span in (("month", timedelta(days=30)), ("years", timedelta(days=365 * years))):
        patient = factories.PatientFactory(
            organization=organization, last_name=f"Page{label}", primary_nurse=nurse
        )
        device_ids = {
            name: factories.AssignedDeviceFactory(
                organization=organization, assigned_patient=patient
            ).pk
            for name in STREAMS
        }
        loads.append((label, patient, device_ids, now - span))
        urls[label] = reverse("patients:detail", args=[patient.pk])
    with bulk_load([patient.pk for _label, patient, _ids, _start in loads]):
        for label, patient, device_ids, start in loads:
            rows[label] = _readings(patient, device_ids, start, now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) readings_reading")
    return nurse, urls, rows


def run() -> Figure:
    years = max(1 / 12, YEARS * scale())
    figure = Figure(7, f"Patient page ({years:g} years of minute data vs one month)")
    t0 = time.monotonic()
    nurse, urls, rows = load(years)
    figure.notes.append(
        f"loaded {rows['years']:,} and {rows['month']:,} readings in {time.monotonic() - t0:.0f} s"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(nurse)
    times, counts = {"month": [], "years": []}, set()
    for i in range(REPEAT + 2):  # two warm-ups, then turns
        month, month_queries = _page(client, urls["month"])
        years_t, years_queries = _page(client, urls["years"])
        if i >= 2:  # the warm-ups fill caches (rules, sessions): their counts differ
            times["month"].append(month)
            times["years"].append(years_t)
            counts.add((month_queries, years_queries))
    small, large = statistics.median(times["month"]), statistics.median(times["years"])
    ratio = large / small
    same_queries = all(a == b for a, b in counts)
    (q_month, q_years), *_ = counts
    figure.measured = (
        f"one month {ms(small)} vs {years:g} years {ms(large)} ({ratio:.2f}x), "
        f"queries {q_month}/{q_years}"
    )
    figure.check(
        "query count years/month", 1.0 if same_queries else 0.0, "equal (1.00)", same_queries
    )
    figure.check(f"time {years:g} years/one month", ratio, f"<= {GOAL_TIME:g}", ratio <= GOAL_TIME)
    return figure
