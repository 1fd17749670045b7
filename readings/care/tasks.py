"""Celery tasks of care: thin, idempotent calls into services. The alert tasks call readings'
evaluation; they keep their names here because queued messages and beat schedules name them."""

from celery import shared_task

from portal.models import Organization
from readings.alerts import alerts_check_no_data, alerts_evaluate_readings
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
