"""One normalised time series per patient, from every source (DESIGN.md "Data rules")."""

import uuid
from datetime import timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import models
from django.db.models import Q

from devices.models import Device
from portal import dates
from portal.models import Organization, Patient, Vendor
from readings.alert_models import (
    OPEN_STATUSES,
    RULE_KEY,
    SEVERITY_RANK,
    WINDOW_KEY,
    Alert,
    AlertAction,
    AlertEvent,
    AlertOutcome,
    AlertReading,
    AlertStatus,
    Direction,
    RuleKind,
    Severity,
    ThresholdRule,
)
from readings.device_days import readings_decide
from readings.units import Metric, metric_label, unit_label
from readings.vendor_records import VendorRecord, VendorRecordVersion, VersionChange

__all__ = [
    "OPEN_STATUSES",
    "RULE_KEY",
    "SEVERITY_RANK",
    "WINDOW_KEY",
    "Alert",
    "AlertAction",
    "AlertEvent",
    "AlertOutcome",
    "AlertReading",
    "AlertStatus",
    "Direction",
    "IngestionReplay",
    "Metric",
    "OutboxMessage",
    "Reading",
    "ReadingSource",
    "RuleKind",
    "Severity",
    "ThresholdRule",
    "VendorRecord",
    "VendorRecordVersion",
    "VersionChange",
]


class ReadingSource(models.TextChoices):
    IMPILO = "impilo", "Impilo"
    VALIDIC = "validic", "Validic"
    PATIENT_GRAPH = "patient_graph", "patient-graph"
    MANUAL = "manual", "Entered by staff"
    API = "api", "API"
    UPLOAD = "upload", "Upload"


class Reading(models.Model):
    """One value of one metric for one patient. `metric` is a `Metric` value, or a
    patient-graph `metric_key` we have no canonical metric for (kept verbatim)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="readings")
    metric = models.CharField(max_length=64)
    metric_key = models.CharField(
        max_length=64, blank=True, help_text="The vendor's own metric name, as sent."
    )
    value = models.FloatField(null=True, blank=True, help_text="In the canonical UCUM unit.")
    value_text = models.TextField(blank=True, help_text="For non-numeric metrics.")
    unit = models.CharField("UCUM unit", max_length=32, blank=True)
    loinc = models.CharField("LOINC code", max_length=16, blank=True)
    measured_at = models.DateTimeField(help_text="UTC instant of the measurement.")
    device_tz_offset = models.IntegerField(null=True, blank=True, help_text="Seconds, as sent.")
    patient_tz_offset = models.IntegerField(null=True, blank=True, help_text="Seconds, as sent.")
    source = models.CharField(max_length=16, choices=ReadingSource.choices)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="readings"
    )
    manual = models.BooleanField(default=False)
    is_phi = models.BooleanField(default=True)
    origin = models.CharField(
        max_length=32,
        blank=True,
        help_text="Validic's metric `origin` as sent (device, manual, …); blank if none was sent.",
    )
    source_record_id = models.CharField(max_length=128)
    source_checksum = models.CharField(max_length=128, blank=True)
    measurement_group = models.CharField(max_length=128, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Decided once, when stored (readings.device_days): a later time-zone change moves nothing.
    local_day = models.DateField(help_text="The patient-local calendar day of the reading.")
    local_offset = models.IntegerField(help_text="Seconds: the UTC offset that gave local_day.")
    transmitted = models.BooleanField(
        default=False, help_text="Device data: sent by a device assigned to the patient then."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_at", "-id"]
        constraints = [
            # One row per metric of one source record: replays and concurrent posts of the
            # same record hit this and insert nothing (INSERT ... ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["organization", "source", "source_record_id", "metric"],
                name="reading_unique_source_record",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | ~Q(value_text=""),
                name="reading_has_a_value",
            ),
            # One Impilo measurement reaches us twice when a hub posts it to our Impilo-shaped
            # endpoint (keyed by a hash of its body) and we also pull it from Impilo (keyed by
            # Impilo's id). A device takes one value of a metric at one instant, so that pair
            # is the same reading: the second insert hits this and stores nothing.
            models.UniqueConstraint(
                fields=["patient", "metric", "measured_at", "device"],
                condition=Q(source="impilo", device__isnull=False),
                name="reading_impilo_once_per_device_instant",
            ),
        ]
        indexes = [
            # `value` rides along so a chart's bucketed aggregate is an index-only scan: its
            # cost follows the patient's rows, not the table's size (make bench, figure 3).
            models.Index(
                fields=["patient", "metric", "measured_at"],
                include=["value"],
                name="reading_chart",
            ),
            models.Index(fields=["organization", "-measured_at"], name="reading_by_org_time"),
            # Device days: billing, the roster and the no-data rule count these.
            models.Index(
                fields=["patient", "local_day"],
                condition=Q(transmitted=True),
                name="reading_device_days",
            ),
        ]

    def __str__(self):
        # No value: str() ends up in logs.
        return f"Reading {self.pk} ({self.metric}, patient {self.patient_id})"

    def save(self, *args, **kwargs):
        # The services store readings with their day decided (readings.device_days); a row
        # created through the ORM (admin, tests) is decided by the same function here.
        if self._state.adding and self.local_day is None:
            readings_decide([self])
        super().save(*args, **kwargs)

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric)

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)

    @property
    def offset_used(self) -> tuple[int, str]:
        """(seconds, why) — the offset staff see this reading in, stored with it: the patient's
        offset as sent, else the patient's time zone when the reading was stored."""
        if self.patient_tz_offset is not None:
            return self.local_offset, "patient offset sent with the reading"
        return self.local_offset, "patient time zone when the reading was stored"

    @property
    def local_measured_at(self):
        """measured_at in the patient's local time (a fixed-offset aware datetime)."""
        zone = dt_timezone(timedelta(seconds=self.local_offset))
        return dates.in_zone(self.measured_at, zone)

    @property
    def display_value(self) -> str:
        if self.value is None:
            return self.value_text
        return f"{self.value:g}"


class IngestionReplay(models.Model):
    """The first answer to an ingestion request carrying an `Idempotency-Key`: a replay with
    the same key gets it back; the same key with a different body is refused."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "endpoint", "key"], name="replay_unique_key"
            )
        ]

    def __str__(self):
        return f"{self.endpoint} {self.key}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Accepted by the vendor"
    REFUSED = "refused", "Refused by the vendor"


class OutboxMessage(models.Model):
    """A manual reading on its way to a vendor. Retried until the vendor accepts; sent with
    its `idempotency_key` so a retry after a lost answer is never applied twice."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    reading = models.ForeignKey(Reading, on_delete=models.CASCADE, related_name="outbox")
    vendor = models.CharField(max_length=20, choices=Vendor.choices)
    operation = models.CharField(max_length=64)
    payload = models.JSONField()
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    vendor_record_id = models.CharField(max_length=64, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="outbox_due",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self):
        return f"outbox {self.pk} {self.vendor}.{self.operation} {self.status}"
