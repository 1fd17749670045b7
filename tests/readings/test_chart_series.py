"""Chart series: raw up to 500 readings per metric, bucketed in SQL (min/avg/max) beyond."""

from datetime import UTC, datetime, timedelta

from readings.selectors import MAX_POINTS, readings_series
from readings.services.ingest import ReadingInput, readings_insert

END = datetime(2026, 11, 25, tzinfo=UTC)


def minute_data(org, patient, minutes, metric="heart_rate", start=None):
    start = start or END - timedelta(minutes=minutes)
    items = [
        ReadingInput(
            patient=patient,
            metric=metric,
            value=60.0 + (i % 10),
            unit="/min",
            measured_at=start + timedelta(minutes=i),
            source="api",
            source_record_id=f"m{i}",
        )
        for i in range(minutes)
    ]
    readings_insert(organization=org, items=items)


def test_few_readings_come_back_raw_with_the_reading_behind_each_point(org, patient):
    minute_data(org, patient, 30)
    (series,) = readings_series(patient, "heart_rate", END - timedelta(days=1), END)
    assert not series.bucketed
    assert len(series.x) == 30
    assert series.readings[0].value == series.avg[0] == 60.0


def test_many_readings_are_bucketed_in_sql_to_at_most_500_points(
    org, patient, django_assert_max_num_queries
):
    minute_data(org, patient, 3 * 24 * 60)  # three days of minute data: 4320 readings
    # The probe (more than 500?), then the aggregate with its own work_mem: SET LOCAL inside
    # a transaction (a savepoint here, as the test runs in one). Constant in the row count.
    with django_assert_max_num_queries(5):
        (series,) = readings_series(patient, "heart_rate", END - timedelta(days=7), END)
    assert series.bucketed
    assert len(series.x) <= MAX_POINTS
    assert series.bucket_seconds == 30 * 60  # 7 days / 500 → 30-minute buckets
    full = [i for i, n in enumerate(series.count) if n == 30]
    assert full
    i = full[0]
    assert (series.low[i], series.high[i], series.avg[i]) == (60.0, 69.0, 64.5)
    assert sum(series.count) == 3 * 24 * 60


def test_bp_series_share_their_x_values(org, patient):
    for metric in ("systolic", "diastolic"):
        minute_data(org, patient, 600, metric=metric)
    sys_series, dia_series = readings_series(patient, "bp", END - timedelta(days=1), END)
    assert sys_series.bucketed
    assert sys_series.x == dia_series.x


def test_api_resolution_auto_returns_the_bucketed_series(api, org, patient, outsider_api):
    minute_data(org, patient, 3 * 24 * 60)
    url = f"/api/v1/patients/{patient.pk}/readings"
    params = {
        "metric": "heart_rate",
        "resolution": "auto",
        "from": "2026-11-18T00:00:00Z",
        "to": "2026-11-25T00:00:00Z",
    }
    body = api.get(url, params).json()
    (series,) = body["series"]
    assert series["bucketed"] is True
    assert series["bucket_seconds"] == 1800
    assert len(series["points"]) == 3 * 48
    assert series["points"][0] == {
        "t": "2026-11-22T00:00:00Z",
        "min": 60.0,
        "avg": 64.5,
        "max": 69.0,
        "count": 30,
    }
    assert api.get(url, {"resolution": "weekly"}).status_code == 400
    assert outsider_api.get(url, params).status_code == 404


def test_api_resolution_auto_without_a_metric_gives_every_metric(api, org, patient):
    minute_data(org, patient, 30, metric="heart_rate")
    minute_data(org, patient, 30, metric="spo2")
    window = {"from": "2026-11-24T00:00:00Z", "to": "2026-11-25T00:00:00Z"}
    url = f"/api/v1/patients/{patient.pk}/readings"
    body = api.get(url, {"resolution": "auto", **window}).json()
    assert body["metric"] is None
    assert [(s["metric"], len(s["points"])) for s in body["series"]] == [
        ("heart_rate", 30),
        ("spo2", 30),
    ]


def test_exactly_500_readings_stay_raw_and_501_are_bucketed(org, patient):
    minute_data(org, patient, MAX_POINTS)
    (series,) = readings_series(patient, "heart_rate", END - timedelta(days=1), END)
    assert not series.bucketed
    assert len(series.x) == MAX_POINTS
    one_more = ReadingInput(
        patient=patient,
        metric="heart_rate",
        value=70.0,
        unit="/min",
        measured_at=END - timedelta(hours=23),
        source="api",
        source_record_id="the-501st",
    )
    readings_insert(organization=org, items=[one_more])
    (series,) = readings_series(patient, "heart_rate", END - timedelta(days=1), END)
    assert series.bucketed


def test_blood_pressure_is_bucketed_when_either_side_passes_500(org, patient):
    minute_data(org, patient, MAX_POINTS + 1, metric="systolic")
    minute_data(org, patient, 10, metric="diastolic")
    systolic, diastolic = readings_series(patient, "bp", END - timedelta(days=1), END)
    assert systolic.bucketed
    assert diastolic.bucketed
    assert sum(diastolic.count) == 10
