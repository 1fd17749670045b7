"""Celery tasks of care: thin, idempotent calls into services. The alert tasks call readings'
evaluation; they keep their names here because queued messages and beat schedules name them."""

from celery import shared_task

from portal.models import Organization
from readings.alerts import alerts_check_no_data, alerts_evaluate_readings
from readings.care import notifications_email, notifications_escalation
from readings.models import Reading


@shared_task(acks_late=True)
def alerts_evaluate(reading_ids: list[int]) -> int:
    """Evaluate stored readings (for ingestion paths that enqueue on commit). Idempotent."""
    readings = list(
        Reading.objects.filter(pk__in=reading_ids).select_related("patient__organization")
    )
    return len(alerts_evaluate_readings(readings=readings))


@shared_task(acks_late=True)
def alerts_check_no_data_all() -> int:
    """Hourly: open 'no data for N days' alerts in every organization."""
    opened = 0
    for organization in Organization.objects.all():
        opened += len(alerts_check_no_data(organization=organization))
    return opened


# --- the alert protocol (issue 17): readings.care.notifications* -----------------------------
@shared_task(acks_late=True)
def notification_email_send(notification_id: int) -> str:
    """Send one notification email (at most once per row: the row is claimed first)."""
    return notifications_email.notification_email_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def notification_emails_send_due() -> int:
    """Beat: emails held by quiet hours, or backing off after a failure, that are due now."""
    due = notifications_email.notification_emails_due()
    for notification_id in due:
        notification_email_send.delay(notification_id)
    return len(due)


@shared_task(acks_late=True)
def alerts_escalate_due() -> int:
    """Beat: alerts unacknowledged past their protocol's limit go to the next person."""
    return len(notifications_escalation.alerts_escalate_due())
