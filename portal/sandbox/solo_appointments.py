"""Solo sandbox: patients, appointments, links, waiting rooms and slots (seed 003)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from html import escape

from django.http import HttpResponse, JsonResponse
from django.urls import path, reverse

from portal.sandbox.solo_common import (
    CLOSE_HOUR,
    DATE_OUT_OF_RANGE,
    MAX_DURATION,
    OPEN_HOUR,
    PRACTICE_TZ,
    SPID_NOT_INT,
    STORE,
    VENDOR,
    appointment_by_id,
    body_dict,
    error,
    new_appointment,
    patient_by_hsid,
    patient_by_spid,
    send_event,
    solo_view,
    spid_or_none,
    valid_timestamp,
)

PATIENT_FIELDS = [
    "mrn",
    "accountNumber",
    "name",
    "birthDate",
    "gender",
    "maritalStatus",
    "telecom",
    "contact",
    "preferredLanguage",
    "race",
    "ethnicity",
    "address",
    "active",
    "deceased",
    "deceasedAt",
    "familyMember",
    "isLinkedByEmail",
    "sharedEmailGroup",
    "groupType",
    "groupName",
]


def patient_out(patient: dict) -> dict:
    return {k: patient[k] for k in PATIENT_FIELDS if k in patient}


DECEASED_AT_FORMAT = "%Y-%m-%d %I:%M %p"  # seed 003: "deceasedAt": "2020-03-31 10:12 AM"
DECEASED_AT_REQUIRED = "Field deceasedAt is required if deceased is true"
DECEASED_AT_REFUSED = "Field deceasedAt can only be specified when deceased is true"


def check_patient(body: dict) -> str | None:
    """Seed 003, Create/Update Patient: "Field deceasedAt is required if deceased is true" and
    "When deceased is false or is not defined, and deceasedAt is specified, an error should be
    received." Both read the request's own body (an earlier `deceased: true` does not let an
    update send `deceasedAt` alone). Dates follow the document's examples: `birthDate`
    "1983-08-15", `deceasedAt` "2020-03-31 10:12 AM"."""
    deceased = body.get("deceased")
    if deceased is not None and not isinstance(deceased, bool):
        return "Field deceased must be a boolean"
    if deceased is True and not body.get("deceasedAt"):
        return DECEASED_AT_REQUIRED
    if body.get("deceasedAt") not in (None, "") and deceased is not True:
        return DECEASED_AT_REFUSED
    if "birthDate" in body and not _is_date(body["birthDate"], "%Y-%m-%d"):
        return "Field birthDate must be a date in the format YYYY-MM-DD"
    if body.get("deceasedAt") and not _is_date(body["deceasedAt"], DECEASED_AT_FORMAT):
        return "Field deceasedAt must be a date-time in the format YYYY-MM-DD hh:mm AM"
    if "active" in body and not isinstance(body["active"], bool):
        return "Field active must be a boolean"
    return None


def _is_date(value, fmt: str) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.strptime(value, fmt)  # noqa: DTZ007 — a format check; the value stays a string
    except ValueError:
        return False
    return True


@solo_view("POST")
def patient_create(request):
    """POST /qapi/v1/patients — Create Patient: `id` required; 201 with the SPID (an int)."""
    body = body_dict(request)
    if not body.get("id") or not isinstance(body["id"], str):
        return error(400, "Field id is required")
    problem = check_patient(body)
    if problem:
        return error(400, problem)
    if STORE.get(VENDOR, "patients", body["id"]):
        return error(409, f"Patient with id {body['id']} already exists")
    spid = STORE.next_id(VENDOR + ":spid", start=12345)
    patient = {k: v for k, v in body.items() if k in PATIENT_FIELDS}
    patient.update({"id": body["id"], "spid": spid, "hsid": body.get("mrn")})
    STORE.put(VENDOR, "patients", body["id"], patient)
    send_event("patient:created", {"patientId": spid})
    return JsonResponse(spid, status=201, safe=False)


def patient_apply(patient: dict, body: dict) -> None:
    """Store an update and send its event (patient:deactivated when `active` turns false)."""
    was_active = patient.get("active", True)
    patient.update({k: v for k, v in body.items() if k in PATIENT_FIELDS})
    if body.get("deceased") is False:
        patient["deceasedAt"] = None  # no longer deceased: the old date goes too
    STORE.put(VENDOR, "patients", patient["id"], patient)
    event = (
        "patient:deactivated" if was_active and body.get("active") is False else "patient:updated"
    )
    send_event(event, {"patientId": patient["spid"]})


def _patient_read_or_update(request, patient):
    if patient is None:
        return error(404, "Patient not found")
    if request.method == "GET":
        return JsonResponse(patient_out(patient))
    body = body_dict(request)
    problem = check_patient(body)
    if problem:
        return error(400, problem)
    patient_apply(patient, body)
    return JsonResponse([], safe=False)


@solo_view("GET", "PUT")
def patient_detail(request, patient_id):
    """GET/PUT /qapi/v1/patients/{patient_id} — Get Patient / Update Patient."""
    return _patient_read_or_update(request, STORE.get(VENDOR, "patients", patient_id))


@solo_view("GET", "PUT")
def patient_by_spid_detail(request, spid):
    """GET/PUT /qapi/v1/patients/id/type/SPID/value/{solo_patient_id} (an int)."""
    if spid_or_none(spid) is None:
        return error(400, SPID_NOT_INT)
    return _patient_read_or_update(request, patient_by_spid(spid))


# --- appointments ----------------------------------------------------------------------------
def visit_url(request, appointment_id, role="patient") -> str:
    token = secrets.token_urlsafe(12)
    url = reverse("solo-videocall", args=[appointment_id])
    return request.build_absolute_uri(f"{url}?role={role}&t={token}")


def overlaps(waiting_room: str, start: int, duration: int, ignore_id=None) -> bool:
    for a in STORE.all(VENDOR, "appointments"):
        if a["waitingRoom"] != waiting_room or a["status"] == "cancelled" or a["id"] == ignore_id:
            continue
        if a["date"] < start + duration and start < a["date"] + a["duration"]:
            return True
    return False


def valid_duration(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DURATION


def _create_appointment(request, patient):
    if patient is None:
        return error(404, "Patient not found")
    body = body_dict(request)
    room_name = body.get("waitingRoom")
    if not room_name:
        return error(400, "Field waitingRoom is required")
    room = STORE.get(VENDOR, "waiting_rooms", room_name)
    if room is None:
        return error(404, f'Waiting room "{room_name}" not found')
    duration = body.get("duration", room["slotDuration"])
    if not valid_duration(duration):
        return error(400, "Field duration should be in range [1, 86400]")
    date = body.get("date", int(datetime.now(PRACTICE_TZ).timestamp()))
    if not valid_timestamp(date):
        return error(400, DATE_OUT_OF_RANGE)
    reasons = body.get("reasons", [])
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        return error(400, "Field reasons must be a list of strings")
    if body.get("externalId") and any(
        a["externalId"] == body["externalId"] for a in STORE.all(VENDOR, "appointments")
    ):
        return error(409, f"Appointment with externalId {body['externalId']} already exists")
    if overlaps(room_name, date, duration):
        return error(409, "The requested time is not available in this waiting room")
    appointment_id = STORE.next_id(VENDOR)
    STORE.put(
        VENDOR,
        "appointments",
        appointment_id,
        new_appointment(
            appointment_id,
            patient_id=patient["id"],
            waiting_room=room_name,
            date=date,
            duration=duration,
            reasons=reasons,
            external_id=body.get("externalId"),
            episode_id=body.get("episodeOfCareId"),
            account_number=body.get("accountNumber"),
        ),
    )
    send_event("appointment:scheduled", {"appointmentId": appointment_id})
    return JsonResponse(
        {"id": appointment_id, "visitUrl": visit_url(request, appointment_id)}, status=201
    )


@solo_view("POST")
def appointment_create(request, patient_id):
    """POST /qapi/v1/patients/{patient_id}/appointments — Create Appointment."""
    return _create_appointment(request, STORE.get(VENDOR, "patients", patient_id))


@solo_view("POST")
def appointment_create_hsid(request, hsid):
    """POST /qapi/v1/patients/HSID/{hsid}/appointments — Create Appointment with HSID."""
    return _create_appointment(request, patient_by_hsid(hsid))


@solo_view("POST")
def appointment_create_spid(request, spid):
    """POST /qapi/v1/patients/id/type/SPID/value/{spid}/appointments (the SPID is an int)."""
    if spid_or_none(spid) is None:
        return error(400, SPID_NOT_INT)
    return _create_appointment(request, patient_by_spid(spid))


def appointment_out(a: dict) -> dict:
    patient = STORE.get(VENDOR, "patients", a["patientId"]) or {}
    keys = ("id", "date", "duration", "reasons", "status", "videoCall", "externalId")
    return {
        **{k: a[k] for k in keys},
        "patient": {"id": a["patientId"], "demographics": patient_out(patient)},
        "providers": a["providers"],
    }


@solo_view("GET", "PUT")
def appointment_detail(request, appointment_id):
    """GET/PUT /qapi/v1/appointments/{appointment_id} — Get / Update Appointment (status may
    only become "cancelled")."""
    a = appointment_by_id(appointment_id)
    if a is None:
        return error(404, "Appointment not found")
    if request.method == "GET":
        return JsonResponse(appointment_out(a))
    body = body_dict(request)
    if "status" in body and body["status"] != "cancelled":
        return error(400, 'Only "cancelled" status is allowed')
    if "duration" in body and not valid_duration(body["duration"]):
        return error(400, "Field duration should be in range [1, 86400]")
    if "date" in body and not valid_timestamp(body["date"]):
        return error(400, DATE_OUT_OF_RANGE)
    if a["status"] == "cancelled" and ("date" in body or "duration" in body):
        return error(409, "A cancelled appointment cannot be changed")
    moved = ("date" in body and body["date"] != a["date"]) or (
        "duration" in body and body["duration"] != a["duration"]
    )
    if moved and overlaps(
        a["waitingRoom"], body.get("date", a["date"]), body.get("duration", a["duration"]), a["id"]
    ):
        return error(409, "The requested time is not available in this waiting room")
    cancelled = body.get("status") == "cancelled" and a["status"] != "cancelled"
    for key, field in (
        ("date", "date"),
        ("duration", "duration"),
        ("externalId", "externalId"),
        ("reasons", "reasons"),
        ("accountNumber", "accountNumber"),
        ("status", "status"),
    ):
        if key in body:
            a[field] = body[key]
    STORE.put(VENDOR, "appointments", a["id"], a)
    if cancelled:
        send_event("appointment:cancelled", {"appointmentId": a["id"]})
    elif moved:
        send_event("appointment:rescheduled", {"appointmentId": a["id"]})
    return JsonResponse({"id": a["id"], "visitUrl": visit_url(request, a["id"])})


@solo_view("GET")
def provider_link(request, appointment_id):
    """GET /qapi/v1/appointments/{id}/provider-link — a fresh provider link each call."""
    a = appointment_by_id(appointment_id)
    if a is None:
        return error(404, "Appointment not found")
    return JsonResponse(
        {"id": a["id"], "providerVisitUrl": visit_url(request, a["id"], "provider")}
    )


@solo_view("GET", teams=True)
def msteams_provider_link(request, appointment_id):
    """GET /qapi/v1/appointments/{id}/msteams-provider-link (needs `Teams-Auth-Token`). The
    sandbox's Teams link is its own page, so nothing leaves the machine."""
    a = appointment_by_id(appointment_id)
    if a is None:
        return error(404, "Appointment not found")
    url = visit_url(request, a["id"], "teams-provider").replace("?", "?meetingjoin=true&", 1)
    return JsonResponse({"id": a["id"], "msTeamsProviderVisitUrl": url})


