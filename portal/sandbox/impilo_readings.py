"""Impilo sandbox: Record Heart Rate Reading (seed 000) and the readings list the portal's
sync pulls, filled with a realistic month for the demo cast (`world_readings`).

Conventions beyond the seed (which names the operation and its objects, not the wire):
- `POST /v1/readings/heart-rate` takes a HeartRateReadingRequest and answers 201 with the
  reading object; an `Idempotency-Key` header replays the first answer;
- `GET /v1/readings?after=<cursor>&limit=<n>` lists readings in the order Impilo received them:
  `{"readings": [...], "nextCursor": "...", "hasMore": bool, "total": n}`; cuff readings add
  `systolic`/`diastolic`, scale readings `weight`/`weightUnit`;
- a reading from a decommissioned device is refused with 409 (seed 001: "block a device from
  submitting readings"); unknown device or patient is 404; a bad body is 400;
- a reading sent by device goes to the patient the device is assigned to now (the devices
  module's `patientId`, which association, disassociation and replacement change); a device
  assigned to nobody is 409.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django.http import JsonResponse
from django.urls import path

from portal.sandbox import world
from portal.sandbox.framework import BadJson, json_body
from portal.sandbox.impilo import VENDOR, error, impilo_view, visible_patient
from portal.sandbox.state import STORE, seeder
from portal.sandbox.world_readings import impilo_readings

ZONE_BY_ZIP = dict(world.PLACES)
MAX_PAGE = 1000


@seeder
def seed_readings(store):
    for reading in impilo_readings():
        store.put(VENDOR, "readings", reading["id"], reading)


def _device(device_id=None, identifier=None) -> dict | None:
    """The customer's device as the devices module keeps it now: its current status and its
    current assignment (`patientId`, which associate, disassociate and replace change), so a
    reading follows the device to the patient it is assigned to today."""
    if device_id is not None:
        device = STORE.get(VENDOR, "devices", device_id)
    else:
        device = next(
            (d for d in STORE.all(VENDOR, "devices") if d["identifier"] == identifier), None
        )
    if device is None or device["customerId"] != int(world.IMPILO_CUSTOMER_ID):
        return None  # another customer's device is not confirmed to exist
    return {
        "id": device["id"],
        "identifier": device["identifier"],
        "itemId": (device.get("item") or {}).get("id"),
        "currentStatus": device["currentStatus"],
        "patientId": device["patientId"],
    }


def _bad(message):
    return error(400, message)


@impilo_view("POST")
def record_heart_rate(request):
    """POST /v1/readings/heart-rate — Record Heart Rate Reading (seed 000)."""
    key = request.headers.get("Idempotency-Key")
    if key and (seen := STORE.get(VENDOR, "idempotency", key)):
        return JsonResponse(seen, status=201)
    try:
        body = json_body(request)
    except BadJson:
        return _bad("Request body is not valid JSON")
    if not isinstance(body, dict):
        return _bad("Request body must be a HeartRateReadingRequest object")
    stamp = body.get("readingTimestamp")
    try:
        at = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        if at.tzinfo is None:
            raise ValueError
    except ValueError:
        return _bad("readingTimestamp is required and must be a UTC timestamp")
    for name in ("deviceId", "patientId", "deviceTimeZoneOffset", "heartRate"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return _bad(f"{name} must be an integer")
    if body.get("manual") is not None and not isinstance(body["manual"], bool):
        return _bad("manual must be a boolean")
    device = None
    if body.get("deviceId") is not None or body.get("deviceIdentifier"):
        device = _device(body.get("deviceId"), body.get("deviceIdentifier"))
        if device is None:
            return error(404, "Device not found")
        if device["currentStatus"] == "decommissioned":
            return error(409, f"Device {device['id']} is decommissioned and cannot submit readings")
    if device is not None and body.get("patientId") is None and device["patientId"] is None:
        # The device exists but belongs to no patient: nobody to record the reading for.
        return error(409, f"Device {device['id']} is not associated with a patient")
    patient_id = body.get("patientId") or (device or {}).get("patientId")
    if patient_id is None:
        return _bad("Either a device ID, device identifier, or patient ID is required")
    patient = visible_patient(patient_id)
    if patient is None:
        return error(404, f"Patient {patient_id} not found")
    zone = zoneinfo.ZoneInfo(ZONE_BY_ZIP.get(patient["zipCode"], "America/New_York"))
    reading_id = STORE.next_id(VENDOR + ".readings", start=900000000)
    reading = {
        "id": reading_id,
        "type": "heartRate",
        "readingTimestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "receivedAt": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "manual": body.get("manual"),
        "deviceTimeZoneOffset": body.get("deviceTimeZoneOffset"),
        "patientTimeZoneOffset": int(at.astimezone(zone).utcoffset().total_seconds()),
        "heartRate": body.get("heartRate"),
        "patient": {"id": patient["id"], "externalId": patient["externalId"]},
        "item": {"id": device["itemId"]} if device else None,
        "device": {"id": device["id"], "identifier": device["identifier"]} if device else None,
    }
    STORE.put(VENDOR, "readings", reading_id, reading)
    answer = {k: v for k, v in reading.items() if k not in ("type", "receivedAt")}
    if key:
        STORE.put(VENDOR, "idempotency", key, answer)
    return JsonResponse(answer, status=201)


def _cursor_of(reading) -> str:
    return f"{reading['receivedAt']}~{reading['id']}"


@impilo_view("GET")
def list_readings(request):
    """GET /v1/readings — the customer's readings after `after`, oldest received first."""
    try:
        limit = int(request.GET.get("limit", 500))
    except ValueError:
        return _bad("limit must be an integer")
    if not 1 <= limit <= MAX_PAGE:
        return _bad(f"limit must be between 1 and {MAX_PAGE}")
    after = request.GET.get("after", "")
    readings = sorted(
        (
            r
            for r in STORE.all(VENDOR, "readings")
            if visible_patient((r.get("patient") or {}).get("id")) is not None
        ),
        key=_cursor_of,
    )
    if after:
        if "~" not in after:
            return _bad("after is not a cursor this API issued")
        readings = [r for r in readings if _cursor_of(r) > after]
    page = readings[:limit]
    return JsonResponse(
        {
            "readings": page,
            "nextCursor": _cursor_of(page[-1]) if page else after,
            "hasMore": len(readings) > limit,
            "total": len(readings),
        }
    )


urlpatterns = [
    path("v1/readings/heart-rate", record_heart_rate, name="impilo-record-heart-rate"),
    path("v1/readings", list_readings, name="impilo-readings"),
]
