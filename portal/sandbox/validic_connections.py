"""Validic sandbox: Inform user provisioning and Smart Meter Direct Connection (seed 004).

Paths and shapes are documented at the top of `devices/clients.py`. Inform calls take the
organization token (`?token=`); Direct Connection calls take the user's marketplace token.
Errors are `{"code": <status>, "message": "<text>"}`.
"""

from django.http import JsonResponse
from django.urls import path
from django.utils import timezone

from portal.sandbox import world
from portal.sandbox.framework import BadJson, json_body, sandbox_view
from portal.sandbox.state import STORE, seeder

VENDOR = "validic"
DEVICE_TYPES = ("blood_pressure", "weight_scale", "blood_glucose", "pulse_oximeter", "thermometer")
ITEM_DEVICE_TYPE = {103: "pulse_oximeter", 104: "blood_glucose"}
DELETED_REASON = "User disconnected from Direct Endpoint"
SEEDED_AT = "2026-10-01T15:53:41Z"


def error_body(status: int, message: str) -> dict:
    return {"code": status, "message": message}


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message), status=status)


def _now() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(user_id: str, uid: str, at: str) -> dict:
    token = f"mkt-{user_id}"
    return {
        "id": user_id,
        "uid": uid,
        "marketplace": {"token": token, "url": f"https://syncmydevice.com/?token={token}"},
        "mobile": {"token": f"mob-{user_id}"},
        "location": {"timezone": None, "country_code": "US"},
        "status": "active",
        "created_at": at,
        "updated_at": at,
    }


@seeder
def seed_users(store):
    patients = world.demo_patients()
    for p in patients:
        store.put(VENDOR, "users", p.mrn, _user(p.validic_user_id, p.mrn, "2026-09-01T12:00:00Z"))
    for d in world.demo_devices(len(patients)):
        if d.source != "validic":
            continue
        p = patients[d.patient_index]
        store.put(
            VENDOR,
            "connections",
            d.identifier,
            {
                "user_id": p.validic_user_id,
                "credentials": {
                    "device_id": d.identifier,
                    "device_type": ITEM_DEVICE_TYPE[d.item_id],
                    "device_name": None,
                },
                "type": "smart_meter",
                "created_at": SEEDED_AT,
            },
        )


def validic_view(*methods):
    return sandbox_view(VENDOR, methods=methods, error_body=error_body)


def _public(connection: dict) -> dict:
    return {k: v for k, v in connection.items() if k != "user_id"}


def _org_ok(request, organization_id) -> JsonResponse | None:
    if request.GET.get("token") != world.VALIDIC_TOKEN:
        return error(401, "Invalid or missing token")
    if organization_id != world.VALIDIC_ORG_ID:
        return error(404, f"Organization {organization_id} not found")
    return None


@validic_view("POST")
def users(request, organization_id: str):
    """POST /organizations/{org}/users — Provision User (form-encoded `uid`)."""
    refused = _org_ok(request, organization_id)
    if refused:
        return refused
    if not request.content_type.startswith("application/x-www-form-urlencoded"):
        return error(415, "Content-Type must be application/x-www-form-urlencoded")
    uid = request.POST.get("uid", "").strip()
    if not uid:
        return error(422, "uid is required")
    if STORE.get(VENDOR, "users", uid):
        return error(409, f"User with uid {uid} already exists")
    user_id = f"{STORE.next_id(VENDOR, 7000000):08x}sbx"
    return JsonResponse(STORE.put(VENDOR, "users", uid, _user(user_id, uid, _now())), status=201)


@validic_view("GET")
def user_detail(request, organization_id: str, uid: str):
    """GET /organizations/{org}/users/{uid} — the Inform user."""
    refused = _org_ok(request, organization_id)
    if refused:
        return refused
    user = STORE.get(VENDOR, "users", uid)
    if user is None:
        return error(404, f"User {uid} not found")
    return JsonResponse(user)


