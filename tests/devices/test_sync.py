"""The inventory sync: Impilo devices and Validic connections mirrored, idempotently."""

import pytest

from devices.models import Device, DeviceAssignment, DeviceStatus, SmartMeterConnection
from devices.sync import SYNC_KIND, devices_sync
from devices.tasks import devices_sync_all, devices_sync_run
from portal.models import Organization, SyncRun
from portal.sandbox import world as demo
from portal.sandbox.state import FAULTS, STORE, FaultMode
from portal.sync import sync_run_start
from tests.conftest import IN_PROCESS_BASE
from tests.devices.conftest import load_demo_data
from tests.module_data import module_transaction

# The sandbox answers in process (on a real worker: tests/devices/test_sync_worker.py).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module (10 s a load; tests/module_data.py); each test
    starts with the sandbox as seeded, as the load found it."""
    with module_transaction(django_db_blocker):
        FAULTS.clear()
        STORE.reset()
        load_demo_data(f"{IN_PROCESS_BASE}/sandbox")
        yield Organization.objects.get(slug=demo.ORG_SLUG)


@pytest.fixture
def demo_org(demo_loaded, sandbox_url):
    return demo_loaded


def sync(org):
    return devices_sync(run=sync_run_start(organization=org, kind=SYNC_KIND, join_running=True))


def test_sync_right_after_demo_load_changes_nothing(demo_org):
    devices_before = list(Device.objects.order_by("pk").values())
    run = sync(demo_org)
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert (run.created, run.updated, run.errors) == (0, 0, [])
    assert run.unchanged == run.processed == run.total > 70
    # Not one field of one device was rewritten (updated_at included).
    assert list(Device.objects.order_by("pk").values()) == devices_before


def test_demo_load_twice_is_idempotent(demo_org, sandbox_url):
    counts = (
        Device.objects.count(),
        DeviceAssignment.objects.count(),
        SmartMeterConnection.objects.count(),
    )
    load_demo_data(sandbox_url)
    assert (
        Device.objects.count(),
        DeviceAssignment.objects.count(),
        SmartMeterConnection.objects.count(),
    ) == counts


def test_sync_brings_in_changes_made_at_the_vendors(demo_org, sandbox):
    store_device = sandbox.get("impilo", "devices", 80001)  # patient 0's cuff
    store_device.update(patientId=None, currentStatus="defective", note="Reported by Impilo")
    new = dict(sandbox.get("impilo", "devices", 80060), id=80500, identifier="BT105-NEW-1")
    sandbox.put("impilo", "devices", 80500, new)
    imei = demo._imei(1000)  # patient 0's pulse oximeter, disconnected at Validic
    sandbox.delete("validic", "connections", imei)

    run = sync(demo_org)
    assert (run.created, run.updated, run.status) == (1, 2, SyncRun.Status.SUCCEEDED)
    cuff = Device.objects.get(impilo_device_id=80001)
    assert (cuff.current_status, cuff.assigned_patient) == (DeviceStatus.DEFECTIVE, None)
    assert cuff.status_changes.first().note == "Reported by Impilo"
    assert cuff.assignments.get().ended_reason == "unassigned"
    assert Device.objects.get(impilo_device_id=80500).identifier == "BT105-NEW-1"
    gone = SmartMeterConnection.objects.get(imei=imei)
    assert gone.deleted_reason == "Disconnected at Validic (found by sync)"
    again = sync(demo_org)
    assert (again.created, again.updated) == (0, 0)


def test_sync_outage_fails_the_run_with_a_message(demo_org, faults):
    faults.inject("impilo", FaultMode.ERROR, 10, path_contains="/v1/devices")
    run = sync(demo_org)
    assert run.status == SyncRun.Status.FAILED
    assert run.errors == [
        "Impilo did not answer (it may be down or slow). Nothing was changed; please try "
        "again in a few minutes."
    ]


def test_periodic_task_syncs_every_organization_with_impilo(demo_org):
    loaded = list(SyncRun.objects.values_list("pk", flat=True))  # the demo load's own pulls
    assert devices_sync_all.delay().get() == 1
    run = SyncRun.objects.exclude(pk__in=loaded).get(organization=demo_org)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert devices_sync_run.delay(run.pk).get() == 0  # a redelivered finished run: no-op
