"""Celery tasks: thin, idempotent wrappers over readings.services (arguments are ids)."""

from celery import shared_task

from portal.http import VendorError
from portal.models import Organization, Vendor, VendorAccount


@shared_task(acks_late=True, autoretry_for=(VendorError,), retry_backoff=30, max_retries=5)
def impilo_readings_pull(organization_id: int) -> int:
    from readings.services import impilo_readings_sync

    run = impilo_readings_sync(organization=Organization.objects.get(pk=organization_id))
    return run.pk


@shared_task(acks_late=True, autoretry_for=(VendorError,), retry_backoff=30, max_retries=5)
def validic_measurements_pull(organization_id: int) -> int:
    from readings.services import validic_measurements_sync

    run = validic_measurements_sync(organization=Organization.objects.get(pk=organization_id))
    return run.pk


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
    from readings.services import outbox_deliver as deliver

    return deliver(message_id=message_id)


@shared_task(acks_late=True)
def outbox_retry_due() -> int:
    """Beat: send every outbox message whose next attempt is due."""
    from readings.services import outbox_due_ids

    ids = outbox_due_ids()
    for pk in ids:
        outbox_deliver.delay(pk)
    return len(ids)
