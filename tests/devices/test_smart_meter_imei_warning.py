"""A failed IMEI check digit is a warning staff confirm past, on the page and in the API.

Seed 004 asks users for "their 15-digit IMEI number", and its own examples fail the Luhn check:
"device_id": "123453782873223" (Establish User Device Connection) and "111111111111111",
"222222222222222" (Disconnect all devices). The portal connects them once staff confirm."""

from http import HTTPStatus

import pytest

from devices.models import SmartMeterConnection
from devices.validators import LUHN_WARNING, luhn_ok
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)

SEED_IMEIS = ["123453782873223", "111111111111111", "222222222222222"]


@pytest.fixture
def newcomer(org, vendor_accounts):
    return PatientFactory(organization=org, mrn="RHV-IMEI-1")


def test_the_documents_own_imeis_fail_the_check_digit():
    assert not any(luhn_ok(imei) for imei in SEED_IMEIS)


def test_api_explains_the_warning_and_connects_once_confirmed(api, newcomer):
    url = f"/api/v1/patients/{newcomer.pk}/smart-meters"
    body = {"imei": "123453782873223", "device_type": "blood_glucose"}
    warned = api.post(url, body, format="json")
    message = f"{LUHN_WARNING} To connect it anyway, send the same body with `confirm_imei: true`."
    assert warned.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert warned.json() == {
        "error": "imei_check_digit",
        "message": message,
        "fields": {"imei": [message]},
    }
    assert not SmartMeterConnection.objects.exists()
    confirmed = api.post(url, {**body, "confirm_imei": True}, format="json")
    assert confirmed.status_code == HTTPStatus.CREATED, confirmed.content
    assert confirmed.json()["imei"] == "123453782873223"
    assert newcomer.smart_meter_connections.get().is_active


def test_confirm_imei_does_not_excuse_a_malformed_imei(api, newcomer):
    url = f"/api/v1/patients/{newcomer.pk}/smart-meters"
    body = {"imei": "12345", "device_type": "blood_glucose", "confirm_imei": True}
    refused = api.post(url, body, format="json")
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_imei")


def test_page_asks_for_a_confirmation_then_connects(nurse_client, newcomer):
    url = f"/devices/patients/{newcomer.pk}/smart-meters/"
    first = nurse_client.post(url, {"imei": "1111 1111 1111 111", "device_type": "blood_pressure"})
    assert first.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = first.content.decode()
    assert "This IMEI&#x27;s last digit does not match the others" in page
    assert 'name="confirm_imei"' in page
    assert 'value="111111111111111"' in page
    assert not SmartMeterConnection.objects.exists()
    second = nurse_client.post(
        url, {"imei": "111111111111111", "device_type": "blood_pressure", "confirm_imei": "on"}
    )
    assert second.status_code == HTTPStatus.FOUND
    assert newcomer.smart_meter_connections.get().imei == "111111111111111"
