"""Table-driven tests for every 2026 RPM billing rule and its edges (readings/billing.py)."""

import datetime as dt

import pytest

from readings.billing import (
    INTERPRETATION,
    MANAGEMENT,
    NOT_BILLABLE,
    CareTime,
    device_supply_codes,
    interpretation_period,
    local_days,
    management_codes,
    month_time,
    months_overlapping,
    period_bounds,
    shortfall,
    time_counts_toward,
)

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

START = dt.date(2026, 10, 1)
PERIOD = (START, START + dt.timedelta(days=29))


def days(n, start=START):
    return {start + dt.timedelta(days=i) for i in range(n)}


@pytest.mark.parametrize(
    ("day_count", "setup", "expected"),
    [
        (0, True, []),
        (1, True, []),  # one day is not enough for anything
        (2, True, ["99453", "99445"]),  # the 2026 two-day floor, set-up included
        (2, False, ["99445"]),  # set-up is once per episode
        (15, False, ["99445"]),
        (16, False, ["99454"]),  # 15 vs 16: the tier changes, never both
        (30, True, ["99453", "99454"]),
    ],
)
def test_device_supply_tiers(day_count, setup, expected):
    lines = device_supply_codes(days(day_count), PERIOD, setup=setup)
    assert [line.code for line in lines] == expected


def test_days_outside_the_period_do_not_count():
    outside = days(20, start=START + dt.timedelta(days=30))
    assert device_supply_codes(outside | days(1), PERIOD, setup=False) == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 10, 1), (dt.date(2026, 10, 1), dt.date(2026, 10, 30))),
        (dt.date(2026, 10, 30), (dt.date(2026, 10, 1), dt.date(2026, 10, 30))),
        (dt.date(2026, 10, 31), (dt.date(2026, 10, 31), dt.date(2026, 11, 29))),
    ],
)
def test_thirty_day_periods_run_from_the_episode_start(day, expected):
    assert period_bounds(START, day) == expected


def test_period_before_episode_is_an_error():
    with pytest.raises(ValueError, match="before the episode"):
        period_bounds(START, dt.date(2026, 9, 30))


def entries(*spec, day=dt.date(2026, 11, 10)):
    """(seconds, contact) pairs of management time on one day."""
    return [CareTime(day, seconds, MANAGEMENT, contact) for seconds, contact in spec]


def mins(m, s=0):
    return m * 60 + s


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ([(mins(9, 59), True)], []),  # 9:59 is 9 whole minutes
        ([(mins(10), True)], [("99470", 1)]),  # 9:59 vs 10:00
        ([(mins(9, 30), True)], []),  # was 99470 when each session rounded to the nearest
        ([(mins(5, 30), True), (mins(4, 30), False)], [("99470", 1)]),  # summed, then floored
        ([(mins(12), False)], []),  # no interactive contact: nothing
        ([(mins(19, 59), True)], [("99470", 1)]),
        ([(mins(20), True)], [("99457", 1)]),  # 19:59 vs 20:00; never 99470 with 99457
        ([(mins(6, 50), True), (mins(6, 50), False), (mins(6, 50), False)], [("99457", 1)]),
        ([(mins(15), False), (mins(5), True)], [("99457", 1)]),  # one contact is enough
        ([(mins(39, 59), True)], [("99457", 1)]),
        ([(mins(40), True)], [("99457", 1), ("99458", 1)]),  # 39:59 vs 40:00
        ([(mins(60), True)], [("99457", 1), ("99458", 2)]),
        ([(mins(45), False)], []),
    ],
)
def test_management_time_codes(spec, expected):
    lines = management_codes(month_time(entries(*spec), dt.date(2026, 11, 1)))
    assert [(line.code, line.units) for line in lines] == expected


def test_three_sessions_of_6_min_50_s_are_20_min():
    time = month_time(entries(*[(mins(6, 50), True)] * 3), dt.date(2026, 11, 1))
    assert (time.management_seconds, time.management_minutes) == (1230, 20)


@pytest.mark.parametrize(
    ("counts", "billable_minutes", "codes"),
    [
        (MANAGEMENT, 20, ["99457"]),
        (NOT_BILLABLE, 0, []),  # kept, shown, never billed
        (INTERPRETATION, 0, []),  # 99091's, per 30-day period, not management
    ],
)
def test_only_management_time_counts_toward_management_codes(counts, billable_minutes, codes):
    logged = [CareTime(dt.date(2026, 11, 3), mins(20), counts, contact=True)]
    time = month_time(logged, dt.date(2026, 11, 1))
    assert time.management_minutes == billable_minutes
    assert [line.code for line in management_codes(time)] == codes


def test_a_solo_visit_that_happened_is_the_contact():
    logged = entries((mins(12), False))
    assert management_codes(month_time(logged, dt.date(2026, 11, 1))) == []
    time = month_time(logged, dt.date(2026, 11, 1), visit_days=[dt.date(2026, 11, 20)])
    assert [line.code for line in management_codes(time)] == ["99470"]
    # a visit in another month is not this month's contact
    time = month_time(logged, dt.date(2026, 11, 1), visit_days=[dt.date(2026, 10, 31)])
    assert management_codes(time) == []


