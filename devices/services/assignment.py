"""Impilo device actions (seed 001): assign, unassign, replace, status override.

Each is claim → call → record (`devices.services.claims`): a short transaction locks the device,
checks seed 001's rules (a refusal carries a message a nurse can act on) and claims the device;
Impilo is called with no transaction open and no lock held; a second short transaction
re-reads the device, applies Impilo's answer, writes the history and the audit event and
releases the claim. A vendor refusal or outage releases the claim and changes nothing else.
Two nurses assigning one device at once: the second finds the first one's claim (or, later,
its assignment) and gets a rule refusal; the partial unique constraint `assignment_one_open`
is the database's own backstop."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from devices.clients import ImpiloClient
from devices.models import (
    AssignmentEndReason,
    Device,
    DeviceAssignment,
    DeviceSource,
    DeviceStatus,
    DeviceStatusChange,
)
from devices.services.claims import device_key, operation_claim
from devices.services.mirror import (
    device_locked,
    open_assignment,
    site_for,
    status_from,
    status_record,
)
from devices.services.rules import (
    NOTE_REQUIRED_STATUSES,
    DeviceRuleError,
    assignment_problem,
    refuse,
    replacement_kind_problem,
    status_change_problem,
    vendor_call,
)
from portal.audit import audit_event_record
from portal.http import VendorError


def device_assign(*, device: Device, patient, by=None, request=None) -> DeviceAssignment:
    """Associate Device with a patient (seed 001, Manual Device Assignment)."""
    with transaction.atomic():
        device = device_locked(device)
        refuse(assignment_problem(device, patient))
        claim = operation_claim(
            keys=[device_key(device)],
            organization=device.organization,
            action="device.assign",
            by=by,
        )
    with claim.released_on_error():
        client = ImpiloClient.for_organization(device.organization)
        body = vendor_call(lambda: associated(client, device, patient))
        with transaction.atomic():
            assignment = _assign_record(device, patient, body, by=by)
            audit_event_record(
                action="device.assign",
                request=request,
                actor=by,
                organization=device.organization,
                patient=patient,
                obj=device,
                detail={"assignment_id": assignment.pk},
            )
            claim.release()
    return assignment


def associated(client: ImpiloClient, device: Device, patient) -> dict:
    """Associate Device; when Impilo refuses because the device already is this patient's
    (an earlier attempt whose answer was lost), that earlier association is the answer."""
    device_id = device.impilo_device_id
    assert device_id is not None  # device_assign refused one without (assignment_problem)
    try:
        return client.associate_device(device_id, patient_id=patient.impilo_patient_id)
    except VendorError as exc:
        if exc.status != 409:
            raise
        current = client.get_device(device_id)
        if current.get("patientId") != patient.impilo_patient_id:
            raise
        return current


def _assign_record(device: Device, patient, body: dict, *, by) -> DeviceAssignment:
    device = device_locked(device)
    now = timezone.now()
    status_record(device, status_from(body, DeviceStatus.ASSIGNED), note="Assigned", by=by)
    device.assigned_patient = patient
    device.last_synced_at = now
    device.save()
    current = open_assignment(device)
    if current is not None and current.patient_id == patient.pk:
        return current  # already recorded (a sync read Impilo's answer first)
    try:
        with transaction.atomic():
            return DeviceAssignment.objects.create(
                device=device, patient=patient, assigned_at=now, assigned_by=by
            )
    except IntegrityError as exc:  # the constraint caught a race the claim did not
        raise DeviceRuleError(
            "device_already_assigned", "This device is already assigned to a patient."
        ) from exc


def device_unassign(*, device: Device, by=None, request=None) -> DeviceAssignment:
    """Disassociate a device from its patient (seed 001: always possible)."""
    with transaction.atomic():
        device = device_locked(device)
        assignment = open_assignment(device)
        if assignment is None:
            raise DeviceRuleError("device_not_assigned", "This device is not assigned to anyone.")
        if device.source == DeviceSource.VALIDIC:
            raise DeviceRuleError(
                "device_not_owned",
                "This is a Validic Smart Meter device: disconnect its IMEI on the patient page.",
            )
        claim = operation_claim(
            keys=[device_key(device)],
            organization=device.organization,
            action="device.unassign",
            by=by,
        )
    with claim.released_on_error():
        client = ImpiloClient.for_organization(device.organization)
        body = vendor_call(lambda: client.disassociate_device(device.impilo_device_id))
        with transaction.atomic():
            device = device_locked(device)
            now = timezone.now()
            status_record(
                device,
                status_from(body, DeviceStatus.AVAILABLE_AT_SITE),
                note="Unassigned",
                by=by,
            )
            device.assigned_patient = None
            device.last_synced_at = now
            device.save()
            assignment = DeviceAssignment.objects.select_for_update().get(pk=assignment.pk)
            if assignment.ended_at is None:
                assignment.ended_at = now
                assignment.ended_reason = AssignmentEndReason.UNASSIGNED
                assignment.ended_by = by
                assignment.save()
            audit_event_record(
                action="device.unassign",
                request=request,
                actor=by,
                organization=device.organization,
                patient=assignment.patient,
                obj=device,
                detail={"assignment_id": assignment.pk},
            )
            claim.release()
    return assignment


def device_replace(
    *, device: Device, replacement: Device, note: str = "", by=None, request=None
) -> DeviceAssignment:
    """Device Replacement (seed 001): the defective device goes back to Impilo and the
    replacement is assigned to the same patient; both periods stay in the patient's history,
    linked by `replaced_by`, so the patient's readings history is continuous. The replacement
    must be of the same kind (a cuff for a cuff: the patient keeps the same monitoring) and
    the reason is required (it is the returned device's status note)."""
    note = (note or "").strip()
    if device.pk == replacement.pk:
        raise DeviceRuleError(
            "same_device", "Pick a different device as the replacement.", status=422
        )
    if not note:
        raise DeviceRuleError(
            "note_required",
            "Say what is wrong with the old device: a replacement needs a reason.",
            status=422,
            field="note",
        )
    with transaction.atomic():
        device, replacement, old = _replace_checked(device, replacement)
        claim = operation_claim(
            keys=[device_key(device), device_key(replacement)],
            organization=device.organization,
            action="device.replace",
            by=by,
        )
    patient = old.patient
    with claim.released_on_error():
        client = ImpiloClient.for_organization(device.organization)
        body = vendor_call(
            lambda: client.replace_device(
                device.impilo_device_id,
                replacement_device_id=replacement.impilo_device_id,
                note=note,
            )
        )
        with transaction.atomic():
            new_assignment = _replace_record(device, replacement, old, body, note=note, by=by)
            audit_event_record(
                action="device.replace",
                request=request,
                actor=by,
                organization=device.organization,
                patient=patient,
                obj=device,
                detail={
                    "replacement_device_id": replacement.pk,
                    "assignment_id": new_assignment.pk,
                },
            )
            claim.release()
    return new_assignment


def _both_locked(device: Device, replacement: Device) -> tuple[Device, Device]:
    first, second = sorted([device, replacement], key=lambda d: d.pk)  # lock in one order
    locked = {d.pk: device_locked(d) for d in (first, second)}
    return locked[device.pk], locked[replacement.pk]


def _replace_checked(device: Device, replacement: Device):
    """The replacement rules against both locked rows: (device, replacement, open assignment)."""
    device, replacement = _both_locked(device, replacement)
    if replacement.organization_id != device.organization_id:
        raise DeviceRuleError("device_not_owned", "The replacement is not one of your devices.")
    problem = replacement_kind_problem(device, replacement)
    if problem:
        raise DeviceRuleError(problem.code, problem.message, field="replacement_device_id")
    old = open_assignment(device)
    if old is None or device.source != DeviceSource.IMPILO:
        raise DeviceRuleError(
            "device_not_assigned",
            "Only an Impilo device that is assigned to a patient can be replaced.",
        )
    problem = assignment_problem(replacement, old.patient)
    if problem:
        raise DeviceRuleError(
            problem.code, f"The replacement cannot be assigned: {problem.message}"
        )
    return device, replacement, old


def _replace_record(device, replacement, old, body: dict, *, note: str, by) -> DeviceAssignment:
    device, replacement = _both_locked(device, replacement)
    patient = old.patient
    returned, new = body.get("returnedDevice") or {}, body.get("replacementDevice") or {}
    now = timezone.now()
    status_record(device, status_from(returned, DeviceStatus.RETURNED), note=note, by=by)
    device.site = site_for(device.organization, returned.get("siteId"), device.site)
    device.assigned_patient = None
    device.last_synced_at = now
    device.save()
    status_record(
        replacement,
        status_from(new, DeviceStatus.ASSIGNED),
        note="Assigned as a replacement",
        by=by,
    )
    replacement.assigned_patient = patient
    replacement.last_synced_at = now
    replacement.save()
    old = DeviceAssignment.objects.select_for_update().get(pk=old.pk)
    if old.ended_at is None:
        old.ended_at = now
        old.ended_reason = AssignmentEndReason.REPLACED
        old.ended_by = by
        old.save()
    new_assignment = open_assignment(replacement)
    if new_assignment is None or new_assignment.patient_id != patient.pk:
        new_assignment = DeviceAssignment.objects.create(
            device=replacement, patient=patient, assigned_at=now, assigned_by=by
        )
    old.replaced_by = new_assignment
    old.save(update_fields=["replaced_by"])
    return new_assignment


def device_set_status(
    *, device: Device, status: str, note: str = "", by=None, request=None
) -> DeviceStatusChange | None:
    """DeviceUpdate: override the status with a note (seed 001, Updating Device Details). A
    decommissioned device can no longer submit readings. Answers the device's newest status
    change: None when Impilo kept a status the device has no history row for."""
    note = (note or "").strip()
    if status not in DeviceStatus.values:
        raise DeviceRuleError("invalid_status", f"“{status}” is not a device status.", status=422)
    with transaction.atomic():
        device = device_locked(device)
        _status_rules(device, status, note)
        claim = operation_claim(
            keys=[device_key(device)],
            organization=device.organization,
            action="device.status",
            by=by,
        )
    with claim.released_on_error():
        client = ImpiloClient.for_organization(device.organization)
        body = vendor_call(
            lambda: client.update_device(device.impilo_device_id, override_status=status, note=note)
        )
        with transaction.atomic():
            device = device_locked(device)
            device.last_synced_at = timezone.now()
            status_record(device, status_from(body, status), note=note, by=by)
            device.save()
            change = device.status_changes.first()
            audit_event_record(
                action="device.status",
                request=request,
                actor=by,
                organization=device.organization,
                obj=device,
                detail={"to": status},
            )
            claim.release()
    return change


def _status_rules(device: Device, status: str, note: str) -> None:
    refuse(status_change_problem(device))  # the device's side first, as the page asks it
    if status == DeviceStatus.ASSIGNED:
        raise DeviceRuleError(
            "use_assign",
            "Use “Assign to patient” to assign a device; its status follows.",
            status=422,
            field="status",
        )
    if status == device.current_status:
        raise DeviceRuleError(
            "status_unchanged",
            f"The device is already “{device.get_current_status_display()}”.",
            status=409,  # a conflict with the device's state, not invalid input
            field="status",
        )
    if status in NOTE_REQUIRED_STATUSES and not note:
        raise DeviceRuleError(
            "note_required",
            f"Say why the device is {DeviceStatus(status).label.lower()}: a note is required.",
            status=422,
            field="note",
        )
