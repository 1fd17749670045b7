"""Fixtures reused from other suites: the readings BP cuff; Solo account, patient, rooms and
booking from the appointments suite. And `fault`, the vendor fault matrix's injector."""

from pathlib import Path

import pytest

from portal.sandbox.state import FaultMode
from tests.appointments.conftest import (  # noqa: F401
    book,
    rooms,
    solo_account,
    solo_patient,
)
from tests.readings.conftest import cuff  # noqa: F401

# --- the vendor fault matrix (test_vendor_faults_*.py) ----------------------------------------
READ_TIMEOUT = 2.0  # the client's read timeout in the matrix (seconds)
HOLD = 2.6  # a "timeout" fault answers after this, too late for the client
SLOW = 0.4  # a "slow" fault answers after this, within the timeout

# What each cell injects: the sandbox mode and its options.
KINDS = {
    "500": {"mode": FaultMode.ERROR},
    "timeout": {"mode": FaultMode.TIMEOUT, "delay": HOLD},
    "slow": {"mode": FaultMode.SLOW, "delay": SLOW},
    "malformed": {"mode": FaultMode.MALFORMED},
    "reset": {"mode": FaultMode.RESET},
    "reset-after": {"mode": FaultMode.RESET, "after": True},
}
FAILING = ["500", "timeout", "malformed", "reset"]
EVERY = [*FAILING, "slow"]
# Faults after which the vendor has applied the change although the client saw no answer.
APPLIED_ANYWAY = {"timeout", "reset-after"}


def pytest_collection_modifyitems(items):
    """Cells whose fault is about the connection (the client's read timeout, a slow answer, a
    dropped socket) run over real HTTP; answer faults (a 500, a body that is not JSON) reach
    the same client code in process, like the rest of the suite."""
    here = Path(__file__).parent
    for item in items:
        kind = getattr(item, "callspec", None) and item.callspec.params.get("kind")
        on_a_socket = kind in KINDS and KINDS[kind]["mode"] in FaultMode.ON_A_SOCKET
        if on_a_socket and item.path.is_relative_to(here):
            item.add_marker(pytest.mark.live_sandbox)


@pytest.fixture
def fault(faults, settings):
    """fault(vendor, kind, path_contains, count=1): queue one of KINDS. Vendor calls in the
    matrix are tried once (VENDOR_RETRIES=0: each fault is seen by staff, retrying is the
    matrix's second half) and wait READ_TIMEOUT seconds."""
    settings.VENDOR_RETRIES = 0
    settings.VENDOR_READ_TIMEOUT = READ_TIMEOUT
    settings.VENDOR_RETRY_BACKOFF = 0

    def inject(vendor, kind, path_contains, count=1):
        options = dict(KINDS[kind])
        faults.inject(vendor, options.pop("mode"), count, path_contains=path_contains, **options)

    return inject
