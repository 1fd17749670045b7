"""Impilo sandbox: the device inventory (seed 001, Device Management Guide).

Paths and shapes are the ones documented at the top of `devices/clients.py`. The four
association preconditions of seed 001 are enforced here, each with its own 409 message, so the
portal's own checks and Impilo's refusals can both be exercised.
"""

from django.http import JsonResponse
from django.urls import path
from django.utils import timezone

from portal.sandbox import world
from portal.sandbox.framework import BadJson, json_body
from portal.sandbox.impilo import VENDOR, error, impilo_view, visible_patient
from portal.sandbox.state import STORE, seeder

CUSTOMER_ID = int(world.IMPILO_CUSTOMER_ID)
STATUSES = (
    "available",
    "availableAtSite",
    "assigned",
    "inTransit",
    "returned",
    "defective",
    "decommissioned",
)
WAREHOUSE_SITE_ID = next(site_id for site_id, _n, is_vendor, _z in world.SITES if is_vendor)
# A device owned by another customer: association rule 2 refuses it.
OTHER_CUSTOMER_DEVICE_ID = 89990
MAX_PAGE_SIZE = 500
# Seed 001's own example device ("id": 1, "currentStatus": "available"), in the warehouse, so
# the document's Device Status Update Workflow can be replayed verbatim.
DOCUMENT_EXAMPLE_DEVICE = {"id": 1, "identifier": "BT105-DOC-0001", "item_id": 101}


def _now() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


@seeder
def seed_devices(store):
    items = {}
    for item_id, name, kind in world.ITEMS:
        items[item_id] = {"id": item_id, "name": name, "type": kind}
        store.put(VENDOR, "items", item_id, items[item_id])
    patients = world.demo_patients()
    for d in world.demo_devices(len(patients)):
        if d.impilo_device_id is None:  # Validic Smart Meter devices are not Impilo's
            continue
        patient = patients[d.patient_index] if d.patient_index is not None else None
        store.put(
            VENDOR,
            "devices",
            d.impilo_device_id,
            {
                "id": d.impilo_device_id,
                "identifier": d.identifier,
                "customerId": CUSTOMER_ID,
                "currentStatus": d.status,
                "item": dict(items[d.item_id]),
                "siteId": d.site_id,
                "patientId": patient.impilo_patient_id if patient else None,
                "note": None,
                "updatedAt": "2026-11-01T12:00:00Z",
            },
        )
    example = DOCUMENT_EXAMPLE_DEVICE
    store.put(
        VENDOR,
        "devices",
        example["id"],
        {
            "id": example["id"],
            "identifier": example["identifier"],
            "customerId": CUSTOMER_ID,
            "currentStatus": "available",
            "item": dict(items[example["item_id"]]),
            "siteId": WAREHOUSE_SITE_ID,
            "patientId": None,
            "note": None,
            "updatedAt": "2026-11-01T12:00:00Z",
        },
    )
    store.put(
        VENDOR,
        "devices",
        OTHER_CUSTOMER_DEVICE_ID,
        {
            "id": OTHER_CUSTOMER_DEVICE_ID,
            "identifier": "OTHER-BT105-1",
            "customerId": int(world.OTHER_IMPILO_CUSTOMER_ID),
            "currentStatus": "availableAtSite",
            "item": dict(items[101]),
            "siteId": None,
            "patientId": None,
            "note": None,
            "updatedAt": "2026-11-01T12:00:00Z",
        },
    )


def _site(site_id):
    return STORE.get(VENDOR, "sites", site_id)


def _own_device(device_id):
    device = STORE.get(VENDOR, "devices", device_id)
    if device is None or device["customerId"] != CUSTOMER_ID:
        return None
    return device


def _save(device, **changes):
    device.update(changes, updatedAt=_now())
    STORE.put(VENDOR, "devices", device["id"], device)
    return device


def association_refusal(device: dict, patient_id) -> str | None:
    """The first of seed 001's four association preconditions that fails, as Impilo says it."""
    if visible_patient(patient_id) is None:
        return f"Patient {patient_id} is not associated with customer {CUSTOMER_ID}"
    if device["customerId"] != CUSTOMER_ID:
        return f"Device {device['id']} is not owned by customer {CUSTOMER_ID}"
    site = _site(device["siteId"]) if device["siteId"] is not None else None
    if site is None or site["type"] == "impilo":
        return f"Device {device['id']} is not associated with a non-Impilo site"
    if device["currentStatus"] != "availableAtSite":
        return (
            f"Device {device['id']} has status {device['currentStatus']}; "
            "only availableAtSite devices can be associated with a patient"
        )
    return None


def _int_field(body, name):
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value


@impilo_view("GET")
def device_list(request):
    """GET /v1/devices — device lookup with filters, paged."""
    q = request.GET
    try:
        page = int(q.get("page", "1"))
        page_size = int(q.get("pageSize", "100"))
        site_id = int(q["siteId"]) if q.get("siteId") else None
        patient_id = int(q["patientId"]) if q.get("patientId") else None
    except ValueError:
        return error(400, "page, pageSize, siteId and patientId must be integers")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        return error(400, f"page must be >= 1 and pageSize between 1 and {MAX_PAGE_SIZE}")
    status = q.get("status")
    if status and status not in STATUSES:
        return error(400, f"Unknown status {status}; one of {', '.join(STATUSES)}")
    devices = [d for d in STORE.all(VENDOR, "devices") if d["customerId"] == CUSTOMER_ID]
    if q.get("identifier"):
        devices = [d for d in devices if d["identifier"] == q["identifier"]]
    if status:
        devices = [d for d in devices if d["currentStatus"] == status]
    if site_id is not None:
        devices = [d for d in devices if d["siteId"] == site_id]
    if patient_id is not None:
        devices = [d for d in devices if d["patientId"] == patient_id]
    devices.sort(key=lambda d: d["id"])
    start = (page - 1) * page_size
    return JsonResponse(
        {
            "devices": devices[start : start + page_size],
            "page": page,
            "pageSize": page_size,
            "total": len(devices),
        }
    )


