"""Solo sandbox: visit notes, attachments, patient documents and episodes of care (seed 003)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from django.http import HttpResponse, JsonResponse
from django.urls import path

from portal.sandbox.solo_common import (
    PRACTICE_TZ,
    STORE,
    VENDOR,
    appointment_by_id,
    body_dict,
    error,
    parse_date,
    send_event,
    solo_view,
)

# --- visit note ----------------------------------------------------------------------------
NOTE_TEMPLATE_ID = "be9180f7-b0c0-42a5-9b14-c8b67a3b4c0f"
NOTE_TEMPLATE_NAME = "RPM Visit Note"
# The note template's questions: (id, section, question).
NOTE_QUESTIONS = [
    ("6b1f3c52-4c1e-4d4b-9a61-1f0c1f1a0001", "Subjective", "Chief complaint"),
    ("6b1f3c52-4c1e-4d4b-9a61-1f0c1f1a0002", "Assessment", "Assessment"),
    ("6b1f3c52-4c1e-4d4b-9a61-1f0c1f1a0003", "Plan", "Plan"),
    ("923c5621-66a1-49a3-aa7b-a7753cbfd139", "Demographics", "Sex"),
]
TEMPLATES = {NOTE_TEMPLATE_NAME, "Acute Neurology - Physician Services", "template2"}


def note_for(appointment_id: int) -> dict:
    note = STORE.get(VENDOR, "visit_notes", appointment_id)
    if note is None:
        note = {
            "id": NOTE_TEMPLATE_ID,
            "template": {
                "name": NOTE_TEMPLATE_NAME,
                "flow": {
                    "sections": [
                        {"title": section, "questions": [{"id": qid, "text": text}]}
                        for qid, section, text in NOTE_QUESTIONS
                    ]
                },
            },
            "comments": [],
            "responses": [],
        }
    return note


@solo_view("GET", "PUT")
def visit_note(request, appointment_id):
    """GET/PUT /qapi/v1/appointments/{id}/visit-note — Get Visit Note / Update Visit Note
    Questions (`{"name": <template>, "questions": [{"id", "value": [..]}]}`)."""
    a = appointment_by_id(appointment_id)
    if a is None:
        return error(404, "Appointment not found")
    note = note_for(a["id"])
    if request.method == "GET":
        return JsonResponse([note], safe=False)
    body = body_dict(request)
    questions = body.get("questions")
    if not body.get("name") or not isinstance(questions, list):
        return error(400, "Fields name and questions are required")
    if body["name"] not in TEMPLATES:
        return error(404, f'Visit note template "{body["name"]}" not found')
    known = {qid: (section, text) for qid, section, text in NOTE_QUESTIONS}
    now = datetime.now(PRACTICE_TZ)
    for q in questions:
        if (
            not isinstance(q, dict)
            or q.get("id") not in known
            or not isinstance(q.get("value"), list)
        ):
            return error(400, "Each question needs a known id and a list value")
        note["responses"] = [r for r in note["responses"] if r.get("questionId") != q["id"]]
        note["responses"].append(
            {
                "dateTime": {
                    "date": now.strftime("%Y-%m-%d %H:%M:%S.000000"),
                    "timezone_type": 3,
                    "timezone": "America/New_York",
                },
                "question": list(known[q["id"]]),
                "response": [str(v) for v in q["value"]],
                "questionId": q["id"],
            }
        )
    STORE.put(VENDOR, "visit_notes", a["id"], note)
    return JsonResponse([], safe=False)


# --- attachments ---------------------------------------------------------------------------
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MIME_TYPES = ("application/pdf", "application/x-pdf", "image/pdf", "image/png", "image/jpeg")
MIME_MESSAGE = 'Mime type "{}" not supported. Available file mime-types: ' + ", ".join(
    f'"{m}"' for m in MIME_TYPES
)


@solo_view("GET", "POST")
def attachments(request, appointment_id):
    """POST /qapi/v1/appointments/{id}/attachments?fileName (raw body, Content-Type = the
    file's mime type, at most 5 MB) and GET the collection."""
    a = appointment_by_id(appointment_id)
    if a is None:
        return error(404, "Appointment not found")
    if request.method == "GET":
        items = [
            x
            for x in STORE.all(VENDOR, "attachments")
            if x["appointmentId"] == str(a["id"]) and not x["deleted"]
        ]
        return JsonResponse({"attachments": sorted(items, key=lambda x: x["uploadedAt"])})
    mime = (request.content_type or "").lower()
    if mime not in MIME_TYPES:
        return error(415, MIME_MESSAGE.format(mime or "none"))
    size = len(request.body)
    if size == 0:
        return error(400, "The file is empty")
    if size > MAX_ATTACHMENT_BYTES:
        return error(413, "File is too large. Max file size: 5Mb")
    item = {
        "id": str(uuid.uuid4()),
        "appointmentId": str(a["id"]),
        "title": request.GET.get("fileName") or "attachment",
        "mimeType": mime,
        "size": size,
        "uploadedAt": datetime.now(PRACTICE_TZ).isoformat(timespec="seconds"),
        "deleted": False,
    }
    STORE.put(VENDOR, "attachments", item["id"], item)
    return JsonResponse(item, status=201)


@solo_view("DELETE")
def attachment_delete(request, appointment_id, attachment_id):
    """DELETE /qapi/v1/appointments/{id}/attachments/{attachmentId}."""
    item = STORE.get(VENDOR, "attachments", attachment_id)
    if item is None or item["appointmentId"] != str(appointment_id) or item["deleted"]:
        return error(404, "Attachment not found")
    item["deleted"] = True
    STORE.put(VENDOR, "attachments", attachment_id, item)
    return HttpResponse(status=204)


# --- patient documents ---------------------------------------------------------------------
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z, the last instant a date can name
DOCUMENT_FIELDS_MESSAGE = "Fields name, dateTime and responses (question, response) are required"


def document_problem(body: dict) -> str | None:
    """Seed 003 "Add Patient Document": "All fields are required." — `name` [string],
    `dateTime` [unix timestamp], `responses` of {`question` [string], `response` [string]}."""
    responses = body.get("responses")
    stamp = body.get("dateTime")
    if (
        not isinstance(body.get("name"), str)
        or not body["name"].strip()
        or isinstance(stamp, bool)  # JSON true is an int to Python, not a timestamp
        or not isinstance(stamp, int)
        or not isinstance(responses, list)
        or not all(
            isinstance(r, dict)
            and isinstance(r.get("question"), str)
            and isinstance(r.get("response"), str)
            for r in responses
        )
    ):
        return DOCUMENT_FIELDS_MESSAGE
    if not 0 <= stamp <= MAX_TIMESTAMP:
        return "Field dateTime must be a unix timestamp"
    return None


@solo_view("POST")
def documents(request, patient_id):
    """POST /qapi/v1/patients/{id}/documents — all fields required; answers `[]`."""
    if STORE.get(VENDOR, "patients", patient_id) is None:
        return error(404, "Patient not found")
    body = body_dict(request)
    problem = document_problem(body)
    if problem:
        return error(400, problem)
    doc_id = str(uuid.uuid4())
    STORE.put(VENDOR, "documents", doc_id, {"id": doc_id, "patientId": patient_id, **body})
    return JsonResponse([], status=201, safe=False)


# --- episodes of care ----------------------------------------------------------------------
EPISODE_STATUSES = ("PLANNING", "WAITLIST", "ACTIVE", "ONHOLD", "FINISHED", "CANCELED")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def episode_day(value):
    """A "YYYY-MM-DD" string as a date (seed 003), or None: Python's fromisoformat alone also
    takes 20230329 and 2023-W13-3, which the document's format does not."""
    if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
        return None
    return parse_date(value)


def episode_problem(body: dict) -> str | None:
    """Seed 003 Create/Update Episode: name, type, from, status "(required)"; status one of
    "[PLANNING, WAITLIST, ACTIVE, ONHOLD, FINISHED, CANCELED]" as written; from/to "YYYY-MM-DD";
    every field a [string]."""
    for field in ("name", "type", "from", "status"):
        if not body.get(field):
            return f"Field {field} is required"
    for field in ("name", "type", "from", "to", "status", "objective", "reasonIncomplete"):
        if body.get(field) is not None and not isinstance(body[field], str):
            return f"Field {field} must be a string"
    if body["status"] not in EPISODE_STATUSES:
        return f"Field status must be one of {', '.join(EPISODE_STATUSES)}"
    start, end = episode_day(body["from"]), episode_day(body.get("to"))
    if start is None or (body.get("to") and end is None):
        return "Dates must be YYYY-MM-DD"
    if end and end < start:
        return "Field to must not be before from"
    return None


def episode_fields(body: dict) -> dict:
    return {
        "name": body["name"],
        "type": body["type"],
        "from": body["from"],
        "to": body.get("to"),
        "status": str(body["status"]).lower(),
        "objective": body.get("objective", ""),
        "reasonIncomplete": body.get("reasonIncomplete", ""),
    }


def episode_out(e: dict) -> dict:
    patient = STORE.get(VENDOR, "patients", e["patientId"]) or {}
    keys = ("id", "name", "from", "to", "type", "status", "objective", "reasonIncomplete")
    spid = patient.get("spid")
    return {
        **{k: e[k] for k in keys},
        "soloPatientId": int(spid) if spid and str(spid).isdigit() else spid,
        "externalPatientId": e["patientId"],
    }


@solo_view("GET", "POST")
def patient_episodes(request, patient_id):
    """POST/GET /qapi/v1/patients/{id}/episodes — Create Episode / list a patient's episodes."""
    if STORE.get(VENDOR, "patients", patient_id) is None:
        return error(404, "Patient not found")
    if request.method == "GET":
        keys = ("id", "patientId", "name", "from", "to", "type", "status", "objective")
        items = [
            {**{k: e[k] for k in keys}, "reasonIncomplete": e["reasonIncomplete"]}
            for e in STORE.all(VENDOR, "episodes")
            if e["patientId"] == patient_id
        ]
        return JsonResponse({"episodes": items})
    body = body_dict(request)
    problem = episode_problem(body)
    if problem:
        return error(400, problem)
    episode_id = str(uuid.uuid4())
    STORE.put(
        VENDOR,
        "episodes",
        episode_id,
        {"id": episode_id, "patientId": patient_id, **episode_fields(body)},
    )
    send_event("episode:created", {"episodeId": episode_id})
    return JsonResponse({"episodeId": episode_id}, status=201)


@solo_view("GET", "PUT")
def episode_detail(request, episode_id):
    """GET/PUT /qapi/v1/episodes/{episode_id}."""
    e = STORE.get(VENDOR, "episodes", episode_id)
    if e is None:
        return error(404, "Episode not found")
    if request.method == "GET":
        return JsonResponse(episode_out(e))
    body = body_dict(request)
    problem = episode_problem(body)
    if problem:
        return error(400, problem)
    e.update(episode_fields(body))
    STORE.put(VENDOR, "episodes", episode_id, e)
    send_event("episode:updated", {"episodeId": episode_id})
    return JsonResponse([], safe=False)


@solo_view("GET")
def episode_appointments(request, episode_id):
    """GET /qapi/v1/episodes/{episode_id}/appointments."""
    e = STORE.get(VENDOR, "episodes", episode_id)
    if e is None:
        return error(404, "Episode not found")
    items = sorted(
        (a for a in STORE.all(VENDOR, "appointments") if a["episodeOfCareId"] == episode_id),
        key=lambda a: a["date"],
    )
    return JsonResponse(
        {
            "episode": episode_out(e),
            "appointments": [
                {
                    "appointmentId": a["id"],
                    "date": a["date"],
                    "reasons": a["reasons"],
                    "hasNotes": bool(STORE.get(VENDOR, "visit_notes", a["id"])),
                    "episodeOfCareId": episode_id,
                }
                for a in items
            ],
        }
    )


@solo_view("PUT")
def episode_assign(request, appointment_id):
    """PUT /qapi/v1/appointments/{id}/episode/assign — `episodeId` optional (none unassigns)."""
    a = appointment_by_id(appointment_id)
    if a is None:
        return error(404, "Appointment not found")
    episode_id = body_dict(request).get("episodeId")
    if episode_id:
        e = STORE.get(VENDOR, "episodes", episode_id)
        if e is None:
            return error(404, "Episode not found")
        if e["patientId"] != a["patientId"]:
            return error(400, "The episode belongs to another patient")
    a["episodeOfCareId"] = episode_id or None
    STORE.put(VENDOR, "appointments", a["id"], a)
    return JsonResponse([], safe=False)


urlpatterns = [
    path("qapi/v1/appointments/<str:appointment_id>/visit-note", visit_note),
    path("qapi/v1/appointments/<str:appointment_id>/attachments", attachments),
    path(
        "qapi/v1/appointments/<str:appointment_id>/attachments/<str:attachment_id>",
        attachment_delete,
    ),
    path("qapi/v1/appointments/<str:appointment_id>/episode/assign", episode_assign),
    path("qapi/v1/patients/<str:patient_id>/documents", documents),
    path("qapi/v1/patients/<str:patient_id>/episodes", patient_episodes),
    path("qapi/v1/episodes/<str:episode_id>", episode_detail),
    path("qapi/v1/episodes/<str:episode_id>/appointments", episode_appointments),
]
