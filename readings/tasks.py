"""Celery tasks: thin, idempotent wrappers over readings.services and readings.sync (arguments
are ids)."""

from celery import shared_task

from portal.http import VendorError
from portal.models import Organization, Vendor, VendorAccount
from portal.sync import sync_run_start
from readings import sync
from readings.services import outbox


@shared_task(acks_late=True, autoretry_for=(VendorError,), retry_backoff=30, max_retries=5)
def impilo_readings_pull(organization_id: int) -> int:
    organization = Organization.objects.get(pk=organization_id)
    run = sync_run_start(organization=organization, kind=sync.IMPILO_READINGS)
    return sync.impilo_readings_sync(run=run).pk


@shared_task(acks_late=True, autoretry_for=(VendorError,), retry_backoff=30, max_retries=5)
def validic_measurements_pull(organization_id: int) -> int:
    organization = Organization.objects.get(pk=organization_id)
    run = sync_run_start(organization=organization, kind=sync.VALIDIC_MEASUREMENTS)
    return sync.validic_measurements_sync(run=run).pk


@shared_task(acks_late=True)
def readings_pull_all() -> int:
    """Beat: pull every organization that has the vendor configured."""
    count = 0
    for vendor, task in (
        (Vendor.IMPILO, impilo_readings_pull),
        (Vendor.VALIDIC, validic_measurements_pull),
    ):
        for org_id in VendorAccount.objects.filter(vendor=vendor, is_enabled=True).values_list(
            "organization_id", flat=True
        ):
            task.delay(org_id)
            count += 1
    return count


@shared_task(acks_late=True)
def outbox_deliver(message_id: int) -> str:
    return outbox.outbox_deliver(message_id=message_id)


@shared_task(acks_late=True)
def outbox_retry_due() -> int:
    """Beat: send every outbox message whose next attempt is due."""
    ids = outbox.outbox_due_ids()
    for pk in ids:
        outbox_deliver.delay(pk)
    return len(ids)
