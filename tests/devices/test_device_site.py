"""Associate a device with a site — clinic stock (seed 001, Device Association Workflow: "issue
a device association request to link the device with the chosen patient or site"): the API
endpoint, the device page's action, the rules in words, and the wire over real HTTP."""

from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages

from devices.clients import ImpiloClient
from devices.models import DeviceStatus
from devices.services import device_assign
from portal.models import AuditEvent, Site
from portal.sandbox import world as demo

pytestmark = pytest.mark.django_db  # the sandbox answers in process unless marked live

WAREHOUSE = next(d for d in demo.demo_devices() if d.status == "available")  # at site 900


def move(api, device, site):
    return api.post(f"/api/v1/devices/{device.pk}/site", {"site_id": site.pk}, format="json")


def test_api_moves_a_warehouse_device_into_clinic_stock(api, boxed_cuff, demo_sites, sandbox):
    response = move(api, boxed_cuff, demo_sites[501])
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["site"]["impilo_site_id"] == 501
    assert body["current_status"] == "availableAtSite"  # Impilo's answer sets it
    assert body["status_changes"][0]["note"] == (
        "Moved from Impilo Warehouse to Riverside Main Clinic"
    )
    assert sandbox.get("impilo", "devices", WAREHOUSE.impilo_device_id)["siteId"] == 501
    assert AuditEvent.objects.filter(action="device.site", object_id=str(boxed_cuff.pk)).exists()


def test_a_move_between_clinics_is_in_the_history(api, cuff, demo_sites):
    response = move(api, cuff, demo_sites[501])
    assert response.status_code == HTTPStatus.OK, response.content
    change = response.json()["status_changes"][0]
    assert (change["from_status"], change["to_status"], change["note"]) == (
        "availableAtSite",
        "availableAtSite",
        "Moved from Riverside West (Denver) to Riverside Main Clinic",
    )


@pytest.mark.parametrize(
    ("target", "code"),
    [
        (900, "site_is_impilo_warehouse"),
        (502, "device_already_at_site"),
    ],
)
def test_rules_are_refused_in_words_and_change_nothing(
    api, cuff, demo_sites, sandbox, target, code
):
    response = move(api, cuff, demo_sites[target])
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == code
    assert response.json()["message"]
    assert sandbox.get("impilo", "devices", cuff.impilo_device_id)["siteId"] == 502
    cuff.refresh_from_db()
    assert cuff.site == demo_sites[502]


def test_an_assigned_device_must_be_unassigned_first(api, cuff, harriet, demo_sites):
    device_assign(device=cuff, patient=harriet)
    response = move(api, cuff, demo_sites[501])
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {
        "error": "device_assigned",
        "message": "This device is assigned to a patient. Unassign it first; it then goes "
        "back on the shelf of its clinic, and can be moved from there.",
        "fields": {},
    }


def test_a_site_impilo_does_not_know_is_refused(api, org, cuff):
    local = Site.objects.create(organization=org, name="Pop-up clinic")
    response = move(api, cuff, local)
    assert (response.status_code, response.json()["error"]) == (409, "site_not_known_to_impilo")


def test_a_decommissioned_device_is_not_moved(api, org, demo_sites, cuff):
    cuff.current_status = DeviceStatus.DECOMMISSIONED
    cuff.save()
    response = move(api, cuff, demo_sites[501])
    assert (response.status_code, response.json()["error"]) == (409, "device_decommissioned")


def test_another_organizations_site_or_device_is_404(api, outsider_api, other_org, cuff):
    theirs = Site.objects.create(organization=other_org, name="Elsewhere", impilo_site_id=501)
    assert move(api, cuff, theirs).status_code == HTTPStatus.NOT_FOUND
    assert move(outsider_api, cuff, theirs).status_code == HTTPStatus.NOT_FOUND


def test_unknown_fields_are_refused_in_our_own_api(api, cuff, demo_sites):
    response = api.post(
        f"/api/v1/devices/{cuff.pk}/site",
        {"site_id": demo_sites[501].pk, "note": "x"},
        format="json",
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["fields"] == {"note": ["Unknown field."]}


def test_the_device_page_moves_it_and_says_so(nurse_client, boxed_cuff, demo_sites):
    page = nurse_client.get(f"/devices/{boxed_cuff.pk}/").content.decode()
    assert "Move to clinic…" in page
    assert "Riverside Main Clinic" in page
    response = nurse_client.post(f"/devices/{boxed_cuff.pk}/site/", {"site": demo_sites[501].pk})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{boxed_cuff.identifier} is now in the stock of Riverside Main Clinic."
    ]
    boxed_cuff.refresh_from_db()
    assert (boxed_cuff.site, boxed_cuff.current_status) == (demo_sites[501], "availableAtSite")


def test_the_page_shows_a_refusal_as_a_message(nurse_client, cuff, demo_sites):
    response = nurse_client.post(f"/devices/{cuff.pk}/site/", {"site": demo_sites[900].pk})
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Impilo Warehouse is an Impilo warehouse, not a clinic.")


@pytest.mark.live_sandbox  # a contract test: the wire itself
def test_contract_site_association_over_http(api, boxed_cuff, demo_sites, sandbox_url):
    """Seed 001: "Patient or Site Lookup: Lookup the patient or site using their respective
    endpoints to ensure the device is associated correctly. Device Association Request:
    Finally, issue a device association request to link the device with the chosen patient
    or site." """
    impilo = ImpiloClient(f"{sandbox_url}/impilo/", secrets={"token": demo.IMPILO_TOKEN})
    assert impilo.get_site(501)["type"] == "customer"  # the lookup, step 2
    response = move(api, boxed_cuff, demo_sites[501])
    assert response.status_code == HTTPStatus.OK, response.content
    device = impilo.get_device(WAREHOUSE.impilo_device_id)
    assert (device["siteId"], device["currentStatus"], device["patientId"]) == (
        501,
        "availableAtSite",
        None,
    )
