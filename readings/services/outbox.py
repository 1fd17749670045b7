"""The outbox: manual readings forwarded to the vendor that should hold them (Impilo's Record
Heart Rate Reading, seed 000; patient-graph's metrics, seed 002), retried with backoff until
accepted, each with its idempotency key so a retry is never applied twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.http import VendorError
from portal.models import Vendor
from readings.clients import ImpiloReadingsClient, PatientGraphClient
from readings.models import OutboxMessage, OutboxStatus, Reading
from readings.units import Metric

logger = logging.getLogger(__name__)


def outbox_message_for(reading: Reading) -> OutboxMessage | None:
    patient = reading.patient
    if reading.metric == Metric.HEART_RATE and patient.impilo_patient_id:
        if reading.value is None:  # the same error int(None) raised below
            raise TypeError("a heart rate reading without a numeric value")
        payload = {
            "readingTimestamp": reading.measured_at.isoformat().replace("+00:00", "Z"),
            "patientId": patient.impilo_patient_id,
            "manual": True,
            "heartRate": int(reading.value),
        }
        vendor, operation = Vendor.IMPILO, "record_heart_rate_reading"
    elif patient.patient_graph_id:
        payload = {
            "metric_key": reading.metric,
            "value_numeric": reading.display_value,
            "unit": reading.unit,
            "source": "manual",
            "is_phi": True,
            "recorded_at": reading.measured_at.isoformat().replace("+00:00", "Z"),
        }
        vendor, operation = Vendor.PATIENT_GRAPH, "create_metric"
    else:
        return None
    return OutboxMessage.objects.create(
        organization=reading.organization,
        reading=reading,
        vendor=vendor,
        operation=operation,
        payload=payload,
        next_attempt_at=timezone.now(),
    )


OUTBOX_BACKOFF = [30, 60, 300, 900, 3600]


def outbox_deliver(*, message_id: int) -> str:
    """Send one outbox message. The row is locked while sending (two workers never send the
    same message at once) and the vendor call carries the message's idempotency key, so a retry
    after a lost answer is never applied twice. Returns the message's status afterwards."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .select_related("reading__patient", "organization")
            .filter(pk=message_id, status=OutboxStatus.PENDING)
            .first()
        )
        if message is None:
            return "skipped"
        message.attempts += 1
        try:
            if message.vendor == Vendor.IMPILO:
                client = ImpiloReadingsClient.for_organization(message.organization)
                answer = client.record_heart_rate_reading(
                    message.payload, idempotency_key=str(message.idempotency_key)
                )
            else:
                client = PatientGraphClient.for_organization(message.organization)
                answer = client.create_metric(
                    message.reading.patient.patient_graph_id,
                    message.payload,
                    idempotency_key=str(message.idempotency_key),
                )
        except VendorError as exc:
            message.last_error = exc.staff_message[:300]
            if exc.is_outage or exc.code == "not_configured":
                delay = OUTBOX_BACKOFF[min(message.attempts - 1, len(OUTBOX_BACKOFF) - 1)]
                message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            else:
                message.status = OutboxStatus.REFUSED
                message.next_attempt_at = None
            message.save()
            logger.warning("outbox message=%s vendor=%s failed", message.pk, message.vendor)
            return message.status
        message.status = OutboxStatus.DELIVERED
        message.delivered_at = timezone.now()
        message.next_attempt_at = None
        message.last_error = ""
        message.vendor_record_id = str((answer or {}).get("id", ""))[:64]
        message.save()
        return message.status


def outbox_due_ids(limit: int = 200) -> list[int]:
    return list(
        OutboxMessage.objects.filter(
            status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )
