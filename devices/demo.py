"""The demo inventory in the database: exactly what the Impilo and Validic sandboxes serve
(portal.demo.ITEMS, demo_devices(), seed 001's example device), so a sync right after
`load_demo_data` changes nothing. Idempotent (update_or_create throughout)."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from devices.models import (
    Device,
    DeviceAssignment,
    DeviceSource,
    DeviceStatusChange,
    Item,
    SmartMeterConnection,
)
from portal import demo
from portal.models import Site
from portal.sandbox.impilo_devices import DOCUMENT_EXAMPLE_DEVICE, WAREHOUSE_SITE_ID
from portal.sandbox.validic_connections import ITEM_DEVICE_TYPE, SEEDED_AT


def load(*, organization, patients, users, rng, stdout):
    items = {
        item_id: Item.objects.update_or_create(
            impilo_item_id=item_id, defaults={"name": name, "kind": kind}
        )[0]
        for item_id, name, kind in demo.ITEMS
    }
    sites = {s.impilo_site_id: s for s in Site.objects.filter(organization=organization)}
    by_index = dict(enumerate(patients))
    assigned_at = parse_datetime(SEEDED_AT)
    rows = list(demo.demo_devices(len(patients)))
    rows.append(
        demo.DemoDevice(
            DOCUMENT_EXAMPLE_DEVICE["id"],
            DOCUMENT_EXAMPLE_DEVICE["item_id"],
            DOCUMENT_EXAMPLE_DEVICE["identifier"],
            WAREHOUSE_SITE_ID,
            "available",
            None,
            "impilo",
        )
    )
    for d in rows:
        patient = by_index.get(d.patient_index) if d.patient_index is not None else None
        device, created = Device.objects.update_or_create(
            organization=organization,
            identifier=d.identifier,
            defaults={
                "item": items[d.item_id],
                "source": d.source,
                "impilo_device_id": d.impilo_device_id,
                "site": sites.get(d.site_id) if d.source == DeviceSource.IMPILO else None,
                "current_status": d.status,
                "assigned_patient": patient,
                "last_synced_at": timezone.now(),
            },
        )
        if created:
            DeviceStatusChange.objects.create(
                device=device, to_status=d.status, note="Demo inventory"
            )
        if patient is not None and not device.assignments.filter(ended_at__isnull=True).exists():
            DeviceAssignment.objects.create(device=device, patient=patient, assigned_at=assigned_at)
        if d.source == DeviceSource.VALIDIC and patient is not None:
            SmartMeterConnection.objects.get_or_create(
                imei=d.identifier,
                deleted_at=None,
                defaults={
                    "patient": patient,
                    "device_type": ITEM_DEVICE_TYPE[d.item_id],
                    "device": device,
                    "created_at": assigned_at,
                },
            )
    stdout.write(f"Devices: {len(rows)} in the inventory, Smart Meter connections mirrored.")
