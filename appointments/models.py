"""The local mirror of Teladoc Health Solo (seed 003) that staff need offline: waiting rooms,
appointments with their status history, episodes, visit notes, attachment metadata, the webhook
subscription and inbox, virtual-nursing assistance requests and report jobs."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from appointments.record_models import AttachmentCopy, ConsultRequest, PatientDocument  # noqa: F401
from portal import dates
from portal.crypto import EncryptedJSONField
from portal.models import Organization, Patient

MAX_DURATION_SECONDS = 86400  # seed 003: duration "should be in range [1, 86400]"


class WaitingRoom(models.Model):
    """Seed 003 "Waiting Rooms": appointments are booked into a waiting room, by name."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="waiting_rooms"
    )
    solo_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    service_line = models.CharField(max_length=200, blank=True)
    service_type = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "solo_id"], name="room_unique_solo_id"),
            models.UniqueConstraint(fields=["organization", "name"], name="room_unique_name"),
        ]

    def __str__(self):
        return self.name


class EpisodeStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    WAITLIST = "waitlist", "Waitlist"
    ACTIVE = "active", "Active"
    ONHOLD = "onhold", "On hold"
    FINISHED = "finished", "Finished"
    CANCELED = "canceled", "Cancelled"


class Episode(models.Model):
    """Seed 003 "Episodes Of Care"."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    solo_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField("type", max_length=100)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=EpisodeStatus.choices)
    objective = models.CharField(max_length=500, blank=True)
    reason_incomplete = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "solo_id"], name="episode_unique_solo_id"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="episode_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"Episode {self.pk}"


class AppointmentStatus(models.TextChoices):
    """Seed 003 "Get Appointment" status list, values exactly as Solo sends them."""

    SCHEDULED = "scheduled", "Scheduled"
    ARRIVED = "arrived", "Arrived"
    INTAKE_READY = "in progress.intake.ready", "Ready for intake"
    INTAKE_IN_PROGRESS = "in progress.intake.progress", "Intake in progress"
    EXAM_READY = "in progress.exam.ready", "Ready for exam"
    EXAM_IN_PROGRESS = "in progress.exam.progress", "Exam in progress"
    DISCHARGE_READY = "discharge.ready", "Ready for discharge"
    DISCHARGE_IN_PROGRESS = "discharge.progress", "Discharge in progress"
    COMPLETED = "completed", "Completed"
    SIGNED_OFF = "sign off", "Signed off"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "not showed up", "No-show"


CLOSED_STATUSES = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.SIGNED_OFF,
    AppointmentStatus.CANCELLED,
    AppointmentStatus.NO_SHOW,
)


class VideoCallStatus(models.TextChoices):
    """Seed 003 "Get Appointment" `videoCall.status`, values exactly as Solo sends them. The
    appointment's own status says where the visit is in the workflow; this says what happened
    on the call: `appointment:lwbs` and `appointment:incompleted` change only this."""

    LWBS = "LWBS", "Left without being seen"
    INCOMPLETE = "incomplete", "Video call incomplete"
    COMPLETE = "complete", "Video call complete"
    FINALIZING = "finalizing", "Video call finalizing"
    ON_HOLD = "on hold", "Video call on hold"
    ON_CALL = "on call", "On the video call"
    WAITING = "waiting", "Waiting for the video call"


# A visit took place (a real-time video contact with the patient, which care's billing and
# roster count) when its call ended complete (or is being finalized), or when Solo closed it as
# completed / signed off and the call did not end without the patient being seen. A visit with no
# `videoCall` (null in Solo, "" here) is judged by its status alone, as before the call was stored.
CALL_HAPPENED = (VideoCallStatus.COMPLETE, VideoCallStatus.FINALIZING)
CALL_NOT_HAPPENED = (VideoCallStatus.LWBS, VideoCallStatus.INCOMPLETE)
STATUS_HAPPENED = (AppointmentStatus.COMPLETED, AppointmentStatus.SIGNED_OFF)
TOOK_PLACE = Q(video_call_status__in=CALL_HAPPENED) | (
    Q(status__in=STATUS_HAPPENED) & ~Q(video_call_status__in=CALL_NOT_HAPPENED)
)


class Appointment(models.Model):
    """A Solo appointment (a video visit). `solo_id` is Solo's appointment id, which is also
    its SAID; `external_id` is ours, sent on booking so Solo and the mirror agree on identity."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    waiting_room = models.ForeignKey(
        WaitingRoom, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    solo_id = models.BigIntegerField("Solo id")
    said = models.BigIntegerField("SAID", null=True, blank=True)
    external_id = models.UUIDField(default=uuid.uuid4)
    starts_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=900)
    status = models.CharField(
        max_length=32, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    reasons = models.JSONField(default=list, blank=True)
    # Solo's `videoCall.status` ("" while Solo sends `videoCall: null`), from every fetch.
    video_call_status = models.CharField(
        max_length=16, choices=VideoCallStatus.choices, blank=True, default=""
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "solo_id"], name="appointment_unique_solo_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="appointment_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=1)
                & Q(duration_seconds__lte=MAX_DURATION_SECONDS),
                name="appointment_duration_in_solo_range",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="appointment_day_list"),
            models.Index(fields=["patient", "starts_at"], name="appointment_by_patient"),
        ]

    def __str__(self):
        return f"Appointment {self.pk} (Solo {self.solo_id})"

    @property
    def shown_starts_at(self):
        """starts_at for templates, which convert it to the patient's zone: a visit stored
        before start times were checked (9999-12-31T23:59:59Z) must still render."""
        return dates.showable(self.starts_at)

    @property
    def ends_at(self):
        # Clamped: a visit stored near year 9999 must not take the organization's lists down.
        return dates.add_time(self.starts_at, timedelta(seconds=self.duration_seconds))

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def duration_minutes(self) -> int:
        return round(self.duration_seconds / 60)

    @property
    def took_place(self) -> bool:
        """The rule of TOOK_PLACE for one loaded visit (the selector filters with the Q)."""
        if self.video_call_status in CALL_HAPPENED:
            return True
        return self.status in STATUS_HAPPENED and self.video_call_status not in CALL_NOT_HAPPENED

    @property
    def left_without_being_seen(self) -> bool:
        return self.video_call_status == VideoCallStatus.LWBS


