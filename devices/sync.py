"""Mirror Impilo's device inventory and Validic's Smart Meter connections into the database.

Idempotent: a device whose fields already match is counted `unchanged` and not written, so a
sync right after `load_demo_data` (or right after another sync) changes nothing. Status and
assignment changes found by the sync go into the same history tables as staff actions (with
`changed_by`/`assigned_by` empty and the note "Synced from Impilo"). Progress is saved on the
`SyncRun` every PROGRESS_EVERY rows, so the page can show it while the task runs."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

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
from devices.services.claims import device_key, imei_key, live_claim_keys, stale_claims_clear
from devices.services.mirror import (
    SYNC_NOTE,
    smart_meter_connected,
    smart_meter_disconnected,
    validic_uid,
    vendor_time,
)
from devices.services.rules import SMART_METER_TYPES
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.models import Patient, Site, SyncRun
from portal.sync import SyncCounter

logger = logging.getLogger(__name__)

SYNC_KIND = "devices.inventory"
PROGRESS_EVERY = 25


def devices_sync(*, run: SyncRun) -> SyncRun:
    """Run one inventory sync for `run.organization`; finishes `run` (failed on an outage)."""
    organization = run.organization
    counter = SyncCounter(run, every=PROGRESS_EVERY)
    # Claims left by a process that died mid-action: the vendor's state read below is what
    # it would have recorded (see devices.services.claims).
    stale_claims_clear(organization)
    try:
        impilo = ImpiloClient.for_organization(organization)
        _sync_impilo(organization, impilo, counter)
        try:
            validic = ValidicClient.for_organization(organization)
        except VendorError:
            validic = None  # not every organization uses Validic
        if validic is not None:
            _sync_validic(organization, validic, counter)
    except VendorError as exc:
        logger.warning("device sync failed org=%s status=%s", organization.pk, exc.status)
        run.finish(error=exc.staff_message)
        return run
    run.total = run.processed
    run.finish()
    audit_event_record(
        action="device.sync",
        organization=organization,
        actor=run.triggered_by,
        obj=run,
        detail={"created": run.created, "updated": run.updated, "unchanged": run.unchanged},
    )
    return run


# --- Impilo -----------------------------------------------------------------------------------
def _sync_impilo(organization, client: ImpiloClient, counter: SyncCounter) -> None:
    items = {i.impilo_item_id: i for i in Item.objects.filter(impilo_item_id__isnull=False)}
    sites = {
        s.impilo_site_id: s
        for s in Site.objects.filter(organization=organization, impilo_site_id__isnull=False)
    }
    patients = {
        p.impilo_patient_id: p
        for p in Patient.objects.filter(organization=organization, impilo_patient_id__isnull=False)
    }
    devices = {
        d.impilo_device_id: d
        for d in Device.objects.filter(organization=organization, impilo_device_id__isnull=False)
    }
    for remote, total in client.iter_devices():
        counter.run.total = total
        item = _item(items, remote["item"])
        site = _site(organization, client, sites, remote.get("siteId"))
        patient = patients.get(remote.get("patientId"))
        if remote.get("patientId") and patient is None:
            counter.run.errors = [
                *counter.run.errors,
                f"Impilo device {remote['id']} is assigned to Impilo patient "
                f"{remote['patientId']}, who is not in the portal; left unassigned here.",
            ][-50:]
        with transaction.atomic():
            outcome = _apply_device(organization, devices, remote, item, site, patient)
        counter.count(outcome)


def impilo_devices_prepare(organization, client: ImpiloClient, remotes: list[dict]) -> list:
    """For devices fetched from Impilo outside the sync (an `order.Status` webhook): their
    item, site and patient in the mirror, as the sync finds them. May call Impilo (a site the
    mirror does not know yet), so it runs with no transaction open."""
    items = {i.impilo_item_id: i for i in Item.objects.filter(impilo_item_id__isnull=False)}
    sites = {
        s.impilo_site_id: s
        for s in Site.objects.filter(organization=organization, impilo_site_id__isnull=False)
    }
    patients = {
        p.impilo_patient_id: p
        for p in Patient.objects.filter(
            organization=organization,
            impilo_patient_id__in=[r["patientId"] for r in remotes if r.get("patientId")],
        )
    }
    return [
        (
            remote,
            _item(items, remote["item"]),
            _site(organization, client, sites, remote.get("siteId")),
            patients.get(remote.get("patientId")),
        )
        for remote in remotes
    ]


def impilo_devices_apply(organization, prepared: list) -> list[str]:
    """Write prepared devices into the mirror exactly as the sync does (history rows, a live
    claim left to its action); the caller holds the transaction. Answers each outcome."""
    devices = {
        d.impilo_device_id: d
        for d in Device.objects.filter(
            organization=organization, impilo_device_id__in=[r["id"] for r, *_ in prepared]
        )
    }
    return [
        _apply_device(organization, devices, remote, item, site, patient)
        for remote, item, site, patient in prepared
    ]


def _item(items: dict, remote: dict) -> Item:
    kind = remote["type"] if remote.get("type") in ItemKind.values else ItemKind.NON_MEDICAL
    item = items.get(remote["id"])
    if item is None:
        item, _ = Item.objects.get_or_create(
            impilo_item_id=remote["id"], defaults={"name": remote["name"], "kind": kind}
        )
        items[remote["id"]] = item
    elif (item.name, item.kind) != (remote["name"], kind):
        item.name, item.kind = remote["name"], kind
        item.save()
    return item


def _site(organization, client, sites: dict, impilo_site_id):
    if impilo_site_id is None:
        return None
    site = sites.get(impilo_site_id)
    if site is None:
        remote = client.get_site(impilo_site_id)
        site = Site.objects.create(
            organization=organization,
            impilo_site_id=impilo_site_id,
            name=remote.get("name") or f"Impilo site {impilo_site_id}",
            is_vendor_site=remote.get("type") == "impilo",
            time_zone=remote.get("timeZone") or "",
        )
        sites[impilo_site_id] = site
    return site


def _apply_device(organization, devices, remote, item, site, patient) -> str:
    status = remote.get("currentStatus")
    if status not in DeviceStatus.values:
        status = DeviceStatus.AVAILABLE
    device = devices.get(remote["id"])
    if device is None:
        device = Device.objects.create(
            organization=organization,
            item=item,
            source=DeviceSource.IMPILO,
            impilo_device_id=remote["id"],
            identifier=remote["identifier"],
            site=site,
            current_status=status,
            assigned_patient=patient,
            last_synced_at=timezone.now(),
        )
        devices[remote["id"]] = device
        DeviceStatusChange.objects.create(device=device, to_status=status, note=SYNC_NOTE)
        if patient is not None:
            DeviceAssignment.objects.create(
                device=device, patient=patient, assigned_at=timezone.now()
            )
        return "created"
    same = (
        device.identifier == remote["identifier"]
        and device.item_id == item.pk
        and device.site_id == (site.pk if site else None)
        and device.current_status == status
        and device.assigned_patient_id == (patient.pk if patient else None)
    )
    if same:
        return "unchanged"
    device = Device.objects.select_for_update().get(pk=device.pk)
    if live_claim_keys([device_key(device)]):
        return "unchanged"  # a staff action is calling Impilo about it and records the answer
    if device.current_status != status:
        DeviceStatusChange.objects.create(
            device=device,
            from_status=device.current_status,
            to_status=status,
            note=remote.get("note") or SYNC_NOTE,
        )
    if device.assigned_patient_id != (patient.pk if patient else None):
        now = timezone.now()
        device.assignments.filter(ended_at__isnull=True).update(
            ended_at=now, ended_reason=AssignmentEndReason.UNASSIGNED
        )
        if patient is not None:
            DeviceAssignment.objects.create(device=device, patient=patient, assigned_at=now)
    device.identifier = remote["identifier"]
    device.item = item
    device.site = site
    device.current_status = status
    device.assigned_patient = patient
    device.last_synced_at = timezone.now()
    device.save()
    devices[remote["id"]] = device
    return "updated"


# --- Validic ----------------------------------------------------------------------------------
def _sync_validic(organization, client: ValidicClient, counter: SyncCounter) -> None:
    patients = Patient.objects.filter(
        organization=organization, validic_user_id__isnull=False
    ).order_by("pk")
    active_by_patient: dict[int, dict[str, SmartMeterConnection]] = {}
    for c in SmartMeterConnection.objects.filter(
        patient__organization=organization, deleted_at__isnull=True
    ).select_related("device"):
        active_by_patient.setdefault(c.patient_id, {})[c.imei] = c
    for patient in patients:
        try:
            listing = client.list_smart_meters(validic_uid(patient))
        except VendorError as exc:
            if exc.status != 404:
                raise
            counter.run.errors = [
                *counter.run.errors,
                f"Patient {patient.pk} is not provisioned at Validic.",
            ][-50:]
            continue
        # Keyed by IMEI, credentials.device_id, which every Smart Meter connection carries
        # (seed 004): the cast tells mypy so, where it sees .get()'s possible None.
        remote = cast(
            dict[str, Any],
            {
                (c.get("credentials") or {}).get("device_id"): c
                for c in listing.get("connections") or []
            },
        )
        local = active_by_patient.get(patient.pk, {})
        with transaction.atomic():
            # An IMEI a staff action is connecting or disconnecting: that action records it.
            claimed = live_claim_keys(imei_key(imei) for imei in {*remote, *local})
            for imei, connection in remote.items():
                if imei in local or imei_key(imei) in claimed:
                    counter.count("unchanged")
                    continue
                device_type = connection["credentials"].get("device_type")
                if device_type not in SMART_METER_TYPES:
                    continue
                assert isinstance(device_type, str)  # SMART_METER_TYPES's keys are strings
                elsewhere = SmartMeterConnection.objects.filter(
                    imei=imei, deleted_at__isnull=True
                ).first()
                if elsewhere is not None:  # moved to this patient at Validic
                    smart_meter_disconnected(
                        elsewhere,
                        deleted_at=None,
                        reason="Moved to another user at Validic",
                        by=None,
                    )
                smart_meter_connected(
                    patient,
                    imei,
                    device_type,
                    vendor_time(connection.get("created_at")),
                    by=None,
                    device_name=connection["credentials"].get("device_name") or "",
                )
                counter.count("created")
            for imei, connection in local.items():
                if imei not in remote and imei_key(imei) not in claimed:
                    smart_meter_disconnected(
                        connection,
                        deleted_at=None,
                        reason="Disconnected at Validic (found by sync)",
                        by=None,
                    )
                    counter.count("updated")
