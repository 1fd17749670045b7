"""Manual entry: a reading staff took over the phone, stored and then forwarded through the
outbox."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from portal.celery import task_send
from readings import tasks
from readings.models import Reading, ReadingSource
from readings.services.ingest import (
    IngestError,
    measured_at_checked,
    numeric_reading,
    patient_offset_at,
    readings_ingest,
)
from readings.services.outbox import outbox_message_for
from readings.units import Metric


@transaction.atomic
def manual_reading_record(
    *,
    patient,
    metric: str,
    value: float,
    measured_at: datetime,
    by,
    second_value=None,
    request=None,
) -> list[Reading]:
    """A reading staff took over the phone. Stored with manual=true, then forwarded through the
    outbox: heart rate to Impilo's Record Heart Rate Reading (seed 000) when the patient is
    known to Impilo, anything else to patient-graph's metrics endpoint (seed 002)."""
    measured_at = measured_at_checked(measured_at, "measured_at")
    group = f"manual:{timezone.now().timestamp():.6f}:{by.pk}"
    pairs = [(metric, value)]
    if metric == Metric.SYSTOLIC:
        if second_value is None:
            raise IngestError(422, "required", "Enter the diastolic value too.", "second_value")
        pairs.append((Metric.DIASTOLIC, second_value))
    items = [
        numeric_reading(
            patient=patient,
            metric=m,
            value=v,
            field_name="value" if i == 0 else "second_value",
            measured_at=measured_at,
            source=ReadingSource.MANUAL,
            source_record_id=group,
            measurement_group=group if len(pairs) > 1 else "",
            manual=True,
            patient_tz_offset=patient_offset_at(patient, measured_at),
            entered_by_id=by.pk,
        )
        for i, (m, v) in enumerate(pairs)
    ]
    if len(items) == 2:
        systolic, diastolic = items[0].value, items[1].value
        # numeric_reading always gives a number
        assert systolic is not None
        assert diastolic is not None
        if systolic <= diastolic:
            raise IngestError(
                422, "invalid", "Systolic must be higher than diastolic.", "second_value"
            )
    result = readings_ingest(
        organization=patient.organization,
        items=items,
        action="reading.manual_create",
        request=request,
        actor=by,
    )
    messages = [message for reading in result.created if (message := outbox_message_for(reading))]
    for message in messages:
        transaction.on_commit(partial(task_send, tasks.outbox_deliver, message.pk))
    return result.created