@impilo_view("GET", "PUT")
def device_detail(request, device_id: int):
    """GET /v1/devices/{id} (lookup) and PUT /v1/devices/{id} (DeviceUpdate)."""
    device = _own_device(device_id)
    if device is None:
        return error(404, f"Device {device_id} not found")
    if request.method == "GET":
        return JsonResponse(device)
    try:
        body = json_body(request)
    except BadJson:
        return error(400, "Request body is not valid JSON")
    if not isinstance(body, dict) or set(body) - {"overrideStatus", "note"}:
        return error(400, "A DeviceUpdate has overrideStatus and an optional note")
    status, note = body.get("overrideStatus"), body.get("note")
    if status not in STATUSES:
        return error(422, f"overrideStatus must be one of {', '.join(STATUSES)}")
    if note is not None and not isinstance(note, str):
        return error(422, "note must be a string")
    return JsonResponse(_save(device, currentStatus=status, note=note))


@impilo_view("POST")
def device_associate(request, device_id: int):
    """POST /v1/devices/{id}/associate — Associate Device with a patient or a site."""
    device = STORE.get(VENDOR, "devices", device_id)
    if device is None:
        return error(404, f"Device {device_id} not found")
    try:
        body = json_body(request)
        if not isinstance(body, dict):
            raise ValueError("body must be an object")
        patient_id, site_id = _int_field(body, "patientId"), _int_field(body, "siteId")
    except BadJson:
        return error(400, "Request body is not valid JSON")
    except ValueError as exc:
        return error(400, str(exc))
    if (patient_id is None) == (site_id is None):
        return error(400, "Give exactly one of patientId or siteId")
    if patient_id is not None:
        refusal = association_refusal(device, patient_id)
        if refusal:
            return error(409, refusal)
        return JsonResponse(_save(device, patientId=patient_id, currentStatus="assigned"))
    if device["customerId"] != CUSTOMER_ID:
        return error(409, f"Device {device_id} is not owned by customer {CUSTOMER_ID}")
    site = _site(site_id)
    if site is None or site["customerId"] not in (None, CUSTOMER_ID):
        return error(404, f"Site {site_id} not found")
    if device["patientId"] is not None:
        return error(409, f"Device {device_id} is associated with a patient; disassociate first")
    status = device["currentStatus"]
    if status in ("available", "inTransit", "returned") and site["type"] != "impilo":
        status = "availableAtSite"
    return JsonResponse(_save(device, siteId=site_id, currentStatus=status))


@impilo_view("POST")
def device_disassociate(request, device_id: int):
    """POST /v1/devices/{id}/disassociate — always possible (seed 001)."""
    device = _own_device(device_id)
    if device is None:
        return error(404, f"Device {device_id} not found")
    status = device["currentStatus"]
    if status == "assigned":
        status = "availableAtSite"
    return JsonResponse(_save(device, patientId=None, currentStatus=status))


@impilo_view("POST")
def device_replace(request, device_id: int):
    """POST /v1/devices/{id}/replace — Device Replacement (seed 001)."""
    device = _own_device(device_id)
    if device is None:
        return error(404, f"Device {device_id} not found")
    try:
        body = json_body(request)
        if not isinstance(body, dict):
            raise ValueError("body must be an object")
        replacement_id = _int_field(body, "replacementDeviceId")
    except BadJson:
        return error(400, "Request body is not valid JSON")
    except ValueError as exc:
        return error(400, str(exc))
    note = body.get("note")
    if replacement_id is None:
        return error(400, "replacementDeviceId is required")
    if device["patientId"] is None:
        return error(409, f"Device {device_id} is not associated with a patient")
    replacement = STORE.get(VENDOR, "devices", replacement_id)
    if replacement is None:
        return error(404, f"Device {replacement_id} not found")
    refusal = association_refusal(replacement, device["patientId"])
    if refusal:
        return error(409, refusal)
    patient_id = device["patientId"]
    returned = _save(
        device, patientId=None, currentStatus="returned", siteId=WAREHOUSE_SITE_ID, note=note
    )
    replaced = _save(replacement, patientId=patient_id, currentStatus="assigned")
    return JsonResponse({"returnedDevice": returned, "replacementDevice": replaced})


urlpatterns = [
    path("v1/devices", device_list, name="impilo-devices"),
    path("v1/devices/<int:device_id>", device_detail, name="impilo-device"),
    path("v1/devices/<int:device_id>/associate", device_associate, name="impilo-associate"),
    path(
        "v1/devices/<int:device_id>/disassociate", device_disassociate, name="impilo-disassociate"
    ),
    path("v1/devices/<int:device_id>/replace", device_replace, name="impilo-replace"),
]
