"""ImpiloClient against the sandbox over real HTTP (seed 001, Device Management Guide).

The paths are our documented choice (devices/clients.py); the bodies and statuses are seed
001's: the DeviceUpdate example, the four association preconditions, disassociation always
allowed, replacement returning the defective device to the warehouse."""

from http import HTTPStatus

import pytest

from portal.http import VendorError
from portal.sandbox import world as demo
from portal.sandbox.impilo_devices import OTHER_CUSTOMER_DEVICE_ID

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself

PATIENTS = demo.demo_patients()
FIRST_BP = 80001  # demo_devices(): patient 0's BP cuff, assigned
SHELF = {d.identifier: d for d in demo.demo_devices() if d.status == "availableAtSite"}
SHELF_ID = SHELF["BT105-S700"].impilo_device_id  # at site 502, ready to assign
WAREHOUSE_ID = next(d.impilo_device_id for d in demo.demo_devices() if d.status == "available")
DECOMMISSIONED_ID = next(
    d.impilo_device_id for d in demo.demo_devices() if d.status == "decommissioned"
)
PATIENT = PATIENTS[2].impilo_patient_id


def refusal(call) -> tuple[int, str]:
    with pytest.raises(VendorError) as caught:
        call()
    return caught.value.status, caught.value.message


def test_seed_001_device_status_update_workflow(impilo):
    # Seed 001: "Fetch a Device by ID" → {"id": 1, "currentStatus": "available"} (truncated)
    before = impilo.get_device(1)
    assert {k: before[k] for k in ("id", "currentStatus")} == {
        "id": 1,
        "currentStatus": "available",
    }
    # "Send a Device Update Request": a DeviceUpdate with an override status and a note
    updated = impilo.update_device(1, override_status="decommissioned", note="Cracked casing")
    assert (updated["currentStatus"], updated["note"]) == ("decommissioned", "Cracked casing")
    # "Fetch the Updated Device by ID" → {"id": 1, "currentStatus": "decommissioned"}
    after = impilo.get_device(1)
    assert {k: after[k] for k in ("id", "currentStatus")} == {
        "id": 1,
        "currentStatus": "decommissioned",
    }


def test_device_lookup_by_id_has_every_field(impilo):
    assert impilo.get_device(FIRST_BP) == {
        "id": FIRST_BP,
        "identifier": "BT105-24000",
        "customerId": int(demo.IMPILO_CUSTOMER_ID),
        "currentStatus": "assigned",
        "item": {
            "id": 101,
            "name": "BodyTrace BT105 Blood Pressure Monitor",
            "type": "blood_pressure",
        },
        "siteId": 502,
        "patientId": PATIENTS[0].impilo_patient_id,
        "note": None,
        "updatedAt": "2026-11-01T12:00:00Z",
    }


def test_device_lookup_by_identifier(impilo):
    assert impilo.find_device_by_identifier("BT105-S700")["id"] == SHELF_ID
    assert impilo.find_device_by_identifier("NO-SUCH-SERIAL") is None


def test_device_list_filters_and_pages(impilo):
    page = impilo.list_devices(status="availableAtSite", site_id=502, page_size=2)
    assert (page["page"], page["pageSize"]) == (1, 2)
    assert page["total"] == sum(1 for d in SHELF.values() if d.site_id == 502)
    assert all(
        d["currentStatus"] == "availableAtSite" and d["siteId"] == 502 for d in page["devices"]
    )
    everything = list(impilo.iter_devices(page_size=7))
    ids = [d["id"] for d, _total in everything]
    assert len(ids) == len(set(ids)) == everything[0][1]
    assert OTHER_CUSTOMER_DEVICE_ID not in ids  # another customer's device is not listed
    mine = impilo.list_devices(patient_id=PATIENTS[0].impilo_patient_id)["devices"]
    assert {d["identifier"] for d in mine} == {"BT105-24000", "BT005-51000"}


def test_device_list_refuses_bad_filters(impilo):
    assert refusal(lambda: impilo.list_devices(status="lost"))[0] == HTTPStatus.BAD_REQUEST
    assert refusal(lambda: impilo.list_devices(page_size=0))[0] == HTTPStatus.BAD_REQUEST


def test_unknown_device_is_404(impilo):
    assert refusal(lambda: impilo.get_device(424242)) == (404, "Device 424242 not found")
    assert refusal(lambda: impilo.get_device(OTHER_CUSTOMER_DEVICE_ID))[0] == 404


