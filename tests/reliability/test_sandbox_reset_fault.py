"""The sandbox's "reset" fault really drops the TCP connection: a client gets a connection
error (no HTTP answer at all), before the vendor applied the request or, with `after`, once it
has applied it; the control endpoint queues it like the other modes."""

from http import HTTPStatus

import pytest
import requests

from portal.sandbox import world as demo
from portal.sandbox.state import FaultMode

pytestmark = pytest.mark.live_sandbox  # the reset drops a real TCP connection

IMPILO = {"Authorization": f"Bearer {demo.IMPILO_TOKEN}"}


def test_a_reset_is_a_connection_error_and_the_next_call_works(sandbox_url, faults):
    faults.inject("impilo", FaultMode.RESET, 1)
    with requests.Session() as session:
        with pytest.raises(requests.ConnectionError) as caught:
            session.get(f"{sandbox_url}/impilo/v1/devices", headers=IMPILO, timeout=5)
        assert "reset" in str(caught.value).lower()
        answer = session.get(f"{sandbox_url}/impilo/v1/devices", headers=IMPILO, timeout=5)
    assert answer.status_code == HTTPStatus.OK
    assert faults.pending("impilo") == 0


def test_a_reset_after_applying_loses_only_the_answer(sandbox_url, faults, sandbox):
    shelf = next(
        d
        for d in sandbox.all("impilo", "devices")
        if d["currentStatus"] == "availableAtSite" and d["identifier"] == "BT105-S700"
    )
    patient_id = demo.demo_patients()[2].impilo_patient_id
    url = f"{sandbox_url}/impilo/v1/devices/{shelf['id']}/associate"
    faults.inject("impilo", FaultMode.RESET, 1, path_contains="/associate", after=True)
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={"patientId": patient_id}, headers=IMPILO, timeout=5)
    assert sandbox.get("impilo", "devices", shelf["id"])["patientId"] == patient_id


def test_the_control_endpoint_queues_a_reset(sandbox_url, faults):
    queued = requests.post(
        f"{sandbox_url}/_faults",
        json={"vendor": "solo", "mode": "reset", "count": 2, "after": True},
        timeout=5,
    )
    assert (queued.status_code, queued.json()) == (
        HTTPStatus.CREATED,
        {"vendor": "solo", "pending": 2},
    )
    refused = requests.post(
        f"{sandbox_url}/_faults", json={"vendor": "solo", "mode": "error", "after": True}, timeout=5
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json() == {
        "error": "bad_request",
        "message": "after applies to the reset mode only",
    }
    assert faults.pending("solo") == 2
