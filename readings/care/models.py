"""The care-team workspace: thresholds, the alerts they raise, the time log and its timer.

Invariants the database holds:
- one open (not resolved) alert per patient and rule key, so repeated breaches fold into it;
- a reading is linked at most once per rule key, so evaluating it twice changes nothing and a
  reading that already raised a (since resolved) alert never raises a new one;
- one running timer per staff user.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import ApiKey, Organization, Patient
from readings.models import Reading
from readings.units import METRICS, metric_label, unit_label


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
        ordering = ["at", "id"]

    def __str__(self):
        return f"alert {self.alert_id} {self.action}"


class Activity(models.TextChoices):
    REVIEW = "data_review", "Reviewing readings"
    CALL = "call", "Call with patient or caregiver"
    CARE_PLAN = "care_plan", "Care plan update"
    COORDINATION = "coordination", "Care coordination"
    EDUCATION = "education", "Patient education"
    INTERPRETATION = "interpretation", "Physician/QHP data interpretation"
    OTHER = "other", "Other"


class TimeEntry(models.Model):
    """Minutes of care for one patient on one (patient-local) day. Edits keep a revision; a
    deleted entry stays as a row with `deleted_at` so the billing evidence can be audited."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="time_entries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(help_text="The day of care, in the patient's time zone.")
    minutes = models.PositiveSmallIntegerField()
    activity = models.CharField(max_length=20, choices=Activity.choices, default=Activity.REVIEW)
    interactive = models.BooleanField(
        "included an interactive call",
        default=False,
        help_text="A real-time call with the patient or caregiver.",
    )
    interpretation = models.BooleanField(
        "physician/QHP interpretation", default=False, help_text="Counts toward 99091."
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=600), name="time_entry_minutes_range"
            )
        ]
        indexes = [
            models.Index(
                fields=["patient", "day"],
                condition=Q(deleted_at__isnull=True),
                name="time_entry_by_patient_day",
            ),
            models.Index(
                fields=["organization", "day"],
                condition=Q(deleted_at__isnull=True),
                name="time_entry_by_org_day",
            ),
        ]

    def __str__(self):
        return f"Time entry {self.pk} (patient {self.patient_id}, {self.minutes} min)"

    def snapshot(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "minutes": self.minutes,
            "activity": self.activity,
            "interactive": self.interactive,
            "interpretation": self.interpretation,
            "note": self.note,
        }


class TimeEntryRevision(models.Model):
    entry = models.ForeignKey(TimeEntry, on_delete=models.CASCADE, related_name="revisions")
    action = models.CharField(max_length=10)  # created / edited / deleted
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"entry {self.entry_id} {self.action}"


class CareTimer(models.Model):
    """A running start/stop timer. One per staff user: a nurse works one patient at a time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_timer"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()

    def __str__(self):
        return f"timer of user {self.user_id} on patient {self.patient_id}"


class RosterState(models.Model):
    """What the roster sorts and filters on, one row per patient, so a roster page is an index
    range whatever the organization's size (docs/SCALE.md, "Figure 4").

    Maintained by PostgreSQL triggers in the same statement that changes the facts (readings,
    alerts, time entries, the patient; migration care 0003): whatever writes them — the
    services, the bulk COPY path, admin, raw SQL — the state follows, and the ingestion hot
    path pays one indexed UPDATE per statement. Never written from Python. On SQLite (the
    demo) there are no triggers and the roster computes the same columns per query instead.

    Two columns depend on the clock as well as on the facts; the roster reads them through
    the clock, so no job has to roll them: `period_days` counts only while `period_end_at` is
    in the future (a period with no reading since it began has no device days), and
    `month_minutes` only while `minutes_month` is the current month."""

    patient = models.OneToOneField(
        Patient, primary_key=True, on_delete=models.CASCADE, related_name="roster_state"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField()
    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    # The patient's zone and whether the episode starts with the first device reading (no
    # date set): copied so the single-reading path needs no look-up of the patient.
    time_zone = models.CharField(max_length=64)
    episode_from_data = models.BooleanField(default=True)
    crit_alerts = models.PositiveIntegerField(default=0, help_text="Open critical alerts.")
    warn_alerts = models.PositiveIntegerField(default=0, help_text="Open warning alerts.")
    last_reading_at = models.DateTimeField(null=True)
    # Not a foreign key: the reading's own row is not locked or checked on the hot path.
    last_reading_id = models.BigIntegerField(null=True)
    episode_start = models.DateField(null=True)
    period_start = models.DateField(null=True, help_text="Current 30-day period when written.")
    period_end_at = models.DateTimeField(null=True, help_text="Its end, local midnight as UTC.")
    period_day_bits = models.IntegerField(default=0, help_text="Bit i: device data on start+i.")
    period_days = models.PositiveSmallIntegerField(default=0)
    minutes_month = models.DateField(null=True, help_text="First day of the month counted.")
    month_minutes = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, help_text="Last full recomputation.")

    # Its indexes (one per roster order: roster_attention, roster_needs_attention,
    # roster_by_name, roster_by_last_reading) are created with the triggers, on PostgreSQL
    # only: SQLite cannot declare NULLS FIRST and does not use this table.

    def __str__(self):
        return f"roster state of patient {self.patient_id}"
