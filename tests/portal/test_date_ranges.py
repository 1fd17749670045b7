"""Dates and times clients and staff send have one plausible range each (portal/dates.py),
checked before anything is stored; and one stored far-off value never takes a whole
organization's pages down. Readings: tests/readings/test_date_ranges.py; visits:
tests/appointments/test_date_ranges.py."""

import datetime as dt
from http import HTTPStatus

import pytest

from portal import dates
from portal.models import Patient
from readings.care.models import TimeEntry
from tests.clock import freeze

ENROL = {
    "mrn": "NEW-1",
    "first_name": "Ida",
    "last_name": "Lewis",
    "birth_date": "1942-02-25",
    "time_zone": "America/New_York",
}


# --- the module itself ----------------------------------------------------------------------
def test_spans_check_without_converting_so_far_off_values_are_refused_not_overflowing():
    far = [
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ]
    for value in far:
        for span in (dates.READING_TIME, dates.VISIT_START, dates.QUERY_INSTANT):
            with pytest.raises(dates.DateRefused):
                span.check(value)


@pytest.mark.parametrize(
    ("text", "first_day"),
    [("2000-01", dt.date(2000, 1, 1)), ("2100-12", dt.date(2100, 12, 1)), ("2026-07", None)],
)
def test_billing_months_from_2000_01_to_2100_12(text, first_day):
    assert dates.parse_month(text) == (first_day or dt.date(2026, 7, 1))


@pytest.mark.parametrize(
    "text",
    ["1999-12", "2101-01", "9999-12", "0001-01", "2026-13", "x", "٢٠٢٦-01", "2026-٠٧", "2026-7"],
)
def test_other_months_are_refused(text):
    with pytest.raises(dates.DateRefused):
        dates.parse_month(text)


def test_query_days_and_instants_at_their_edges():
    assert dates.parse_day("2000-01-01") == dt.date(2000, 1, 1)
    assert dates.parse_day("2100-12-31") == dt.date(2100, 12, 31)
    assert dates.parse_instant("2101-01-01T00:00:00Z") == dates.LATEST_INSTANT
    assert dates.parse_instant("1999-12-31T19:00:00-05:00") == dates.EARLIEST_INSTANT
    for text in ("1999-12-31", "2101-01-01", "9999-12-31", "0001-01-01"):
        with pytest.raises(dates.DateRefused):
            dates.parse_day(text)
    for text in ("1999-12-31T18:59:59-05:00", "2101-01-01T00:00:01Z", "2026-11-20T10:00"):
        with pytest.raises(dates.DateRefused):
            dates.parse_instant(text)


def test_unix_seconds_are_checked_before_converting():
    assert dates.from_timestamp(946684800) == dates.EARLIEST_INSTANT
    for seconds in (946684799, 10**12, -(10**12), 10**30):
        with pytest.raises(dates.DateRefused):
            dates.from_timestamp(seconds)


def test_arithmetic_on_stored_values_clamps_instead_of_overflowing():
    end = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    assert dates.add_days(dt.date(9999, 12, 31), 29) == dt.date.max
    assert dates.add_days(dt.date(1, 1, 1), -1) == dt.date.min
    assert dates.add_time(end, dt.timedelta(minutes=15)) == dates.LAST_INSTANT
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert dates.in_zone(end, tokyo) == end  # shown in UTC: the true instant
    assert dates.local_date(
        dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.timezone(-dt.timedelta(hours=5))
    ) == dt.date(1, 1, 1)
    assert dates.showable(end).astimezone(tokyo).year == 9999


