"""Care: the time log and its timer, and the roster's maintained state. (Thresholds and the
alerts they raise are evaluated at ingestion, so their models live in readings.models.)

Invariants the database holds: one running timer per staff user.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import ApiKey, Organization, Patient


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


from readings.care.signing_models import BillingSignature, SignedPatientMonth  # noqa: E402, F401
