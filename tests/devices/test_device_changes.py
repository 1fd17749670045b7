"""Unassign, replace and status changes: vendor first, then mirror + history + audit."""

import pytest

from devices.models import AssignmentEndReason, DeviceStatus
from devices.services import (
    DeviceRuleError,
    DeviceVendorError,
    device_assign,
    device_replace,
    device_set_status,
    device_unassign,
)
from portal.models import AuditEvent
from portal.sandbox.state import FaultMode

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


@pytest.fixture
def assigned(cuff, harriet, alice):
    device_assign(device=cuff, patient=harriet, by=alice)
    cuff.refresh_from_db()
    return cuff


def test_unassign_ends_the_assignment_and_frees_the_device(assigned, harriet, bob, sandbox):
    assignment = device_unassign(device=assigned, by=bob)
    assigned.refresh_from_db()
    assert (assigned.current_status, assigned.assigned_patient) == (
        DeviceStatus.AVAILABLE_AT_SITE,
        None,
    )
    assert (assignment.ended_reason, assignment.ended_by) == (AssignmentEndReason.UNASSIGNED, bob)
    assert AuditEvent.objects.filter(action="device.unassign", patient=harriet).count() == 1
    assert sandbox.get("impilo", "devices", assigned.impilo_device_id)["patientId"] is None


def test_unassign_refuses_a_free_device(cuff):
    with pytest.raises(DeviceRuleError, match="not assigned to anyone"):
        device_unassign(device=cuff)


def test_replace_keeps_the_patients_history_continuous(assigned, spare_cuff, harriet, alice):
    new = device_replace(device=assigned, replacement=spare_cuff, note="Screen dead", by=alice)
    assigned.refresh_from_db()
    spare_cuff.refresh_from_db()
    old = assigned.assignments.get()
    assert (old.ended_reason, old.replaced_by, old.ended_at) == (
        AssignmentEndReason.REPLACED,
        new,
        new.assigned_at,
    )
    assert (new.patient, new.device) == (harriet, spare_cuff)
    assert (assigned.current_status, assigned.assigned_patient, assigned.site.impilo_site_id) == (
        DeviceStatus.RETURNED,
        None,
        900,
    )
    assert (spare_cuff.current_status, spare_cuff.assigned_patient) == (
        DeviceStatus.ASSIGNED,
        harriet,
    )
    assert assigned.status_changes.first().note == "Screen dead"
    assert list(harriet.device_assignments.values_list("device__identifier", flat=True)) == [
        "BT105-S702",
        "BT105-S700",
    ]


def test_replace_refuses_an_unavailable_replacement(assigned, org, demo_sites):
    from tests.factories import DeviceFactory

    boxed = DeviceFactory(organization=org, impilo_device_id=80073, site=demo_sites[900])
    with pytest.raises(DeviceRuleError) as caught:
        device_replace(device=assigned, replacement=boxed, note="Screen dead")
    assert caught.value.code == "device_at_vendor_site"
    assert caught.value.message.startswith(
        "The replacement cannot be assigned: The device must be at one of your clinics"
    )


def test_replace_outage_changes_nothing(assigned, spare_cuff, faults):
    faults.inject("impilo", FaultMode.ERROR, 1, path_contains="/replace")
    with pytest.raises(DeviceVendorError):
        device_replace(device=assigned, replacement=spare_cuff, note="Screen dead")
    assigned.refresh_from_db()
    assert assigned.assignments.get().ended_at is None
    assert spare_cuff.assignments.count() == 0


def test_decommission_needs_a_note(cuff):
    with pytest.raises(DeviceRuleError) as caught:
        device_set_status(device=cuff, status=DeviceStatus.DECOMMISSIONED, note="  ")
    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "note_required",
        "note",
        422,
    )


def test_decommission_with_note_updates_impilo_and_history(cuff, ada, sandbox):
    change = device_set_status(
        device=cuff, status=DeviceStatus.DECOMMISSIONED, note="Dropped, cuff torn", by=ada
    )
    assert (change.from_status, change.to_status, change.note, change.changed_by) == (
        DeviceStatus.AVAILABLE_AT_SITE,
        DeviceStatus.DECOMMISSIONED,
        "Dropped, cuff torn",
        ada,
    )
    remote = sandbox.get("impilo", "devices", cuff.impilo_device_id)
    assert (remote["currentStatus"], remote["note"]) == ("decommissioned", "Dropped, cuff torn")


def test_status_change_refused_while_assigned(assigned):
    with pytest.raises(DeviceRuleError, match="Unassign or replace it"):
        device_set_status(device=assigned, status=DeviceStatus.DEFECTIVE, note="No display")


def test_status_cannot_be_set_to_assigned_by_hand(cuff):
    with pytest.raises(DeviceRuleError, match="Assign to patient"):
        device_set_status(device=cuff, status=DeviceStatus.ASSIGNED)