def test_associate_with_patient(impilo):
    device = impilo.associate_device(SHELF_ID, patient_id=PATIENT)
    assert (device["patientId"], device["currentStatus"]) == (PATIENT, "assigned")
    assert impilo.get_device(SHELF_ID)["patientId"] == PATIENT


def test_rule_1_patient_of_another_customer_is_refused(impilo):
    assert refusal(lambda: impilo.associate_device(SHELF_ID, patient_id=39999)) == (
        409,
        "Patient 39999 is not associated with customer 7001",
    )


def test_rule_2_device_of_another_customer_is_refused(impilo):
    assert refusal(
        lambda: impilo.associate_device(OTHER_CUSTOMER_DEVICE_ID, patient_id=PATIENT)
    ) == (409, f"Device {OTHER_CUSTOMER_DEVICE_ID} is not owned by customer 7001")


def test_rule_3_device_at_impilo_site_is_refused(impilo):
    assert refusal(lambda: impilo.associate_device(WAREHOUSE_ID, patient_id=PATIENT)) == (
        409,
        f"Device {WAREHOUSE_ID} is not associated with a non-Impilo site",
    )


def test_rule_4_device_not_available_at_site_is_refused(impilo):
    assert refusal(lambda: impilo.associate_device(DECOMMISSIONED_ID, patient_id=PATIENT)) == (
        409,
        f"Device {DECOMMISSIONED_ID} has status decommissioned; "
        "only availableAtSite devices can be associated with a patient",
    )
    assert refusal(lambda: impilo.associate_device(FIRST_BP, patient_id=PATIENT))[0] == 409


def test_associate_with_site_moves_a_warehouse_device_to_the_clinic(impilo):
    device = impilo.associate_device(WAREHOUSE_ID, site_id=501)
    assert (device["siteId"], device["currentStatus"]) == (501, "availableAtSite")


def test_associate_needs_exactly_one_target(impilo):
    with pytest.raises(ValueError, match="exactly one"):
        impilo.associate_device(SHELF_ID)
    response = impilo.request(
        "POST", f"v1/devices/{SHELF_ID}/associate", json={"patientId": "x"}, expected=(400,)
    )
    assert response.json() == {
        "status": 400,
        "error": "Bad Request",
        "message": "patientId must be an integer",
    }


def test_disassociate_is_always_possible(impilo):
    device = impilo.disassociate_device(FIRST_BP)
    assert (device["patientId"], device["currentStatus"]) == (None, "availableAtSite")
    again = impilo.disassociate_device(FIRST_BP)  # already free: still fine
    assert again["patientId"] is None


def test_update_refuses_unknown_status(impilo):
    assert (
        refusal(lambda: impilo.update_device(SHELF_ID, override_status="lost", note=None))[0] == 422
    )


def test_replace_returns_defective_device_and_assigns_the_new_one(impilo):
    result = impilo.replace_device(FIRST_BP, replacement_device_id=SHELF_ID, note="No display")
    returned, replacement = result["returnedDevice"], result["replacementDevice"]
    assert (returned["id"], returned["currentStatus"], returned["patientId"]) == (
        FIRST_BP,
        "returned",
        None,
    )
    assert returned["siteId"] == 900  # back to the Impilo warehouse
    assert (replacement["id"], replacement["patientId"], replacement["currentStatus"]) == (
        SHELF_ID,
        PATIENTS[0].impilo_patient_id,
        "assigned",
    )


def test_replace_refuses_an_unassigned_device_or_an_unavailable_replacement(impilo):
    assert refusal(lambda: impilo.replace_device(SHELF_ID, replacement_device_id=FIRST_BP)) == (
        409,
        f"Device {SHELF_ID} is not associated with a patient",
    )
    assert refusal(lambda: impilo.replace_device(FIRST_BP, replacement_device_id=WAREHOUSE_ID))[
        1
    ] == (f"Device {WAREHOUSE_ID} is not associated with a non-Impilo site")


def test_writes_need_the_bearer_token(sandbox_url):
    from devices.clients import ImpiloClient

    client = ImpiloClient(f"{sandbox_url}/impilo/", secrets={"token": "nope"})
    assert refusal(lambda: client.disassociate_device(FIRST_BP)) == (
        401,
        "Missing or invalid bearer token",
    )
