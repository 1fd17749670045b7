"""Solo sandbox control (not in seed 003): what Solo's own staff and clinicians do in Solo's
screens — move a visit along, end its video call, deactivate a patient — each sending the
webhook Solo would. Tests and the demo use it to make Solo's events happen."""

from __future__ import annotations

from uuid import uuid4

from django.http import JsonResponse
from django.urls import path

from portal.sandbox.solo_appointments import appointment_out, patient_apply, patient_out
from portal.sandbox.solo_common import (
    APPOINTMENT_STATUSES,
    SPID_NOT_INT,
    STORE,
    VENDOR,
    appointment_by_id,
    body_dict,
    error,
    patient_by_spid,
    send_event,
    solo_view,
    spid_or_none,
)

# Seed 003 Get Appointment: videoCall.status is one of these.
VIDEO_CALL_STATUSES = (
    "LWBS",
    "incomplete",
    "complete",
    "finalizing",
    "on hold",
    "on call",
    "waiting",
)
# The event Solo sends when a visit reaches a status or its video call an end (seed 003 lists
# the events, not what triggers them: these are the sandbox's reading of their names).
STATUS_EVENTS = {
    "completed": "appointment:completed",
    "not showed up": "appointment:no-show",
    "cancelled": "appointment:cancelled",
    "scheduled": "appointment:scheduled",
}
VIDEO_CALL_EVENTS = {"LWBS": "appointment:lwbs", "incomplete": "appointment:incompleted"}


@solo_view("POST")
def control_status(request, appointment_id):
    """Sandbox control (not in seed 003): move a visit along as Solo's clinicians would, e.g.
    {"status": "completed"} or {"videoCall": "LWBS"} (the patient left without being seen) or
    both, and send the matching webhook (appointment:lwbs / appointment:incompleted for the
    call, else the status's event)."""
    a = appointment_by_id(appointment_id)
    if a is None:
        return error(404, "Appointment not found")
    body = body_dict(request)
    status, call = body.get("status"), body.get("videoCall")
    if status is None and call is None:
        return error(400, "Give status, videoCall or both")
    if status is not None and status not in APPOINTMENT_STATUSES:
        return error(400, f"status must be one of {', '.join(APPOINTMENT_STATUSES)}")
    if call is not None and call not in VIDEO_CALL_STATUSES:
        return error(400, f"videoCall must be one of {', '.join(VIDEO_CALL_STATUSES)}")
    if status is not None:
        a["status"] = status
    if call is not None:
        call_id = (a.get("videoCall") or {}).get("id") or str(uuid4())
        a["videoCall"] = {"id": call_id, "status": call}
    STORE.put(VENDOR, "appointments", a["id"], a)
    event = VIDEO_CALL_EVENTS.get(call) or STATUS_EVENTS.get(status)
    if event:
        send_event(event, {"appointmentId": a["id"]})
    return JsonResponse(appointment_out(a))


@solo_view("POST")
def control_patient(request, spid):
    """Sandbox control (not in seed 003): deactivate or reactivate a patient as Solo's staff
    would, {"active": false}, and send patient:deactivated (or patient:updated)."""
    if spid_or_none(spid) is None:
        return error(400, SPID_NOT_INT)
    patient = patient_by_spid(spid)
    if patient is None:
        return error(404, "Patient not found")
    active = body_dict(request).get("active")
    if not isinstance(active, bool):
        return error(400, "Field active must be a boolean")
    patient_apply(patient, {"active": active})
    return JsonResponse(patient_out(patient))


urlpatterns = [
    path("_appointments/<str:appointment_id>/status", control_status),
    path("_patients/<str:spid>/active", control_patient),
]