class AppointmentChange(models.Model):
    """Status history: every booking, move, cancellation and status Solo reports."""

    class Source(models.TextChoices):
        PORTAL = "portal", "Portal"
        SOLO = "solo", "Solo (webhook)"
        DEMO = "demo", "Demo data"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(max_length=32, choices=AppointmentStatus.choices)
    starts_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"Appointment change {self.pk}"

    @property
    def shown_starts_at(self):
        return dates.showable(self.starts_at)  # as Appointment.shown_starts_at


class VisitNote(models.Model):
    """The last visit note seen in or written to Solo (seed 003 "Appointment Note")."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="visit_note"
    )
    template_name = models.CharField(max_length=200)
    responses = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Visit note {self.pk}"


class Attachment(models.Model):
    """Metadata of a file attached to an appointment in Solo; the bytes live in Solo, and in the
    portal's AttachmentCopy when uploaded through the portal."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="attachments"
    )
    solo_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"Attachment {self.pk}"


class WebhookSubscription(models.Model):
    """A webhook registered with Solo. `receiver_id` is the secret-ish path segment of our
    endpoint (/webhooks/solo/<receiver_id>); the `encryptionKey` Solo gave us is encrypted at
    rest in `secrets`."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="solo_webhooks"
    )
    receiver_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    solo_id = models.CharField(max_length=64, blank=True)
    endpoint = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secrets = EncryptedJSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Solo webhook {self.receiver_id}"

    @property
    def encryption_key(self) -> str:
        return (self.secrets or {}).get("encryption_key", "")


class WebhookDelivery(models.Model):
    """The inbox: one row per delivery, written before we answer Solo. `digest` (SHA-256 of
    the encrypted body, whose salt and IV are random per send) makes a replay a no-op."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        RETRYING = "retrying", "Waiting to retry"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    digest = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"  # Django would say "…ys"
        ordering = ["received_at", "id"]
        # The deliveries workers may take (services.webhook_inbox claims the oldest due one):
        # only the pending rows, in id order, however many processed rows the table holds.
        indexes = [
            models.Index(
                fields=["id"],
                name="delivery_pending",
                condition=Q(status__in=["received", "retrying"]),
            )
        ]

    def __str__(self):
        return f"Solo delivery {self.pk}"


class AssistanceRequest(models.Model):
    """A virtual-nursing assistance request sent to Solo (seed 003 "Virtual Nursing")."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    solo_id = models.CharField(max_length=64)
    location = models.JSONField(help_text="The body sent to Solo (bed, department, MRN or device).")
    device = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Assistance request {self.pk}"


class ReportJob(models.Model):
    """An encounter report ordered from Solo: create → status → download."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Ready"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    solo_id = models.CharField(max_length=64)
    starts_on = models.DateField()
    ends_on = models.DateField()
    preset_id = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    content = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Report job {self.pk}"
