"""ValidicClient against the sandbox over real HTTP, with seed 004's example payloads."""

import pytest

from portal.http import VendorError
from portal.sandbox import world as demo

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself

PATIENTS = demo.demo_patients()
SEED_IMEI = "123453782873223"  # seed 004's example device_id (its Luhn digit is not valid)
OX_IMEI = demo._imei(1000)  # patient 0's seeded Smart Meter pulse oximeter


@pytest.fixture
def new_user(validic):
    return validic.provision_user("MRN-NEW-1")


def test_provision_user(validic):
    user = validic.provision_user("MRN-NEW-1")
    assert user["uid"] == "MRN-NEW-1"
    assert set(user) == {
        "id",
        "uid",
        "marketplace",
        "mobile",
        "location",
        "status",
        "created_at",
        "updated_at",
    }
    assert user["marketplace"]["token"]
    assert validic.get_user("MRN-NEW-1") == user


def test_provisioning_twice_is_409(validic, new_user):
    with pytest.raises(VendorError) as caught:
        validic.provision_user("MRN-NEW-1")
    assert (caught.value.status, caught.value.message) == (
        409,
        "User with uid MRN-NEW-1 already exists",
    )


def test_provisioning_is_form_encoded(validic):
    response = validic.request(
        "POST",
        f"organizations/{demo.VALIDIC_ORG_ID}/users",
        json={"uid": "x"},
        expected=(415,),
    )
    assert response.json() == {
        "code": 415,
        "message": "Content-Type must be application/x-www-form-urlencoded",
    }


def test_connect_smart_meter_answers_seed_004_sample_response(validic, new_user):
    # Seed 004 sample request body: {"device_id": "123453782873223", "device_type": "blood_glucose"}
    body = validic.connect_smart_meter("MRN-NEW-1", imei=SEED_IMEI, device_type="blood_glucose")
    created_at = body.pop("created_at")
    assert body == {  # seed 004 "Sample Response 202 Accepted"
        "credentials": {
            "device_id": "123453782873223",
            "device_type": "blood_glucose",
            "device_name": None,
        },
        "type": "smart_meter",
    }
    assert created_at.endswith("Z")
    assert len(created_at) == 20


def test_connect_answers_202(validic, new_user):
    response = validic.request(
        "POST",
        "direct/auth/smart_meter",
        params={"token": new_user["marketplace"]["token"]},
        json={"device_id": SEED_IMEI, "device_type": "blood_glucose"},
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"device_id": "12345", "device_type": "blood_glucose"},
            "device_id must be a 15-digit IMEI",
        ),
        (
            {"device_id": SEED_IMEI, "device_type": "toaster"},
            "device_type must be one of blood_pressure, weight_scale, blood_glucose, "
            "pulse_oximeter, thermometer",
        ),
    ],
)
def test_connect_refuses_bad_input_with_422(validic, new_user, payload, message):
    response = validic.request(
        "POST",
        "direct/auth/smart_meter",
        params={"token": new_user["marketplace"]["token"]},
        json=payload,
        expected=(422,),
    )
    assert response.json() == {"code": 422, "message": message}


def test_an_imei_connected_to_another_user_is_409(validic, new_user):
    with pytest.raises(VendorError) as caught:
        validic.connect_smart_meter("MRN-NEW-1", imei=OX_IMEI, device_type="pulse_oximeter")
    assert (caught.value.status, caught.value.message) == (
        409,
        f"Device {OX_IMEI} is already connected to another user",
    )


def test_bad_token_is_401(validic, new_user):
    response = validic.request(
        "POST", "direct/auth/smart_meter/disconnect_all", params={"token": "wrong"}, expected=(401,)
    )
    assert response.json() == {"code": 401, "message": "Invalid or missing token"}
    wrong_org = validic.request(
        "GET", "organizations/elsewhere/users/MRN-NEW-1", expected=(404,)
    ).json()
    assert wrong_org == {"code": 404, "message": "Organization elsewhere not found"}


def test_disconnect_one_answers_seed_004_sample_response(validic, new_user):
    validic.connect_smart_meter("MRN-NEW-1", imei=SEED_IMEI, device_type="blood_glucose")
    body = validic.disconnect_smart_meter("MRN-NEW-1", imei=SEED_IMEI)
    created_at, deleted_at = body.pop("created_at"), body.pop("deleted_at")
    assert body == {
        "credentials": {
            "device_id": "123453782873223",
            "device_type": "blood_glucose",
            "device_name": None,
        },
        "type": "smart_meter",
        "deleted_reason": "User disconnected from Direct Endpoint",
    }
    assert created_at <= deleted_at
    with pytest.raises(VendorError) as caught:  # gone now
        validic.disconnect_smart_meter("MRN-NEW-1", imei=SEED_IMEI)
    assert caught.value.status == 404


def test_disconnect_all_answers_seed_004_sample_shape(validic, new_user):
    # Seed 004's disconnect_all sample: two IMEIs, a blood_pressure and a weight_scale.
    validic.connect_smart_meter("MRN-NEW-1", imei="111111111111111", device_type="blood_pressure")
    validic.connect_smart_meter("MRN-NEW-1", imei="222222222222222", device_type="weight_scale")
    body = validic.disconnect_all_smart_meters("MRN-NEW-1")
    assert body["meta"] == {"total": 2}
    assert [
        (
            c["credentials"]["device_id"],
            c["credentials"]["device_type"],
            c["type"],
            c["deleted_reason"],
        )
        for c in body["connections"]
    ] == [
        (
            "111111111111111",
            "blood_pressure",
            "smart_meter",
            "User disconnected from Direct Endpoint",
        ),
        (
            "222222222222222",
            "weight_scale",
            "smart_meter",
            "User disconnected from Direct Endpoint",
        ),
    ]
    assert all(
        set(c) == {"credentials", "type", "created_at", "deleted_at", "deleted_reason"}
        for c in body["connections"]
    )
    assert validic.list_smart_meters("MRN-NEW-1") == {"meta": {"total": 0}, "connections": []}


def test_list_smart_meters_of_a_seeded_patient(validic):
    assert validic.list_smart_meters(PATIENTS[0].mrn) == {
        "meta": {"total": 1},
        "connections": [
            {
                "credentials": {
                    "device_id": OX_IMEI,
                    "device_type": "pulse_oximeter",
                    "device_name": None,
                },
                "type": "smart_meter",
                "created_at": "2026-10-01T15:53:41Z",
            }
        ],
    }
