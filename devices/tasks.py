"""Celery tasks for devices: thin wrappers over `devices.sync`."""

from celery import shared_task

from devices.models import ImpiloWebhookDelivery
from devices.services import webhooks
from devices.sync import SYNC_KIND, devices_sync
from portal.models import Organization, SyncRun
from portal.sync import sync_run_start


@shared_task(acks_late=True)
def devices_sync_run(run_id: int) -> int:
    """Run the inventory sync for an existing SyncRun (started by the admin's button)."""
    run = SyncRun.objects.select_related("organization").filter(pk=run_id).first()
    if run is None or run.status != SyncRun.Status.RUNNING:
        return 0  # a redelivery of a finished run: nothing to do twice
    devices_sync(run=run)
    return run.processed


@shared_task(acks_late=True)
def devices_sync_all() -> int:
    """Periodic reconciliation (Celery beat): one run per organization with Impilo."""
    count = 0
    for organization in Organization.objects.filter(
        vendor_accounts__vendor="impilo", vendor_accounts__is_enabled=True
    ).distinct():
        run = sync_run_start(organization=organization, kind=SYNC_KIND, join_running=True)
        devices_sync_run.delay(run.pk)
        count += 1
    return count


@shared_task(acks_late=True)
def impilo_webhook_process(delivery_id: int) -> str:
    """Process one `order.Status` inbox row (devices.services.webhooks)."""
    delivery = (
        ImpiloWebhookDelivery.objects.select_related("webhook__organization")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "missing"
    return webhooks.impilo_webhook_process(delivery=delivery)


@shared_task(acks_late=True)
def impilo_webhook_deliveries_retry_due() -> int:
    """Send the deliveries that are due to a worker again (see impilo_deliveries_due)."""
    due = webhooks.impilo_deliveries_due()
    for pk in due:
        impilo_webhook_process.delay(pk)
    return len(due)
