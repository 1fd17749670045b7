"""Every write on devices: one function per business action. Each checks seed 001's rules
locally first (with a message a nurse can act on), then calls the vendor, then updates the
mirror and its history in one transaction with an audit event. A vendor refusal or outage
raises before the mirror is touched, so the transaction leaves it unchanged.

The device row is locked (`select_for_update`) before the rules are checked and stays locked
while the vendor is called: two nurses assigning one device at once are serialised, and the
second one sees the first one's assignment and gets a rule refusal (the partial unique
constraint `assignment_one_open` is the database's own backstop)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from devices.clients import ImpiloClient, ValidicClient
from devices.models import (
    AssignmentEndReason,
    Device,
    DeviceAssignment,
    DeviceSource,
    DeviceStatus,
    DeviceStatusChange,
    Item,
    ItemKind,
    SmartMeterConnection,
)
from devices.validators import clean_imei
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.models import Site

logger = logging.getLogger(__name__)

# Validic device_type (seed 004) ↔ our item kinds.
SMART_METER_TYPES = {
    "blood_pressure": ItemKind.BLOOD_PRESSURE,
    "weight_scale": ItemKind.WEIGHT_SCALE,
    "blood_glucose": ItemKind.GLUCOMETER,
    "pulse_oximeter": ItemKind.PULSE_OXIMETER,
    "thermometer": ItemKind.THERMOMETER,
}
SMART_METER_TYPE_LABELS = {
    "blood_pressure": "Blood pressure monitor",
    "weight_scale": "Weight scale",
    "blood_glucose": "Glucometer",
    "pulse_oximeter": "Pulse oximeter",
    "thermometer": "Thermometer",
}
NOTE_REQUIRED_STATUSES = {DeviceStatus.DECOMMISSIONED, DeviceStatus.DEFECTIVE}
SYNC_NOTE = "Synced from Impilo"


class DeviceRuleError(Exception):
    """A rule refused the action before any vendor was called. `code` is the API's machine
    code, `message` says which rule failed in a nurse's words, `status` the HTTP status."""

    def __init__(self, code: str, message: str, *, status: int = 409, field: str | None = None):
        self.code, self.message, self.status, self.field = code, message, status, field
        super().__init__(message)


class DeviceVendorError(Exception):
    """The vendor refused or did not answer; nothing was changed here."""

    def __init__(self, error: VendorError):
        self.error = error
        self.is_outage = error.is_outage
        self.message = error.staff_message
        super().__init__(self.message)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


# --- the rules ------------------------------------------------------------------------------
def assignment_problem(device: Device, patient) -> Problem | None:
    """The first of seed 001's association preconditions that `device` and `patient` fail
    (in the document's order), or None when Impilo should accept the association."""
    if patient.organization_id != device.organization_id or not patient.impilo_patient_id:
        return Problem(
            "patient_not_in_customer",
            "Rule 1: the patient must be registered with Impilo for your organization. "
            "This patient has no Impilo patient id yet, so Impilo would refuse the device.",
        )
    if device.source != DeviceSource.IMPILO or not device.impilo_device_id:
        return Problem(
            "device_not_owned",
            "Rule 2: only Impilo devices owned by your organization can be assigned here. "
            "This is a Validic Smart Meter device: connect it by IMEI on the patient page.",
        )
    if device.site_id is None or device.site.is_vendor_site:
        where = device.site.name if device.site_id else "no site"
        return Problem(
            "device_at_vendor_site",
            f"Rule 3: the device must sit at one of your clinics; it is at {where} "
            "(an Impilo site). Ask Impilo to ship it to a clinic first.",
        )
    if device.current_status == DeviceStatus.DECOMMISSIONED:
        return Problem(
            "device_decommissioned",
            "Rule 4: this device is decommissioned and can never be assigned again.",
        )
    if device.current_status == DeviceStatus.ASSIGNED or device.assigned_patient_id:
        return Problem(
            "device_already_assigned",
            "Rule 4: this device is already assigned to a patient. Unassign it first, or "
            "pick another device.",
        )
    if device.current_status != DeviceStatus.AVAILABLE_AT_SITE:
        return Problem(
            "device_not_available",
            f"Rule 4: only devices that are “Available at site” can be assigned; this one "
            f"is “{device.get_current_status_display()}”.",
        )
    return None