def test_minutes_are_counted_per_calendar_month():
    logged = [
        CareTime(dt.date(2026, 10, 31), mins(15), contact=True),
        CareTime(dt.date(2026, 11, 1), mins(10), contact=True),
    ]
    assert [line.code for line in management_codes(month_time(logged, dt.date(2026, 10, 5)))] == [
        "99470"
    ]
    assert month_time(logged, dt.date(2026, 11, 20)).management_minutes == 10


@pytest.mark.parametrize(
    ("role", "may_bill", "interpretation", "office_visit", "expected"),
    [
        ("physician", True, True, False, INTERPRETATION),
        ("nurse", True, True, False, NOT_BILLABLE),  # only a physician/QHP bills 99091
        ("coordinator", False, True, False, NOT_BILLABLE),
        ("", False, True, False, NOT_BILLABLE),  # an API key naming nobody
        ("nurse", True, False, False, MANAGEMENT),
        ("physician", True, False, False, MANAGEMENT),
        ("coordinator", False, False, False, NOT_BILLABLE),  # not clinical staff
        ("coordinator", True, False, False, MANAGEMENT),  # flagged clinical staff
        ("", False, False, False, NOT_BILLABLE),  # nobody named
        ("nurse", True, False, True, NOT_BILLABLE),  # billed as an office visit
    ],
)
def test_who_may_bill_what(role, may_bill, interpretation, office_visit, expected):
    counts, reason = time_counts_toward(
        interpretation=interpretation,
        performer_role=role,
        may_bill_management=may_bill,
        office_visit=office_visit,
    )
    assert counts == expected
    assert bool(reason) == (expected == NOT_BILLABLE)


EPISODE_91 = dt.date(2026, 10, 20)  # periods: Oct 20–Nov 18, Nov 19–Dec 18


@pytest.mark.parametrize(
    ("logged", "billed_months", "expected"),
    [
        # summed across the month boundary: 20 min in October + 10 in November = 30
        ([(dt.date(2026, 10, 25), mins(20)), (dt.date(2026, 11, 10), mins(10))], [], "99091"),
        ([(dt.date(2026, 10, 25), mins(20)), (dt.date(2026, 11, 10), mins(9, 59))], [], None),
        # time outside the period does not count
        ([(dt.date(2026, 10, 19), mins(20)), (dt.date(2026, 11, 10), mins(10))], [], None),
        ([(dt.date(2026, 11, 18), mins(30))], [], "99091"),
        # a period touching a month billed with management codes: not billed
        ([(dt.date(2026, 11, 1), mins(30))], [dt.date(2026, 10, 1)], None),
        ([(dt.date(2026, 11, 1), mins(30))], [dt.date(2026, 11, 1)], None),
        ([(dt.date(2026, 11, 1), mins(30))], [dt.date(2026, 12, 1)], "99091"),
    ],
)
def test_99091_per_30_day_period(logged, billed_months, expected):
    period = period_bounds(EPISODE_91, dt.date(2026, 11, 1))
    assert period == (dt.date(2026, 10, 20), dt.date(2026, 11, 18))
    outcome = interpretation_period(
        [CareTime(d, s, INTERPRETATION) for d, s in logged], period, billed_months
    )
    assert (outcome.code.code if outcome.code else None) == expected
    assert bool(outcome.reason) == (expected is None)


def test_a_period_may_touch_three_months():
    assert months_overlapping((dt.date(2027, 1, 31), dt.date(2027, 3, 1))) == [
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 1),
        dt.date(2027, 3, 1),
    ]


def test_local_days_put_late_evening_readings_on_the_local_day():
    # 23:30 in UTC-5 is 04:30 UTC the next day: the local day is the 10th.
    utc = dt.UTC
    instant = dt.datetime(2026, 3, 11, 4, 30, tzinfo=utc)
    assert local_days([instant], "America/Chicago") == {dt.date(2026, 3, 10)}


def test_local_days_on_a_dst_change_day():
    # 2026-11-01: US DST ends; the local day has 25 hours. 00:30 and 23:30 local are one day.
    utc = dt.UTC
    early = dt.datetime(2026, 11, 1, 4, 30, tzinfo=utc)  # 00:30 EDT
    late = dt.datetime(2026, 11, 2, 4, 30, tzinfo=utc)  # 23:30 EST
    assert local_days([early, late], "America/New_York") == {dt.date(2026, 11, 1)}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ([(0, False)], "10 more minutes for 99470"),
        ([(mins(9, 59), True)], "1 more minute for 99470"),
        ([(mins(12), False)], "a real-time call or visit with the patient or caregiver is needed"),
        ([(mins(12), True)], "8 more minutes for 99457"),
        ([(mins(25), True)], "15 more minutes for another 99458"),
    ],
)
def test_shortfall_says_what_is_missing(spec, expected):
    assert shortfall(month_time(entries(*spec), dt.date(2026, 11, 1))) == expected
