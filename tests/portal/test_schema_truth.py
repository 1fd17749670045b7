"""The schema documents what each operation can answer, with the bodies it sends, and the
constraints the server enforces (portal.schema.PortalAutoSchema and the views' declarations).
The live check of all of it is tests/security/test_api_schema_truth.py; these pin the rules
one by one, fast."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _body_ref(response) -> str:
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def test_every_operation_documents_its_errors_with_the_shared_body(schema):
    for path, method, operation in _operations(schema):
        expected = {"401", "403", "429", "503"}
        if "{" in path:
            expected.add("404")
        if method in ("post", "patch", "put"):
            expected |= {"400", "413", "415", "422"}
        assert expected <= set(operation["responses"]), (method, path)
        errors = {c: r for c, r in operation["responses"].items() if c >= "400"}
        shape = "PatientGraphError" if path.endswith("/metrics") else "Error"
        assert {_body_ref(r) for r in errors.values()} == {shape}, (method, path)


def test_the_error_component_is_the_house_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert sorted(error["required"]) == ["error", "fields", "message"]
    assert error["properties"]["fields"]["type"] == "object"


def test_specific_errors_are_documented_where_they_happen(schema):
    paths = schema["paths"]
    assert "409" in paths["/api/v1/patients"]["post"]["responses"]
    assert "409" in paths["/api/v1/devices/{id}/assign"]["post"]["responses"]
    assert "503" in paths["/api/v1/appointments"]["post"]["responses"]
    assert "404" in paths["/api/v1/alerts"]["get"]["responses"]  # ?patient= of no one
    assert "409" not in paths["/api/v1/patients"]["get"]["responses"]


def test_portal_inputs_refuse_unknown_fields_in_the_schema(schema):
    components = schema["components"]["schemas"]
    for name in ("PatientCreateRequest", "AssignInputRequest", "CancelInputRequest"):
        assert components[name]["additionalProperties"] is False, name
    # Nested vendor shapes stay open, as the serializers read them.
    assert "additionalProperties" not in components["ValidicSourceRequest"]


def test_constraints_the_server_enforces_are_in_the_schema(schema):
    def params(path, method="get"):
        return {p["name"]: p["schema"] for p in schema["paths"][path][method]["parameters"]}

    for path in ("/api/v1/patients", "/api/v1/roster", "/api/v1/billing"):
        assert params(path)["page_size"] | {"type": "integer"} == {
            "type": "integer",
            "minimum": 1,
            "maximum": 500,
            "default": params(path)["page_size"]["default"],
        }
        assert "cursor" in params(path)
        assert "page" not in params(path)
    assert params("/api/v1/billing")["month"]["pattern"] == r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"
    assert params("/api/v1/devices")["assigned"]["enum"] == ["assigned", "unassigned"]
    cancel = schema["components"]["schemas"]["CancelInputRequest"]["properties"]["reason"]
    assert cancel["type"] == "string"
    assert re.fullmatch(cancel["pattern"], "Duplicate visit")
    assert not re.fullmatch(cancel["pattern"], "  ")  # DRF trims: a blank reason is refused
    assert not re.fullmatch(cancel["pattern"], "no\x00")


def test_a_reading_without_a_device_is_documented(schema):
    device = schema["components"]["schemas"]["Reading"]["properties"]["device"]
    assert device["nullable"] is True
