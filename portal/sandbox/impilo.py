"""Impilo sandbox: shared pieces (auth, error shape) and the patient/site lookups.

Conventions decided here (the seed documents name the operations, not the wire details), and
followed by `devices/clients.py` and the other Impilo sandbox modules:
- base path `/v1`, JSON bodies with camelCase names as in the HeartRateReadingRequest (seed 000);
- auth `Authorization: Bearer <token>`; a missing/wrong token is 401;
- errors are `{"status": <int>, "error": "<Reason Phrase>", "message": "<text>"}`;
- the caller's customer is the token's customer (the sandbox has one: world.IMPILO_CUSTOMER_ID).
"""

from http import HTTPStatus

from django.http import JsonResponse
from django.urls import path

from portal.sandbox import world
from portal.sandbox.framework import sandbox_view
from portal.sandbox.state import STORE, seeder

VENDOR = "impilo"


def error_body(status: int, message: str) -> dict:
    return {"status": status, "error": HTTPStatus(status).phrase, "message": message}


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message), status=status)


def authorized(request) -> bool:
    return request.headers.get("Authorization") == f"Bearer {world.IMPILO_TOKEN}"


def impilo_view(*methods):
    """sandbox_view for Impilo, plus the bearer-token check."""

    def decorator(view):
        def checked(request, *args, **kwargs):
            if not authorized(request):
                return error(401, "Missing or invalid bearer token")
            return view(request, *args, **kwargs)

        checked.__name__ = view.__name__
        return sandbox_view(VENDOR, methods=methods, error_body=error_body)(checked)

    return decorator


@seeder
def seed_patients(store):
    for p in world.demo_patients():
        store.put(
            VENDOR,
            "patients",
            p.impilo_patient_id,
            {
                "id": p.impilo_patient_id,
                "customerId": int(world.IMPILO_CUSTOMER_ID),
                "externalId": p.mrn,
                "firstName": p.first_name,
                "lastName": p.last_name,
                "dateOfBirth": p.birth_date.isoformat(),
                "zipCode": p.zip_code,
            },
        )
    # Patients the clinic registered with Impilo (a device order) and has not yet enrolled in
    # the portal: enrolling one of these MRNs links them (readings.care.enrolment).
    for p in world.IMPILO_AWAITING_ENROLMENT:
        store.put(VENDOR, "patients", p["id"], {"customerId": int(world.IMPILO_CUSTOMER_ID), **p})
    # A patient of another customer: association rule 1 refuses our devices for them.
    store.put(
        VENDOR,
        "patients",
        39999,
        {
            "id": 39999,
            "customerId": int(world.OTHER_IMPILO_CUSTOMER_ID),
            "externalId": "OTHER-1",
            "firstName": "Other",
            "lastName": "Customer",
            "dateOfBirth": "1970-01-01",
            "zipCode": "10001",
        },
    )
    for site_id, name, is_vendor, zone in world.SITES:
        store.put(
            VENDOR,
            "sites",
            site_id,
            {
                "id": site_id,
                "customerId": None if is_vendor else int(world.IMPILO_CUSTOMER_ID),
                "name": name,
                "type": "impilo" if is_vendor else "customer",
                "timeZone": zone,
            },
        )


def visible_patient(patient_id: int) -> dict | None:
    """A patient of the caller's customer (others are 404: their existence is not confirmed)."""
    patient = STORE.get(VENDOR, "patients", patient_id)
    if patient and str(patient["customerId"]) == world.IMPILO_CUSTOMER_ID:
        return patient
    return None


@impilo_view("GET")
def patient_detail(request, patient_id: int):
    """GET /v1/patients/{id} — patient lookup (seed 001, Device Association Workflow step 2)."""
    patient = visible_patient(patient_id)
    if patient is None:
        return error(404, f"Patient {patient_id} not found")
    return JsonResponse(patient)


@impilo_view("GET")
def patient_search(request):
    """GET /v1/patients?externalId= — patient lookup by the customer's id (our MRN)."""
    external_id = request.GET.get("externalId", "")
    if not external_id:
        return error(400, "externalId is required")
    found = [
        p
        for p in STORE.all(VENDOR, "patients")
        if p.get("externalId") == external_id and visible_patient(p["id"])
    ]
    return JsonResponse({"patients": found})


@impilo_view("GET")
def site_detail(request, site_id: int):
    """GET /v1/sites/{id} — site lookup (seed 001, Device Association Workflow step 2)."""
    site = STORE.get(VENDOR, "sites", site_id)
    if site is None or (site["customerId"] not in (None, int(world.IMPILO_CUSTOMER_ID))):
        return error(404, f"Site {site_id} not found")
    return JsonResponse(site)


urlpatterns = [
    path("v1/patients", patient_search, name="impilo-patient-search"),
    path("v1/patients/<int:patient_id>", patient_detail, name="impilo-patient"),
    path("v1/sites/<int:site_id>", site_detail, name="impilo-site"),
]
