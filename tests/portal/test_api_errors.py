"""Bad input of every kind gets a 4xx with the JSON error shape — never a 500, never HTML."""

import pytest

from portal.models import Patient

VALID = {
    "mrn": "X-1",
    "first_name": "Ida",
    "last_name": "Lewis",
    "birth_date": "1942-02-25",
    "time_zone": "America/New_York",
}


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message", "fields"}
    assert body["message"]
    if code:
        assert body["error"] == code
    return body


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ('{"mrn": "X-1",', "application/json", 400, "malformed_request"),
        ("\xff\xfe", "application/json", 400, "malformed_request"),
        ("mrn=X-1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("<xml/>", "text/xml", 415, "unsupported_media_type"),
        ("[1, 2]", "application/json", 422, "validation_error"),
        ('"just a string"', "application/json", 422, "validation_error"),
        ("null", "application/json", 422, "validation_error"),
    ],
)
def test_unparseable_or_wrong_type_bodies(api, body, content_type, status, code):
    response = api.generic("POST", "/api/v1/patients", body, content_type=content_type)
    assert_error_shape(response, status, code)
    assert not Patient.objects.exists()


def test_unknown_fields_are_named(api):
    response = api.post("/api/v1/patients", {**VALID, "frist_name": "typo"}, format="json")
    body = assert_error_shape(response, 422, "validation_error")
    assert body["fields"] == {"frist_name": ["Unknown field."]}


def test_missing_and_invalid_fields_are_named(api):
    response = api.post(
        "/api/v1/patients",
        {"mrn": "X", "birth_date": "2999-01-01", "time_zone": "Mars/Olympus"},
        format="json",
    )
    body = assert_error_shape(response, 422)
    assert set(body["fields"]) == {"first_name", "last_name", "birth_date", "time_zone"}


def test_huge_body_is_413_before_parsing(api, settings):
    blob = '{"mrn": "' + "x" * (settings.API_MAX_BODY_BYTES + 10) + '"}'
    response = api.generic("POST", "/api/v1/patients", blob, content_type="application/json")
    assert_error_shape(response, 413, "payload_too_large")


def test_wrong_method_is_405(api, patient):
    response = api.delete(f"/api/v1/patients/{patient.pk}")
    assert_error_shape(response, 405, "method_not_allowed")


def test_unknown_endpoint_is_json_404(api):
    assert_error_shape(api.get("/api/v1/no-such-thing"), 404, "not_found")


@pytest.mark.parametrize("cursor", ["garbage", "bz0tMQ==", "cj14"])
def test_bad_cursor_is_400(api, patient, cursor):
    assert_error_shape(api.get("/api/v1/patients", {"cursor": cursor}), 400, "invalid_cursor")


@pytest.mark.parametrize("size", ["0", "-1", "abc", "100000"])
def test_bad_page_size_is_400(api, size):
    assert_error_shape(api.get("/api/v1/patients", {"page_size": size}), 400, "invalid_page_size")


def test_throttled_is_429_with_the_shape(api, settings):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    from portal.api_auth import ClientRateThrottle

    cache.clear()
    original = ClientRateThrottle.THROTTLE_RATES
    ClientRateThrottle.THROTTLE_RATES = {
        **api_settings.DEFAULT_THROTTLE_RATES,
        "client": "2/day",
    }  # a day-long window: no boundary mid-test
    try:
        api.get("/api/v1/patients")
        api.get("/api/v1/patients")
        response = api.get("/api/v1/patients")
    finally:
        ClientRateThrottle.THROTTLE_RATES = original
        cache.clear()
    assert_error_shape(response, 429, "throttled")
    assert "Retry-After" in response


def test_an_unsafe_request_to_an_unknown_api_path_is_404_not_csrf(client, alice):
    client.force_login(alice)  # a session cookie, and no CSRF token: still 404
    response = client.post("/api/v1/no-such-thing/1", {}, content_type="application/json")
    assert_error_shape(response, 404, "not_found")


@pytest.mark.parametrize(
    ("field", "value"),
    [("mrn", 12), ("first_name", ["Ida"]), ("impilo_patient_id", "12"), ("zip_code", 10027)],
)
def test_a_value_of_the_wrong_json_type_is_refused(api, field, value):
    response = api.post("/api/v1/patients", {**VALID, field: value}, format="json")
    body = assert_error_shape(response, 422, "validation_error")
    assert list(body["fields"]) == [field]
    assert not Patient.objects.exists()
