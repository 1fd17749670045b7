"""Care: the time log and its timer, and the roster's maintained state. (Thresholds and the
alerts they raise are evaluated at ingestion, so their models live in readings.models.)

Invariants the database holds: one running timer per staff user.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from appointments.models import Appointment
from portal.models import ApiKey, Organization, Patient
from readings import billing


class Activity(models.TextChoices):
    REVIEW = "data_review", "Reviewing readings"
    CALL = "call", "Real-time call or visit with the patient or caregiver"
    MESSAGE = "secure_message", "Secure message (not an interactive contact)"
    CARE_PLAN = "care_plan", "Care plan update"
    COORDINATION = "coordination", "Care coordination"
    EDUCATION = "education", "Patient education"
    INTERPRETATION = "interpretation", "Physician/QHP data interpretation"
    OTHER = "other", "Other"


class ContactMedium(models.TextChoices):
    """How a real-time contact (Activity.CALL) happened. CMS: real-time synchronous two-way
    communication; a secure message is an activity of its own and never a contact."""

    PHONE = "phone", "Phone (real-time audio)"
    VIDEO = "video", "Video visit"
    IN_PERSON = "in_person", "In person"
    # Entries logged before contacts were recorded carried only an "interactive" checkbox:
    # kept as they were, shown, and never counted as the contact (the medium is unknown).
    UNRECORDED = "unrecorded", "Not recorded (old checkbox; does not count)"


COUNTING_MEDIA = (ContactMedium.PHONE, ContactMedium.VIDEO, ContactMedium.IN_PERSON)


class ContactWith(models.TextChoices):
    PATIENT = "patient", "Patient"
    CAREGIVER = "caregiver", "Caregiver"


def contact_entries() -> Q:
    """TimeEntry.is_contact as a filter on time entries (the worklists select on it)."""
    return Q(activity=Activity.CALL, contact_medium__in=COUNTING_MEDIA)


class CountsToward(models.TextChoices):
    """What an entry's seconds count toward (readings.billing.time_counts_toward)."""

    MANAGEMENT = billing.MANAGEMENT, "RPM management (99470/99457/99458)"
    INTERPRETATION = billing.INTERPRETATION, "Physician/QHP interpretation (99091)"
    NONE = billing.NOT_BILLABLE, "Not billable"


class TimeEntry(models.Model):
    """Seconds of care for one patient on one (patient-local) day, by a named person. Edits
    keep a revision; a deleted entry stays as a row with `deleted_at` so the billing evidence
    can be audited.

    `author` logged it (a user) or `api_key` posted it; `performed_by` did the work, with the
    role and billing standing they had when it was logged (`performer_role`,
    `counts_toward`): the evidence says who did what as it was then. A contact (activity
    call) says its medium and with whom; `appointment` ties it to the Solo visit it was."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="time_entries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member whose time this was (empty: not billable).",
    )
    performer_role = models.CharField(max_length=20, blank=True, help_text="Their role then.")
    day = models.DateField(help_text="The day of care, in the patient's time zone.")
    seconds = models.PositiveIntegerField()
    activity = models.CharField(max_length=20, choices=Activity.choices, default=Activity.REVIEW)
    contact_medium = models.CharField(
        "medium of the contact", max_length=12, choices=ContactMedium.choices, blank=True
    )
    contact_with = models.CharField(
        "contact with", max_length=10, choices=ContactWith.choices, blank=True
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    office_visit = models.BooleanField(
        "billed separately as an office visit",
        default=False,
        help_text="Minutes of a visit billed as an office visit never count as RPM minutes.",
    )
    counts_toward = models.CharField(
        max_length=16, choices=CountsToward.choices, default=CountsToward.NONE
    )
    not_billable_reason = models.CharField(max_length=200, blank=True)
    day_reason = models.CharField(
        "reason for more than 2 hours that day", max_length=500, blank=True
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "time entries"  # Django would say "…ys"
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seconds__gte=1, seconds__lte=billing.DAY_MAX_SECONDS),
                name="time_entry_seconds_range",
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
        return f"Time entry {self.pk} (patient {self.patient_id}, {self.seconds} s)"

    @property
    def minutes(self) -> int:
        """Whole minutes of this entry alone (display only: billing sums seconds first)."""
        return billing.whole_minutes(self.seconds)

    @property
    def duration(self) -> str:
        minutes, seconds = divmod(self.seconds, 60)
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"

    @property
    def interpretation(self) -> bool:
        return self.activity == Activity.INTERPRETATION

    @property
    def is_contact(self) -> bool:
        """A real-time interactive communication that meets 99470/99457's requirement
        (contact_entries() is the same rule as a filter)."""
        return self.activity == Activity.CALL and self.contact_medium in COUNTING_MEDIA

    @property
    def billable(self) -> bool:
        return self.counts_toward != CountsToward.NONE

    def snapshot(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "seconds": self.seconds,
            "activity": self.activity,
            "performed_by": self.performed_by_id,
            "performer_role": self.performer_role,
            "contact_medium": self.contact_medium,
            "contact_with": self.contact_with,
            "appointment": self.appointment_id,
            "office_visit": self.office_visit,
            "counts_toward": self.counts_toward,
            "day_reason": self.day_reason,
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
    # Not a foreign key either: copied from the patient for the roster's "my patients" index.
    primary_nurse_id = models.BigIntegerField(
        null=True, help_text="The patient's primary nurse (user id): my patients."
    )
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


from readings.care.medication_models import Medication, MedicationChange  # noqa: E402, F401
from readings.care.notifications_models import (  # noqa: E402, F401
    AlertWatch,
    Channel,
    DeliveryStatus,
    Notification,
    NotificationReason,
)
from readings.care.outreach_models import OutreachAttempt  # noqa: E402, F401
from readings.care.protocol_models import (  # noqa: E402, F401
    AlertProtocol,
    EmailDetail,
    EscalationStep,
    RotaSlot,
)
from readings.care.signing_models import BillingSignature, SignedPatientMonth  # noqa: E402, F401
