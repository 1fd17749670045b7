"""A control character in the query string (a NUL above all, which PostgreSQL can neither
store nor compare) is refused before any view runs: pages show a message with 400, machines
get the JSON error shape. Never a 500."""

from http import HTTPStatus

import pytest

from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def page_urls(patient, device):
    return [
        "/patients/?q=%00",
        "/patients/?q=ab%00cd&page=1",
        f"/devices/{device.pk}/patients/?q=%00",  # the device page's patient search
        f"/devices/patients/{patient.pk}/options/?q=%00",
        f"/readings/patients/{patient.pk}/export.csv?metric=%00",
        f"/readings/patients/{patient.pk}/?metric=heart_rate&range=%00",
        "/roster/?q=%1b",
        "/alerts/?status=%00",
        "/billing/?month=2026-11&q=%7f",
        "/devices/?q%00=1",  # in a name, too
    ]


def test_pages_refuse_a_control_character_with_a_message(nurse_client, patient):
    device = DeviceFactory(organization=patient.organization)
    for url in page_urls(patient, device):
        response = nurse_client.get(url)
        assert response.status_code == HTTPStatus.BAD_REQUEST, url
        assert b"The address holds a control character" in response.content, url
        assert response["Content-Type"].startswith("text/html")


def test_the_api_refuses_it_in_the_error_shape(api, patient):
    readings = f"/api/v1/patients/{patient.pk}/readings"
    for url in ["/api/v1/patients?search=%00", f"{readings}?metric=%00"]:
        response = api.get(url)
        assert response.status_code == HTTPStatus.BAD_REQUEST, url
        assert response.json() == {
            "error": "malformed_request",
            "message": "The address holds a control character; remove it and try again.",
            "fields": {},
        }


def test_tabs_and_ordinary_text_still_search(nurse_client, patient):
    assert nurse_client.get("/patients/?q=a%09b").status_code == HTTPStatus.OK
    response = nurse_client.get("/patients/", {"q": patient.last_name})
    assert response.status_code == HTTPStatus.OK
    assert patient.last_name.encode() in response.content