def _links(request, a):
    if a is None:
        return error(404, "Appointment not found")
    return JsonResponse(
        {
            "appointmentExternalId": a["externalId"],
            "providerVisitUrl": visit_url(request, a["id"], "provider"),
            "patientVisitUrl": visit_url(request, a["id"], "patient"),
        }
    )


@solo_view("GET")
def video_call_links(request, external_id):
    """GET /qapi/v1/appointments/{external_appointment_id}/video-call-links."""
    found = [a for a in STORE.all(VENDOR, "appointments") if a["externalId"] == external_id]
    return _links(request, found[0] if found else None)


@solo_view("GET")
def video_call_links_said(request, said):
    """GET /qapi/v1/appointments/id/type/SAID/value/{said}/video-call-links."""
    return _links(request, appointment_by_id(said))


@solo_view("GET")
def waiting_rooms(request):
    """GET /qapi/v1/waiting-rooms."""
    rooms = sorted(STORE.all(VENDOR, "waiting_rooms"), key=lambda r: r["name"])
    keys = ("id", "name", "serviceLine", "serviceType")
    return JsonResponse([{k: r[k] for k in keys} for r in rooms], safe=False)


@solo_view("GET")
def appointment_slots(request):
    """GET /qapi/v1/appointment-slots?after&before&waitingRoom[&duration] — free slots within
    the practice's opening hours (9:00-17:00 New York), none overlapping a booked visit."""
    missing = [k for k in ("after", "before", "waitingRoom") if not request.GET.get(k)]
    if missing:
        return error(400, f"Missing required parameters: {', '.join(missing)}")
    try:
        after, before = int(request.GET["after"]), int(request.GET["before"])
    except ValueError:
        after = before = None
    if not (valid_timestamp(after) and valid_timestamp(before)):
        return error(400, "Parameters after and before must be unix timestamps")
    room = STORE.get(VENDOR, "waiting_rooms", request.GET["waitingRoom"])
    if room is None:
        return error(404, f'Waiting room "{request.GET["waitingRoom"]}" not found')
    duration = room["slotDuration"]
    if request.GET.get("duration"):
        try:
            duration = int(request.GET["duration"])
        except ValueError:
            duration = 0
        if not valid_duration(duration):
            return error(400, "Parameter duration should be in range [1, 86400]")
    if before <= after or before - after > 31 * 86400:
        return error(400, "The range must be positive and at most 31 days")
    slots = []
    day = datetime.fromtimestamp(after, PRACTICE_TZ).date()
    last_day = datetime.fromtimestamp(before, PRACTICE_TZ).date()
    while day <= last_day:
        start = datetime(day.year, day.month, day.day, OPEN_HOUR, tzinfo=PRACTICE_TZ)
        close = datetime(day.year, day.month, day.day, CLOSE_HOUR, tzinfo=PRACTICE_TZ)
        while start + timedelta(seconds=duration) <= close:
            ts = int(start.timestamp())
            if ts >= after and ts + duration <= before and not overlaps(room["name"], ts, duration):
                slots.append({"date": ts, "duration": duration})
            start += timedelta(seconds=duration)
        day += timedelta(days=1)
    return JsonResponse(slots, safe=False)


