"""Solo sandbox: reports, perfect answer, context-aware linking, webhooks and virtual-nursing
assistance requests (seed 003)."""

from __future__ import annotations

import base64
import csv
import io
import os
import re
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse

from portal.sandbox.solo_common import (
    LINKING_SECRET,
    PRACTICE_TZ,
    STORE,
    VENDOR,
    WEBHOOK_EVENTS,
    body_dict,
    error,
    new_appointment,
    parse_date,
    send_event,
    solo_view,
)


# --- reports -------------------------------------------------------------------------------
def _csv(start, end) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["appointmentId", "date", "patientId", "waitingRoom", "status", "duration"])
    for a in sorted(STORE.all(VENDOR, "appointments"), key=lambda a: a["date"]):
        day = datetime.fromtimestamp(a["date"], PRACTICE_TZ).date()
        if start <= day <= end:
            when = datetime.fromtimestamp(a["date"], UTC).isoformat()
            writer.writerow(
                [a["id"], when, a["patientId"], a["waitingRoom"], a["status"], a["duration"]]
            )
    return out.getvalue().encode()


@solo_view("GET")
def csv_data_dump(request):
    """GET /qapi/v1/reports/csv-data-dump?from&to (dates, both required) — CSV bytes."""
    start, end = parse_date(request.GET.get("from")), parse_date(request.GET.get("to"))
    if start is None or end is None:
        return error(400, "Parameters from and to are required dates (YYYY-MM-DD)")
    if end < start:
        return error(400, "Parameter to must not be before from")
    return HttpResponse(_csv(start, end), content_type="application/octet-stream")


