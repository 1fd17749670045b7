"""Celery tasks: thin, idempotent wrappers over services; arguments are ids."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from appointments.models import CLOSED_STATUSES, Appointment, ReportJob, WebhookDelivery
from appointments.services.reports import report_job_refresh
from appointments.services.webhook_inbox import webhook_deliveries_take
from appointments.services.webhooks import webhook_delivery_process
from appointments.sync import appointment_sync_one, waiting_rooms_sync
from portal.celery import task_send
from portal.http import VendorError
from portal.models import Organization, Vendor


@shared_task(acks_late=True)
def solo_webhook_process(delivery_id: int) -> str:
    """Process one inbox row by id: the eager demo's receiver runs it in process, and messages
    sent by an older release may still be queued. No lock is held while Solo answers: a worker
    running it beside a take of the same row both fetch, and only the first records it
    (services.webhooks)."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription__organization")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "missing"
    return webhook_delivery_process(delivery=delivery)


@shared_task(acks_late=True)
def solo_webhook_deliveries_take() -> int:
    """Take due deliveries from the inbox (services.webhook_inbox) and process them; returns
    how many were taken. Beat runs it every 2 s ("solo-webhook-inbox" in portal/settings.py),
    and the receiver hints it (appointments.webhooks.inbox_hint): a delivery is usually taken
    at once.

    A run that finds work first leaves one hint in the queue: a sibling worker process joins
    while deliveries keep coming, and if this process dies mid-delivery a replacement finds the
    queue non-empty rather than waiting for beat. A run that spends its budget hands over the
    same way. No hint in eager mode: it would run here, recursively."""
    taken, more = webhook_deliveries_take(on_first=_hint)
    if more:
        _hint()
    return taken


def _hint() -> None:
    if not solo_webhook_deliveries_take.app.conf.task_always_eager:
        task_send(solo_webhook_deliveries_take)


@shared_task(acks_late=True)
def solo_webhook_deliveries_retry_due() -> int:
    """The name beat ran before deliveries were taken from the inbox (a schedule or message of
    an older release may still name it): the same take."""
    return solo_webhook_deliveries_take()


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
