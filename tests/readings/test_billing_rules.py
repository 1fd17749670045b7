"""Table-driven tests for every 2026 RPM billing rule and its edges (readings/billing.py)."""

import datetime as dt

import pytest

from readings.billing import (
    CareTime,
    device_supply_codes,
    local_days,
    management_codes,
    month_time,
    period_bounds,
    shortfall,
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
    return [CareTime(day, minutes, interactive) for minutes, interactive in spec]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ([(9, True)], []),
        ([(10, True)], [("99470", 1)]),  # 9 vs 10
        ([(12, True)], [("99470", 1)]),
        ([(12, False)], []),  # no interactive call: nothing
        ([(19, True)], [("99470", 1)]),
        ([(20, True)], [("99457", 1)]),  # 19 vs 20; never 99470 with 99457
        ([(15, False), (5, True)], [("99457", 1)]),  # one interactive call in the month is enough
        ([(39, True)], [("99457", 1)]),
        ([(40, True)], [("99457", 1), ("99458", 1)]),  # 39 vs 40
        ([(60, True)], [("99457", 1), ("99458", 2)]),
        ([(45, False)], []),
    ],
)
def test_management_time_codes(spec, expected):
    lines = management_codes(month_time(entries(*spec), dt.date(2026, 11, 1)))
    assert [(line.code, line.units) for line in lines] == expected


def test_minutes_are_counted_per_calendar_month():
    logged = [
        CareTime(dt.date(2026, 10, 31), 15, True),
        CareTime(dt.date(2026, 11, 1), 10, True),
    ]
    assert [line.code for line in management_codes(month_time(logged, dt.date(2026, 10, 5)))] == [
        "99470"
    ]
    assert month_time(logged, dt.date(2026, 11, 20)).management_minutes == 10


@pytest.mark.parametrize(
    ("management", "interpretation", "expected"),
    [
        ((0, False), 29, []),
        ((0, False), 30, ["99091"]),
        ((12, True), 30, ["99470", "99091"]),
        ((20, True), 30, ["99457"]),  # 99091 is not billed with 99457/99458
    ],
)
def test_physician_interpretation_99091(management, interpretation, expected):
    day = dt.date(2026, 11, 3)
    logged = [
        CareTime(day, management[0], management[1]),
        CareTime(day, interpretation, interpretation=True),
    ]
    assert [line.code for line in management_codes(month_time(logged, day))] == expected


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
        ([(9, True)], "1 more minute for 99470"),
        ([(12, False)], "an interactive call with the patient or caregiver is needed"),
        ([(12, True)], "8 more minutes for 99457"),
        ([(25, True)], "15 more minutes for another 99458"),
    ],
)
def test_shortfall_says_what_is_missing(spec, expected):
    assert shortfall(month_time(entries(*spec), dt.date(2026, 11, 1))) == expected