def videocall_page(request, appointment_id):
    """Where visit/provider links lead in the sandbox: a plain page naming the visit."""
    a = appointment_by_id(appointment_id)
    role = escape(request.GET.get("role", "patient"))
    if a is None:
        return HttpResponse("<h1>Visit not found</h1>", status=404)
    return HttpResponse(
        f"<!doctype html><title>Solo video visit {a['id']}</title>"
        f"<h1>Solo sandbox video visit {a['id']}</h1><p>Joined as {role}.</p>"
    )


urlpatterns = [
    path("qapi/v1/patients", patient_create, name="solo-patients"),
    path("qapi/v1/patients/id/type/SPID/value/<str:spid>", patient_by_spid_detail),
    path("qapi/v1/patients/id/type/SPID/value/<str:spid>/appointments", appointment_create_spid),
    path("qapi/v1/patients/HSID/<str:hsid>/appointments", appointment_create_hsid),
    path("qapi/v1/patients/<str:patient_id>", patient_detail),
    path("qapi/v1/patients/<str:patient_id>/appointments", appointment_create),
    path(
        "qapi/v1/appointments/id/type/SAID/value/<str:said>/video-call-links",
        video_call_links_said,
    ),
    path("qapi/v1/appointments/<str:appointment_id>", appointment_detail),
    path("qapi/v1/appointments/<str:appointment_id>/provider-link", provider_link),
    path("qapi/v1/appointments/<str:appointment_id>/msteams-provider-link", msteams_provider_link),
    path("qapi/v1/appointments/<str:external_id>/video-call-links", video_call_links),
    path("qapi/v1/waiting-rooms", waiting_rooms),
    path("qapi/v1/appointment-slots", appointment_slots),
    path("videocalls/<str:appointment_id>", videocall_page, name="solo-videocall"),
]
