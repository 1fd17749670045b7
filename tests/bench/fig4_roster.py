"""Figure 4 — the care team's roster page (`care:roster`, the full view through the test
client: filters, selectors, audit, template): render time and query count for an organization
of 100 patients and one of 100,000, in the same database and run, for every sort and every
filter of the page. Goal (issue 19): the same query count, time ratio ≤ 2 per page.

Data as care's first bench had it (a third of the patients stopped sending), in
SQL: every patient sends a device reading a day for BENCH_ROSTER_DAYS days (30 by default, so
the 100,000-patient side alone holds ~2.8M readings); BENCH_SCALE scales the large side."""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from tests.bench.common import Figure, ms, scaled
from tests.bench.fig7_patient_page import bulk_load

GOAL_TIME = 2.0
REPEAT = 9
SMALL, LARGE = 100, 100_000
# Every sort and every filter of the page (readings.care.forms.RosterFilterForm).
CASES = {
    "default (attention first)": "",
    "by name": "?sort=name",
    "oldest reading first": "?sort=last_reading",
    "by device days": "?sort=days",
    "by minutes": "?sort=minutes",
    "needs attention": "?attention=on",
    "below 16 days": "?below16=on",
    "no data for 3 days": "?nodata=3",
    "my patients": "?mine=on",
    "search": "?q=Bench0000",
}
MY_SHARE = 10  # one patient in MY_SHARE has the bench nurse as primary nurse


def roster_url() -> str | None:
    try:
        return reverse("care:roster")
    except NoReverseMatch:
        return None


