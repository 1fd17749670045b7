"""The shared vendor HTTP layer against the sandbox over real HTTP: retries, timeouts, errors."""

import pytest

from devices.clients import ImpiloClient
from portal.http import VendorError
from portal.sandbox import world as demo
from portal.sandbox.state import FaultMode

pytestmark = pytest.mark.live_sandbox  # retries, timeouts and errors on the wire


@pytest.fixture
def impilo(sandbox_url):
    return ImpiloClient(f"{sandbox_url}/impilo/", secrets={"token": demo.IMPILO_TOKEN}, backoff=0)


def test_patient_lookup(impilo):
    first = demo.demo_patients()[0]
    assert impilo.get_patient(first.impilo_patient_id) == {
        "id": first.impilo_patient_id,
        "customerId": int(demo.IMPILO_CUSTOMER_ID),
        "externalId": first.mrn,
        "firstName": first.first_name,
        "lastName": first.last_name,
        "dateOfBirth": first.birth_date.isoformat(),
        "zipCode": first.zip_code,
    }


def test_unknown_patient_is_a_vendor_error_with_the_vendors_message(impilo):
    with pytest.raises(VendorError) as caught:
        impilo.get_patient(1)
    assert (caught.value.status, caught.value.message) == (404, "Patient 1 not found")
    assert not caught.value.is_outage


def test_another_customers_patient_is_hidden(impilo):
    with pytest.raises(VendorError) as caught:
        impilo.get_patient(39999)
    assert caught.value.status == 404


def test_bad_token_is_401(sandbox_url):
    client = ImpiloClient(f"{sandbox_url}/impilo/", secrets={"token": "wrong"})
    with pytest.raises(VendorError) as caught:
        client.get_site(501)
    assert (caught.value.status, caught.value.message) == (401, "Missing or invalid bearer token")


def test_idempotent_call_retries_through_two_500s(impilo, faults):
    faults.inject("impilo", FaultMode.ERROR, 2)
    assert impilo.get_site(501)["name"] == "Riverside Main Clinic"
    assert faults.pending("impilo") == 0


def test_503_with_retry_after_is_retried(impilo, faults):
    faults.inject("impilo", FaultMode.UNAVAILABLE, 1)
    assert impilo.get_site(501)["id"] == 501


def test_persistent_500_gives_up_with_status(impilo, faults):
    faults.inject("impilo", FaultMode.ERROR, 10)
    with pytest.raises(VendorError) as caught:
        impilo.get_site(501)
    assert caught.value.status == 500
    assert caught.value.is_outage
    assert faults.pending("impilo") == 10 - (1 + impilo.retries)


def test_post_is_not_retried_unless_marked_idempotent(impilo, faults):
    faults.inject("impilo", FaultMode.ERROR, 1)
    with pytest.raises(VendorError):
        impilo.request("POST", "v1/sites/501", json={})
    assert faults.pending("impilo") == 0


def test_timeout_is_a_vendor_error_without_status(sandbox_url, faults):
    client = ImpiloClient(
        f"{sandbox_url}/impilo/",
        secrets={"token": demo.IMPILO_TOKEN},
        timeout=(1, 0.3),
        retries=0,
    )
    faults.inject("impilo", FaultMode.SLOW, 1, delay=1.0)
    with pytest.raises(VendorError) as caught:
        client.get_site(501)
    assert caught.value.status is None
    assert "timed out" in caught.value.message
    assert "did not answer" in caught.value.staff_message


def test_malformed_json_is_a_vendor_error(impilo, faults):
    faults.inject("impilo", FaultMode.MALFORMED, 1)
    with pytest.raises(VendorError) as caught:
        impilo.get_site(501)
    assert "not valid JSON" in caught.value.message


def test_unreachable_vendor_is_a_vendor_error():
    client = ImpiloClient("http://127.0.0.1:9/", secrets={}, retries=0, timeout=(0.5, 0.5))
    with pytest.raises(VendorError) as caught:
        client.get_site(1)
    assert caught.value.message == "could not be reached"


def test_fault_control_endpoint(sandbox_url, faults):
    import requests

    response = requests.post(
        f"{sandbox_url}/_faults", json={"vendor": "impilo", "mode": "error", "count": 3}, timeout=5
    )
    assert response.status_code == 201
    assert faults.pending("impilo") == 3
    assert requests.delete(f"{sandbox_url}/_faults", timeout=5).status_code == 200
    assert faults.pending("impilo") == 0
    bad = requests.post(f"{sandbox_url}/_faults", json={"vendor": "impilo", "mode": "x"}, timeout=5)
    assert bad.status_code == 400


def test_client_for_organization_reads_encrypted_account(db, org, vendor_accounts):
    client = ImpiloClient.for_organization(org)
    assert client.secrets == {"token": demo.IMPILO_TOKEN}
    assert client.get_site(501)["id"] == 501


def test_client_for_unconfigured_organization(db, other_org):
    with pytest.raises(VendorError) as caught:
        ImpiloClient.for_organization(other_org)
    assert caught.value.code == "not_configured"