def replacement_kind_problem(device: Device, replacement: Device) -> Problem | None:
    """A device is replaced only by one of the same kind (the catalogue item's kind): a blood
    pressure cuff swapped for a scale would silently end the patient's BP monitoring."""
    if replacement.item.kind != device.item.kind:
        return Problem(
            "replacement_kind_mismatch",
            f"A {device.item.get_kind_display().lower()} can only be replaced by another "
            f"{device.item.get_kind_display().lower()}; "
            f"{replacement.identifier} is a {replacement.item.get_kind_display().lower()}.",
        )
    return None


def _refuse(problem: Problem | None) -> None:
    if problem is not None:
        raise DeviceRuleError(problem.code, problem.message)


def _locked(device: Device) -> Device:
    return (
        Device.objects.select_for_update(of=("self",))
        .select_related("site", "item", "organization")
        .get(pk=device.pk)
    )


def _vendor(call):
    try:
        return call()
    except VendorError as exc:
        logger.warning("device vendor call failed vendor=%s status=%s", exc.vendor, exc.status)
        raise DeviceVendorError(exc) from exc


def _record_status(device: Device, new_status: str, *, note: str, by) -> None:
    if new_status != device.current_status:
        DeviceStatusChange.objects.create(
            device=device,
            from_status=device.current_status,
            to_status=new_status,
            note=note,
            changed_by=by,
        )
        device.current_status = new_status


def _status_from(body: dict, default: str) -> str:
    status = (body or {}).get("currentStatus")
    return status if status in DeviceStatus.values else default


def _site_for(organization, impilo_site_id, fallback):
    if impilo_site_id is None:
        return fallback
    return (
        Site.objects.filter(organization=organization, impilo_site_id=impilo_site_id).first()
        or fallback
    )


def _open_assignment(device: Device) -> DeviceAssignment | None:
    return device.assignments.filter(ended_at__isnull=True).select_related("patient").first()


# --- Impilo devices -------------------------------------------------------------------------
@transaction.atomic
def device_assign(*, device: Device, patient, by=None, request=None) -> DeviceAssignment:
    """Associate Device with a patient (seed 001, Manual Device Assignment)."""
    device = _locked(device)
    _refuse(assignment_problem(device, patient))
    client = ImpiloClient.for_organization(device.organization)
    body = _vendor(lambda: _associate(client, device, patient))
    now = timezone.now()
    _record_status(device, _status_from(body, DeviceStatus.ASSIGNED), note="Assigned", by=by)
    device.assigned_patient = patient
    device.last_synced_at = now
    device.save()
    try:
        with transaction.atomic():
            assignment = DeviceAssignment.objects.create(
                device=device, patient=patient, assigned_at=now, assigned_by=by
            )
    except IntegrityError as exc:  # the constraint caught a race the lock did not
        raise DeviceRuleError(
            "device_already_assigned", "Rule 4: this device is already assigned to a patient."
        ) from exc
    audit_event_record(
        action="device.assign",
        request=request,
        actor=by,
        organization=device.organization,
        patient=patient,
        obj=device,
        detail={"assignment_id": assignment.pk},
    )
    return assignment


def _associate(client: ImpiloClient, device: Device, patient) -> dict:
    """Associate Device; when Impilo refuses because the device already is this patient's
    (an earlier attempt whose answer was lost), that earlier association is the answer."""
    try:
        return client.associate_device(
            device.impilo_device_id, patient_id=patient.impilo_patient_id
        )
    except VendorError as exc:
        if exc.status != 409:
            raise
        current = client.get_device(device.impilo_device_id)
        if current.get("patientId") != patient.impilo_patient_id:
            raise
        return current


