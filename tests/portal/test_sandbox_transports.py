"""The sandbox's two transports in the test rig: in process by default, over real HTTP on the
live server for tests about HTTP (the `live_sandbox` mark). A fault that needs a socket cannot
happen in process, so it is refused there loudly instead of quietly becoming something else."""

import pytest
from django.db import connection

from devices.clients import ImpiloClient
from portal.http import VendorError
from portal.inprocess import SocketFaultInProcess
from portal.sandbox import world as demo
from portal.sandbox.state import FaultMode
from tests.conftest import IN_PROCESS_BASE

FIRST = demo.demo_patients()[0]


def impilo(sandbox_url):
    return ImpiloClient(f"{sandbox_url}/impilo/", secrets={"token": demo.IMPILO_TOKEN}, backoff=0)


@pytest.mark.django_db
def test_by_default_the_sandbox_answers_in_process_inside_the_tests_transaction(sandbox_url):
    assert sandbox_url == f"{IN_PROCESS_BASE}/sandbox"
    assert connection.in_atomic_block  # the plain db fixture: rolled back, no flush
    assert impilo(sandbox_url).get_patient(FIRST.impilo_patient_id)["externalId"] == FIRST.mrn


@pytest.mark.live_sandbox
@pytest.mark.django_db
def test_the_live_sandbox_mark_serves_it_on_the_live_server_with_committed_rows(
    request, sandbox_url
):
    assert sandbox_url == f"{request.getfixturevalue('live_server').url}/sandbox"
    assert not connection.in_atomic_block  # transactional: the server's threads see the rows
    assert impilo(sandbox_url).get_patient(FIRST.impilo_patient_id)["externalId"] == FIRST.mrn


@pytest.mark.django_db
@pytest.mark.parametrize("mode", FaultMode.ON_A_SOCKET)
def test_a_fault_that_needs_a_socket_is_refused_in_process(sandbox_url, faults, mode):
    faults.inject("impilo", mode, 1, delay=0.1)
    with pytest.raises(SocketFaultInProcess, match=f"'{mode}' fault .* needs a socket"):
        impilo(sandbox_url).get_patient(FIRST.impilo_patient_id)
    # The sandbox fixture fails any test that met a refusal, even one the code under test
    # swallowed; this test wanted it, so it clears the record.
    assert len(faults.refused) == 1
    faults.refused.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("mode", [FaultMode.ERROR, FaultMode.UNAVAILABLE, FaultMode.MALFORMED])
def test_answer_faults_apply_in_process(sandbox_url, faults, settings, mode):
    settings.VENDOR_RETRIES = 0
    faults.inject("impilo", mode, 1)
    with pytest.raises(VendorError) as caught:
        impilo(sandbox_url).get_patient(FIRST.impilo_patient_id)
    assert caught.value.is_outage
    assert not faults.refused
