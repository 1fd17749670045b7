"""Impilo sandbox: orders and the `order.Status` webhooks they send (seed 001, "Device Assignment
and Status Updates": "When an order is processed, devices are typically assigned either to a
patient or a site. This assignment triggers a status update for the order, which can be
observed through the Impilo webhook workflows").

Seed 001 names the event type, not the webhook management API nor the event's body; the portal
decided both (`devices/clients.py` for registration, `devices/webhooks.py` for the delivery),
and this module sends exactly that:

    POST   /v1/webhooks       {"url", "eventTypes": ["order.Status"]} → 201 with the `secret`
    GET    /v1/webhooks       → {"webhooks": [...]} (no secrets)
    DELETE /v1/webhooks/{id}  → 204
    POST   /v1/orders         {"deviceIds": [n, ...], "patientId": n | "siteId": n}
           → 201 {"id", "status": "fulfilled", "patientId", "siteId", "deviceIds", "createdAt"}

An order is processed at once (the sandbox has no warehouse): every device is associated with
the patient (seed 001's four rules; the first refusal is a 409 and nothing changes) or moved to
the site, and then every webhook subscribed to `order.Status` gets the event, signed, from a
small thread pool after the response (recorded in `STORE.outbox`, as Solo's webhooks are).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone

from portal.sandbox.framework import BadJson, json_body
from portal.sandbox.impilo import VENDOR, error, impilo_view
from portal.sandbox.impilo_devices import CUSTOMER_ID, association_refusal
from portal.sandbox.state import STORE

logger = logging.getLogger(__name__)
EVENT_TYPES = ("order.Status",)
MAX_ORDER_DEVICES = 100
SIGNATURE_HEADER = "Impilo-Signature"
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="impilo-webhooks")


def _now() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(secret: str, body: bytes, at: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def _hook_out(hook: dict, *, with_secret=False) -> dict:
    keys = ("id", "url", "eventTypes", "active") + (("secret",) if with_secret else ())
    return {k: hook[k] for k in keys}


@impilo_view("GET", "POST")
def webhooks(request):
    if request.method == "GET":
        return JsonResponse({"webhooks": [_hook_out(h) for h in STORE.all(VENDOR, "webhooks")]})
    try:
        body = json_body(request)
    except BadJson:
        return error(400, "Request body is not valid JSON")
    if not isinstance(body, dict):
        return error(400, "A webhook has url and eventTypes")
    url, types = body.get("url"), body.get("eventTypes")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return error(400, "url must be an http(s) URL")
    if not isinstance(types, list) or not types or any(t not in EVENT_TYPES for t in types):
        return error(400, f"eventTypes must list some of {', '.join(EVENT_TYPES)}")
    hook = {
        "id": f"wh_{STORE.next_id(VENDOR + '.webhooks', start=1)}",
        "url": url,
        "eventTypes": types,
        "active": True,
        "secret": secrets.token_hex(24),
    }
    STORE.put(VENDOR, "webhooks", hook["id"], hook)
    return JsonResponse(_hook_out(hook, with_secret=True), status=201)


@impilo_view("DELETE")
def webhook_detail(request, webhook_id: str):
    if STORE.delete(VENDOR, "webhooks", webhook_id) is None:
        return error(404, f"Webhook {webhook_id} not found")
    return HttpResponse(status=204)


def _order_problem(body) -> tuple[int, str] | None:
    if not isinstance(body, dict):
        return 400, "An order has deviceIds and a patientId or a siteId"
    ids = body.get("deviceIds")
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= MAX_ORDER_DEVICES
        or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)
    ):
        return 400, f"deviceIds must list 1 to {MAX_ORDER_DEVICES} device ids"
    patient_id, site_id = body.get("patientId"), body.get("siteId")
    if (patient_id is None) == (site_id is None):
        return 400, "Give exactly one of patientId or siteId"
    for value in (patient_id, site_id):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return 400, "patientId and siteId must be integers"
    return None


@impilo_view("POST")
def orders(request):
    """POST /v1/orders — an order processed at once, then `order.Status` sent."""
    try:
        body = json_body(request)
    except BadJson:
        return error(400, "Request body is not valid JSON")
    problem = _order_problem(body)
    if problem:
        return error(*problem)
    patient_id, site_id = body.get("patientId"), body.get("siteId")
    site = STORE.get(VENDOR, "sites", site_id) if site_id is not None else None
    if site_id is not None and (site is None or site["customerId"] not in (None, CUSTOMER_ID)):
        return error(404, f"Site {site_id} not found")
    devices = []
    for device_id in dict.fromkeys(body["deviceIds"]):
        device = STORE.get(VENDOR, "devices", device_id)
        if device is None or device["customerId"] != CUSTOMER_ID:
            return error(404, f"Device {device_id} not found")
        refusal = (
            association_refusal(device, patient_id)
            if patient_id is not None
            else (
                f"Device {device_id} is associated with a patient"
                if device["patientId"] is not None
                else None
            )
        )
        if refusal:
            return error(409, refusal)
        devices.append(device)
    for device in devices:  # every rule passed: apply them all
        if patient_id is not None:
            device.update(patientId=patient_id, currentStatus="assigned")
        else:
            status = device["currentStatus"]
            if status in ("available", "inTransit", "returned") and site["type"] != "impilo":
                status = "availableAtSite"
            device.update(siteId=site_id, currentStatus=status)
        device["updatedAt"] = _now()
        STORE.put(VENDOR, "devices", device["id"], device)
    order = {
        "id": STORE.next_id(VENDOR + ".orders", start=60001),
        "status": "fulfilled",
        "patientId": patient_id,
        "siteId": site_id,
        "deviceIds": [d["id"] for d in devices],
        "createdAt": _now(),
    }
    STORE.put(VENDOR, "orders", order["id"], order)
    send_order_status(order, devices)
    return JsonResponse(order, status=201)


def send_order_status(order: dict, devices: list[dict]) -> None:
    """The `order.Status` event (devices/webhooks.py), to every subscribed webhook."""
    event = {
        "id": f"evt_{STORE.next_id(VENDOR + '.events', start=1)}",
        "type": "order.Status",
        "createdAt": _now(),
        "data": {
            "orderId": order["id"],
            "status": order["status"],
            "customerId": CUSTOMER_ID,
            "devices": [
                {"id": d["id"], "patientId": d["patientId"], "siteId": d["siteId"]} for d in devices
            ],
        },
    }
    for hook in STORE.all(VENDOR, "webhooks"):
        if hook["active"] and event["type"] in hook["eventTypes"]:
            deliver(hook, event)


def deliver(hook: dict, event: dict, *, at: int | None = None) -> dict:
    """Queue one signed POST of `event` to `hook` (also used by tests to resend an event)."""
    body = json.dumps(event).encode()
    entry = {
        "webhook": hook["id"],
        "endpoint": hook["url"],
        "event": event["type"],
        "data": event["data"],
        "body": body,
        "headers": {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(hook["secret"], body, int(time.time()) if at is None else at),
        },
        "status": None,
    }
    with STORE.lock:
        STORE.outbox.append(entry)
    _POOL.submit(_post, entry)
    return entry


def _post(entry: dict) -> None:
    try:
        response = requests.post(
            entry["endpoint"], data=entry["body"], headers=entry["headers"], timeout=(3, 10)
        )
        entry["status"] = response.status_code
    except requests.RequestException as exc:
        entry["status"] = "error"
        logger.warning("impilo sandbox webhook delivery failed: %s", type(exc).__name__)


urlpatterns = [
    path("v1/webhooks", webhooks, name="impilo-sandbox-webhooks"),
    path("v1/webhooks/<str:webhook_id>", webhook_detail, name="impilo-sandbox-webhook"),
    path("v1/orders", orders, name="impilo-sandbox-orders"),
]
