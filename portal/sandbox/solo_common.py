"""Teladoc Health Solo sandbox: shared pieces (auth, error shape, seeded state, webhooks out).

Conventions (seed 003 names the operations and bodies; the wire details below are the
sandbox's, followed by `appointments/clients.py`):
- base path `/qapi/v1`, header `Api-Key`; a missing or wrong key is 401;
- errors are `{"error": {"message": "..."}}` as in the attachment and perfect-answer examples;
  the virtual-nursing endpoints answer `{"message": "..."}` exactly as their examples show;
- validation errors are 400, unknown objects 404, a taken slot or a duplicate 409, an upload
  over 5 MB 413, an unsupported mime type 415;
- appointment ids are ints and the SAID is the same number;
- webhooks: every registered endpoint whose events match gets a POST whose body is the
  encrypted JSON `{"event": "<type>", "data": {"appointmentId": <int>}}` (or `patientId`,
  `episodeId`), sent from a small thread pool after the response (so a live server serving both
  sides never deadlocks) and recorded in `STORE.outbox`.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import requests
from django.http import JsonResponse

from portal.sandbox import world
from portal.sandbox.framework import BadJson, json_body, sandbox_view
from portal.sandbox.state import STORE, seeder
from portal.sandbox.world import PRACTICE_TZ  # noqa: F401 - the practice's zone, for the Solo modules

logger = logging.getLogger("portal.sandbox.solo")

VENDOR = "solo"
OPEN_HOUR, CLOSE_HOUR = 9, 17
MAX_DURATION = 86400
LINKING_SECRET = world.SOLO_LINKING_SECRET

WEBHOOK_EVENTS = (
    "patient:created",
    "patient:updated",
    "patient:deactivated",
    "appointment:scheduled",
    "appointment:rescheduled",
    "appointment:cancelled",
    "appointment:completed",
    "appointment:incompleted",
    "appointment:no-show",
    "appointment:lwbs",
    "episode:created",
    "episode:updated",
)
APPOINTMENT_STATUSES = (
    "scheduled",
    "arrived",
    "in progress.intake.ready",
    "in progress.intake.progress",
    "in progress.exam.ready",
    "in progress.exam.progress",
    "discharge.ready",
    "discharge.progress",
    "completed",
    "sign off",
    "cancelled",
    "not showed up",
)


# Seed 003 types an appointment `date` as a "[timestamp]" / "[int] timestamp": a moment the
# sandbox can write back as a date in its CSV and encounter reports. Anything outside 1970-01-01
# .. 9999-12-31 (UTC) is refused when it arrives, in the document's error shape, so those
# reports can never meet a date they cannot write (year 572,367 used to answer 500 there).
MIN_TIMESTAMP, MAX_TIMESTAMP = 0, 253402300799
DATE_OUT_OF_RANGE = "Field date must be a unix timestamp between 1970-01-01 and 9999-12-31"


def valid_timestamp(value) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (MIN_TIMESTAMP <= value <= MAX_TIMESTAMP)
    )


def spid_or_none(value) -> int | None:
    """The SPID in a path ("solo_patient_id int" in seed 003), or None when it is not an int."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


SPID_NOT_INT = "Bad parameters [solo_patient_id: This value should be of type int.]"


def error_body(status: int, message: str) -> dict:
    return {"error": {"message": message}}


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message), status=status)


def solo_view(*methods, teams=False):
    """sandbox_view for Solo plus the `Api-Key` check (and `Teams-Auth-Token` when asked)."""

    def decorator(view):
        def checked(request, *args, **kwargs):
            if request.headers.get("Api-Key") != world.SOLO_API_KEY:
                return error(401, "Invalid or missing Api-Key")
            if teams and request.headers.get("Teams-Auth-Token") != world.SOLO_TEAMS_TOKEN:
                return error(401, "Invalid or missing Teams-Auth-Token")
            try:
                return view(request, *args, **kwargs)
            except BadJson:
                return error(400, "Request body is not valid JSON")

        checked.__name__ = view.__name__
        return sandbox_view(VENDOR, methods=methods, error_body=error_body)(checked)

    return decorator


def body_dict(request) -> dict:
    body = json_body(request)
    if not isinstance(body, dict):
        raise BadJson("expected an object")
    return body


