"""The monthly billing report and CSV: codes from readings/billing.py on evidence gathered in
SQL (device days in the patient's time zone, manual readings excluded, minutes per calendar
month), with the edges that matter: 15 vs 16 days, 19 vs 20 minutes, a month boundary, a DST
day."""

import csv
import datetime as dt
import io
import zoneinfo
from http import HTTPStatus

import pytest

from portal.models import AuditEvent
from readings import billing
from readings.care import selectors
from tests.factories import PatientFactory, entry, reading

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
OCTOBER = dt.date(2026, 10, 1)
EPISODE = dt.date(2026, 10, 1)  # period 1: Oct 1–30, period 2: Oct 31–Nov 29


def at_local(day: dt.date, hour=9, zone=CHICAGO):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


@pytest.fixture
def monitored(org):
    return PatientFactory(
        organization=org,
        last_name="Billable",
        time_zone="America/Chicago",
        monitoring_started_on=EPISODE,
    )


def line_for(patient, month, now=None):
    return selectors.billing_lines(
        [patient], month, now=now or dt.datetime(2026, 12, 15, tzinfo=dt.UTC)
    )[0]


def device_days(patient, count, start=EPISODE, **kwargs):
    for i in range(count):
        reading(patient, "systolic", 120, at=at_local(start + dt.timedelta(days=i)), **kwargs)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, []),
        (2, ["99453", "99445"]),
        (15, ["99453", "99445"]),
        (16, ["99453", "99454"]),
        (30, ["99453", "99454"]),
    ],
)
def test_device_days_tiers_in_the_first_period(monitored, days, expected):
    device_days(monitored, days)
    line = line_for(monitored, OCTOBER)
    assert [(p.first, p.last) for p in line.periods] == [(EPISODE, dt.date(2026, 10, 30))]
    assert line.code_names == expected
    assert len(line.periods[0].days) == days


def test_manual_readings_are_not_device_days(monitored):
    device_days(monitored, 15)
    reading(monitored, "weight", 180, at=at_local(dt.date(2026, 10, 20)), manual=True)
    assert line_for(monitored, OCTOBER).code_names == ["99453", "99445"]


def test_several_readings_on_one_day_count_once(monitored):
    for hour in (7, 12, 20):
        reading(monitored, "systolic", 120, at=at_local(EPISODE, hour))
    reading(monitored, "systolic", 120, at=at_local(EPISODE + dt.timedelta(days=1)))
    assert line_for(monitored, OCTOBER).periods[0].days == [EPISODE, EPISODE + dt.timedelta(days=1)]


def test_days_are_counted_in_the_patients_time_zone(monitored):
    # 23:30 in Chicago on Oct 5 is Oct 6 in UTC: it counts on Oct 5.
    reading(
        monitored, "systolic", 120, at=at_local(dt.date(2026, 10, 5), 23) + dt.timedelta(minutes=30)
    )
    assert line_for(monitored, OCTOBER).periods[0].days == [dt.date(2026, 10, 5)]


def test_a_dst_day_is_one_day(org):
    # US DST ends Sunday Nov 1, 2026: 00:30 and 23:30 local are 24 h 60 min apart, one day.
    patient = PatientFactory(
        organization=org, time_zone="America/Chicago", monitoring_started_on=dt.date(2026, 10, 3)
    )
    day = dt.date(2026, 11, 1)
    reading(patient, "systolic", 120, at=dt.datetime(2026, 11, 1, 0, 30, tzinfo=CHICAGO))
    reading(patient, "systolic", 120, at=dt.datetime(2026, 11, 1, 23, 30, tzinfo=CHICAGO))
    reading(patient, "systolic", 120, at=dt.datetime(2026, 10, 31, 23, 59, tzinfo=CHICAGO))
    line = line_for(patient, dt.date(2026, 11, 1))
    assert line.periods[0].days == [dt.date(2026, 10, 31), day]


def test_a_period_is_reported_in_the_month_it_ends(monitored):
    device_days(monitored, 16, start=dt.date(2026, 10, 31))  # all in period 2 (Oct 31–Nov 29)
    october = line_for(monitored, OCTOBER)
    november = line_for(monitored, dt.date(2026, 11, 1))
    assert [p.first for p in october.periods] == [EPISODE]
    assert october.code_names == []  # period 1 had no data; period 2 is November's
    assert [(p.first, p.last) for p in november.periods] == [
        (dt.date(2026, 10, 31), dt.date(2026, 11, 29))
    ]
    # the first period had no device day, so set-up goes to this one, the first with 2+
    assert november.code_names == ["99453", "99454"]


