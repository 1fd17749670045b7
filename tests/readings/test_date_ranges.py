"""Dates and times of readings (portal/dates.py): every reading time a client or nurse sends is
between 2000-01-01T00:00:00Z and one day after now, refused before anything is stored (or
queued for a vendor) with a 4xx naming the field; query ranges are 2000–2100; and readings
stored before these checks (year 1) still render on every page and endpoint."""

import datetime as dt
from http import HTTPStatus

import pytest

from readings.models import OutboxMessage, Reading
from tests.clock import freeze, iso_z
from tests.factories import ReadingFactory

HEART_RATE = "/api/v1/readings/heart-rate"
METRICS = "/api/v1/patients/pg-9001/metrics"
MEASUREMENTS = "/api/v1/measurements"
YEAR_1 = dt.datetime(1, 1, 1, tzinfo=dt.UTC)  # with a US offset, its local time is before year 1


def heart_rate(at: str) -> dict:
    return {"readingTimestamp": at, "deviceId": 80011, "heartRate": 72}


def metric(at: str) -> dict:
    return {"metric_key": "weight", "value_numeric": "182.4", "unit": "lbs", "source": "api",
            "recorded_at": at}  # fmt: skip


def measurement(at: str, n: int) -> dict:
    return {
        "id": f"rec-{n}",
        "checksum": f"sum-{n}",
        "start_time": at,
        "metrics": [{"type": "spo2", "origin": "device", "unit": "percent", "value": 97.0}],
        "source": {"type": "smart_meter", "device": {"id": "111111111111111"}},
        "type": "measurement",
        "user": {"user_id": "652572SAMPLEe18b8b8"},
    }


SHAPES = {
    "readingTimestamp": (HEART_RATE, heart_rate),
    "recorded_at": (METRICS, metric),
    "start_time": (MEASUREMENTS, measurement),
}


def post(api, field, at, n=0):
    url, body = SHAPES[field]
    return api.post(url, body(at, n) if field == "start_time" else body(at), format="json")


def assert_refused_naming(response, field, shape="portal"):
    assert HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (
        response.status_code,
        response.content,
    )
    body = response.json()
    if shape == "patient-graph":  # that contract's own {error, message}
        assert field in body["message"], body
    else:
        assert field in body["fields"], body


def shape_of(field):
    return "patient-graph" if field == "recorded_at" else "portal"


@pytest.mark.parametrize("field", SHAPES)
@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "1999-12-31T23:59:59Z",
        "1999-12-31T18:59:59-05:00",  # the same instant, written in New York's offset
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_a_reading_time_out_of_range_is_refused_naming_the_field(api, cuff, oximeter, field, at):
    response = post(api, field, at)
    assert_refused_naming(response, field, shape_of(field))
    assert not Reading.objects.exists()


@pytest.mark.parametrize("field", SHAPES)
def test_the_edges_of_a_reading_time(api, cuff, oximeter, monkeypatch, field):
    now = freeze(monkeypatch)
    accepted = [
        "2000-01-01T00:00:00Z",
        "1999-12-31T19:00:01-05:00",  # = 2000-01-01T00:00:01Z
        iso_z(now + dt.timedelta(days=1)),
    ]
    for n, at in enumerate(accepted):
        response = post(api, field, at, n)
        assert response.status_code == HTTPStatus.CREATED, (at, response.content)
    stored = Reading.objects.count()
    for n, at in enumerate(["1999-12-31T23:59:59Z", iso_z(now + dt.timedelta(days=1, seconds=1))]):
        assert_refused_naming(post(api, field, at, 10 + n), field, shape_of(field))
    assert Reading.objects.count() == stored


def test_a_manual_reading_out_of_range_saves_and_forwards_nothing(nurse_client, patient):
    url = f"/readings/patients/{patient.pk}/manual/"
    for at in ("0001-01-01T00:00", "1999-06-01T09:00", "9999-12-31T23:59"):
        response = nurse_client.post(
            url, {"metric": "heart_rate", "value": "80", "measured_at": at}, follow=True
        )
        assert response.status_code == HTTPStatus.OK, at
        assert "Taken at (patient&#x27;s local time)" in response.content.decode(), at
    assert not Reading.objects.exists()
    assert not OutboxMessage.objects.exists()  # nothing queued for Impilo / patient-graph


