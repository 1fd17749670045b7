"""One normalised time series per patient, from every source (DESIGN.md "Data rules")."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from devices.models import Device
from portal import dates
from portal.models import ApiKey, Organization, Patient, Vendor
from readings import billing
from readings.units import METRICS, Metric, is_out_of_range, metric_label, unit_label
from readings.vendor_records import VendorRecord, VendorRecordVersion, VersionChange

__all__ = [
    "OPEN_STATUSES",
    "SEVERITY_RANK",
    "Alert",
    "AlertAction",
    "AlertEvent",
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
        ]

    def __str__(self):
        # No value: str() ends up in logs.
        return f"Reading {self.pk} ({self.metric}, patient {self.patient_id})"

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric)

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)

    @property
    def offset_used(self) -> tuple[int, str]:
        """(seconds, why) — the offset staff see this reading in: the patient's offset as sent,
        else the patient's time zone at that instant."""
        if self.patient_tz_offset is not None:
            return self.patient_tz_offset, "patient offset sent with the reading"
        offset = dates.in_zone(self.measured_at, self.patient.tz).utcoffset()
        return int(offset.total_seconds()), f"patient time zone {self.patient.time_zone}"

    @property
    def local_measured_at(self):
        """measured_at in the patient's local time (a fixed-offset aware datetime)."""
        from datetime import timezone as dt_timezone

        seconds, _ = self.offset_used
        return dates.in_zone(self.measured_at, dt_timezone(timedelta(seconds=seconds)))

    @property
    def local_day(self):
        """The day staff see this reading in (readings.billing.reading_day, the one rule)."""
        return billing.reading_day(self.measured_at, self.patient.tz, self.patient_tz_offset)

    @property
    def is_out_of_range(self) -> bool:
        return is_out_of_range(self.metric, self.value)

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


# --- thresholds and the alerts they raise ---------------------------------------------------
# Evaluated inside the ingestion transaction (readings.alerts), so they live with the readings.
# Invariants the database holds:
# - one open (not resolved) alert per patient and rule key, so repeated breaches fold into it;
# - a reading is linked at most once per rule key, so evaluating it twice changes nothing and a
#   reading that already raised a (since resolved) alert never raises a new one.
# Triage (acknowledge, note, escalate, resolve) is the care team's work: readings.care.alerts.


class RuleKind(models.TextChoices):
    SINGLE = "single", "A single reading"
    AVERAGE = "average", "Average of the last N readings"
    WEIGHT_GAIN = "weight_gain", "Weight gain within Y days"
    NO_DATA = "no_data", "No data for N days"


class Direction(models.TextChoices):
    ABOVE = "above", "at or above"
    BELOW = "below", "at or below"


class Severity(models.TextChoices):
    # Stored as text; ordering for the queue comes from SEVERITY_RANK.
    CRITICAL = "critical", "Critical"
    WARNING = "warning", "Warning"


SEVERITY_RANK = {Severity.CRITICAL: 2, Severity.WARNING: 1}


