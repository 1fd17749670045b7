"""Seed 001's and seed 004's rules, checked locally before any vendor is called, and the two
errors every device action raises: a rule refusal (`DeviceRuleError`) or a vendor's refusal or
silence (`DeviceVendorError`). Nothing here writes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from devices.models import Device, DeviceSource, DeviceStatus, ItemKind
from portal.http import VendorError

logger = logging.getLogger("devices.services")

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
    message: str  # in a nurse's words
    # Which of the vendor's rules this is, for whoever must look it up (a tooltip on pages).
    rule: str = ""


ASSOCIATION_RULE = "Impilo device management guide, assignment rule {}"


def assignment_problem(device: Device, patient) -> Problem | None:
    """The first of seed 001's association preconditions that `device` and `patient` fail
    (in the document's order), or None when Impilo should accept the association."""
    if patient.organization_id != device.organization_id or not patient.impilo_patient_id:
        return Problem(
            "patient_not_in_customer",
            "The patient must be registered with Impilo for your organization. This patient "
            "has no Impilo patient id yet, so Impilo would refuse the device.",
            ASSOCIATION_RULE.format(1),
        )
    return device_assignable_problem(device)


def device_assignable_problem(device: Device) -> Problem | None:
    """The first precondition about the device alone (seed 001's rules 2 to 4) that stops it
    being assigned to any patient, or None. Pages ask it before offering "Assign"."""
    if device.source != DeviceSource.IMPILO or not device.impilo_device_id:
        return Problem(
            "device_not_owned",
            "Only Impilo devices owned by your organization can be assigned here. This is a "
            "Validic Smart Meter device: connect it by IMEI on the patient page.",
            ASSOCIATION_RULE.format(2),
        )
    site = device.site
    if site is None or site.is_vendor_site:
        where = f"{site.name} (an Impilo warehouse)" if site is not None else "no site"
        return Problem(
            "device_at_vendor_site",
            f"The device must be at one of your clinics; it is at {where}. Move it to a clinic "
            "first.",
            ASSOCIATION_RULE.format(3),
        )
    if device.current_status == DeviceStatus.DECOMMISSIONED:
        return Problem(
            "device_decommissioned",
            "This device is decommissioned and can never be assigned again.",
            ASSOCIATION_RULE.format(4),
        )
    if device.current_status == DeviceStatus.ASSIGNED or device.assigned_patient_id:
        return Problem(
            "device_already_assigned",
            "This device is already assigned to a patient. Unassign it first, or pick another "
            "device.",
            ASSOCIATION_RULE.format(4),
        )
    if device.current_status != DeviceStatus.AVAILABLE_AT_SITE:
        return Problem(
            "device_not_available",
            f"Only devices that are “Available at site” can be assigned; this one is "
            f"“{device.get_current_status_display()}”.",
            ASSOCIATION_RULE.format(4),
        )
    return None


def status_change_problem(device: Device) -> Problem | None:
    """What stops staff changing the device's status at all (whatever the new status), or
    None. The service asks it before each change, pages before offering "Change status"."""
    if device.source != DeviceSource.IMPILO or not device.impilo_device_id:
        return Problem("device_not_owned", "Smart Meter devices have no Impilo status to change.")
    if device.assigned_patient_id:
        return Problem(
            "device_assigned",
            "This device is assigned to a patient. Unassign or replace it before changing "
            "its status.",
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


def refuse(problem: Problem | None) -> None:
    if problem is not None:
        raise DeviceRuleError(problem.code, problem.message)


def vendor_call(call):
    """Run `call` (one or more vendor requests); a VendorError becomes a DeviceVendorError with
    the staff message. Callers never hold a transaction here (see `claims`)."""
    try:
        return call()
    except VendorError as exc:
        logger.warning("device vendor call failed vendor=%s status=%s", exc.vendor, exc.status)
        raise DeviceVendorError(exc) from exc
