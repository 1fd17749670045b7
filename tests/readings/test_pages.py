"""Readings pages: chart, table, CSV, overview, manual entry — access, audit, query counts."""

import csv
import io
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from portal.models import AuditEvent
from readings.models import OutboxMessage, Reading
from readings.thresholds import threshold_defaults_ensure
from tests.factories import ReadingFactory


def pages(patient):
    base = f"/readings/patients/{patient.pk}/"
    return [base, f"{base}table/", f"{base}export.csv"]


def some_readings(patient, n=5, hours=3, tag="g"):
    now = datetime.now(tz=UTC)
    for i in range(n):
        at = now - timedelta(hours=hours * (i + 1))
        group = f"{tag}{patient.pk}-{i}"
        ReadingFactory(
            patient=patient,
            metric="systolic",
            value=120 + i,
            measured_at=at,
            measurement_group=group,
            source_record_id=group,
        )
        ReadingFactory(
            patient=patient,
            metric="diastolic",
            value=80 + i,
            measured_at=at,
            measurement_group=group,
            source_record_id=group,
        )


@pytest.mark.parametrize("index", [0, 1, 2])
def test_nurse_sees_each_page_and_it_is_audited_once(nurse_client, alice, patient, index):
    some_readings(patient)
    response = nurse_client.get(pages(patient)[index], {"metric": "bp", "range": "7d"})
    assert response.status_code == HTTPStatus.OK
    if index == 2:
        b"".join(response.streaming_content)
    events = AuditEvent.objects.filter(patient=patient)
    assert events.count() == 1
    assert events.get().actor == alice


@pytest.mark.parametrize("index", [0, 1, 2])
def test_outsider_gets_404_on_every_page(client, olga, patient, index):
    client.force_login(olga)
    assert client.get(pages(patient)[index]).status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("index", [0, 1, 2])
def test_anonymous_is_redirected_to_sign_in(client, patient, index):
    response = client.get(pages(patient)[index])
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]


def test_chart_page_shows_bp_data_and_thresholds(nurse_client, patient):
    some_readings(patient)
    response = nurse_client.get(pages(patient)[0], {"metric": "bp", "range": "7d"})
    content = response.content.decode()
    assert "Blood pressure" in content
    assert 'id="chart-data"' in content
    # The lines and the list under the chart are the rules in force for this patient.
    assert "Systolic \\u2265 160 warning" in content
    assert "Systolic BP at or above 180 mmHg" in content
    assert "5 readings" in content


def test_chart_htmx_request_gets_only_the_fragment(nurse_client, patient):
    some_readings(patient)
    response = nurse_client.get(
        pages(patient)[0],
        {"metric": "bp", "range": "24h"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="chart-area",
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="chart-area"')
    assert "<html" not in content


def test_bad_custom_range_is_explained_on_the_page(nurse_client, patient):
    some_readings(patient)
    response = nurse_client.get(
        pages(patient)[0], {"metric": "bp", "range": "custom", "start": "2026-11-20", "end": "x"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "Enter both dates of a custom range" in response.content.decode()


def test_pages_use_constant_queries(nurse_client, patient, django_assert_max_num_queries):
    threshold_defaults_ensure(organization=patient.organization)  # as after its first reading
    some_readings(patient, n=3)
    for url in pages(patient)[:2]:
        with django_assert_max_num_queries(16):
            nurse_client.get(url, {"metric": "bp", "range": "7d"})
    some_readings(patient, n=40, hours=1, tag="more")
    for url in pages(patient)[:2]:
        with django_assert_max_num_queries(16):
            nurse_client.get(url, {"metric": "bp", "range": "7d"})


def test_csv_has_local_time_offset_and_units(nurse_client, patient):
    ReadingFactory(
        patient=patient,
        metric="weight",
        value=182.4,
        measured_at=datetime.now(tz=UTC) - timedelta(hours=1),
        patient_tz_offset=-18000,
    )
    response = nurse_client.get(pages(patient)[2], {"metric": "weight", "range": "7d"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert (row["metric"], row["value"], row["unit_ucum"], row["loinc"]) == (
        "weight",
        "182.4",
        "[lb_av]",
        "29463-7",
    )
    assert row["utc_offset_used"] == "UTC-05:00"
    assert row["local_time"].endswith("-05:00")
    # the stored day and device-data flag billing counts (no device: not device data)
    assert (row["local_day"], row["device_data"]) == (row["local_time"][:10], "false")


def test_overview_lists_out_of_range_readings_of_the_org_only(
    nurse_client, patient, other_patient, django_assert_max_num_queries
):
    threshold_defaults_ensure(organization=patient.organization)  # as after its first reading
    ReadingFactory(patient=patient, metric="systolic", value=182)
    ReadingFactory(patient=patient, metric="systolic", value=120)
    ReadingFactory(patient=other_patient, metric="systolic", value=190)
    # The rules in force are read per request: a primary-key look-up of the organization's
    # rules version when cached (twice: the list's filter and the rows' rule), three when not.
    with django_assert_max_num_queries(14):
        response = nurse_client.get("/readings/")
    content = response.content.decode()
    assert "182" in content
    assert "Quimby" in content
    assert "Other, Oscar" not in content
    assert ">120<" not in content
    for n in range(20):
        ReadingFactory(patient=patient, metric="spo2", value=85 + n % 3)
    with django_assert_max_num_queries(14):
        nurse_client.get("/readings/")


def test_patient_panel_shows_latest_values_without_a_second_audit_event(nurse_client, patient):
    some_readings(patient)
    response = nurse_client.get(f"/patients/{patient.pk}/")
    content = response.content.decode()
    assert "Open full chart" in content
    assert "Systolic BP" in content
    assert AuditEvent.objects.filter(patient=patient).count() == 1


def test_nurse_records_a_manual_heart_rate(nurse_client, alice, patient):
    response = nurse_client.post(
        f"/readings/patients/{patient.pk}/manual/",
        {"metric": "heart_rate", "value": "88", "measured_at": "2026-11-20T09:15"},
    )
    assert response.status_code == HTTPStatus.FOUND
    reading = Reading.objects.get()
    assert (reading.value, reading.manual, reading.source, reading.entered_by) == (
        88.0,
        True,
        "manual",
        alice,
    )
    # 09:15 in New York is 14:15 UTC in November
    assert reading.measured_at == datetime(2026, 11, 20, 14, 15, tzinfo=UTC)
    assert AuditEvent.objects.filter(action="reading.manual_create").count() == 1


def test_manual_bp_needs_both_values_and_bad_values_save_nothing(nurse_client, patient):
    url = f"/readings/patients/{patient.pk}/manual/"
    response = nurse_client.post(
        url,
        {"metric": "systolic", "value": "140", "measured_at": "2026-11-20T09:15"},
        follow=True,
    )
    assert "Enter the diastolic value too" in response.content.decode()
    response = nurse_client.post(
        url,
        {"metric": "heart_rate", "value": "900", "measured_at": "2026-11-20T09:15"},
        follow=True,
    )
    assert "outside the possible range" in response.content.decode()
    assert not Reading.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_coordinator_cannot_record_and_outsider_gets_404(client, bob, olga, patient):
    body = {"metric": "heart_rate", "value": "88", "measured_at": "2026-11-20T09:15"}
    client.force_login(bob)
    assert client.post(f"/readings/patients/{patient.pk}/manual/", body).status_code == 403
    client.force_login(olga)
    assert client.post(f"/readings/patients/{patient.pk}/manual/", body).status_code == 404
    assert not Reading.objects.exists()
