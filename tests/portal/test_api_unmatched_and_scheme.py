"""An unknown API URL is a JSON 404 whatever the method (a real client gets CSRF checks, so an
unmatched POST used to be a 403 "form expired"), and the Authorization scheme is matched
case-insensitively (RFC 7235 §2.1)."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "get"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/patients", "/api/x/"])
def test_an_unmatched_api_url_is_a_json_404_for_every_method(method, path):
    client = APIClient(enforce_csrf_checks=True)  # as a browser or an integrator's library
    response = getattr(client, method)(path, {"a": 1}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "error": "not_found",
        "message": "No such API endpoint.",
        "fields": {},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(org, patient, scheme):
    _key, raw = factories.api_key(org)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")
    response = client.get("/api/v1/patients")
    assert response.status_code == HTTPStatus.OK
    assert [p["id"] for p in response.json()["results"]] == [patient.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bearer vp_nothing", " ", "Basic dXNlcjpwYXNz"])
def test_a_bad_or_foreign_authorization_header_is_401_not_500(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/patients")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "not_authenticated"