@transaction.atomic
def device_unassign(*, device: Device, by=None, request=None) -> DeviceAssignment:
    """Disassociate a device from its patient (seed 001: always possible)."""
    device = _locked(device)
    assignment = _open_assignment(device)
    if assignment is None:
        raise DeviceRuleError("device_not_assigned", "This device is not assigned to anyone.")
    if device.source == DeviceSource.VALIDIC:
        raise DeviceRuleError(
            "device_not_owned",
            "This is a Validic Smart Meter device: disconnect its IMEI on the patient page.",
        )
    client = ImpiloClient.for_organization(device.organization)
    body = _vendor(lambda: client.disassociate_device(device.impilo_device_id))
    now = timezone.now()
    _record_status(
        device, _status_from(body, DeviceStatus.AVAILABLE_AT_SITE), note="Unassigned", by=by
    )
    device.assigned_patient = None
    device.last_synced_at = now
    device.save()
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
    return assignment


@transaction.atomic
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
    first, second = sorted([device, replacement], key=lambda d: d.pk)  # lock in one order
    locked = {d.pk: _locked(d) for d in (first, second)}
    device, replacement = locked[device.pk], locked[replacement.pk]
    if replacement.organization_id != device.organization_id:
        raise DeviceRuleError("device_not_owned", "The replacement is not one of your devices.")
    problem = replacement_kind_problem(device, replacement)
    if problem:
        raise DeviceRuleError(problem.code, problem.message, field="replacement_device_id")
    old = _open_assignment(device)
    if old is None or device.source != DeviceSource.IMPILO:
        raise DeviceRuleError(
            "device_not_assigned",
            "Only an Impilo device that is assigned to a patient can be replaced.",
        )
    patient = old.patient
    problem = assignment_problem(replacement, patient)
    if problem:
        raise DeviceRuleError(
            problem.code, f"The replacement cannot be assigned: {problem.message}"
        )
    client = ImpiloClient.for_organization(device.organization)
    body = _vendor(
        lambda: client.replace_device(
            device.impilo_device_id,
            replacement_device_id=replacement.impilo_device_id,
            note=note,
        )
    )
    returned, new = body.get("returnedDevice") or {}, body.get("replacementDevice") or {}
    now = timezone.now()
    _record_status(
        device,
        _status_from(returned, DeviceStatus.RETURNED),
        note=note,
        by=by,
    )
    device.site = _site_for(device.organization, returned.get("siteId"), device.site)
    device.assigned_patient = None
    device.last_synced_at = now
    device.save()
    _record_status(
        replacement,
        _status_from(new, DeviceStatus.ASSIGNED),
        note="Assigned as a replacement",
        by=by,
    )
    replacement.assigned_patient = patient
    replacement.last_synced_at = now
    replacement.save()
    old.ended_at = now
    old.ended_reason = AssignmentEndReason.REPLACED
    old.ended_by = by
    old.save()
    new_assignment = DeviceAssignment.objects.create(
        device=replacement, patient=patient, assigned_at=now, assigned_by=by
    )
    old.replaced_by = new_assignment
    old.save(update_fields=["replaced_by"])
    audit_event_record(
        action="device.replace",
        request=request,
        actor=by,
        organization=device.organization,
        patient=patient,
        obj=device,
        detail={"replacement_device_id": replacement.pk, "assignment_id": new_assignment.pk},
    )
    return new_assignment