def test_a_manual_reading_at_the_edges(nurse_client, patient, monkeypatch):
    url = f"/readings/patients/{patient.pk}/manual/"

    def record(at):
        body = {"metric": "heart_rate", "value": "80", "measured_at": at}
        return nurse_client.post(url, body, follow=True).content.decode()

    now = freeze(monkeypatch)
    assert "reading saved" in record("1999-12-31T19:00")  # New York: 2000-01-01T00:00Z
    # a later instant: a manual reading's record id is the time it was entered
    now = freeze(monkeypatch, now + dt.timedelta(seconds=1))
    ahead = (now + dt.timedelta(days=1)).astimezone(patient.tz)
    assert "reading saved" in record(ahead.strftime("%Y-%m-%dT%H:%M"))
    assert "was not saved" in record("1999-12-31T18:59")
    assert "was not saved" in record((ahead + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    assert Reading.objects.count() == 2


BAD_WINDOWS = [
    ({"from": "0001-01-01T00:00:00Z"}, "from"),
    ({"from": "1999-12-31T23:59:59Z"}, "from"),
    ({"to": "9999-12-31T23:59:59Z"}, "to"),
    ({"to": "2101-01-01T00:00:01Z"}, "to"),
    ({"to": "2026-11-20"}, "to"),  # no offset
]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [("readings", *case) for case in BAD_WINDOWS]
    + [("observations", *case) for case in BAD_WINDOWS]
    + [("observations", {"before": "0001-01-01T00:00:00Z"}, "before")],  # the FHIR pager
)
def test_reading_queries_out_of_range_are_400_naming_the_parameter(
    api, patient, path, params, field
):
    response = api.get(f"/api/v1/patients/{patient.pk}/{path}", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert (body["error"], list(body["fields"])) == ("invalid_parameter", [field])


@pytest.mark.parametrize("path", ["readings", "observations"])
def test_reading_queries_at_the_edges_of_the_range(api, patient, path):
    window = {"from": "2000-01-01T00:00:00Z", "to": "2101-01-01T00:00:00Z"}
    response = api.get(f"/api/v1/patients/{patient.pk}/{path}", window)
    assert response.status_code == HTTPStatus.OK, response.content


@pytest.mark.parametrize("page", ["", "table/", "export.csv"])
def test_a_custom_range_out_of_bounds_is_a_message_on_the_page(nurse_client, patient, page):
    url = f"/readings/patients/{patient.pk}/{page}"
    for start, end in [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"),
                       ("1999-12-31", "2000-01-01")]:  # fmt: skip
        response = nurse_client.get(url, {"range": "custom", "start": start, "end": end})
        assert response.status_code == HTTPStatus.OK, (start, end)
        if page == "":  # the chart says so; the table and CSV show the last 30 days
            assert "between 2000-01-01 and 2100-12-31" in response.content.decode()
    edges = {"range": "custom", "start": "2000-01-01", "end": "2000-01-02"}
    response = nurse_client.get(url, edges)
    assert response.status_code == HTTPStatus.OK
    if page == "":
        assert "between 2000-01-01 and 2100-12-31" not in response.content.decode()
        assert "Jan 1, 2000 to Jan 2, 2000" in response.content.decode()


# --- what is already stored still renders ---------------------------------------------------
@pytest.fixture
def year_1_reading(patient):
    """A device reading stored before the checks, at 0001-01-01T00:00Z with New York's offset
    (its local time, 0000-12-31 19:00, is not a Python date)."""
    return ReadingFactory(patient=patient, measured_at=YEAR_1, patient_tz_offset=-18000)


@pytest.mark.parametrize(
    "url",
    [
        "/readings/patients/{p}/",
        "/readings/patients/{p}/table/",
        "/readings/patients/{p}/export.csv",
        "/readings/",
        "/patients/{p}/",
        "/roster/",
        "/billing/",
        "/billing.csv",
    ],
)
def test_pages_render_a_stored_year_1_reading(nurse_client, patient, year_1_reading, url):
    response = nurse_client.get(url.format(p=patient.pk))
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/patients/{p}/readings?from=2000-01-01T00:00:00Z",
        "/api/v1/patients/{p}/observations?from=2000-01-01T00:00:00Z",
        "/api/v1/roster",
        "/api/v1/billing",
    ],
)
def test_endpoints_answer_with_a_stored_year_1_reading(api, patient, year_1_reading, url):
    response = api.get(url.format(p=patient.pk))
    assert response.status_code == HTTPStatus.OK, response.content


def test_a_year_1_reading_is_shown_in_utc_rather_than_overflowing(year_1_reading):
    local = year_1_reading.local_measured_at
    assert (local, local.utcoffset()) == (YEAR_1, dt.timedelta(0))