@pytest.mark.parametrize(
    ("episode", "month", "expected"),
    [
        (
            dt.date(2026, 10, 1),
            dt.date(2026, 10, 1),
            [(dt.date(2026, 10, 1), dt.date(2026, 10, 30))],
        ),
        # 31-day month holding two period ends
        (
            dt.date(2026, 12, 1),
            dt.date(2027, 1, 1),
            [(dt.date(2026, 12, 31), dt.date(2027, 1, 29))],
        ),
        (
            dt.date(2026, 11, 2),
            dt.date(2026, 12, 1),
            [
                (dt.date(2026, 11, 2), dt.date(2026, 12, 1)),
                (dt.date(2026, 12, 2), dt.date(2026, 12, 31)),
            ],
        ),
        # February may hold no period end
        (dt.date(2027, 1, 31), dt.date(2027, 2, 1), []),
        (dt.date(2026, 10, 15), dt.date(2026, 9, 1), []),  # before the episode
    ],
)
def test_periods_ending_in_a_month(episode, month, expected):
    assert billing.periods_ending_in(episode, month) == expected


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([(9, True)], []),
        ([(10, True)], ["99470"]),
        ([(12, True)], ["99470"]),
        ([(19, True)], ["99470"]),
        ([(20, True)], ["99457"]),
        ([(15, False), (5, True)], ["99457"]),  # the call may be in any entry of the month
        ([(30, False)], []),  # no interactive call: nothing
        ([(39, True)], ["99457"]),
        ([(40, True)], ["99457", "99458"]),
    ],
)
def test_management_minutes_codes(monitored, alice, entries, expected):
    for minutes, call in entries:
        entry(monitored, alice, minutes=minutes, interactive=call, day=dt.date(2026, 10, 12))
    assert [c.code for c in line_for(monitored, OCTOBER).management] == expected


def test_minutes_on_the_last_and_first_day_of_months_are_kept_apart(monitored, alice):
    entry(monitored, alice, minutes=10, interactive=True, day=dt.date(2026, 10, 31))
    entry(monitored, alice, minutes=10, interactive=True, day=dt.date(2026, 11, 1))
    assert line_for(monitored, OCTOBER).time.management_minutes == 10
    assert [c.code for c in line_for(monitored, OCTOBER).management] == ["99470"]


def test_deleted_entries_do_not_count(monitored, alice):
    from readings.care import services

    e = entry(monitored, alice, minutes=25, interactive=True, day=dt.date(2026, 10, 12))
    services.time_entry_delete(entry=e, by=alice)
    assert line_for(monitored, OCTOBER).time.management_minutes == 0


def test_interpretation_99091(monitored, petra):
    entry(monitored, petra, minutes=30, activity="interpretation", day=dt.date(2026, 10, 12))
    assert line_for(monitored, OCTOBER).code_names == ["99091"]


def test_episode_starts_at_first_device_reading_when_unset(org):
    patient = PatientFactory(organization=org, time_zone="America/Chicago")
    reading(patient, "systolic", 120, at=at_local(dt.date(2026, 10, 10)))
    reading(patient, "systolic", 120, at=at_local(dt.date(2026, 10, 11)))
    reading(patient, "weight", 180, at=at_local(dt.date(2026, 10, 1)), manual=True)
    line = line_for(patient, dt.date(2026, 11, 1))
    assert line.episode_start == dt.date(2026, 10, 10)
    assert line.code_names == ["99453", "99445"]


# --- the page and the CSV -------------------------------------------------------------------
def test_billing_page_shows_codes_and_evidence(nurse_client, monitored, alice):
    device_days(monitored, 16)
    entry(monitored, alice, minutes=22, interactive=True, day=dt.date(2026, 10, 12))
    response = nurse_client.get("/billing/?month=2026-10")
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    for code in ("99453", "99454", "99457"):
        assert f">{code}<" in body
    assert "Oct 16" in body  # a date with data, listed as evidence
    assert "22 min" in body
    event = AuditEvent.objects.get(action="billing.view")
    assert event.detail == {"month": "2026-10", "patients": [monitored.pk]}


def test_bad_month_shows_a_message(nurse_client, monitored):
    response = nurse_client.get("/billing/?month=2026-13")
    assert response.status_code == HTTPStatus.OK
    assert "That month is not valid" in response.content.decode()
    assert nurse_client.get("/billing.csv?month=nope").status_code == HTTPStatus.BAD_REQUEST


def test_csv_has_one_line_per_period_with_its_evidence(nurse_client, monitored, alice):
    device_days(monitored, 3)
    entry(monitored, alice, minutes=12, interactive=True, day=dt.date(2026, 10, 12), note="=cmd")
    response = nurse_client.get("/billing.csv?month=2026-10")
    assert response["Content-Disposition"] == 'attachment; filename="rpm-billing-2026-10.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["mrn"] == monitored.mrn
    assert row["device_dates"] == "2026-10-01 2026-10-02 2026-10-03"
    assert row["device_days"] == "3"
    assert row["management_minutes"] == "12"
    assert row["interactive_call"] == "yes"
    assert row["codes_met"] == "99453 99445 99470"
    assert row["time_entries"].startswith(
        "2026-10-12 12 min Real-time call or visit with the patient or caregiver "
        "(Phone (real-time audio), patient) by Alice"
    )
    assert row["time_entries"].endswith("(nurse)")
    assert AuditEvent.objects.filter(action="billing.export").count() == 1