@transaction.atomic
def device_set_status(
    *, device: Device, status: str, note: str = "", by=None, request=None
) -> DeviceStatusChange:
    """DeviceUpdate: override the status with a note (seed 001, Updating Device Details). A
    decommissioned device can no longer submit readings."""
    note = (note or "").strip()
    if status not in DeviceStatus.values:
        raise DeviceRuleError("invalid_status", f"“{status}” is not a device status.", status=422)
    device = _locked(device)
    if device.source != DeviceSource.IMPILO or not device.impilo_device_id:
        raise DeviceRuleError(
            "device_not_owned", "Smart Meter devices have no Impilo status to change."
        )
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
    if device.assigned_patient_id:
        raise DeviceRuleError(
            "device_assigned",
            "This device is assigned to a patient. Unassign or replace it before changing "
            "its status.",
        )
    client = ImpiloClient.for_organization(device.organization)
    body = _vendor(
        lambda: client.update_device(device.impilo_device_id, override_status=status, note=note)
    )
    device.last_synced_at = timezone.now()
    _record_status(device, _status_from(body, status), note=note, by=by)
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
    return change


# --- Validic Smart Meter --------------------------------------------------------------------
def _smart_meter_item(device_type: str) -> Item:
    kind = SMART_METER_TYPES[device_type]
    item = Item.objects.filter(kind=kind, name__startswith="Smart Meter").order_by("pk").first()
    if item is None:
        item, _ = Item.objects.get_or_create(
            name=f"Smart Meter {SMART_METER_TYPE_LABELS[device_type].lower()}",
            kind=kind,
            impilo_item_id=None,
        )
    return item


def _validic_uid(patient) -> str:
    # Our `uid` at Validic is the MRN (unique per organization, and what the demo uses).
    return patient.mrn


def _ensure_validic_user(client: ValidicClient, patient) -> None:
    """Provision the patient in Validic Inform once (seed 004, Provision User)."""
    if patient.validic_user_id:
        return
    uid = _validic_uid(patient)
    try:
        user = client.provision_user(uid)
    except VendorError as exc:
        if exc.status != 409:  # 409: provisioned earlier by a call that failed after it
            raise
        user = client.get_user(uid)
    patient.validic_user_id = user["id"]
    patient.save(update_fields=["validic_user_id", "updated_at"])


def _connected(
    patient, imei: str, device_type: str, created_at, *, by, device_name=""
) -> SmartMeterConnection:
    item = _smart_meter_item(device_type)
    device, _ = Device.objects.get_or_create(
        organization=patient.organization,
        identifier=imei,
        defaults={"item": item, "source": DeviceSource.VALIDIC},
    )
    now = timezone.now()
    _record_status(device, DeviceStatus.ASSIGNED, note="Smart Meter connected", by=by)
    device.assigned_patient = patient
    device.last_synced_at = now
    device.save()
    if not device.assignments.filter(ended_at__isnull=True, patient=patient).exists():
        DeviceAssignment.objects.create(
            device=device, patient=patient, assigned_at=now, assigned_by=by
        )
    return SmartMeterConnection.objects.create(
        patient=patient,
        imei=imei,
        device_type=device_type,
        device_name=device_name or "",
        device=device,
        created_at=created_at or now,
    )


def _disconnected(connection: SmartMeterConnection, *, deleted_at, reason: str, by) -> None:
    connection.deleted_at = deleted_at or timezone.now()
    connection.deleted_reason = reason[:200]
    connection.save()
    device = connection.device
    if device is None:
        return
    for assignment in device.assignments.filter(ended_at__isnull=True):
        assignment.ended_at = connection.deleted_at
        assignment.ended_reason = AssignmentEndReason.UNASSIGNED
        assignment.ended_by = by
        assignment.save()
    _record_status(device, DeviceStatus.AVAILABLE_AT_SITE, note="Smart Meter disconnected", by=by)
    device.assigned_patient = None
    device.save()


def _when(value):
    return parse_datetime(value) if isinstance(value, str) else None


