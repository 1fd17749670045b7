"""Chart days are the patient's local days: a daily bucket runs from local midnight to local
midnight (23 hours on 2026-03-08, 25 on 2026-11-01 in America/New_York), computed in SQL the
same on PostgreSQL and SQLite; a local day without readings breaks the line (a null point)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from readings.selectors import MAX_POINTS, offset_steps, parse_range, readings_series
from readings.services.ingest import ReadingInput, readings_insert

pytestmark = pytest.mark.both_databases

NEW_YORK = ZoneInfo("America/New_York")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def every_quarter_hour(org, patient, first_day: date, days: int, tag: str):
    """A reading every 15 minutes (in UTC) from local midnight of `first_day` for `days`
    local days: 96 readings on a 24-hour day, 92 on a 23-hour one, 100 on a 25-hour one."""
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=NEW_YORK).astimezone(UTC)
    end = datetime.combine(
        first_day + timedelta(days=days), datetime.min.time(), tzinfo=NEW_YORK
    ).astimezone(UTC)
    items, at, n = [], start, 0
    while at < end:
        items.append(
            ReadingInput(
                patient=patient,
                metric="heart_rate",
                value=float(60 + n % 20),
                unit="/min",
                measured_at=at,
                source="api",
                source_record_id=f"{tag}-{n}",
            )
        )
        at += timedelta(minutes=15)
        n += 1
    readings_insert(organization=org, items=items)
    return n


def year_series(patient):
    start, end, _, _ = parse_range(patient, "custom", "2026-01-01", "2026-12-31")
    (series,) = readings_series(patient, "heart_rate", start, end)
    return series


def test_dst_days_are_single_buckets_starting_at_local_midnight(org, patient):
    stored = every_quarter_hour(org, patient, date(2026, 3, 7), 3, "spring")
    stored += every_quarter_hour(org, patient, date(2026, 10, 31), 3, "fall")
    assert stored > MAX_POINTS  # bucketed, and a year's range gives one bucket per day
    series = year_series(patient)
    assert (series.bucketed, series.bucket_seconds) == (True, 86400)
    points = [
        (x, n)
        for x, n in zip(series.x, series.count, strict=True)
        if n  # the gap aside
    ]
    assert points == [
        (epoch("2026-03-07T05:00:00+00:00"), 96),
        (epoch("2026-03-08T05:00:00+00:00"), 92),  # midnight EST; 23 hours of readings
        (epoch("2026-03-09T04:00:00+00:00"), 96),  # midnight EDT
        (epoch("2026-10-31T04:00:00+00:00"), 96),
        (epoch("2026-11-01T04:00:00+00:00"), 100),  # midnight EDT; 25 hours of readings
        (epoch("2026-11-02T05:00:00+00:00"), 96),  # midnight EST
    ]
    # Every bucket start is a local midnight, and the DST buckets are 23 and 25 hours long.
    assert {datetime.fromtimestamp(x, NEW_YORK).time() for x, _ in points} == {datetime.min.time()}
    assert points[2][0] - points[1][0] == 23 * 3600
    assert points[5][0] - points[4][0] == 25 * 3600


def test_a_stretch_without_readings_is_one_null_point_between_day_buckets(org, patient):
    every_quarter_hour(org, patient, date(2026, 3, 7), 3, "spring")
    every_quarter_hour(org, patient, date(2026, 10, 31), 3, "fall")
    series = year_series(patient)
    gap = series.x.index(epoch("2026-03-10T04:00:00+00:00"))  # the first day without data
    assert (series.avg[gap], series.low[gap], series.high[gap], series.count[gap]) == (
        None,
        None,
        None,
        0,
    )
    assert (series.count[gap - 1], series.count[gap + 1]) == (96, 96)
    assert series.count.count(0) == 1


@pytest.mark.parametrize(
    ("taken", "gap_at"),
    [
        (["2026-11-20T08:00", "2026-11-21T20:00"], None),  # 36 hours, but no empty day
        (["2026-11-20T23:30", "2026-11-21T00:30"], None),
        (["2026-11-20T23:30", "2026-11-22T00:30"], "2026-11-21T00:00"),  # Nov 21 empty
        (["2026-11-20T08:00", "2026-11-23T08:00"], "2026-11-21T00:00"),  # one break, 2 days
        (["2026-03-07T12:00", "2026-03-09T12:00"], "2026-03-08T00:00"),  # the 23-hour day
        (["2026-10-31T12:00", "2026-11-02T12:00"], "2026-11-01T00:00"),  # the 25-hour day
    ],
)
def test_a_local_day_without_readings_breaks_the_raw_line(org, patient, taken, gap_at):
    readings_insert(
        organization=org,
        items=[
            ReadingInput(
                patient=patient,
                metric="weight",
                value=180.0 + i,
                unit="[lb_av]",
                measured_at=local(text).astimezone(UTC),
                source="api",
                source_record_id=f"w{i}",
            )
            for i, text in enumerate(taken)
        ],
    )
    start = local(taken[0]) - timedelta(days=1)
    (series,) = readings_series(patient, "weight", start, start + timedelta(days=10))
    assert not series.bucketed
    expected_x = [int(local(text).timestamp()) for text in taken]
    expected_avg = [180.0 + i for i in range(len(taken))]
    if gap_at:
        expected_x.insert(1, int(local(gap_at).timestamp()))
        expected_avg.insert(1, None)
    assert (series.x, series.avg) == (expected_x, expected_avg)
    behind = [r.value if r else None for r in series.readings]
    assert behind == expected_avg


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-07T12:00:00+00:00", "2026-03-09T00:00:00+00:00", [-18000, -14400]),
        ("2026-10-31T12:00:00+00:00", "2026-11-02T00:00:00+00:00", [-14400, -18000]),
        ("2026-06-01T00:00:00+00:00", "2026-06-30T00:00:00+00:00", [-14400]),
    ],
)
def test_offset_steps_change_at_the_second_the_clocks_do(start, end, expected):
    steps = offset_steps(NEW_YORK, datetime.fromisoformat(start), datetime.fromisoformat(end))
    assert [offset for _, offset in steps] == expected
    if len(steps) > 1:
        changed = datetime.fromtimestamp(steps[1][0], UTC)
        assert changed in (
            datetime(2026, 3, 8, 7, tzinfo=UTC),  # 2:00 EST becomes 3:00 EDT
            datetime(2026, 11, 1, 6, tzinfo=UTC),  # 2:00 EDT becomes 1:00 EST
        )


def test_hour_buckets_follow_the_local_clock_and_break_on_an_empty_day(org, patient):
    # Every 15 minutes on Nov 19-20 and Nov 22-25 (local): 576 readings; Nov 21 empty.
    every_quarter_hour(org, patient, date(2026, 11, 19), 2, "before")
    every_quarter_hour(org, patient, date(2026, 11, 22), 4, "after")
    start = datetime(2026, 11, 18, 17, 7, tzinfo=UTC)  # not on any hour, local or UTC
    (series,) = readings_series(patient, "heart_rate", start, start + timedelta(days=30))
    assert (series.bucketed, series.bucket_seconds) == (True, 2 * 3600)  # 30 days / 500
    starts = [datetime.fromtimestamp(x, NEW_YORK) for x in series.x]
    assert {(t.hour % 2, t.minute, t.second) for t in starts} == {(0, 0, 0)}
    gaps = [t for t, n in zip(starts, series.count, strict=True) if n == 0]
    assert gaps == [local("2026-11-21T00:00")]
    assert series.count[series.x.index(int(local("2026-11-20T22:00").timestamp()))] == 8
