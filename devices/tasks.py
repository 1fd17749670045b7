"""Celery tasks for devices: thin wrappers over `devices.sync`."""

from celery import shared_task

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
