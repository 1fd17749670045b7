"""`make bench`: the roster at 10,000 patients with a year of readings (one device reading a
day each, 3.65 million rows) against a baseline of 100 patients in the same database and run.
Asserts the query count is the same at both sizes and prints timings and their ratios.

Skipped unless BENCH=1 (it takes a few minutes on 2 cores); `make test` does not run it."""

import datetime as dt
import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Organization, Patient
from readings.care import selectors, services
from tests import factories

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="set BENCH=1 (make bench)")

DAYS = 365
NOW = dt.datetime.now(tz=dt.UTC)


def _populate(org, count, prefix):
    """`count` patients with a year of daily device readings, in SQL (fast, realistic)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO portal_patient (organization_id, mrn, first_name, last_name, birth_date,
                zip_code, time_zone, phone, email, is_active, created_at, updated_at)
            SELECT %s, %s || g, 'Pat' || g, 'Bench' || lpad(g::text, 6, '0'), DATE '1950-01-01',
                '10027', (ARRAY['America/New_York','America/Chicago','America/Denver',
                'America/Los_Angeles'])[1 + g %% 4], '', '', true, now(), now()
            FROM generate_series(1, %s) g
            """,
            [org.pk, prefix, count],
        )
        cursor.execute(
            """
            INSERT INTO readings_reading (organization_id, patient_id, metric, metric_key, value,
                value_text, unit, loinc, measured_at, source, manual, is_phi, source_record_id,
                source_checksum, measurement_group, created_at)
            SELECT p.organization_id, p.id, 'systolic', '', 110 + (p.id + d) %% 60, '',
                'mm[Hg]', '8480-6', %s - make_interval(days => d, hours => (p.id %% 12)::int),
                'impilo', false, true, 'bench-' || p.id || '-' || d, '', '', now()
            FROM portal_patient p, generate_series(0, %s - 1) d
            WHERE p.organization_id = %s AND p.mrn LIKE %s
              AND (d >= 20 OR p.id %% 3 <> 0)  -- a third stopped sending 20 days ago
            """,
            [NOW, DAYS, org.pk, prefix + "%"],
        )
        cursor.execute("ANALYZE")


def _time_roster(org, user, filters, repeat=3):
    best = None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            page = list(selectors.roster_patients(org, filters, user=user, now=NOW)[:25])
            selectors.roster_rows(page, now=NOW)
            from django.core.paginator import Paginator

            Paginator(selectors.roster_patients(org, filters, now=NOW), 25).count  # noqa: B018
            elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, len(ctx.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_roster_at_ten_thousand_patients(capsys):
    small = factories.OrganizationFactory(slug="bench-small")
    large = factories.OrganizationFactory(slug="bench-large")
    nurse_small = factories.staff(small, username="bench-nurse-s")
    nurse_large = factories.staff(large, username="bench-nurse-l")
    t0 = time.perf_counter()
    _populate(small, 100, "S")
    _populate(large, 10_000, "L")
    load_seconds = time.perf_counter() - t0
    # some alerts, through the real service, so the alert subqueries have rows to find
    for org in (small, large):
        services.threshold_defaults_ensure(organization=org)
        services.alerts_check_no_data(organization=org, now=NOW)
    assert Patient.objects.filter(organization=large).count() == 10_000

    cases = {
        "default (attention first)": selectors.RosterFilters(),
        "by name": selectors.RosterFilters(sort="name"),
        "needs attention": selectors.RosterFilters(attention=True),
        "no data 3 days": selectors.RosterFilters(no_data_days=3),
        "below 16 days": selectors.RosterFilters(below_16=True, sort="name"),
    }
    lines = [f"loaded 10,100 patients and their readings in {load_seconds:.0f} s"]
    for name, filters in cases.items():
        base, base_queries = _time_roster(small, nurse_small, filters)
        big, big_queries = _time_roster(large, nurse_large, filters)
        assert big_queries == base_queries, (name, base_queries, big_queries)
        lines.append(
            f"roster {name:<28} 100: {base * 1000:7.1f} ms   10,000: {big * 1000:8.1f} ms"
            f"   ratio {big / base:6.1f}×   queries {big_queries}"
        )
    start = time.perf_counter()
    month = NOW.date().replace(day=1)
    patients = list(selectors.billing_patients(large, month)[:50])
    selectors.billing_lines(patients, month, now=NOW)
    lines.append(
        f"billing page (50 of 10,000)            {1000 * (time.perf_counter() - start):8.1f} ms"
    )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert Organization.objects.count() >= 2