# --- patients: monitoring start and birth date ----------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("monitoring_started_on", "9999-12-31"),
        ("monitoring_started_on", "0001-01-01"),
        ("monitoring_started_on", "1999-12-31"),
        ("birth_date", "1899-12-31"),
        ("birth_date", "9999-12-31"),
    ],
)
def test_enrolment_refuses_implausible_dates_naming_the_field(api, org, field, value):
    response = api.post("/api/v1/patients", {**ENROL, field: value}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    body = response.json()
    assert (body["error"], list(body["fields"])) == ("validation_error", [field])
    assert not Patient.objects.exists()


def test_monitoring_start_edges(api, org, monkeypatch):
    today = freeze(monkeypatch).date()  # TIME_ZONE is UTC
    accepted = ["2000-01-01", (today + dt.timedelta(days=365)).isoformat()]
    for n, day in enumerate(accepted):
        body = {**ENROL, "mrn": f"EDGE-{n}", "monitoring_started_on": day}
        response = api.post("/api/v1/patients", body, format="json")
        assert response.status_code == HTTPStatus.CREATED, (day, response.content)
    late = (today + dt.timedelta(days=366)).isoformat()
    response = api.post(
        "/api/v1/patients", {**ENROL, "mrn": "EDGE-X", "monitoring_started_on": late}, format="json"
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert Patient.objects.count() == 2


def test_birth_date_edges(api, org, monkeypatch):
    today = freeze(monkeypatch).date()
    for n, day in enumerate(["1900-01-01", today.isoformat()]):
        response = api.post(
            "/api/v1/patients", {**ENROL, "mrn": f"B-{n}", "birth_date": day}, format="json"
        )
        assert response.status_code == HTTPStatus.CREATED, (day, response.content)
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    response = api.post("/api/v1/patients", {**ENROL, "birth_date": tomorrow}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


# --- billing months and other query parameters ----------------------------------------------
@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2101-01"])
def test_billing_api_refuses_a_month_out_of_range(api, patient, month):
    response = api.get("/api/v1/billing", {"month": month})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert (body["error"], list(body["fields"])) == ("invalid_parameter", ["month"])


@pytest.mark.parametrize("month", ["2000-01", "2100-12"])
def test_billing_api_and_pages_at_the_edge_months(api, nurse_client, patient, month):
    assert api.get("/api/v1/billing", {"month": month}).status_code == HTTPStatus.OK
    assert nurse_client.get("/billing/", {"month": month}).status_code == HTTPStatus.OK
    assert nurse_client.get("/billing.csv", {"month": month}).status_code == HTTPStatus.OK


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2101-01"])
def test_billing_pages_explain_a_month_out_of_range(nurse_client, patient, month):
    page = nurse_client.get("/billing/", {"month": month})
    assert page.status_code == HTTPStatus.OK
    assert "That month is not valid" in page.content.decode()
    csv = nurse_client.get("/billing.csv", {"month": month})
    assert csv.status_code == HTTPStatus.BAD_REQUEST
    assert b"2000-01 to 2100-12" in csv.content


def test_time_entry_month_filter_out_of_range_is_400(api, patient):
    response = api.get("/api/v1/time-entries", {"month": "9999-12"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["fields"]) == ["month"]


# --- time-log days ---------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31"])
def test_a_time_entry_before_2000_is_refused_naming_the_day(api, patient, day):
    body = {"patient": patient.pk, "day": day, "minutes": 10}
    response = api.post("/api/v1/time-entries", body, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == ["day"]
    assert not TimeEntry.objects.exists()


def test_a_time_entry_on_2000_01_01_is_accepted(api, patient):
    body = {"patient": patient.pk, "day": "2000-01-01", "minutes": 10}
    assert api.post("/api/v1/time-entries", body, format="json").status_code == HTTPStatus.CREATED


def test_the_time_log_form_refuses_a_day_before_2000_with_a_message(nurse_client, patient):
    form = {"day": "0001-01-01", "minutes": "10", "activity": "call"}
    response = nurse_client.post(f"/patients/{patient.pk}/time/", form, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "on or after 2000-01-01" in response.content.decode()
    assert not TimeEntry.objects.exists()


# --- what is already stored still renders ---------------------------------------------------
@pytest.fixture
def far_monitoring_start(patient):
    """A patient stored before monitoring starts were checked (the defect: 201 for 9999-12-31)."""
    Patient.objects.filter(pk=patient.pk).update(monitoring_started_on=dt.date(9999, 12, 31))
    patient.refresh_from_db()
    return patient


@pytest.mark.parametrize(
    "url",
    ["/patients/{p}/", "/patients/", "/roster/", "/billing/", "/billing.csv",
     "/readings/patients/{p}/"],
)  # fmt: skip
def test_pages_render_a_stored_monitoring_start_in_year_9999(
    nurse_client, far_monitoring_start, url
):
    response = nurse_client.get(url.format(p=far_monitoring_start.pk))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "url", ["/api/v1/billing", "/api/v1/roster", "/api/v1/patients/{p}", "/api/v1/patients"]
)
def test_endpoints_answer_with_a_stored_monitoring_start_in_year_9999(
    api, far_monitoring_start, url
):
    response = api.get(url.format(p=far_monitoring_start.pk))
    assert response.status_code == HTTPStatus.OK, response.content


def test_billing_shows_no_period_for_an_episode_that_starts_in_year_9999(api, far_monitoring_start):
    (line,) = api.get("/api/v1/billing", {"month": "2100-12"}).json()["results"]
    assert (line["episode_start"], line["periods"]) == ("9999-12-31", [])