def _atom(value):
    """An ATOM date-time (Y-m-d\\TH:i:sP) that the report can also write as a practice-local
    date: year 1 at +00:00 is a valid ATOM string, but has no day in New York (it used to make
    the download answer 500); such a value is refused as not a date-time the report can cover."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        if parsed and parsed.tzinfo:
            parsed.astimezone(PRACTICE_TZ)
            parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed if parsed and parsed.tzinfo else None


@solo_view("POST")
def encounter_report_create(request):
    """POST /qapi/v1/encounter-report/create — `from`, `to` (ATOM), `presetId`, `password`."""
    body = body_dict(request)
    start, end = _atom(body.get("from")), _atom(body.get("to"))
    if start is None or end is None:
        return error(400, "Fields from and to are required ATOM date-times (Y-m-d\\TH:i:sP)")
    if not body.get("presetId") or not body.get("password"):
        return error(400, "Fields presetId and password are required")
    if end < start:
        return error(400, "Field to must not be before from")
    report_id = str(uuid.uuid4())
    STORE.put(
        VENDOR,
        "reports",
        report_id,
        {"id": report_id, "status": "pending", "from": start, "to": end, "checks": 0},
    )
    return JsonResponse({"id": report_id, "status": "pending"}, status=201)


@solo_view("GET")
def encounter_report_status(request, report_id):
    """GET /qapi/v1/encounter-report/status/{id} — pending, then completed (the sandbox
    finishes a report on its second status check)."""
    report = STORE.get(VENDOR, "reports", report_id)
    if report is None:
        return error(404, "Report not found")
    report["checks"] += 1
    if report["status"] == "pending" and report["checks"] >= 2:
        report["status"] = "completed"
    return JsonResponse({"id": report_id, "status": report["status"]})


@solo_view("GET")
def encounter_report_download(request, report_id):
    """GET /qapi/v1/encounter-report/download/{id} — a zip holding the CSV (the sandbox does
    not password-protect it)."""
    report = STORE.get(VENDOR, "reports", report_id)
    if report is None:
        return error(404, "Report not found")
    if report["status"] != "completed":
        return error(409, "Report is not ready yet")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "encounter-report.csv",
            _csv(
                report["from"].astimezone(PRACTICE_TZ).date(),
                report["to"].astimezone(PRACTICE_TZ).date(),
            ),
        )
    return HttpResponse(buffer.getvalue(), content_type="application/octet-stream")


# --- perfect answer ------------------------------------------------------------------------
PA_REQUIRED = ("firstName", "lastName", "dob", "locationId", "mrn", "requestingProvider")
PA_OPTIONAL = ("physicianCallbackNumber", "callCenterNotified", "physicianNotified")
PA_OPTIONAL += ("patientLocation", "caller")
PA_NOTIFIED = ("callCenterNotified", "physicianNotified")


def perfect_answer_problem(body: dict) -> str | None:
    """Seed 003 "Perfect answer API": every field a string; `dob` "Date of birth in ISO 8601
    format"; `callCenterNotified`/`physicianNotified` (optional) "Date and time in ISO format";
    `consultType` one of [new, update]; `reason` one of [Stroke, EEG Stat, EEG Routine]; and the
    example error "locationId: This is not a valid UUID."."""
    missing = [k for k in PA_REQUIRED if not body.get(k)]
    if missing:
        return f"Bad parameters [{missing[0]}: This value should not be blank.]"
    for key in (*PA_REQUIRED, *PA_OPTIONAL, "consultType", "reason"):
        if body.get(key) is not None and not isinstance(body[key], str):
            return f"Bad parameters [{key}: This value should be of type string.]"
    try:
        uuid.UUID(body["locationId"])
    except ValueError:
        return "Bad parameters [locationId: This is not a valid UUID.]"
    if body.get("consultType") not in ("new", "update"):
        return "Bad parameters [consultType: The value you selected is not a valid choice.]"
    if body.get("reason") not in ("Stroke", "EEG Stat", "EEG Routine"):
        return "Bad parameters [reason: The value you selected is not a valid choice.]"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["dob"]) or parse_date(body["dob"]) is None:
        return "Bad parameters [dob: This value is not a valid date.]"
    for key in PA_NOTIFIED:
        if body.get(key) and _atom(body[key].replace("Z", "+00:00")) is None:
            return f"Bad parameters [{key}: This value is not a valid datetime.]"
    return None


@solo_view("POST")
def perfect_answer(request):
    """POST /qapi/v1/perfect-answer — create/update the patient, create a visit, prefill its
    note; the same MRN twice within 24 hours is rejected."""
    body = body_dict(request)
    problem = perfect_answer_problem(body)
    if problem:
        return error(400, problem)
    now = datetime.now(UTC)
    for earlier in STORE.all(VENDOR, "perfect_answers"):
        if earlier["mrn"] == body["mrn"] and now - earlier["at"] < timedelta(hours=24):
            return error(409, "A visit has already been created for the patient within 24 hours")
    patient = next((p for p in STORE.all(VENDOR, "patients") if p.get("mrn") == body["mrn"]), None)
    if patient is None:
        patient_id = str(uuid.uuid4())
        patient = {
            "id": patient_id,
            "spid": STORE.next_id(VENDOR + ":spid", start=12345),
            "mrn": body["mrn"],
            "name": [
                {"use": "usual", "firstName": body["firstName"], "lastName": body["lastName"]}
            ],
            "birthDate": body["dob"],
            "active": True,
        }
        STORE.put(VENDOR, "patients", patient_id, patient)
    appointment_id = STORE.next_id(VENDOR)
    STORE.put(
        VENDOR,
        "appointments",
        appointment_id,
        new_appointment(
            appointment_id,
            patient_id=patient["id"],
            waiting_room="Nurse Triage",
            date=int(now.timestamp()),
            duration=600,
            reasons=[body["reason"]],
            external_id=str(uuid.uuid4()),
        ),
    )
    STORE.put(VENDOR, "perfect_answers", appointment_id, {"mrn": body["mrn"], "at": now})
    send_event("appointment:scheduled", {"appointmentId": appointment_id})
    return JsonResponse(
        {"patientId": patient["id"], "encounterId": str(appointment_id)}, status=201
    )


# --- context-aware linking -----------------------------------------------------------------
def linking(request):
    """GET /integrations/linking?arg= — decrypt, check the JSON schema's required fields,
    redirect to the visit (302 Location: .../videocalls/{visit})."""
    from appointments.crypto import SoloCryptoError, solo_decrypt_json

    STORE.ensure_seeded()
    try:
        data = solo_decrypt_json(LINKING_SECRET, request.GET.get("arg", ""))
    except SoloCryptoError:
        return error(400, "The arg parameter could not be decrypted")
    required = ("user", "type", "visit", "date", "patient")
    if not isinstance(data, dict) or any(k not in data for k in required):
        return error(400, f"The linking data needs {', '.join(required)}")
    if data["type"] not in ("patient", "medicalAssistant", "provider"):
        return error(400, "type must be patient, medicalAssistant or provider")
    patient = data["patient"]
    if not isinstance(patient, dict) or any(
        k not in patient for k in ("id", "sex", "dob", "firstName", "lastName")
    ):
        return error(400, "patient needs id, sex, dob, firstName and lastName")
    url = reverse("solo-videocall", args=[data["visit"]])
    return HttpResponseRedirect(request.build_absolute_uri(f"{url}?role={data['type']}"))


# --- webhooks ------------------------------------------------------------------------------
def webhook_problem(body: dict) -> str | None:
    endpoint = body.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
        return "Field endpoint must be an http(s) URL"
    events = body.get("events")
    if not isinstance(events, list) or not events:
        return "Field events must be a non-empty list"
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown:
        return f"Unknown event {unknown[0]}; one of {', '.join(WEBHOOK_EVENTS)}"
    return None


def hook_out(hook: dict, *, with_key=False) -> dict:
    out = {"id": hook["id"], "endpoint": hook["endpoint"], "events": hook["events"]}
    if with_key:
        out["encryptionKey"] = hook["encryptionKey"]
    return out


@solo_view("GET", "POST")
def webhooks(request):
    """POST /qapi/v1/webhooks (Add Webhook: answers with the `encryptionKey`) and GET the
    collection."""
    if request.method == "GET":
        hooks = [h for h in STORE.all(VENDOR, "webhooks") if h["active"]]
        return JsonResponse([hook_out(h) for h in hooks], safe=False)
    body = body_dict(request)
    problem = webhook_problem(body)
    if problem:
        return error(400, problem)
    hook = {
        "id": str(uuid.uuid4()),
        "endpoint": body["endpoint"],
        "events": list(dict.fromkeys(body["events"])),
        "encryptionKey": base64.b64encode(os.urandom(16)).decode(),
        "active": True,
    }
    STORE.put(VENDOR, "webhooks", hook["id"], hook)
    return JsonResponse(hook_out(hook, with_key=True), status=201)


@solo_view("GET", "PUT", "DELETE")
def webhook_detail(request, webhook_id):
    """GET / PUT / DELETE /qapi/v1/webhooks/{webhookId} (delete deactivates)."""
    hook = STORE.get(VENDOR, "webhooks", webhook_id)
    if hook is None or not hook["active"]:
        return error(404, "Webhook not found")
    if request.method == "GET":
        return JsonResponse(hook_out(hook, with_key=True))
    if request.method == "DELETE":
        hook["active"] = False
        return HttpResponse(status=204)
    body = body_dict(request)
    problem = webhook_problem(body)
    if problem:
        return error(400, problem)
    hook["endpoint"] = body["endpoint"]
    hook["events"] = list(dict.fromkeys(body["events"]))
    return JsonResponse(hook_out(hook))


# --- virtual nursing: assistance requests --------------------------------------------------
MISSING_PARAMETERS = (
    "Service Request Error: Missing Required Parameters. Please include either Device ID, "
    "Patient ID, or a combination of Building, Floor, Room, and Bed (opt.), or Department, "
    "Room, and Bed (opt.) to proceed"
)
DEVICE_NOT_FOUND = "Device could not be found from the data submitted"
REQUEST_NOT_FOUND = "Service Request Error: Request not found"


def nursing_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def locate_device(body: dict) -> tuple[str | None, str | None]:
    """(device serial, None) or (None, error message) for one of the four request shapes."""
    locations = STORE.all(VENDOR, "care_locations")

    def bed_ok(loc):
        return not body.get("bed") or body["bed"] in loc["beds"]

    if body.get("deviceSerialNumber"):
        match = [loc for loc in locations if loc["device"] == str(body["deviceSerialNumber"])]
    elif body.get("patientMrn"):
        match = [loc for loc in locations if str(body["patientMrn"]) in loc["patientMrns"]]
    elif body.get("building") and body.get("floor") and body.get("room"):
        match = [
            loc
            for loc in locations
            if (loc["building"], loc["floor"], loc["room"])
            == (body["building"], body["floor"], body["room"])
            and bed_ok(loc)
        ]
    elif body.get("department") and body.get("room"):
        match = [
            loc
            for loc in locations
            if (loc["department"], loc["room"]) == (body["department"], body["room"])
            and bed_ok(loc)
        ]
    else:
        return None, MISSING_PARAMETERS
    if not match:
        return None, DEVICE_NOT_FOUND
    return match[0]["device"], None


def assistance_out(device: str, request_id: str, created: datetime, mrn: str) -> dict:
    return {
        "id": request_id,
        "device": device,
        "careLocation": {
            "availability": "offline",
            "id": "296f135e-88dd-4534-8e12-1f6f7b792fe5",
            "name": "ICC-CL-01-02",
            "status": "active",
            "video": {
                "type": "robot",
                "clientId": None,
                "serialNumber": device,
                "careLocationId": "1409",
                "skipActivation": True,
            },
        },
        "practice": "91ce2309-4049-49a4-8bf5-793bbe1579ed",
        "patient": {
            "age": 0,
            "id": "99ac90da-58fd-4af8-a378-e37f10ef6be5",
            "firstName": "Yura",
            "lastName": "Lukashik",
            "middleName": "A",
            "dob": "2024-03-28",
            "mrn": mrn,
        },
        "assignedTo": None,
        "room": "Room 50",
        "status": "incomplete",
        "createdAt": created.isoformat(timespec="seconds"),
        "finishedAt": None,
        "location": {"id": "ab25dda0-64e6-4666-8bfe-3277656a6405", "name": "ICC First Location"},
        "avSessions": [],
        "createdFromExternalApi": True,
    }


@solo_view("GET", "POST", "DELETE")
def request_assistance(request):
    """POST (create), GET (current) and DELETE (cancel) /qapi/v1/request-assistance, each with
    a body naming the bed by building/floor/room[/bed], department/room[/bed], patient MRN or
    device serial number."""
    body = body_dict(request) if request.body else {}
    device, problem = locate_device(body)
    if problem:
        if request.method != "POST" and problem == DEVICE_NOT_FOUND:
            return nursing_error(404, REQUEST_NOT_FOUND)
        return nursing_error(400 if problem == MISSING_PARAMETERS else 404, problem)
    current = STORE.get(VENDOR, "assistance", device)
    if request.method == "GET":
        return JsonResponse(current) if current else nursing_error(404, REQUEST_NOT_FOUND)
    if request.method == "DELETE":
        if not current:
            return nursing_error(404, REQUEST_NOT_FOUND)
        STORE.delete(VENDOR, "assistance", device)
        return HttpResponse(status=204)
    mrn = str(body.get("patientMrn") or "1234")
    created = assistance_out(device, str(uuid.uuid4()), datetime.now(UTC), mrn)
    STORE.put(VENDOR, "assistance", device, created)
    return JsonResponse(created, status=201)


urlpatterns = [
    path("qapi/v1/reports/csv-data-dump", csv_data_dump),
    path("qapi/v1/encounter-report/create", encounter_report_create),
    path("qapi/v1/encounter-report/status/<str:report_id>", encounter_report_status),
    path("qapi/v1/encounter-report/download/<str:report_id>", encounter_report_download),
    path("qapi/v1/perfect-answer", perfect_answer),
    path("integrations/linking", linking, name="solo-linking"),
    path("qapi/v1/webhooks", webhooks),
    path("qapi/v1/webhooks/<str:webhook_id>", webhook_detail),
    path("qapi/v1/request-assistance", request_assistance),
]