class ThresholdRule(models.Model):
    """One rule. `patient` NULL: the organization's default; set: a clinician's override for one
    patient, which replaces the default with the same key (kind, metric, direction).

    Overrides are never edited in place: a change supersedes the old row (kept with its
    who/when/why), so the history of a patient's thresholds is the list of its rows."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="threshold_rules"
    )
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    metric = models.CharField(max_length=64, blank=True, help_text="Blank for 'no data' rules.")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.ABOVE)
    value = models.FloatField(
        null=True,
        blank=True,
        help_text="In the metric's canonical unit (lb for weight). Unused for 'no data'.",
    )
    readings_count = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="N readings averaged (average rules)."
    )
    days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Y days (weight gain) or N days (no data)."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    is_active = models.BooleanField(default=True)
    reason = models.TextField(blank=True, help_text="Why this override (required for patients).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "care_thresholdrule"  # created by the care app; the table kept its name
        ordering = ["metric", "kind", "direction", "-created_at"]
        constraints = [
            # One current rule per key for the organization, and per key per patient.
            models.UniqueConstraint(
                fields=["organization", "kind", "metric", "direction", "severity"],
                condition=Q(patient__isnull=True, superseded_at__isnull=True),
                name="threshold_one_current_default",
            ),
            models.UniqueConstraint(
                fields=["patient", "kind", "metric", "direction", "severity"],
                condition=Q(patient__isnull=False, superseded_at__isnull=True),
                name="threshold_one_current_override",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "patient"],
                condition=Q(superseded_at__isnull=True),
                name="threshold_current",
            )
        ]

    def __str__(self):
        return f"{self.rule_key} ({self.severity})"

    @property
    def rule_key(self) -> str:
        """What an alert folds on: the same key on the same patient is the same problem."""
        # Severity is not part of it: a warning and a critical tier of the same rule are one
        # problem, and the open alert takes the highest severity reached.
        return f"{self.kind}:{self.metric or 'any'}:{self.direction}"

    @property
    def override_key(self) -> tuple:
        return (self.kind, self.metric, self.direction, self.severity)

    @property
    def unit_label(self) -> str:
        info = METRICS.get(self.metric)
        return unit_label(info.unit) if info else ""

    def describe(self) -> str:
        """Staff-facing wording, e.g. 'Systolic BP at or above 180 mmHg'."""
        label = metric_label(self.metric) if self.metric else "Any metric"
        unit = self.unit_label
        value = f"{self.value:g} {unit}".strip() if self.value is not None else ""
        if self.kind == RuleKind.SINGLE:
            return f"{label} {self.get_direction_display()} {value}"
        if self.kind == RuleKind.AVERAGE:
            return (
                f"Average of last {self.readings_count} {label} readings "
                f"{self.get_direction_display()} {value}"
            )
        if self.kind == RuleKind.WEIGHT_GAIN:
            kg = (self.value or 0) * 0.45359237
            return f"Weight gain of {value} ({kg:.1f} kg) or more within {self.days} days"
        return f"No readings for {self.days} days"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED)


class Alert(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    rule = models.ForeignKey(
        ThresholdRule, null=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    rule_key = models.CharField(max_length=120)
    rule_text = models.CharField(max_length=200, help_text="The rule as it read when it fired.")
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    metric = models.CharField(max_length=64, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    breach_count = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)
    first_triggered_at = models.DateTimeField()
    last_triggered_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    readings = models.ManyToManyField(Reading, through="AlertReading", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "care_alert"  # created by the care app; the table kept its name
        ordering = ["-last_triggered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule_key"],
                condition=Q(status__in=["open", "acknowledged", "escalated"]),
                name="alert_one_open_per_patient_rule",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "-last_triggered_at"], name="alert_queue"
            ),
            models.Index(
                fields=["patient"],
                condition=Q(status__in=["open", "acknowledged", "escalated"]),
                name="alert_open_by_patient",
            ),
        ]

    def __str__(self):
        return f"Alert {self.pk} ({self.rule_key}, patient {self.patient_id}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def severity_pill(self) -> str:
        return "crit" if self.severity == Severity.CRITICAL else "warn"


class AlertReading(models.Model):
    """A reading that breached the alert's rule. `rule_key` is denormalised so the database can
    refuse a second link of the same reading for the same rule, even to a later alert."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="links")
    reading = models.ForeignKey(Reading, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    rule_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "care_alertreading"  # created by the care app; the table kept its name
        constraints = [
            models.UniqueConstraint(
                fields=["reading", "rule_key"], name="alert_reading_once_per_rule"
            )
        ]

    def __str__(self):
        return f"alert {self.alert_id} ← reading {self.reading_id}"


class AlertAction(models.TextChoices):
    OPENED = "opened", "Opened"
    BREACH = "breach", "Breached again"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    NOTE = "note", "Note"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"


class AlertEvent(models.Model):
    """The alert's history: what happened, who did it, and the nurse's note."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=14, choices=AlertAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "care_alertevent"  # created by the care app; the table kept its name
        ordering = ["at", "id"]

    def __str__(self):
        return f"alert {self.alert_id} {self.action}"
