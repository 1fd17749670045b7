"""The vendor pulls of readings, in the shape every app's sync module has (portal.sync): the
caller starts the run with `sync_run_start(organization=, kind=, by=)`, which resumes from the
last saved cursor; the pull fills in its counts and finishes it. Readings pulls start their own
run and never join a running one (`join_running` stays off): a page replayed by two runs
inserts nothing twice, and no staff page waits on these runs."""

from __future__ import annotations

from django.db import transaction

from devices.models import Device
from portal.http import VendorError
from portal.models import Patient, SyncRun, Vendor
from readings.bulk import (
    BulkResult,
    ValidicLookup,
    readings_bulk_ingest,
    validic_records_bulk_ingest,
)
from readings.clients import ImpiloReadingsClient, ValidicMeasurementsClient
from readings.models import OutboxMessage, OutboxStatus
from readings.services.ingest import IngestError
from readings.services.sources import impilo_reading_inputs

IMPILO_READINGS = "impilo.readings"
VALIDIC_MEASUREMENTS = "validic.measurements"


def _lookup_maps(organization):
    patients_by_impilo = {
        p.impilo_patient_id: p
        for p in Patient.objects.filter(organization=organization, impilo_patient_id__isnull=False)
    }
    devices_by_impilo = {
        d.impilo_device_id: d
        for d in Device.objects.filter(organization=organization, impilo_device_id__isnull=False)
    }
    # Readings the portal itself sent (manual entries through the outbox) come back in the
    # pull; the manual reading is already stored, so these are skipped, not stored twice.
    ours = set(
        OutboxMessage.objects.filter(
            organization=organization, vendor=Vendor.IMPILO, status=OutboxStatus.DELIVERED
        )
        .exclude(vendor_record_id="")
        .values_list("vendor_record_id", flat=True)
    )
    return patients_by_impilo, devices_by_impilo, ours


def impilo_readings_sync(*, run: SyncRun, page_size: int = 500) -> SyncRun:
    """Pull new readings from Impilo, page by page from the run's cursor (the last saved one).
    Each page is stored and its cursor saved in one transaction, so a crash resumes at the page
    it was on and a replayed page inserts nothing."""
    organization = run.organization
    maps = _lookup_maps(organization)

    def store(objs: list[dict]) -> tuple[BulkResult, list[str]]:
        items, skipped = [], []
        for obj in objs:
            if str(obj.get("id")) in maps[2]:
                continue
            try:
                items.extend(
                    impilo_reading_inputs(
                        organization=organization, obj=obj, patients=maps[0], devices=maps[1]
                    )
                )
            except (IngestError, KeyError, TypeError, ValueError) as exc:
                skipped.append(f"record {obj.get('id')}: {exc}")
        # A page only needs counts: the COPY path, not one model instance per row.
        result = (
            readings_bulk_ingest(organization=organization, items=items, action="reading.sync")
            if items
            else BulkResult()
        )
        return result, skipped

    return _pull(
        run,
        fetch=lambda cursor: ImpiloReadingsClient.for_organization(organization).list_readings(
            after=cursor or None, limit=page_size
        ),
        store=store,
    )


def validic_measurements_sync(*, run: SyncRun, page_size: int = 500) -> SyncRun:
    """Pull new Smart Meter measurements from Validic Inform (seed 004 record format), from the
    run's cursor. Stored exactly as the push stores them (readings.bulk): a replayed checksum
    changes nothing, a corrected record replaces its values (keeping the earlier ones), a
    deleted one is removed and stays deleted."""
    organization = run.organization
    lookup = ValidicLookup(organization)  # patients and devices, fetched once per run

    def store(objs: list[dict]) -> tuple[BulkResult, list[str]]:
        result = validic_records_bulk_ingest(
            organization=organization,
            records=objs,
            check_device=False,  # a pulled record names a Smart Meter the mirror may not know
            action="reading.sync",
            lookup=lookup,
        )
        return result, [f"record {record_id}: {exc}" for record_id, exc in result.errors]

    return _pull(
        run,
        fetch=lambda cursor: ValidicMeasurementsClient.for_organization(
            organization
        ).list_measurements(cursor=cursor or None, limit=page_size),
        store=store,
    )


def _pull(run: SyncRun, *, fetch, store) -> SyncRun:
    """Finishes `run`: succeeded, or failed with the vendor's message (and the error raised)."""
    try:
        while True:
            page = fetch(run.cursor)
            with transaction.atomic():
                result, skipped = store(page.items)
                if page.total is not None:  # what remained after our cursor, this page included
                    run.total = run.processed + page.total
                run.processed += len(page.items)
                run.created += result.created
                run.updated += result.replaced + result.deleted
                run.unchanged += result.duplicates
                run.errors = [*run.errors, *skipped][-50:]
                if page.next_cursor:
                    run.cursor = page.next_cursor
                run.save()
            if not page.has_more or not page.items:
                break
    except VendorError as exc:
        run.finish(error=exc.staff_message)
        raise
    run.finish()
    return run
