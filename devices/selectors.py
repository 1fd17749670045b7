"""Reads for device pages and endpoints, always scoped to one organization."""

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.shortcuts import get_object_or_404

from devices.models import (
    Device,
    DeviceAssignment,
    DeviceStatus,
    SmartMeterConnection,
)
from portal.models import Site

ASSIGNED = "assigned"
UNASSIGNED = "unassigned"


def devices_for(organization) -> QuerySet:
    return Device.objects.filter(organization=organization).select_related(
        "item", "site", "assigned_patient"
    )


def device_for_org(organization, pk) -> Device:
    """The organization's device `pk`, or 404 (another organization's device is not confirmed)."""
    return get_object_or_404(devices_for(organization), pk=pk)


def devices_inventory(
    organization,
    *,
    status: str = "",
    kind: str = "",
    site: str = "",
    assignment: str = "",
    query: str = "",
) -> QuerySet:
    """The inventory page's list: filter by status, kind, site (id), assigned/unassigned, and
    search serial number / IMEI (exact or contained, case-insensitive)."""
    qs = devices_for(organization)
    if status:
        qs = qs.filter(current_status=status)
    if kind:
        qs = qs.filter(item__kind=kind)
    if site:
        qs = qs.filter(site_id=site)
    if assignment == ASSIGNED:
        qs = qs.filter(assigned_patient__isnull=False)
    elif assignment == UNASSIGNED:
        qs = qs.filter(assigned_patient__isnull=True)
    query = query.strip()
    if query:
        qs = qs.filter(Q(identifier__icontains=query) | Q(impilo_device_id__iexact=query))
    # Impilo devices first (what nurses hand out), then Smart Meters by IMEI.
    return qs.order_by("source", "identifier", "pk")


def devices_assignable(organization, *, query: str = "") -> QuerySet:
    """Devices a nurse may pick in the assign dialog: every Impilo device at a clinic that
    is not decommissioned (the dialog shows why an unavailable one cannot be picked)."""
    qs = devices_for(organization).filter(source="impilo", impilo_device_id__isnull=False)
    qs = qs.exclude(current_status=DeviceStatus.DECOMMISSIONED)
    if query.strip():
        qs = qs.filter(identifier__icontains=query.strip())
    # Available ones first, then by identifier.
    available = ExpressionWrapper(
        Q(current_status=DeviceStatus.AVAILABLE_AT_SITE) & Q(assigned_patient__isnull=True),
        output_field=BooleanField(),
    )
    return qs.annotate(is_available=available).order_by("-is_available", "identifier")


def device_replacements(device: Device, *, limit: int = 100) -> QuerySet:
    """What the replace dialog offers: devices on the shelf of the same kind as `device` (the
    service refuses any other kind, so the dialog never offers one)."""
    return (
        devices_assignable(device.organization)
        .filter(
            current_status=DeviceStatus.AVAILABLE_AT_SITE,
            assigned_patient__isnull=True,
            item__kind=device.item.kind,
        )
        .exclude(pk=device.pk)[:limit]
    )


def device_history(device: Device) -> tuple[list, list]:
    """(status changes, assignments) of a device, newest first, with who did it."""
    changes = list(device.status_changes.select_related("changed_by"))
    assignments = list(
        device.assignments.select_related(
            "patient", "assigned_by", "ended_by", "replaced_by__device"
        )
    )
    return changes, assignments


def patient_devices(patient) -> dict:
    """What the patient page shows: current devices, past assignments, Smart Meters."""
    assignments = list(
        DeviceAssignment.objects.filter(patient=patient)
        .select_related("device__item", "device__site", "replaced_by__device")
        .order_by("-assigned_at", "-id")
    )
    connections = list(
        SmartMeterConnection.objects.filter(patient=patient).order_by("-created_at", "-id")
    )
    past = [a for a in assignments if a.ended_at is not None]
    past_connections = [c for c in connections if not c.is_active]
    return {
        "current": [a for a in assignments if a.ended_at is None],
        "past": past,
        "connections": [c for c in connections if c.is_active],
        "past_connections": past_connections,
        # Counted here: a template filter chain cannot add two lists' lengths.
        "earlier_count": len(past) + len(past_connections),
    }


def site_for_org(organization, pk) -> Site:
    """The organization's site `pk`, or 404."""
    return get_object_or_404(Site.objects.filter(organization=organization), pk=pk)


def clinic_sites(organization) -> QuerySet:
    """The clinics a device can be moved to: the organization's sites Impilo knows that are
    not Impilo warehouses (devices.services.site)."""
    return Site.objects.filter(
        organization=organization, is_vendor_site=False, impilo_site_id__isnull=False
    ).order_by("name")
