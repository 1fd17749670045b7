"""Writing a vendor's answer into the mirror: status history, Smart Meter connections and the
row locks the record steps take. Shared by the staff actions and `devices.sync`, so an answer
is recorded the same way whoever fetched it. Each writer is idempotent: recording what the
mirror already shows writes nothing (a sync and an action may both see the same answer)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from devices.models import (
    AssignmentEndReason,
    Device,
    DeviceAssignment,
    DeviceSource,
    DeviceStatus,
    DeviceStatusChange,
    Item,
    SmartMeterConnection,
)
from devices.services.rules import SMART_METER_TYPE_LABELS, SMART_METER_TYPES
from portal.models import Site

SYNC_NOTE = "Synced from Impilo"


def device_locked(device: Device) -> Device:
    """The device row, locked until the surrounding (short) transaction ends."""
    return (
        Device.objects.select_for_update(of=("self",))
        .select_related("site", "item", "organization")
        .get(pk=device.pk)
    )


def status_record(device: Device, new_status: str, *, note: str, by) -> None:
    """A history row and the new status, when the status changes (the caller saves)."""
    if new_status != device.current_status:
        DeviceStatusChange.objects.create(
            device=device,
            from_status=device.current_status,
            to_status=new_status,
            note=note,
            changed_by=by,
        )
        device.current_status = new_status


def status_from(body: dict, default: str) -> str:
    status = (body or {}).get("currentStatus")
    return status if status in DeviceStatus.values else default


def site_for(organization, impilo_site_id, fallback):
    if impilo_site_id is None:
        return fallback
    return (
        Site.objects.filter(organization=organization, impilo_site_id=impilo_site_id).first()
        or fallback
    )


def open_assignment(device: Device) -> DeviceAssignment | None:
    return device.assignments.filter(ended_at__isnull=True).select_related("patient").first()


def vendor_time(value):
    """A vendor's ISO timestamp, or None."""
    return parse_datetime(value) if isinstance(value, str) else None


def validic_uid(patient) -> str:
    # Our `uid` at Validic is the MRN (unique per organization, and what the demo uses).
    return patient.mrn


def smart_meter_item(device_type: str) -> Item:
    kind = SMART_METER_TYPES[device_type]
    item = Item.objects.filter(kind=kind, name__startswith="Smart Meter").order_by("pk").first()
    if item is None:
        item, _ = Item.objects.get_or_create(
            name=f"Smart Meter {SMART_METER_TYPE_LABELS[device_type].lower()}",
            kind=kind,
            impilo_item_id=None,
        )
    return item


def smart_meter_connected(
    patient, imei: str, device_type: str, created_at, *, by, device_name=""
) -> SmartMeterConnection:
    """Mirror a connection Validic reported. The open connection of this IMEI to this patient,
    if the mirror already has it, is the answer (nothing is written twice)."""
    existing = SmartMeterConnection.objects.filter(
        imei=imei, patient=patient, deleted_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    item = smart_meter_item(device_type)
    device, _ = Device.objects.get_or_create(
        organization=patient.organization,
        identifier=imei,
        defaults={"item": item, "source": DeviceSource.VALIDIC},
    )
    now = timezone.now()
    status_record(device, DeviceStatus.ASSIGNED, note="Smart Meter connected", by=by)
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


def smart_meter_disconnected(
    connection: SmartMeterConnection, *, deleted_at, reason: str, by
) -> None:
    """Mirror a disconnection Validic reported; an already closed connection stays as it is."""
    if not connection.is_active:
        return
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
    status_record(device, DeviceStatus.AVAILABLE_AT_SITE, note="Smart Meter disconnected", by=by)
    device.assigned_patient = None
    device.save()
