"""Every API operation that takes a body, read from the OpenAPI schema the portal serves (so
a new endpoint is covered without editing this file): JSON nested 1,000 deep (Python's json
would raise RecursionError) or just deeper than the portal reads is 400 `malformed_request`,
in the house error shape — the patient-graph endpoint in its own {error, message} shape."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from portal.parsers import MAX_JSON_DEPTH
from tests import factories
from tests.factories import route_world
from tests.module_data import member_fixtures, module_transaction

OWN_ERROR_SHAPE = {"/api/v1/patients/{patient_id}/metrics"}  # seed 002's {error, message}


SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def body_operations() -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, operations in SCHEMA["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]


OPERATIONS = body_operations()


def session_only(path: str, method: str) -> bool:
    """Operations the schema offers to a signed-in person only (no API key: claim, assign…)."""
    security = SCHEMA["paths"][path][method].get("security") or []
    return not any("ApiKey" in requirement for requirement in security)


def _url(path: str, world) -> str:
    def value(match):
        if match.group(1) == "imei":
            return world["smart_meter"].imei
        for word, key in (
            ("devices", "device"),
            ("alerts", "alert"),
            ("time-entries", "time_entry"),
            ("appointments", "appointment"),
            ("patients", "patient"),
        ):
            if path.startswith(f"/api/v1/{word}/"):
                return str(world[key].pk)
        raise AssertionError(f"no object for {match.group(1)} in {path}")

    return re.sub(r"\{(\w+)\}", value, path)


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """The organization, its nurse and the route walker's world, made once for the module's
    ~85 tests (tests/module_data.py)."""
    with module_transaction(django_db_blocker):
        org = factories.our_organization()
        patient = factories.our_patient(org)
        alice = factories.cast_member("alice", org)
        world = {"patient": patient, **route_world(org, patient)}
        yield {"org": org, "patient": patient, "alice": alice, "world": world}


globals().update(member_fixtures(("org", "patient", "alice", "world")))


def test_the_walk_finds_the_ingestion_and_action_operations():
    assert {
        ("/api/v1/readings/heart-rate", "post"),
        ("/api/v1/measurements", "post"),
        ("/api/v1/patients/{patient_id}/metrics", "post"),
        ("/api/v1/devices/{id}/assign", "post"),
        ("/api/v1/time-entries/{id}", "patch"),
    } <= set(OPERATIONS)
    assert len(OPERATIONS) >= 15


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
@pytest.mark.parametrize("depth", [1000, 100_000, MAX_JSON_DEPTH + 1])
def test_deeply_nested_json_is_400_malformed_request(api, alice, world, path, method, depth):
    client = api
    if session_only(path, method):
        client = APIClient()
        client.force_login(alice)
    body = "[" * depth + "]" * depth
    response = getattr(client, method)(_url(path, world), body, content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content[:300]
    payload = response.json()
    assert payload["error"] == "malformed_request"
    assert "nested deeper than" in payload["message"]
    if path in OWN_ERROR_SHAPE:
        assert set(payload) == {"error", "message"}
    else:
        assert set(payload) == {"error", "message", "fields"}


@pytest.mark.django_db
def test_nesting_within_the_limit_still_reaches_validation(api, world):
    deep = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    body = f'{{"readingTimestamp": "2026-11-20T13:05:00Z", "deviceId": {deep}, "heartRate": 72}}'
    response = api.post("/api/v1/readings/heart-rate", body, content_type="application/json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "deviceId" in response.json()["fields"]
