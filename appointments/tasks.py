"""Celery tasks: thin, idempotent wrappers over services; arguments are ids."""

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from appointments.models import CLOSED_STATUSES, Appointment, ReportJob, WebhookDelivery
from appointments.services.reports import report_job_refresh
from appointments.services.webhooks import webhook_delivery_process
from appointments.sync import appointment_sync_one, waiting_rooms_sync
from portal.http import VendorError
from portal.models import Organization, Vendor

STALE_RECEIVED = timedelta(minutes=2)


@shared_task(acks_late=True)
def solo_webhook_process(delivery_id: int) -> str:
    """Process one inbox row. No lock is held while Solo answers: two workers given the same
    delivery both fetch, and only the first records it (services.webhooks)."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription__organization")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "missing"
    return webhook_delivery_process(delivery=delivery)


@shared_task(acks_late=True)
def solo_webhook_deliveries_retry_due() -> int:
    """Re-enqueue deliveries whose retry time has come, and any received but never processed
    (a worker that died before picking them up)."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        Q(status=WebhookDelivery.Status.RETRYING, next_attempt_at__lte=now)
        | Q(status=WebhookDelivery.Status.RECEIVED, received_at__lte=now - STALE_RECEIVED)
    ).values_list("pk", flat=True)
    count = 0
    for pk in due:
        solo_webhook_process.delay(pk)
        count += 1
    return count


@shared_task(acks_late=True)
def report_jobs_refresh() -> int:
    """Poll Solo for pending encounter reports and download the finished ones."""
    done = 0
    for job in ReportJob.objects.filter(status=ReportJob.Status.PENDING).select_related(
        "organization"
    ):
        try:
            report_job_refresh(job=job)
        except VendorError:
            continue  # next round
        done += 1
    return done


@shared_task(acks_late=True)
def waiting_rooms_sync_all() -> int:
    count = 0
    for org in Organization.objects.filter(vendor_accounts__vendor=Vendor.SOLO).distinct():
        try:
            waiting_rooms_sync(organization=org)
            count += 1
        except VendorError:
            continue
    return count


@shared_task(acks_late=True)
def appointments_reconcile(days_ahead: int = 14) -> int:
    """Safety net for missed webhooks: re-read every open visit of the coming days from Solo.
    Each visit is independent; a Solo outage skips it until the next run."""
    now = timezone.now()
    visits = (
        Appointment.objects.filter(
            starts_at__gte=now - timedelta(hours=12), starts_at__lt=now + timedelta(days=days_ahead)
        )
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("organization")
    )
    synced = 0
    for visit in visits:
        try:
            appointment_sync_one(organization=visit.organization, solo_appointment_id=visit.solo_id)
        except VendorError:
            continue
        synced += 1
    return synced
