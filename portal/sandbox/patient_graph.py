"""patient-graph sandbox: `POST /v1/patients/{patient_id}/metrics` exactly as seed 002 defines
it (request and 201 response schemas, `{error, message}` for 404/500). Auth is the bearer token
of the seed's curl example. An `Idempotency-Key` header replays the first answer.

Seed 002 shows only 201, 404 and 500. Where it is silent the sandbox and the portal's own
endpoint of the same shape (`readings/api/ingest.py`, PatientMetricsView) decided together:
- a body that is not JSON is 400; a JSON body that breaks the request schema is 422 (the
  portal's rule for every endpoint: it parsed, but a field is wrong), `{error, message}`,
  the message naming the field;
- `recorded_at` is `format: date-time`, RFC 3339, whose offset is part of the format: one
  without an offset is 422, never read in some zone;
- `value_numeric` is typed `string` (so a number keeps its digits through JSON) but named
  numeric: it must hold a decimal number (`72`, `-1.5`, `1e3`), else 422; an empty string
  counts as not sent;
- fields the schema does not list are ignored (liberal in what is sent; the portal too);
- a body with only the three required properties (no value) is accepted here, as the schema
  allows: 201 with null values. The portal refuses it (422): it stores readings, and a metric
  without a value is none (README, contract notes)."""

import re
from datetime import UTC, datetime

from django.http import JsonResponse
from django.urls import path

from portal.sandbox import world
from portal.sandbox.framework import BadJson, json_body, sandbox_view
from portal.sandbox.state import STORE

VENDOR = "patient_graph"
SOURCES = ("manual", "api", "upload")
PROPERTIES = {
    "metric_key",
    "value_numeric",
    "value_text",
    "unit",
    "source",
    "is_phi",
    "recorded_at",
}


# The same grammar as the portal's (readings.services.sources.DECIMAL_NUMBER).
DECIMAL_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def error_body(status: int, message: str) -> dict:
    return {
        "error": {
            400: "bad_request",
            401: "unauthorized",
            404: "not_found",
            422: "validation_error",
        }.get(status, "internal_error"),
        "message": message,
    }


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message), status=status)


def known_patient_ids() -> set[str]:
    return {p.patient_graph_id for p in world.demo_patients()}


def _problem(body) -> str | None:
    for name in ("metric_key", "source", "recorded_at"):
        if name not in body:
            return f"{name} is required"
    if not isinstance(body["metric_key"], str) or not body["metric_key"]:
        return "metric_key must be a non-empty string"
    for name in ("value_numeric", "value_text", "unit"):
        if name in body and not isinstance(body[name], str):
            return f"{name} must be a string"
    numeric = body.get("value_numeric")
    if numeric and not DECIMAL_NUMBER.fullmatch(numeric):
        return "value_numeric must be a decimal number"
    if numeric and float(numeric) in (float("inf"), float("-inf")):
        return "value_numeric must be finite"
    if body["source"] not in SOURCES:
        return f"source must be one of {', '.join(SOURCES)}"
    if "is_phi" in body and not isinstance(body["is_phi"], bool):
        return "is_phi must be a boolean"
    try:
        stamp = datetime.fromisoformat(str(body["recorded_at"]).replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            raise ValueError
    except ValueError:
        return "recorded_at must be a date-time"
    return None


@sandbox_view(VENDOR, methods=("POST",), error_body=error_body)
def create_metric(request, patient_id: str):
    if request.headers.get("Authorization") != f"Bearer {world.PATIENT_GRAPH_TOKEN}":
        return error(401, "Missing or invalid access token")
    key = request.headers.get("Idempotency-Key")
    if key and (seen := STORE.get(VENDOR, "idempotency", key)):
        return JsonResponse(seen, status=201)
    if patient_id not in known_patient_ids():
        return error(404, "Patient not found")
    try:
        body = json_body(request)
    except BadJson:
        return error(400, "body is not valid JSON")
    if not isinstance(body, dict):
        return error(400, "body must be a JSON object")
    problem = _problem(body)
    if problem:
        return error(422, problem)
    entry = {
        "id": f"met_{STORE.next_id(VENDOR, start=1)}",
        "patient_id": patient_id,
        "brand_id": world.PATIENT_GRAPH_BRAND_ID,
        "metric_key": body["metric_key"],
        "value_numeric": body.get("value_numeric"),
        "value_text": body.get("value_text"),
        "unit": body.get("unit"),
        "source": body["source"],
        "is_phi": body.get("is_phi", False),
        "recorded_at": body["recorded_at"],
        "created_at": datetime.now(tz=UTC).isoformat().replace("+00:00", "Z"),
    }
    STORE.put(VENDOR, "metrics", entry["id"], entry)
    if key:
        STORE.put(VENDOR, "idempotency", key, entry)
    return JsonResponse(entry, status=201)


urlpatterns = [
    path("v1/patients/<str:patient_id>/metrics", create_metric, name="patient-graph-metrics"),
]