def test_outsider_sees_none_of_our_billing(client, olga, monitored):
    client.force_login(olga)
    assert monitored.last_name.encode() not in client.get("/billing/?month=2026-10").content
    body = client.get("/billing.csv?month=2026-10").content
    assert monitored.mrn.encode() not in body


@pytest.mark.parametrize("count", [3, 30])
def test_billing_page_query_count_is_constant(
    nurse_client, org, alice, count, django_assert_max_num_queries
):
    for i in range(count):
        p = PatientFactory(organization=org, monitoring_started_on=EPISODE)
        device_days(p, 3)
        entry(p, alice, minutes=5 + i, day=dt.date(2026, 10, 12))
    with django_assert_max_num_queries(15):  # + is the month signed; + the Solo visits (contact)
        response = nurse_client.get("/billing/?month=2026-10")
    assert len(response.context["lines"]) == count


def test_a_discharged_patient_keeps_the_days_before_discharge_and_no_more(org, monitored):
    """Discharge on Nov 15 (issue 18): the period Oct 31–Nov 29 counts the 16 days before it
    and none of the days a device still assigned sent after; the patient is listed in
    November's report though inactive with no time logged."""
    device_days(monitored, 25, start=dt.date(2026, 10, 31))  # Oct 31 – Nov 24
    monitored.is_active = False
    monitored.discharged_on = dt.date(2026, 11, 15)
    monitored.discharge_reason = "goals_met"
    monitored.save()
    november = dt.date(2026, 11, 1)
    assert list(selectors.billing_patients(org, november)) == [monitored]
    line = line_for(monitored, november)
    assert [(p.first, p.last, len(p.days)) for p in line.periods] == [
        (dt.date(2026, 10, 31), dt.date(2026, 11, 29), 16)
    ]
    assert line.code_names == ["99453", "99454"]
    # Two months on, no period reaches back to the discharge: not listed.
    assert list(selectors.billing_patients(org, dt.date(2027, 1, 1))) == []


def test_device_days_are_read_as_one_row_per_day_not_per_reading(monitored):
    """Many readings on one day come back from the database as one (patient, day) row: the
    DISTINCT must not carry Reading's default ordering columns (measured_at, id), which made it
    return every reading of the month to Python (issue 19)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for hour in range(6, 18):
        reading(monitored, "systolic", 120 + hour, at=at_local(EPISODE, hour=hour))
    with CaptureQueriesContext(connection) as queries:
        line_for(monitored, OCTOBER)
    # Read as days (a DISTINCT of days, or index probes of days), never as readings: no
    # query of the readings carries their instants back.
    on_readings = [q["sql"] for q in queries if "readings_reading" in q["sql"]]
    assert on_readings
    for sql in on_readings:
        assert "measured_at" not in sql.lower(), sql


def test_device_days_are_index_probes_not_a_scan_of_the_history(monitored):
    """The patient page shows this month's billing numbers for patients with years of
    minute data: device days are read by probes of the (patient, local_day) index — the
    month's periods' days and the walk to the set-up period — never by grouping or
    de-duplicating every reading the patient sent (issue 19)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    device_days(monitored, 3)
    with CaptureQueriesContext(connection) as queries:
        line = line_for(monitored, OCTOBER)
    assert line.code_names == ["99453", "99445"]
    for query in queries:
        if "readings_reading" in query["sql"]:
            sql = query["sql"].upper()
            assert "GROUP BY" not in sql, sql
            assert "DISTINCT" not in sql, sql


@pytest.mark.parametrize(
    "offsets",
    [
        [0, 1],  # set-up in the first period
        [0],  # never two days in one period: no set-up
        [29, 30],  # two days, two periods: no set-up
        [0, 30, 60, 61],  # the third period
        [5, 40, 75, 100, 130, 131],  # the fifth, months after the episode started
        [3, 33, 34, 63, 64],  # the second; the third's two days are not set-up again
    ],
)
def test_the_setup_period_is_the_rules_whatever_the_months_between(monitored, offsets):
    """The set-up period (99453) is found by walking device days from the episode's start
    one index probe at a time (the page must not read years of history): it is exactly
    billing.setup_period's, in every month's lines."""
    device_days_set = {EPISODE + dt.timedelta(days=d) for d in offsets}
    for day in device_days_set:
        reading(monitored, "systolic", 120, at=at_local(day))
    expected = billing.setup_period(EPISODE, device_days_set)
    seen = []
    for month in [dt.date(2026, m, 1) for m in (10, 11, 12)] + [
        dt.date(2027, m, 1) for m in (1, 2, 3)
    ]:
        for period in line_for(
            monitored, month, now=dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
        ).periods:
            if "99453" in [c.code for c in period.codes]:
                seen.append((period.first, period.last))
    assert seen == ([expected] if expected else [])
