"""Identifiers staff and integrators set (MRN, vendor ids, device serials) refuse control
characters, and ZIP codes and dates refuse digits other than ASCII — through the API and
through the model validation Django admin runs."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from portal.models import Patient
from tests.factories import DeviceFactory, PatientFactory

pytestmark = pytest.mark.django_db

VALID = {
    "mrn": "X-1",
    "first_name": "Ida",
    "last_name": "Lewis",
    "birth_date": "1942-02-25",
    "zip_code": "10001",
    "time_zone": "America/New_York",
}
IDENTIFIER_MESSAGE = "Identifiers cannot hold control characters (line breaks, tabs, NUL, …)."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mrn", "A\nB"),
        ("mrn", "A\tB"),
        ("mrn", "A\x1bB"),
        ("mrn", "A\u202eB"),  # right-to-left override: a name that reads backwards
        ("solo_id", "s\r\n1"),
        ("patient_graph_id", "pg\u20281"),
    ],
)
def test_the_api_refuses_an_identifier_with_a_control_character(api, field, value):
    response = api.post("/api/v1/patients", {**VALID, field: value}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["fields"] == {field: [IDENTIFIER_MESSAGE]}
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("zip_code", "١٠٠٠١", "This value does not match the required pattern."),
        ("zip_code", "10001-١٢٣٤", "This value does not match the required pattern."),
        ("birth_date", "١٩٤٢-02-25", None),
        ("monitoring_started_on", "2026-0١-05", None),
        ("impilo_patient_id", "١٢", None),
    ],
)
def test_the_api_refuses_digits_of_other_scripts(api, field, value, message):
    response = api.post("/api/v1/patients", {**VALID, field: value}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    expected = message or "Use ASCII digits (0-9): digits of other scripts are not accepted."
    assert response.json()["fields"] == {field: [expected]}
    assert not Patient.objects.exists()


def test_ordinary_identifiers_and_zip_codes_are_accepted(api):
    body = {**VALID, "mrn": "MRN-0042/b", "zip_code": "10001-1234", "solo_id": "ä-1"}
    assert api.post("/api/v1/patients", body, format="json").status_code == HTTPStatus.CREATED


def test_model_validation_as_admin_runs_it_refuses_bad_identifiers_and_zip(org):
    patient = PatientFactory.build(
        organization=org, mrn="A\nB", zip_code="١٠٠٠١", birth_date=dt.date(1950, 1, 1)
    )
    with pytest.raises(ValidationError) as caught:
        patient.full_clean(validate_unique=False, validate_constraints=False)
    assert set(caught.value.message_dict) >= {"mrn", "zip_code"}
    # A form that leaves a field out is not told about it (Django admin's exclude).
    patient.mrn = "A-1"
    patient.full_clean(exclude=["zip_code"], validate_unique=False, validate_constraints=False)


def test_a_device_serial_with_a_control_character_is_refused(org):
    device = DeviceFactory(organization=org)
    device.identifier = "SN\n1"
    with pytest.raises(ValidationError) as caught:
        device.full_clean(validate_unique=False, validate_constraints=False)
    assert caught.value.message_dict == {"identifier": [IDENTIFIER_MESSAGE]}


def test_admin_shows_the_identifier_error_on_the_form(client, ada, org):
    client.force_login(ada)
    response = client.post(
        "/admin/portal/patient/add/",
        {
            "organization": org.pk,
            "mrn": "A\tB",
            "first_name": "Ida",
            "last_name": "Lewis",
            "birth_date": "1942-02-25",
            "zip_code": "١٠٠٠١",
            "time_zone": "America/New_York",
            "is_active": "on",
        },
    )
    assert response.status_code == HTTPStatus.OK  # the form again, with its errors
    page = response.content.decode()
    assert "Identifiers cannot hold control characters" in page
    assert "A ZIP code is 5 digits" in page
    assert not Patient.objects.exists()
