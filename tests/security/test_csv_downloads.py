"""Every CSV the portal writes (the readings and billing exports here; Solo's data dump in
tests/appointments/test_csv_dump_injection.py) neutralises text cells a spreadsheet would run
as a formula, keeps numbers as numbers, and names the file in a Content-Disposition header no
stored value can break."""

import csv
import datetime as dt
import io
from http import HTTPStatus

import pytest

from portal.downloads import spreadsheet_safe
from portal.models import Patient
from readings.models import ReadingSource
from tests.factories import ReadingFactory, entry
from tests.factories import reading as care_reading

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_cell_is_written_as_text(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-3.5", "-18000", "+1", "-.5", "1e-3", "abc", "", -4, 2.5, None])
def test_numbers_and_plain_text_are_left_alone(cell):
    assert spreadsheet_safe(cell) == cell


def readings_csv(client, patient, **params):
    response = client.get(f"/readings/patients/{patient.pk}/export.csv", params)
    assert response.status_code == HTTPStatus.OK
    return response, list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_readings_csv_neutralises_metric_key_text_value_and_unit(nurse_client, patient):
    ReadingFactory(
        patient=patient,
        metric="=cmd|' /C calc'!A0",
        metric_key="=cmd|' /C calc'!A0",
        value=None,
        value_text='+HYPERLINK("http://evil")',
        unit="@SUM(1)",
        source=ReadingSource.API,
    )
    ReadingFactory(patient=patient, metric="temperature", value=-3.5, device_tz_offset=-18000)
    _response, rows = readings_csv(nurse_client, patient, metric="all", range="7d")
    header, *lines = rows
    rows_by_metric = [dict(zip(header, line, strict=True)) for line in lines]
    by_metric = {row["metric"]: row for row in rows_by_metric}
    bad = by_metric["'=cmd|' /C calc'!A0"]
    assert bad["value_text"] == '\'+HYPERLINK("http://evil")'
    assert bad["unit_ucum"] == "'@SUM(1)"
    number = by_metric["temperature"]
    assert (number["value"], number["device_tz_offset_seconds"]) == ("-3.5", "-18000")


@pytest.mark.parametrize(
    ("mrn", "expected"),
    [
        ("A\nB", 'attachment; filename="readings-AB-7d.csv"'),
        ('A"B', 'attachment; filename="readings-A\\"B-7d.csv"'),
        ("A\r\nSet-Cookie: x=1", 'attachment; filename="readings-ASet-Cookie: x=1-7d.csv"'),
        ("Ä-1", "attachment; filename*=utf-8''readings-%C3%84-1-7d.csv"),
    ],
)
def test_a_stored_mrn_cannot_break_the_export_header(nurse_client, patient, mrn, expected):
    Patient.objects.filter(pk=patient.pk).update(mrn=mrn)  # as stored before MRNs were checked
    response, rows = readings_csv(nurse_client, patient, metric="all", range="7d")
    assert response["Content-Disposition"] == expected
    assert rows[0][0] == "measured_at_utc"


def test_the_billing_csv_neutralises_the_mrn_and_names(nurse_client, org, alice):
    from tests.factories import PatientFactory

    patient = PatientFactory(
        organization=org,
        mrn="=1+1",
        last_name="@Evil",
        first_name="-Quimby",
        monitoring_started_on=dt.date(2026, 10, 1),
        time_zone="America/Chicago",
    )
    for day in (1, 2, 3):
        care_reading(patient, at=dt.datetime(2026, 10, day, 15, tzinfo=dt.UTC))
    entry(patient, alice, minutes=12, day=dt.date(2026, 10, 12), note="=cmd")
    response = nurse_client.get("/billing.csv?month=2026-10")
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (row["mrn"], row["last_name"], row["first_name"]) == ("'=1+1", "'@Evil", "'-Quimby")
    assert row["device_days"] == "3"
    assert response["Content-Disposition"] == 'attachment; filename="rpm-billing-2026-10.csv"'
