"""The device API: shapes, rules as 409/422 with the error shape, tenancy, query counts."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from devices.models import DeviceSource, DeviceStatus
from devices.services import device_assign
from portal.models import ApiScope, AuditEvent
from portal.sandbox import world as demo
from portal.sandbox.state import FaultMode
from tests.factories import DeviceFactory, PatientFactory, api_key

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def assign(api, device, patient):
    return api.post(
        f"/api/v1/devices/{device.pk}/assign", {"patient_id": patient.pk}, format="json"
    )


def test_list_devices_shape(api, cuff):
    response = api.get("/api/v1/devices")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["results"] == [
        {
            "id": cuff.pk,
            "impilo_device_id": 80060,
            "identifier": "BT105-S700",
            "source": "impilo",
            "item": {
                "id": cuff.item_id,
                "impilo_item_id": 101,
                "name": "BodyTrace BT105 Blood Pressure Monitor",
                "kind": "blood_pressure",
            },
            "site": {
                "id": cuff.site_id,
                "impilo_site_id": 502,
                "name": "Riverside West (Denver)",
                "is_vendor_site": False,
            },
            "current_status": "availableAtSite",
            "assigned_patient_id": None,
            "last_synced_at": None,
            "updated_at": response.json()["results"][0]["updated_at"],
        }
    ]
    assert AuditEvent.objects.filter(action="device.list").count() == 1


def test_list_filters(api, org, demo_sites, cuff):
    DeviceFactory(organization=org, site=demo_sites[501], current_status=DeviceStatus.DEFECTIVE)
    ids = lambda q: [d["identifier"] for d in api.get(f"/api/v1/devices?{q}").json()["results"]]  # noqa: E731
    assert ids("status=availableAtSite") == ["BT105-S700"]
    assert ids("search=s70") == ["BT105-S700"]
    assert ids(f"site={demo_sites[501].pk}")[0].startswith("BT105-T")
    assert ids("assigned=assigned") == []
    for query in ("site=x", "site=0", "site=-4", "status=lost", "kind=", "assigned=yes"):
        response = api.get(f"/api/v1/devices?{query}")
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, query


def test_list_query_count_does_not_grow_with_devices(
    api, org, demo_sites, django_assert_max_num_queries
):
    for _ in range(3):
        DeviceFactory(organization=org, site=demo_sites[501])
    with django_assert_max_num_queries(8):
        api.get("/api/v1/devices")
    for _ in range(30):
        DeviceFactory(organization=org, site=demo_sites[501])
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/devices").json()["results"]) == 33


def test_assign_through_the_api(api, cuff, harriet):
    response = assign(api, cuff, harriet)
    assert response.status_code == HTTPStatus.OK, response.json()
    body = response.json()
    assert (body["current_status"], body["assigned_patient_id"]) == ("assigned", harriet.pk)
    assert body["assignments"][0]["patient_id"] == harriet.pk
    event = AuditEvent.objects.get(action="device.assign")
    assert event.api_key is not None


def test_rule_1_patient_not_registered_with_impilo_is_409(api, cuff, org):
    stranger = PatientFactory(organization=org, impilo_patient_id=None)
    body = assign(api, cuff, stranger).json()
    assert body == {
        "error": "patient_not_in_customer",
        "message": "The patient must be registered with Impilo for your organization. "
        "This patient has no Impilo patient id yet, so Impilo would refuse the device.",
        "fields": {},
    }


def test_rule_2_smart_meter_device_is_409(api, org, harriet, vendor_accounts):
    meter = DeviceFactory(organization=org, source=DeviceSource.VALIDIC, impilo_device_id=None)
    response = assign(api, meter, harriet)
    assert (response.status_code, response.json()["error"]) == (409, "device_not_owned")


def test_rule_3_device_at_impilo_site_is_409(api, org, demo_sites, harriet, vendor_accounts):
    boxed = DeviceFactory(organization=org, impilo_device_id=80072, site=demo_sites[900])
    response = assign(api, boxed, harriet)
    assert (response.status_code, response.json()["error"]) == (409, "device_at_vendor_site")


def test_rule_4_decommissioned_device_is_409(api, org, demo_sites, harriet, vendor_accounts):
    broken = DeviceFactory(
        organization=org,
        impilo_device_id=80075,
        site=demo_sites[501],
        current_status=DeviceStatus.DECOMMISSIONED,
    )
    response = assign(api, broken, harriet)
    assert (response.status_code, response.json()["error"]) == (409, "device_decommissioned")


def test_impilo_refusal_is_409_vendor_refused(api, cuff, harriet, sandbox):
    sandbox.get("impilo", "devices", cuff.impilo_device_id)["siteId"] = 900  # moved at Impilo
    response = assign(api, cuff, harriet)
    assert response.json() == {
        "error": "vendor_refused",
        "message": "Impilo refused the request: Device 80060 is not associated with a "
        "non-Impilo site",
        "fields": {},
    }
    cuff.refresh_from_db()
    assert cuff.assigned_patient is None


def test_impilo_outage_is_503_and_changes_nothing(api, cuff, harriet, faults):
    faults.inject("impilo", FaultMode.ERROR, 1)
    response = assign(api, cuff, harriet)
    assert (response.status_code, response.json()["error"]) == (503, "vendor_unavailable")
    cuff.refresh_from_db()
    assert (cuff.current_status, cuff.assignments.count()) == (DeviceStatus.AVAILABLE_AT_SITE, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "patient_id"),
        ({"patient_id": "x"}, "patient_id"),
        ({"patient_id": 1, "extra": 1}, "extra"),
    ],
)
def test_assign_bad_input_is_422(api, cuff, body, field):
    response = api.post(f"/api/v1/devices/{cuff.pk}/assign", body, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert field in response.json()["fields"]


def test_unassign_replace_and_status(api, cuff, spare_cuff, harriet):
    device_assign(device=cuff, patient=harriet)
    replaced = api.post(
        f"/api/v1/devices/{cuff.pk}/replace",
        {"replacement_device_id": spare_cuff.pk, "note": "No display"},
        format="json",
    )
    assert replaced.status_code == HTTPStatus.OK, replaced.json()
    assert (replaced.json()["id"], replaced.json()["assigned_patient_id"]) == (
        spare_cuff.pk,
        harriet.pk,
    )
    unassigned = api.post(f"/api/v1/devices/{spare_cuff.pk}/unassign", {}, format="json")
    assert unassigned.json()["assigned_patient_id"] is None
    no_note = api.post(
        f"/api/v1/devices/{spare_cuff.pk}/status", {"status": "decommissioned"}, format="json"
    )
    assert no_note.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert no_note.json()["error"] == "note_required"
    assert "note" in no_note.json()["fields"]
    done = api.post(
        f"/api/v1/devices/{spare_cuff.pk}/status",
        {"status": "decommissioned", "note": "Cracked"},
        format="json",
    )
    assert done.json()["status_changes"][0]["to_status"] == "decommissioned"
    again = api.post(
        f"/api/v1/devices/{spare_cuff.pk}/status",
        {"status": "decommissioned", "note": "Cracked"},
        format="json",
    )
    assert again.status_code == HTTPStatus.CONFLICT  # the state, not the input, is wrong
    assert again.json()["error"] == "status_unchanged"


def test_smart_meter_connect_and_disconnect(api, org, vendor_accounts):
    patient = PatientFactory(organization=org, mrn="RHV-API-1")
    imei = demo._imei(555)
    url = f"/api/v1/patients/{patient.pk}/smart-meters"
    bad = api.post(url, {"imei": "12345378287322", "device_type": "blood_glucose"}, format="json")
    assert bad.json() == {
        "error": "invalid_imei",
        "message": "An IMEI is exactly 15 digits (it is printed under the barcode on the device).",
        "fields": {
            "imei": [
                "An IMEI is exactly 15 digits (it is printed under the barcode on the device)."
            ]
        },
    }
    created = api.post(url, {"imei": imei, "device_type": "blood_glucose"}, format="json")
    assert created.status_code == HTTPStatus.CREATED
    assert (created.json()["imei"], created.json()["deleted_at"]) == (imei, None)
    assert [c["imei"] for c in api.get(url).json()] == [imei]
    for action in (f"{imei}/disconnect", "disconnect-all"):
        typo = api.post(f"{url}/{action}", {"reson": "x"}, format="json")
        assert typo.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, action  # nothing done
    gone = api.post(f"{url}/{imei}/disconnect", {}, format="json")
    assert gone.json()["deleted_reason"] == "User disconnected from Direct Endpoint"
    none_left = api.post(f"{url}/disconnect-all", {}, format="json")
    assert none_left.status_code == HTTPStatus.CONFLICT


# --- tenancy and permissions ---------------------------------------------------------------
ENDPOINTS = [
    ("get", "/api/v1/devices/{d}"),
    ("post", "/api/v1/devices/{d}/assign"),
    ("post", "/api/v1/devices/{d}/unassign"),
    ("post", "/api/v1/devices/{d}/replace"),
    ("post", "/api/v1/devices/{d}/status"),
    ("get", "/api/v1/patients/{p}/smart-meters"),
    ("post", "/api/v1/patients/{p}/smart-meters"),
    ("post", "/api/v1/patients/{p}/smart-meters/350000000010005/disconnect"),
    ("post", "/api/v1/patients/{p}/smart-meters/disconnect-all"),
]
BODIES = {
    "assign": {"patient_id": 1},
    "replace": {"replacement_device_id": 1},
    "status": {"status": "defective", "note": "x"},
    "smart-meters": {"imei": "350000000010005", "device_type": "blood_glucose"},
}


def body_for(url):
    return BODIES.get(url.rsplit("/", 1)[-1], {})


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_outsider_key_gets_404(outsider_api, org, method, url):
    device = DeviceFactory(organization=org)
    patient = PatientFactory(organization=org)
    target = url.format(d=device.pk, p=patient.pk)
    response = getattr(outsider_api, method)(target, body_for(url), format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(("method", "url"), [*ENDPOINTS, ("get", "/api/v1/devices")])
def test_anonymous_gets_401(org, method, url):
    response = getattr(APIClient(), method)(url.format(d=1, p=1), {}, format="json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_coordinator_assigns_through_the_api(bob, cuff, harriet):
    client = APIClient()
    client.force_authenticate(bob)
    response = client.post(
        f"/api/v1/devices/{cuff.pk}/assign", {"patient_id": harriet.pk}, format="json"
    )
    assert response.status_code == HTTPStatus.OK, response.json()
    assert response.json()["assigned_patient_id"] == harriet.pk


def test_read_only_key_cannot_assign(org, cuff, harriet):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(org, [ApiScope.DEVICES_READ])[1]}")
    response = client.post(
        f"/api/v1/devices/{cuff.pk}/assign", {"patient_id": harriet.pk}, format="json"
    )
    assert (response.status_code, response.json()["message"]) == (
        HTTPStatus.FORBIDDEN,
        "This API key lacks the 'devices:write' scope.",
    )


def test_outsider_list_sees_none_of_ours(outsider_api, cuff):
    assert outsider_api.get("/api/v1/devices").json()["results"] == []


def test_smart_meter_list_query_count_is_constant(
    api, org, vendor_accounts, django_assert_max_num_queries
):
    from devices.services import smart_meter_connect

    patient = PatientFactory(organization=org, mrn="RHV-API-2")
    url = f"/api/v1/patients/{patient.pk}/smart-meters"
    smart_meter_connect(patient=patient, imei=demo._imei(600), device_type="blood_glucose")
    with django_assert_max_num_queries(8):
        api.get(url)
    for n in range(601, 605):
        smart_meter_connect(patient=patient, imei=demo._imei(n), device_type="weight_scale")
    with django_assert_max_num_queries(8):
        assert len(api.get(url).json()) == 5