def _populate(organization, count: int, prefix: str, days: int) -> None:
    now = datetime.now(tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO portal_patient (organization_id, mrn, first_name, last_name, birth_date,
                sex, zip_code, time_zone, phone, email, is_active, email_links_consent,
                consent_method, consent_text_version, discharge_reason, discharge_note,
                vendor_link_problems, created_at, updated_at)
            SELECT %s, %s || g, 'Pat' || g, 'Bench' || lpad(g::text, 6, '0'), DATE '1950-01-01',
                'unknown', '10027', (ARRAY['America/New_York','America/Chicago',
                'America/Denver', 'America/Los_Angeles'])[1 + g %% 4], '', '', true, false,
                '', '', '', '', '{}', now(), now()
            FROM generate_series(1, %s) g
            """,
            [organization.pk, prefix, count],
        )
        cursor.execute(
            "SELECT id FROM portal_patient WHERE organization_id = %s AND mrn LIKE %s",
            [organization.pk, prefix + "%"],
        )
        ids = [row[0] for row in cursor.fetchall()]
    # Triggers off for this load (the roster-state trigger folded these readings at a few
    # thousand rows a second), then each patient's roster state computed once.
    with bulk_load(ids), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO readings_reading (organization_id, patient_id, metric, metric_key, value,
                value_text, unit, loinc, measured_at, source, manual, is_phi, source_record_id,
                source_checksum, measurement_group, created_at, local_day, local_offset,
                transmitted, origin)
            SELECT organization_id, id, 'systolic', '', 110 + (id + d) %% 60, '',
                'mm[Hg]', '8480-6', at, 'impilo', false, true, 'roster-' || id || '-' || d, '',
                '', now(), (at AT TIME ZONE time_zone)::date,
                extract(epoch FROM (at AT TIME ZONE time_zone) - (at AT TIME ZONE 'UTC')),
                true,  -- as a device assigned to the patient sends them (device days)
                ''  -- Validic's origin: none sent (Impilo)
            FROM (
                SELECT p.organization_id, p.id, p.time_zone, d,
                       %s - make_interval(days => d, hours => (p.id %% 12)::int) AS at
                FROM portal_patient p, generate_series(0, %s - 1) d
                WHERE p.organization_id = %s AND p.mrn LIKE %s
                  AND (d >= 20 OR p.id %% 3 <> 0)  -- a third stopped sending 20 days ago
            ) generated
            """,
            [now, days, organization.pk, prefix + "%"],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def _no_data_alerts(organization, template_org) -> None:
    """The no-data alerts the rule would open for the patients who stopped sending, in one
    statement shaped like one the rule opened in `template_org` (alerts_check_no_data opens
    them one transaction each: ~30 ms apiece, a quarter of an hour at 100,000 patients)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM care_alert WHERE organization_id = %s ORDER BY id LIMIT 1",
            [template_org.pk],
        )
        row = cursor.fetchone()
        if row is None:
            return
        names = [c.name for c in cursor.description]
        template = dict(zip(names, row, strict=True))
        own = {"id", "organization_id", "patient_id", "rule_id", "detail"}
        copied = [n for n in names if n not in own]
        cursor.execute(
            f"""
            INSERT INTO care_alert (organization_id, patient_id, rule_id, detail,
                {", ".join(copied)})
            SELECT p.organization_id, p.id,
                (SELECT r.id FROM care_thresholdrule r
                 WHERE r.organization_id = p.organization_id AND r.patient_id IS NULL
                   AND r.kind = %s ORDER BY r.id LIMIT 1),
                jsonb_build_object('last_reading_at', s.last_reading_at),
                {", ".join(["%s"] * len(copied))}
            FROM portal_patient p JOIN care_rosterstate s ON s.patient_id = p.id
            WHERE p.organization_id = %s AND p.id %% 3 = 0
            """,  # noqa: S608 (column names come from the table itself)
            [template["kind"], *(template[n] for n in copied), organization.pk],
        )


def _insert_cost(organization) -> tuple[float, float]:
    """Median time of one single-row reading INSERT (what the heart-rate API does) with the
    roster-state trigger and with it disabled, in blocks taken in turns, inside a transaction
    that is rolled back (the commit's fsync is the same either way and not measured)."""
    from django.db import transaction

    trigger = "care_roster_readings_ins"
    if not _has_trigger(trigger):
        return 0.0, 0.0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM portal_patient WHERE organization_id = %s ORDER BY id LIMIT 1",
            [organization.pk],
        )
        (patient_id,) = cursor.fetchone()
    sql = """
        INSERT INTO readings_reading (organization_id, patient_id, metric, metric_key, value,
            value_text, unit, loinc, measured_at, source, manual, is_phi, source_record_id,
            source_checksum, measurement_group, created_at, local_day, local_offset,
            transmitted, origin)
        VALUES (%s, %s, 'heart_rate', '', 70, '', '/min', '8867-4', now(), 'impilo', false,
            true, %s, '', '', now(), (now() AT TIME ZONE 'UTC')::date, 0, true, '')
    """
    timings = {True: [], False: []}

    class _Rollback(Exception):
        pass

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Django's foreign keys are checked at commit; checked per statement instead, no
            # event is pending when the trigger is switched (the check costs the same).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            n = 0
            for block in range(8):
                enabled = block % 2 == 0
                action = "ENABLE" if enabled else "DISABLE"
                cursor.execute(f"ALTER TABLE readings_reading {action} TRIGGER {trigger}")
                for _ in range(100):
                    n += 1
                    start = time.perf_counter()
                    cursor.execute(sql, [organization.pk, patient_id, f"hot-path-{n}"])
                    timings[enabled].append(time.perf_counter() - start)
            raise _Rollback
    except _Rollback:
        pass
    return statistics.median(timings[True]), statistics.median(timings[False])


def _has_trigger(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [name])
        return cursor.fetchone() is not None


def _page(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"roster answered {response.status_code}")
    return elapsed, len(queries.captured_queries)


def run() -> Figure:
    from portal.models import Organization, Role
    from readings.alerts import alerts_check_no_data
    from readings.thresholds import threshold_defaults_ensure
    from tests import factories

    figure = Figure(4, "Roster page (100 vs 100,000 patients)")
    url = roster_url()
    if url is None:
        figure.skipped = (
            "the care-team roster (readings.care, URL care:roster) is not merged into "
            "this branch yet"
        )
        return figure
    days = int(os.environ.get("BENCH_ROSTER_DAYS", "30"))
    large_count = scaled(LARGE, 1000)
    clients, t0 = {}, time.monotonic()
    small_org = None
    for label, count in (("small", SMALL), ("large", large_count)):
        organization = Organization.objects.create(slug=f"roster-{label}", name=f"Roster {label}")
        _populate(organization, count, f"R{label[0].upper()}", days)
        threshold_defaults_ensure(organization=organization)
        if small_org is None:
            alerts_check_no_data(organization=organization)
            small_org = organization
        else:
            _no_data_alerts(organization, small_org)
        nurse = factories.staff(organization, Role.NURSE, username=f"bench-nurse-{label}")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE portal_patient SET primary_nurse_id = %s "
                "WHERE organization_id = %s AND id %% %s = 0",
                [nurse.pk, organization.pk, MY_SHARE],
            )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(nurse)
        clients[label] = client
    figure.notes.append(
        f"loaded {SMALL + large_count:,} patients with {days} days of readings in "
        f"{time.monotonic() - t0:.0f} s"
    )
    worst_ratio, same_queries, parts = 0.0, True, []
    for name, query in CASES.items():
        small_times, large_times, counts = [], [], set()
        for i in range(REPEAT + 2):  # two warm-ups, then turns
            small, small_queries = _page(clients["small"], url + query)
            large, large_queries = _page(clients["large"], url + query)
            if i >= 2:
                small_times.append(small)
                large_times.append(large)
            counts.add((small_queries, large_queries))
        small_t, large_t = statistics.median(small_times), statistics.median(large_times)
        ratio = large_t / small_t
        worst_ratio = max(worst_ratio, ratio)
        (q_small, q_large), *_ = counts
        same_queries &= all(a == b for a, b in counts)
        parts.append(
            f"{name}: {ms(small_t)} vs {ms(large_t)} ({ratio:.2f}x), queries {q_small}/{q_large}"
        )
    figure.measured = "; ".join(parts)
    with_trigger, without = _insert_cost(organization)
    if with_trigger:
        figure.notes.append(
            f"ingestion hot path: one single-row reading INSERT {with_trigger * 1e6:.0f} µs "
            f"with the roster-state trigger, {without * 1e6:.0f} µs without (median of 400)"
        )
    figure.check(
        "query count 100,000/100", 1.0 if same_queries else 0.0, "equal (1.00)", same_queries
    )
    figure.check(
        "time 100,000/100, worst page", worst_ratio, f"<= {GOAL_TIME:g}", worst_ratio <= GOAL_TIME
    )
    if large_count != LARGE:
        figure.notes.append(f"scaled: {large_count:,} patients instead of {LARGE:,}")
    return figure