@transaction.atomic
def smart_meter_connect(
    *, patient, imei: str, device_type: str, by=None, request=None
) -> SmartMeterConnection:
    """Connect a Smart Meter by IMEI (seed 004, Establish User Device Connection)."""
    from django.core.exceptions import ValidationError

    try:
        imei = clean_imei(imei)
    except ValidationError as exc:
        raise DeviceRuleError("invalid_imei", exc.messages[0], status=422, field="imei") from exc
    if device_type not in SMART_METER_TYPES:
        raise DeviceRuleError(
            "invalid_device_type",
            f"Choose the kind of device: {', '.join(SMART_METER_TYPES)}.",
            status=422,
            field="device_type",
        )
    existing = (
        SmartMeterConnection.objects.select_for_update()
        .filter(imei=imei, deleted_at__isnull=True)
        .first()
    )
    if existing is not None:
        whose = "this patient" if existing.patient_id == patient.pk else "another patient"
        raise DeviceRuleError(
            "imei_in_use", f"IMEI {imei} is already connected to {whose}.", field="imei"
        )
    taken = Device.objects.filter(identifier=imei).exclude(organization=patient.organization)
    if taken.exists():
        raise DeviceRuleError("imei_in_use", f"IMEI {imei} belongs to another organization.")
    client = ValidicClient.for_organization(patient.organization)
    uid = _validic_uid(patient)
    body = _vendor(
        lambda: (
            _ensure_validic_user(client, patient),
            client.connect_smart_meter(uid, imei=imei, device_type=device_type),
        )[1]
    )
    credentials = body.get("credentials") or {}
    connection = _connected(
        patient,
        credentials.get("device_id") or imei,
        credentials.get("device_type") or device_type,
        _when(body.get("created_at")),
        by=by,
        device_name=credentials.get("device_name") or "",
    )
    audit_event_record(
        action="smart_meter.connect",
        request=request,
        actor=by,
        organization=patient.organization,
        patient=patient,
        obj=connection,
    )
    return connection


@transaction.atomic
def smart_meter_disconnect(
    *, connection: SmartMeterConnection, by=None, request=None
) -> SmartMeterConnection:
    """Disconnect a single device IMEI (seed 004)."""
    connection = (
        SmartMeterConnection.objects.select_for_update(of=("self",))
        .select_related("patient__organization", "device")
        .get(pk=connection.pk)
    )
    if not connection.is_active:
        raise DeviceRuleError("not_connected", "This Smart Meter is already disconnected.")
    patient = connection.patient
    client = ValidicClient.for_organization(patient.organization)
    try:
        body = client.disconnect_smart_meter(_validic_uid(patient), imei=connection.imei)
    except VendorError as exc:
        if exc.status != 404:
            raise DeviceVendorError(exc) from exc
        # Validic no longer has it: the mirror was stale; record what Validic says.
        body = {"deleted_reason": "Not connected at Validic (found while disconnecting)"}
    _disconnected(
        connection,
        deleted_at=_when(body.get("deleted_at")),
        reason=body.get("deleted_reason") or "",
        by=by,
    )
    audit_event_record(
        action="smart_meter.disconnect",
        request=request,
        actor=by,
        organization=patient.organization,
        patient=patient,
        obj=connection,
    )
    return connection


@transaction.atomic
def smart_meter_disconnect_all(*, patient, by=None, request=None) -> list[SmartMeterConnection]:
    """Disconnect all device IMEIs from the patient (seed 004)."""
    active = list(
        SmartMeterConnection.objects.select_for_update(of=("self",))
        .filter(patient=patient, deleted_at__isnull=True)
        .select_related("device")
    )
    if not active:
        raise DeviceRuleError("not_connected", "This patient has no Smart Meter connected.")
    client = ValidicClient.for_organization(patient.organization)
    body = _vendor(lambda: client.disconnect_all_smart_meters(_validic_uid(patient)))
    answered = {
        (c.get("credentials") or {}).get("device_id"): c for c in body.get("connections") or []
    }
    for connection in active:
        vendor_side = answered.get(connection.imei) or {}
        _disconnected(
            connection,
            deleted_at=_when(vendor_side.get("deleted_at")),
            reason=vendor_side.get("deleted_reason") or "Not connected at Validic",
            by=by,
        )
    audit_event_record(
        action="smart_meter.disconnect_all",
        request=request,
        actor=by,
        organization=patient.organization,
        patient=patient,
        detail={"count": len(active)},
    )
    return active
