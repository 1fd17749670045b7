"""Thresholds and the alerts they raise (readings.models re-exports them: import from there).

Kept apart from readings.models only for size; the app label is `readings` all the same."""

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce

from portal.models import ApiKey, Organization, Patient
from readings.units import METRICS, metric_label, unit_label

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
    INFORMATION = "information", "Information"


SEVERITY_RANK = {Severity.CRITICAL: 2, Severity.WARNING: 1, Severity.INFORMATION: 0}

# The window of a weight-gain rule, 0 for every other kind: the part of a rule's key that
# `days` contributes (ThresholdRule.window, and the database's unique keys).
WINDOW_KEY = Case(
    When(kind="weight_gain", then=Coalesce("days", Value(0))),
    default=Value(0),
    output_field=models.IntegerField(),
)
RULE_KEY = ("kind", "metric", "direction", "severity", WINDOW_KEY)


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
    severity = models.CharField(max_length=12, choices=Severity.choices, default=Severity.WARNING)
    is_active = models.BooleanField(default=True)
    entered_value = models.FloatField(null=True, blank=True, help_text="As typed, in entered_unit.")
    entered_unit = models.CharField(max_length=16, blank=True, help_text="UCUM; blank: canonical.")
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
            # One current rule per key for the organization, and per key per patient; a weight-
            # gain window is part of the key (3 lb in 1 day, 5 lb in 7 days: two rules).
            models.UniqueConstraint(
                "organization",
                *RULE_KEY,
                condition=Q(patient__isnull=True, superseded_at__isnull=True),
                name="threshold_one_current_default",
            ),
            models.UniqueConstraint(
                "patient",
                *RULE_KEY,
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
    def window(self) -> int:
        """The weight-gain window in days (part of the rule's key), 0 for other kinds."""
        return (self.days or 0) if self.kind == RuleKind.WEIGHT_GAIN else 0

    @property
    def rule_key(self) -> str:
        """What an alert folds on: the same key on the same patient is the same problem."""
        # Severity is not part of it: a warning and a critical tier of the same rule are one
        # problem, and the open alert takes the highest severity reached. A weight-gain
        # window is: a gain within 1 day and one within 7 days are two problems, two alerts.
        key = f"{self.kind}:{self.metric or 'any'}:{self.direction}"
        return f"{key}:{self.window}d" if self.window else key

    @property
    def override_key(self) -> tuple:
        return (self.kind, self.metric, self.direction, self.severity, self.window)

    @property
    def unit_label(self) -> str:
        info = METRICS.get(self.metric)
        return unit_label(info.unit) if info else ""

    @property
    def entered_text(self) -> str:
        """'entered as 2 kg' when typed in another unit than the canonical one, else ''."""
        info = METRICS.get(self.metric)
        if self.entered_value is None or info is None or self.entered_unit in ("", info.unit):
            return ""
        shown = "°C" if self.entered_unit == "Cel" else unit_label(self.entered_unit)
        return f"entered as {self.entered_value:g} {shown}"

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
            days = "1 day" if self.days == 1 else f"{self.days} days"
            return f"Weight gain of {value} ({kg:.1f} kg) or more within {days}"
        return f"No readings for {self.days} days"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED)


class AlertOutcome(models.TextChoices):
    """What resolving an alert led to (required for critical and warning alerts; reports count
    them)."""

    CONTACTED = "contacted", "Patient contacted and advised"
    EMERGENCY = "emergency", "Sent to emergency care"
    MEDICATION = "medication", "Medication change requested"
    MEASUREMENT_ERROR = "measurement_error", "Device or measurement error"
    NO_ACTION = "no_action", "No action needed"


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
    severity = models.CharField(max_length=12, choices=Severity.choices)
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
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The physician/QHP (or next on the protocol's path) the alert was handed to.",
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who holds the alert: claimed by them or assigned to them by a colleague.",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=AlertOutcome.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    readings = models.ManyToManyField("readings.Reading", through="AlertReading", related_name="+")
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
        return {Severity.CRITICAL: "crit", Severity.WARNING: "warn"}.get(self.severity, "info")


class AlertReading(models.Model):
    """A reading that breached the alert's rule. `rule_key` is denormalised so the database can
    refuse a second link of the same reading for the same rule, even to a later alert."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="links")
    reading = models.ForeignKey("readings.Reading", on_delete=models.PROTECT, related_name="+")
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
    CLAIMED = "claimed", "Claimed"
    ASSIGNED = "assigned", "Assigned"
    RELEASED = "released", "Released"
    NOTIFIED = "notified", "Notified"


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
