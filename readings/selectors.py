"""Every read of readings a page or endpoint needs, already scoped to one patient or one
organization (callers resolve the patient with portal.access.patient_for_org first)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Q

from portal import dates
from readings import thresholds
from readings.models import Direction, Reading, RuleKind
from readings.units import Metric, metric_label

MAX_POINTS = 500
BP = "bp"  # the chart's pseudo-metric: systolic + diastolic as one band

RANGES = {
    "24h": ("24 hours", timedelta(hours=24)),
    "7d": ("7 days", timedelta(days=7)),
    "30d": ("30 days", timedelta(days=30)),
    "90d": ("90 days", timedelta(days=90)),
    "1y": ("1 year", timedelta(days=365)),
}
NICE_BUCKETS = [
    60,
    300,
    900,
    1800,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    7 * 86400,
]


def chart_metrics(metric: str) -> list[str]:
    return [Metric.SYSTOLIC, Metric.DIASTOLIC] if metric == BP else [metric]


def readings_in_range(patient, metrics: list[str], start: datetime, end: datetime):
    return (
        Reading.objects.filter(
            patient=patient, metric__in=metrics, measured_at__gte=start, measured_at__lt=end
        )
        .select_related("device", "patient")
        .order_by("-measured_at", "-id")
    )


def metrics_of_patient(patient) -> list[str]:
    """The metrics a patient has readings for (chart menu), canonical ones first."""
    present = set(
        Reading.objects.filter(patient=patient).values_list("metric", flat=True).distinct()
    )
    order = [m.value for m in Metric]
    return sorted(present, key=lambda m: (order.index(m) if m in order else 99, m))


def latest_per_metric(patient) -> list[Reading]:
    """The newest reading of each metric (ties: the highest id), in two queries whose cost
    follows the number of metrics, not of readings: a skip scan of the chart index finds each
    metric with one probe, and one probe per metric reads its newest reading."""
    table = Reading._meta.db_table
    # WITH RECURSIVE and correlated LIMIT 1 sub-selects: PostgreSQL and SQLite (the demo) alike.
    sql = (
        f"WITH RECURSIVE m(metric) AS ("  # noqa: S608 — our table name
        f"SELECT (SELECT MIN(metric) FROM {table} WHERE patient_id = %s) "
        f"UNION ALL SELECT (SELECT MIN(metric) FROM {table} WHERE patient_id = %s "
        "AND metric > m.metric) FROM m WHERE m.metric IS NOT NULL) "
        f"SELECT (SELECT id FROM {table} WHERE patient_id = %s AND metric = m.metric "
        "ORDER BY measured_at DESC, id DESC LIMIT 1) FROM m WHERE m.metric IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [patient.pk, patient.pk, patient.pk])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    rows = Reading.objects.filter(pk__in=ids, patient=patient).select_related("device", "patient")
    order = [m.value for m in Metric]
    return sorted(
        rows, key=lambda r: (order.index(r.metric) if r.metric in order else 99, r.metric)
    )


def _crossing(rules) -> Q:
    """Readings crossing any of these single-reading rules (at or above / at or below)."""
    condition = Q()
    for rule in rules:
        if rule.kind != RuleKind.SINGLE or rule.value is None or not rule.metric:
            continue
        bound = "gte" if rule.direction == Direction.ABOVE else "lte"
        condition |= Q(metric=rule.metric, **{f"value__{bound}": rule.value})
    return condition


def out_of_range_readings(organization, since: datetime):
    """Readings crossing a single-reading rule in force for their patient (the organization's
    defaults, or the patient's overrides where a clinician set them, warning and critical)
    across the organization, newest first — the overview nurses start their day with."""
    defaults, overridden = thresholds.organization_rules_in_force(organization)
    condition = _crossing(defaults)
    if condition and overridden:
        condition &= ~Q(patient_id__in=list(overridden))
    for pid, rules in overridden.items():
        crossing = _crossing(rules)
        if crossing:
            condition |= Q(patient_id=pid) & crossing
    if not condition:
        return Reading.objects.none()
    return (
        Reading.objects.filter(condition, organization=organization, measured_at__gte=since)
        .select_related("patient", "device")
        .order_by("-measured_at", "-id")
    )


def patient_out_of_range(patient):
    """The patient's readings crossing a single-reading rule in force for them (their overrides,
    else the organization's defaults), newest first: the patient page's timeline slices it."""
    rules = thresholds.effective_rules(patient.organization, [patient.pk])[patient.pk]
    condition = _crossing(rules)
    if not condition:
        return Reading.objects.none()
    return (
        Reading.objects.filter(condition, patient=patient)
        .select_related("device")
        .order_by("-measured_at", "-id")
    )


# --- chart series ---------------------------------------------------------------------------
@dataclass
class Series:
    metric: str
    label: str
    bucketed: bool
    bucket_seconds: int
    x: list[int]  # epoch seconds (bucket start when bucketed)
    avg: list[float | None]
    low: list[float | None]
    high: list[float | None]
    count: list[int]
    readings: list[Reading | None]  # raw only: the reading behind each point


def bucket_seconds_for(start: datetime, end: datetime) -> int:
    span = (end - start).total_seconds()
    for size in NICE_BUCKETS:
        if span / size <= MAX_POINTS:
            return size
    return NICE_BUCKETS[-1]


def readings_series(patient, metric: str, start: datetime, end: datetime) -> list[Series]:
    """One series per underlying metric, aligned on the same x values. Up to MAX_POINTS
    readings per metric come back raw (hover can name the device); more are bucketed in the
    database (min/avg/max per bucket), so a year of minute data costs the same as a day.
    Buckets follow the patient's wall clock: a day bucket runs from local midnight to local
    midnight (a DST day is one 23- or 25-hour bucket), an hour bucket starts on the local
    hour. A whole local day without a reading is a null point: the line breaks there."""
    metrics = chart_metrics(metric)
    base = Reading.objects.filter(
        patient=patient,
        metric__in=metrics,
        measured_at__gte=start,
        measured_at__lt=end,
        value__isnull=False,
    )
    if not _more_than(patient, metrics, start, end, MAX_POINTS):
        return _gaps_broken(_raw_series(base, metrics), patient.tz, 1)
    size = bucket_seconds_for(start, end)
    days = size // 86400 if size % 86400 == 0 else 0
    rows = _buckets(patient, metrics, start, end, size)
    xs = sorted({row[1] for row in rows})
    index = {x: i for i, x in enumerate(xs)}
    out = []
    for m in metrics:
        series = Series(
            m,
            metric_label(m),
            True,
            size,
            xs,
            avg=[None] * len(xs),
            low=[None] * len(xs),
            high=[None] * len(xs),
            count=[0] * len(xs),
            readings=[],
        )
        for row_metric, x, low, avg, high, n in rows:
            if row_metric == m:
                i = index[x]
                series.low[i], series.avg[i], series.high[i] = low, round(avg, 1), high
                series.count[i] = n
        out.append(series)
    return _gaps_broken(out, patient.tz, days or 1)


def local_day(epoch: int, zone) -> date:
    return datetime.fromtimestamp(epoch, tz=zone).date()


def local_midnight(day: date, zone) -> int:
    """The UTC epoch of `day`'s local midnight in `zone`."""
    return int(datetime.combine(day, time.min, tzinfo=zone).timestamp())


def _gaps_broken(series: list[Series], zone, span_days: int) -> list[Series]:
    """Insert a null point (count 0) wherever a whole local day — a whole bucket, when buckets
    are `span_days` days — passes without a reading between two points, so the line breaks
    there instead of drawing a straight line across days nobody measured."""
    xs = series[0].x if series else []
    gap_before = {}
    for i in range(1, len(xs)):
        before = local_day(xs[i - 1], zone)
        if (local_day(xs[i], zone) - before).days > span_days:
            gap_before[i] = local_midnight(before + timedelta(days=span_days), zone)
    if not gap_before:
        return series
    new_x: list = []
    source: list[int | None] = []  # the index each point comes from, None for a gap
    for i, x in enumerate(xs):
        if i in gap_before:
            new_x.append(gap_before[i])
            source.append(None)
        new_x.append(x)
        source.append(i)

    def spread(values, empty=None):
        return [empty if i is None else values[i] for i in source]

    return [
        replace(
            s,
            x=new_x,
            avg=spread(s.avg),
            low=spread(s.low),
            high=spread(s.high),
            count=spread(s.count, 0),
            readings=spread(s.readings) if s.readings else [],
        )
        for s in series
    ]


def _more_than(patient, metrics, start, end, limit: int) -> bool:
    """Whether any metric has more than `limit` readings in the range, in one query that reads
    at most limit + 1 index entries per metric (an index-only scan of the chart index), where
    a COUNT would read a whole year of them."""
    table = Reading._meta.db_table
    probe = (
        f"SELECT 1 FROM (SELECT 1 FROM {table} WHERE patient_id = %s AND metric = %s "  # noqa: S608
        "AND measured_at >= %s AND measured_at < %s AND value IS NOT NULL LIMIT 1 OFFSET %s) AS p{}"
    )
    # Sub-selects in FROM: the one form PostgreSQL and SQLite (the demo) both accept.
    sql = " UNION ALL ".join(probe.format(i) for i in range(len(metrics)))
    params = [p for m in metrics for p in (patient.pk, m, start, end, limit)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _raw_series(base, metrics) -> list[Series]:
    readings = list(base.select_related("device", "patient").order_by("measured_at", "id"))
    xs = sorted({int(r.measured_at.timestamp()) for r in readings})
    index = {x: i for i, x in enumerate(xs)}
    out = []
    for m in metrics:
        values: list = [None] * len(xs)
        behind: list = [None] * len(xs)
        for r in readings:
            if r.metric == m:
                i = index[int(r.measured_at.timestamp())]
                values[i] = r.value
                behind[i] = r
        out.append(
            Series(
                m,
                metric_label(m),
                False,
                0,
                xs,
                values,
                values,
                values,
                [1 if v is not None else 0 for v in values],
                behind,
            )
        )
    return out


# A year of minute data is ~500k rows to aggregate into ~365 buckets. With the default 4 MB
# work_mem PostgreSQL sorts those rows on disk before grouping (it cannot know the buckets are
# few); with room for a hash table it groups them in one pass. SET LOCAL: this query only.
CHART_WORK_MEM = "32MB"


def offset_steps(zone, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """[(from_epoch, utc_offset_seconds)]: the zone's offset over [start, end), one step per
    DST change. Python's zone database decides the offsets; SQL only adds them."""

    def offset(at: datetime) -> int:
        shift = at.astimezone(zone).utcoffset()
        assert shift is not None  # an aware instant in a real zone always has one
        return int(shift.total_seconds())

    steps = [(int(start.timestamp()), offset(start))]
    at = start
    while at < end:
        following = min(at + timedelta(hours=12), end)
        if offset(following) != offset(at):
            low, high = int(at.timestamp()), int(following.timestamp())
            while high - low > 1:  # the first second of the new offset
                middle = (low + high) // 2
                if offset(datetime.fromtimestamp(middle, tz=UTC)) == offset(at):
                    low = middle
                else:
                    high = middle
            steps.append((high, offset(following)))
        at = following
    return steps


def bucket_query(patient, metrics, start, end, size) -> tuple[str, list]:
    """The bucketed aggregate as (sql, params): rows (metric, bucket_number, min, avg, max,
    count). Buckets are `size` seconds of the patient's wall clock from the local midnight of
    `start`'s local day, so day buckets run from local midnight to local midnight (23 or 25
    hours on DST days) and hour buckets start on the local hour. A reading's wall-clock time
    is its epoch plus the zone's offset at that instant (a CASE over `offset_steps`), in
    integer arithmetic that PostgreSQL and SQLite compute alike."""
    table = Reading._meta.db_table
    placeholders = ", ".join(["%s"] * len(metrics))
    steps = offset_steps(patient.tz, start, end)
    offset_sql = "%s"  # no clock change in the range: one offset
    if len(steps) > 1:
        offset_sql = "CASE " + "WHEN e < %s THEN %s " * (len(steps) - 1) + "ELSE %s END"
    offset_params = [p for i in range(1, len(steps)) for p in (steps[i][0], steps[i - 1][1])]
    offset_params.append(steps[-1][1])
    if connection.vendor == "postgresql":
        epoch = "FLOOR(EXTRACT(EPOCH FROM measured_at))::bigint"
    else:
        epoch = "CAST(strftime('%%s', measured_at) AS INTEGER)"
    sql = (
        f"SELECT metric, (e + {offset_sql} - %s) / %s AS b, "  # noqa: S608 — our table name
        "MIN(value), AVG(value), MAX(value), COUNT(*) FROM ("
        f"SELECT metric, value, {epoch} AS e FROM {table} "
        f"WHERE patient_id = %s AND metric IN ({placeholders}) AND measured_at >= %s "
        "AND measured_at < %s AND value IS NOT NULL) AS r GROUP BY metric, b ORDER BY b"
    )
    origin = _wall_origin(start, patient.tz)
    return sql, [*offset_params, origin, size, patient.pk, *metrics, start, end]


EPOCH_DAY = date(1970, 1, 1)


def _wall_origin(start: datetime, zone) -> int:
    """Seconds of wall-clock time from 1970-01-01 00:00 to the local midnight of `start`."""
    return (local_day(int(start.timestamp()), zone) - EPOCH_DAY).days * 86400


def _buckets(patient, metrics, start, end, size):
    """[(metric, bucket_start_epoch, min, avg, max, count)]; a bucket's start is its first
    wall-clock instant in the patient's zone (a local midnight for day buckets)."""
    sql, params = bucket_query(patient, metrics, start, end, size)
    origin = _wall_origin(start, patient.tz)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{CHART_WORK_MEM}'")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    starts = {}
    for b in {int(row[1]) for row in rows}:
        wall = datetime.combine(EPOCH_DAY, time.min) + timedelta(seconds=origin + b * size)
        starts[b] = int(wall.replace(tzinfo=patient.tz).timestamp())
    return [(m, starts[int(b)], lo, avg, hi, n) for m, b, lo, avg, hi, n in rows]


# --- range parsing (pages and API share it) -------------------------------------------------
class RangeError(ValueError):
    pass


def parse_range(patient, range_key: str, start_text: str = "", end_text: str = "", now=None):
    """(start, end, key, label) in UTC. Custom ranges are whole local days of the patient."""
    now = now or datetime.now(tz=UTC)
    if range_key == "custom":
        zone = zoneinfo.ZoneInfo(patient.time_zone)
        try:
            first = dates.parse_day(start_text)
            last = dates.parse_day(end_text)
        except dates.DateRefused:
            raise RangeError(
                "Enter both dates of a custom range (YYYY-MM-DD), between 2000-01-01 and "
                "2100-12-31."
            ) from None
        if last < first:
            raise RangeError("The range ends before it starts.")
        if (last - first).days > 3 * 366:
            raise RangeError("A custom range can span at most three years.")
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        return start, end.astimezone(UTC), "custom", f"{first:%b %-d, %Y} to {last:%b %-d, %Y}"
    if range_key not in RANGES:
        range_key = "30d"
    label, span = RANGES[range_key]
    return now - span, now + timedelta(minutes=1), range_key, f"Last {label}"
