"""device_assign: seed 001's four rules checked locally, then Impilo, then the mirror."""

import threading

import pytest
from django.db import connection

from devices.models import Device, DeviceAssignment, DeviceSource, DeviceStatus, DeviceStatusChange
from devices.services import DeviceRuleError, DeviceVendorError, device_assign
from portal.models import AuditEvent
from portal.sandbox.state import FaultMode
from tests.conftest import wait_for
from tests.factories import DeviceFactory, PatientFactory

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def mirror_state(device):
    device.refresh_from_db()
    return (
        device.current_status,
        device.assigned_patient_id,
        DeviceAssignment.objects.filter(device=device).count(),
        DeviceStatusChange.objects.filter(device=device).count(),
    )


def test_assign_records_assignment_status_history_and_audit(cuff, harriet, alice, sandbox):
    assignment = device_assign(device=cuff, patient=harriet, by=alice)
    cuff.refresh_from_db()
    assert (cuff.current_status, cuff.assigned_patient) == (DeviceStatus.ASSIGNED, harriet)
    assert (assignment.patient, assignment.assigned_by, assignment.ended_at) == (
        harriet,
        alice,
        None,
    )
    change = cuff.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == (
        DeviceStatus.AVAILABLE_AT_SITE,
        DeviceStatus.ASSIGNED,
        alice,
    )
    event = AuditEvent.objects.get(action="device.assign")
    assert (event.patient, event.actor, event.object_id) == (harriet, alice, str(cuff.pk))
    assert sandbox.get("impilo", "devices", cuff.impilo_device_id)["patientId"] == (
        harriet.impilo_patient_id
    )


def test_assign_refuses_patient_not_registered_with_impilo(cuff, org):
    stranger = PatientFactory(organization=org, impilo_patient_id=None)
    with pytest.raises(DeviceRuleError) as caught:
        device_assign(device=cuff, patient=stranger)
    assert caught.value.code == "patient_not_in_customer"
    assert caught.value.message.startswith("The patient must be registered with Impilo")


def test_assign_refuses_device_not_owned_through_impilo(org, harriet, vendor_accounts):
    meter = DeviceFactory(organization=org, source=DeviceSource.VALIDIC, impilo_device_id=None)
    with pytest.raises(DeviceRuleError) as caught:
        device_assign(device=meter, patient=harriet)
    assert caught.value.code == "device_not_owned"
    assert caught.value.message.startswith("Only Impilo devices owned by your organization")


def test_assign_refuses_device_at_impilo_warehouse(org, demo_sites, harriet, vendor_accounts):
    boxed = DeviceFactory(organization=org, impilo_device_id=80072, site=demo_sites[900])
    with pytest.raises(DeviceRuleError) as caught:
        device_assign(device=boxed, patient=harriet)
    assert caught.value.code == "device_at_vendor_site"
    assert "it is at Impilo Warehouse (an Impilo warehouse)" in caught.value.message


def test_assign_refuses_decommissioned_device(org, demo_sites, harriet, vendor_accounts):
    broken = DeviceFactory(
        organization=org,
        impilo_device_id=80075,
        site=demo_sites[501],
        current_status=DeviceStatus.DECOMMISSIONED,
    )
    with pytest.raises(DeviceRuleError) as caught:
        device_assign(device=broken, patient=harriet)
    assert (caught.value.code, caught.value.message) == (
        "device_decommissioned",
        "This device is decommissioned and can never be assigned again.",
    )
    assert mirror_state(broken) == (DeviceStatus.DECOMMISSIONED, None, 0, 0)


def test_assign_refuses_device_not_available_at_site(org, demo_sites, harriet, vendor_accounts):
    faulty = DeviceFactory(
        organization=org, site=demo_sites[501], current_status=DeviceStatus.DEFECTIVE
    )
    with pytest.raises(DeviceRuleError) as caught:
        device_assign(device=faulty, patient=harriet)
    assert caught.value.code == "device_not_available"
    assert "this one is “Defective”" in caught.value.message


def test_impilo_refusal_leaves_mirror_unchanged_and_says_why(cuff, harriet, sandbox):
    # The mirror thinks the patient is ours; Impilo has moved them to another customer.
    sandbox.get("impilo", "patients", harriet.impilo_patient_id)["customerId"] = 7999
    before = mirror_state(cuff)
    with pytest.raises(DeviceVendorError) as caught:
        device_assign(device=cuff, patient=harriet)
    assert not caught.value.is_outage
    assert caught.value.message == (
        f"Impilo refused the request: Patient {harriet.impilo_patient_id} is not associated "
        "with customer 7001"
    )
    assert mirror_state(cuff) == before
    assert not AuditEvent.objects.filter(action="device.assign").exists()


@pytest.mark.parametrize(
    "mode", [FaultMode.ERROR, pytest.param(FaultMode.TIMEOUT, marks=pytest.mark.live_sandbox)]
)
def test_vendor_outage_during_assign_leaves_mirror_and_history_unchanged(
    cuff, harriet, faults, mode, settings, sandbox
):
    settings.VENDOR_READ_TIMEOUT = 0.5
    faults.inject("impilo", mode, 1, delay=1.0, path_contains="/associate")
    before = mirror_state(cuff)
    with pytest.raises(DeviceVendorError) as caught:
        device_assign(device=cuff, patient=harriet)
    assert caught.value.is_outage
    assert caught.value.message.startswith("Impilo did not answer")
    assert mirror_state(cuff) == before
    if mode == FaultMode.TIMEOUT:
        # The slow answer may still be applied at Impilo after we gave up: the mirror stays
        # as it was (we cannot know), and the next inventory sync brings it in line.
        wait_for(
            lambda: (
                sandbox.get("impilo", "devices", cuff.impilo_device_id)["patientId"]
                == harriet.impilo_patient_id
            ),
            message="the held request to finish",
        )


@pytest.mark.django_db(transaction=True)  # each thread's connection sees the committed rows
def test_two_nurses_assigning_one_device_at_once_end_with_one_assignment(
    cuff, harriet, org, alice, bob
):
    """Two transactions on PostgreSQL, each in its own thread and connection."""
    other = PatientFactory(organization=org, impilo_patient_id=30004)
    barrier = threading.Barrier(2)
    outcomes = []

    def assign(patient, nurse):
        try:
            barrier.wait(timeout=10)
            device_assign(device=Device.objects.get(pk=cuff.pk), patient=patient, by=nurse)
            outcomes.append("assigned")
        except DeviceRuleError as exc:
            outcomes.append(exc.code)
        except DeviceVendorError as exc:  # the lock failed: Impilo saw both requests
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=assign, args=(harriet, alice)),
        threading.Thread(target=assign, args=(other, bob)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["assigned", "device_already_assigned"]
    assert DeviceAssignment.objects.filter(device=cuff, ended_at__isnull=True).count() == 1