# --- seeded state --------------------------------------------------------------------------
def demographics_for(p) -> dict:
    return {
        "mrn": p.mrn,
        "accountNumber": "",
        "name": [
            {
                "use": "usual",
                "family": f"{p.first_name} {p.last_name}",
                "firstName": p.first_name,
                "middleName": "",
                "lastName": p.last_name,
                "alias": "",
            }
        ],
        "birthDate": p.birth_date.isoformat(),
        "gender": "unknown",
        "maritalStatus": "",
        "telecom": [{"use": "home", "system": "phone", "value": p.phone}],
        "contact": [],
        "preferredLanguage": "English",
        "race": "",
        "ethnicity": "",
        "address": [
            {
                "city": "",
                "use": "home",
                "apartment": "",
                "country": "USA",
                "state": "",
                "postalcode": p.zip_code,
                "line": [],
            }
        ],
        "active": True,
        "deceased": False,
        "deceasedAt": None,
        "familyMember": False,
        "isLinkedByEmail": False,
        "sharedEmailGroup": None,
    }


@seeder
def seed_solo(store):
    for name, slot, line, kind in world.WAITING_ROOMS:
        store.put(
            VENDOR,
            "waiting_rooms",
            name,
            {
                "id": world.waiting_room_id(name),
                "name": name,
                "serviceLine": line,
                "serviceType": kind,
                "slotDuration": slot,
            },
        )
    patients = world.demo_patients()
    for p in patients:
        store.put(
            VENDOR,
            "patients",
            p.solo_id,
            {"id": p.solo_id, "spid": p.solo_spid, "hsid": p.mrn, **demographics_for(p)},
        )
    for item in world.seeded_appointment_plan():
        p = patients[item["patient_index"]]
        store.put(
            VENDOR,
            "appointments",
            item["id"],
            new_appointment(
                item["id"],
                patient_id=p.solo_id,
                waiting_room=item["waiting_room"],
                date=int(item["start"].timestamp()),
                duration=item["duration"],
                reasons=["Blood pressure follow-up"],
                external_id=None,
            ),
        )
    # Virtual nursing: the care location and FMS device of the document's examples.
    store.put(
        VENDOR,
        "care_locations",
        "123457",
        {
            "device": "123457",
            "building": "hospital",
            "floor": "floor 2",
            "department": "emergency department",
            "room": "431",
            "beds": ["bed 1", "bed 2"],
            "patientMrns": ["1234", patients[0].mrn],
        },
    )


def new_appointment(
    appointment_id,
    *,
    patient_id,
    waiting_room,
    date,
    duration,
    reasons,
    external_id,
    episode_id=None,
    account_number=None,
) -> dict:
    return {
        "id": appointment_id,
        "date": date,
        "duration": duration,
        "reasons": reasons,
        "status": "scheduled",
        "videoCall": None,
        "externalId": external_id,
        "patientId": patient_id,
        "waitingRoom": waiting_room,
        "episodeOfCareId": episode_id,
        "accountNumber": account_number,
        "providers": [
            {
                "id": "1234",
                "email": "clara@whovians.com",
                "firstName": "Clara",
                "middleName": "Oswin",
                "lastName": "Oswald",
            }
        ],
    }


def patient_by_spid(spid) -> dict | None:
    """The patient whose SPID (an int) is `spid`; None for no such patient or a non-int."""
    wanted = spid_or_none(spid)
    for patient in STORE.all(VENDOR, "patients"):
        if wanted is not None and patient.get("spid") == wanted:
            return patient
    return None


def patient_by_hsid(hsid: str) -> dict | None:
    for patient in STORE.all(VENDOR, "patients"):
        if patient.get("hsid") and str(patient["hsid"]) == str(hsid):
            return patient
    return None


def appointment_by_id(appointment_id) -> dict | None:
    try:
        return STORE.get(VENDOR, "appointments", int(appointment_id))
    except (TypeError, ValueError):
        return None


# --- webhooks out --------------------------------------------------------------------------
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="solo-webhooks")


def send_event(event: str, data: dict) -> None:
    """POST the encrypted event to every active webhook subscribed to it, in the background."""
    from appointments.crypto import solo_encrypt_json  # the same scheme the portal decrypts

    for hook in STORE.all(VENDOR, "webhooks"):
        if not hook.get("active", True) or event not in hook["events"]:
            continue
        body = solo_encrypt_json(hook["encryptionKey"], {"event": event, "data": data})
        entry = {"webhook": hook["id"], "endpoint": hook["endpoint"], "event": event, "data": data}
        entry["body"] = body
        entry["status"] = None
        with STORE.lock:
            STORE.outbox.append(entry)
        _POOL.submit(_deliver, entry)


def _deliver(entry: dict) -> None:
    try:
        response = requests.post(
            entry["endpoint"],
            data=entry["body"].encode(),
            headers={"Content-Type": "text/plain"},
            timeout=(3, 10),
        )
        entry["status"] = response.status_code
    except requests.RequestException as exc:
        entry["status"] = "error"
        logger.warning("solo sandbox webhook delivery failed: %s", type(exc).__name__)


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def dumps(value) -> str:
    return json.dumps(value)
