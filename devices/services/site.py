"""Associate a device with a site: clinic stock (seed 001, Device Association Workflow: "issue a
device association request to link the device with the chosen patient or site").

Seed 001 lists four rules for a patient association and none for a site. The portal's rules
for a site, each refused before Impilo is called with a message staff can act on:
- the device is one of the organization's Impilo devices (the patient rule 2, "owned by the
  Customer making the request", holds for any association);
- the site is one of the organization's clinics known to Impilo: "clinic stock" is a
  non-Impilo site (rule 3's words); sending a device to an Impilo warehouse is a return, which
  is Device Replacement's job;
- the device is assigned to nobody: a device in a patient's home is not on a clinic's shelf
  (unassign it first — Impilo answers the same with 409);
- it is not decommissioned (it can never be used again, so it belongs on no shelf), and not at
  that site already.
Impilo's answer sets the status (a device arriving from the warehouse or in transit becomes
`availableAtSite`); the change is claim → call → record like every device action."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from devices.clients import ImpiloClient
from devices.models import Device, DeviceSource, DeviceStatus, DeviceStatusChange
from devices.services.claims import device_key, operation_claim
from devices.services.mirror import device_locked, status_from, status_record
from devices.services.rules import Problem, refuse, vendor_call
from portal.audit import audit_event_record
from portal.models import Site


def site_association_problem(device: Device, site: Site) -> Problem | None:
    """The first rule (see the module note) that stops `device` from going to `site`."""
    if device.source != DeviceSource.IMPILO or not device.impilo_device_id:
        return Problem(
            "device_not_owned",
            "Only Impilo devices owned by your organization can be moved to a clinic. This is "
            "a Validic Smart Meter device: it belongs to the patient it is connected to.",
        )
    if site.organization_id != device.organization_id or not site.impilo_site_id:
        return Problem(
            "site_not_known_to_impilo",
            f"{site.name} is not a clinic Impilo knows for your organization; pick another.",
        )
    if site.is_vendor_site:
        return Problem(
            "site_is_impilo_warehouse",
            f"{site.name} is an Impilo warehouse, not a clinic. To send a broken device back "
            "to Impilo, replace it; otherwise pick one of your clinics.",
        )
    if device.current_status == DeviceStatus.DECOMMISSIONED:
        return Problem(
            "device_decommissioned",
            "This device is decommissioned and can never be used again; it is not moved.",
        )
    if device.assigned_patient_id:
        return Problem(
            "device_assigned",
            "This device is assigned to a patient. Unassign it first; it then goes back on "
            "the shelf of its clinic, and can be moved from there.",
        )
    if device.site_id == site.pk:
        return Problem("device_already_at_site", f"The device is already at {site.name}.")
    return None


def device_associate_site(*, device: Device, site: Site, by=None, request=None) -> Device:
    """Associate Device with a site (seed 001): the device joins the clinic's stock."""
    with transaction.atomic():
        device = device_locked(device)
        refuse(site_association_problem(device, site))
        claim = operation_claim(
            keys=[device_key(device)],
            organization=device.organization,
            action="device.site",
            by=by,
        )
    with claim.released_on_error():
        client = ImpiloClient.for_organization(device.organization)
        impilo_device_id, impilo_site_id = device.impilo_device_id, site.impilo_site_id
        assert impilo_device_id is not None  # checked by site_association_problem
        assert impilo_site_id is not None
        body = vendor_call(
            lambda: client.associate_device(impilo_device_id, site_id=impilo_site_id)
        )
        with transaction.atomic():
            device = device_locked(device)
            before = device.site
            note = f"Moved from {before.name if before else 'no site'} to {site.name}"
            status = status_from(body, device.current_status)
            if status == device.current_status:  # the move is history even without a new status
                DeviceStatusChange.objects.create(
                    device=device, from_status=status, to_status=status, note=note, changed_by=by
                )
            status_record(device, status, note=note, by=by)
            device.site = site
            device.last_synced_at = timezone.now()
            device.save()
            audit_event_record(
                action="device.site",
                request=request,
                actor=by,
                organization=device.organization,
                obj=device,
                detail={"from_site_id": before.pk if before else None, "to_site_id": site.pk},
            )
            claim.release()
    return device
