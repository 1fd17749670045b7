"""Figure 7 — the patient page (`patients:detail`, care's whole page through the test client:
header with the devices' last readings, latest of each metric, the 30-day chart, timeline,
medications, billing numbers, alerts, every panel): render time and query count for a patient
with 5 years of minute-level readings from three devices (≈ 7.9 M rows) and for one with one
month of the same data, in the same database and run. Goal (issue 19): time ratio ≤ 1.3 and
the same query count.

Data in SQL (INSERT … SELECT generate_series, a quarter per statement): a blood-pressure cuff
sends systolic and diastolic every 2 minutes, a heart-rate monitor and an oximeter a value a
minute; once a day the cuff's systolic crosses the organization's default rule (the
timeline's "readings out of range"). BENCH_SCALE scales the years (0.1: six months)."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.bench.common import Figure, ms, scale

GOAL_TIME = 1.3
REPEAT = 9
YEARS = 5
CHUNK_DAYS = 91
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
    """Minute-level readings of the three devices from `start` to `end`, a quarter per
    statement (the roster trigger folds each statement in one pass)."""
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
                            true, %s || m, '', '', now(), (at AT TIME ZONE %s)::date,
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


def _page(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"patient page answered {response.status_code}")
    return elapsed, len(queries.captured_queries)


def run() -> Figure:
    from portal.models import Organization, Role
    from readings.thresholds import threshold_defaults_ensure
    from tests import factories

    years = max(1 / 12, YEARS * scale())
    figure = Figure(7, f"Patient page ({years:g} years of minute data vs one month)")
    organization = Organization.objects.create(slug="patient-page", name="Patient page")
    threshold_defaults_ensure(organization=organization)
    nurse = factories.staff(organization, Role.NURSE, username="bench-nurse-page")
    now = datetime.now(tz=UTC).replace(second=0, microsecond=0)
    t0, urls, rows = time.monotonic(), {}, {}
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
        rows[label] = _readings(patient, device_ids, now - span, now)
        urls[label] = reverse("patients:detail", args=[patient.pk])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) readings_reading")
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