def _token_user(request) -> dict | None:
    token = request.GET.get("token")
    if not token:
        return None
    return next((u for u in STORE.all(VENDOR, "users") if u["marketplace"]["token"] == token), None)


def _connections_of(user) -> list[dict]:
    found = [c for c in STORE.all(VENDOR, "connections") if c["user_id"] == user["id"]]
    return sorted(found, key=lambda c: (c["created_at"], c["credentials"]["device_id"]))


def _delete(connection: dict, at: str) -> dict:
    STORE.delete(VENDOR, "connections", connection["credentials"]["device_id"])
    return {**_public(connection), "deleted_at": at, "deleted_reason": DELETED_REASON}


@validic_view("GET", "POST")
def smart_meter(request):
    """POST /direct/auth/smart_meter — connect an IMEI (202); GET lists the user's IMEIs."""
    user = _token_user(request)
    if user is None:
        return error(401, "Invalid or missing token")
    if request.method == "GET":
        connections = [_public(c) for c in _connections_of(user)]
        return JsonResponse({"meta": {"total": len(connections)}, "connections": connections})
    try:
        body = json_body(request)
    except BadJson:
        return error(400, "Request body is not valid JSON")
    if not isinstance(body, dict):
        return error(400, "Request body must be a JSON object")
    imei, device_type = body.get("device_id"), body.get("device_type")
    # Validic checks the length only (seed 004's own example IMEIs fail the Luhn check); the
    # portal checks the Luhn digit itself before calling.
    if not isinstance(imei, str) or len(imei) != 15 or not imei.isdigit() or not imei.isascii():
        return error(422, "device_id must be a 15-digit IMEI")
    if device_type not in DEVICE_TYPES:
        return error(422, f"device_type must be one of {', '.join(DEVICE_TYPES)}")
    existing = STORE.get(VENDOR, "connections", imei)
    if existing is not None:
        if existing["user_id"] != user["id"]:
            return error(409, f"Device {imei} is already connected to another user")
        return JsonResponse(_public(existing), status=202)
    connection = {
        "user_id": user["id"],
        "credentials": {"device_id": imei, "device_type": device_type, "device_name": None},
        "type": "smart_meter",
        "created_at": _now(),
    }
    STORE.put(VENDOR, "connections", imei, connection)
    return JsonResponse(_public(connection), status=202)


@validic_view("POST")
def disconnect(request, imei: str):
    """POST /direct/auth/smart_meter/disconnect/{IMEI} — disconnect one device (202)."""
    user = _token_user(request)
    if user is None:
        return error(401, "Invalid or missing token")
    connection = STORE.get(VENDOR, "connections", imei)
    if connection is None or connection["user_id"] != user["id"]:
        return error(404, f"Device {imei} is not connected to this user")
    return JsonResponse(_delete(connection, _now()), status=202)


@validic_view("POST")
def disconnect_all(request):
    """POST /direct/auth/smart_meter/disconnect_all — disconnect every device (202)."""
    user = _token_user(request)
    if user is None:
        return error(401, "Invalid or missing token")
    at = _now()
    deleted = [_delete(c, at) for c in _connections_of(user)]
    return JsonResponse({"meta": {"total": len(deleted)}, "connections": deleted}, status=202)


urlpatterns = [
    path("organizations/<str:organization_id>/users", users, name="validic-users"),
    path(
        "organizations/<str:organization_id>/users/<str:uid>",
        user_detail,
        name="validic-user",
    ),
    path("direct/auth/smart_meter", smart_meter, name="validic-smart-meter"),
    path(
        "direct/auth/smart_meter/disconnect_all",
        disconnect_all,
        name="validic-smart-meter-disconnect-all",
    ),
    path(
        "direct/auth/smart_meter/disconnect/<str:imei>",
        disconnect,
        name="validic-smart-meter-disconnect",
    ),
]
