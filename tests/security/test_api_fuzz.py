"""Schemathesis against the portal's own OpenAPI schema: every operation, as an integrator whose
organization has data (patients, a device, a visit, an alert, a time entry), in-process over
WSGI on the test database. Bounded: a dozen examples an operation, no shrinking.

Promises checked on every response:
- never a 5xx;
- a documented status's body conforms to its schema, with the documented content type;
- every 4xx speaks the house error shape {"error", "message", "fields"}.
Half the generated ids are swapped for ids of real objects of the organization, so the fuzz
reaches the serializers and services behind the 404 guard, not only the guard.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests import factories

MAX_EXAMPLES = 10


@pytest.fixture
def fuzz_world(org, alice, patient, vendor_accounts):
    """`org` with data, wired to every vendor's sandbox over real HTTP (so bookings, assigns and
    disconnects really reach a vendor)."""
    world = factories.route_world(org, patient)
    _key, raw = factories.api_key(org)
    # Like django.test.Client: a request must not close the test's transactional connection.
    signals.request_started.disconnect(close_old_connections)
    yield {"org": org, "patient": patient, "raw_key": raw, **world}
    signals.request_started.connect(close_old_connections)


def _portal_schema():
    """The schema `/api/schema/` serves, generated once at collection (no database needed),
    exercised in-process through the portal's WSGI application (pytest 9 breaks schemathesis's
    fixture-based lazy loader, so the schema is built eagerly)."""
    from drf_spectacular.generators import SchemaGenerator

    raw = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded


schema = _portal_schema()


def _real_ids(world) -> dict[str, int]:
    """Path prefix → the pk of a real object of the organization under it."""
    return {
        "/api/v1/alerts/": world["alert"].pk,
        "/api/v1/appointments/": world["appointment"].pk,
        "/api/v1/devices/": world["device"].pk,
        "/api/v1/patients/": world["patient"].pk,
        "/api/v1/time-entries/": world["time_entry"].pk,
    }


def _aim_at_real_objects(case, world) -> None:
    params = case.path_parameters or {}
    for name in ("id", "pk", "patient_id", "patient_pk"):
        value = params.get(name)
        if isinstance(value, int) and value % 2 == 0:
            for prefix, pk in _real_ids(world).items():
                if case.path.startswith(prefix):
                    params[name] = pk
    if "imei" in params and isinstance(params.get("patient_pk"), int):
        params["imei"] = world["smart_meter"].imei


def _house_error_shape(case, response) -> None:
    """4xx answers speak the house shape, except on an operation that documents an error
    schema of its own (the Patient Graph-compatible metrics endpoint), checked against it."""
    operation = case.operation.schema.raw_schema["paths"][case.operation.path]
    documented = operation[case.operation.method.lower()].get("responses", {})
    if any(code.startswith("4") for code in documented):
        return
    if 400 <= response.status_code < 500:
        body = json.loads(response.content)
        assert set(body) >= {"error", "message", "fields"}, body
        assert isinstance(body["error"], str), body
        assert body["error"], body
        assert isinstance(body["message"], str), body
        assert body["message"], body


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_without_5xx_and_as_documented(case, fuzz_world):
    _aim_at_real_objects(case, fuzz_world)
    response = case.call(headers={"Authorization": f"Bearer {fuzz_world['raw_key']}"})
    case.validate_response(
        response,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
    _house_error_shape(case, response)
