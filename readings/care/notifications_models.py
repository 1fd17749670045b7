"""What the alert protocol sent and is watching (issue 17): one row per notification (an alert,
to whom, when, by which channel, delivered or failed and why, read or not), and the protocol's
clock on each unacknowledged alert. Rules: readings.care.notifications; readings.care.models
re-exports these models."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import Organization
from readings.models import Alert


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal notice"
    EMAIL = "email", "Email"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class NotificationReason(models.TextChoices):
    ON_CALL = "on_call", "On call"
    NOBODY_ON_CALL = "nobody_on_call", "Nobody on call: first on the escalation path"
    ESCALATED = "escalated", "Escalated"
    ASSIGNED = "assigned", "Assigned"


class Notification(models.Model):
    """One notification of one person about one alert by one channel. The row is the outbox:
    an email is sent by a Celery task that claims the row first (pending → sending), so a row
    is sent at most once whatever retries or sweeps run (readings.care.notifications_email)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    reason = models.CharField(max_length=16, choices=NotificationReason.choices)
    severity = models.CharField(max_length=12, help_text="The alert's tier when it was sent.")
    note = models.CharField(max_length=200, blank=True, help_text="e.g. the rota slot.")
    address = models.EmailField(blank=True, help_text="The address it was sent to (email).")
    due_at = models.DateTimeField(help_text="Not before: the end of quiet hours for warnings.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(
        max_length=100, blank=True, help_text="The last error's class (never its text: no PHI)."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The live notice, polled from every page: a user's unread portal notices.
            models.Index(
                fields=["recipient", "due_at"],
                condition=Q(channel="portal", read_at__isnull=True),
                name="notification_unread_notices",
            ),
            # The sweep: emails still to send.
            models.Index(
                fields=["due_at"],
                condition=Q(channel="email", status__in=["pending", "sending"]),
                name="notification_email_outbox",
            ),
        ]

    def __str__(self):
        return f"notification {self.pk} ({self.channel}, alert {self.alert_id})"

    @property
    def why_text(self) -> str:
        """Why this person, in the words the notice and the email use."""
        return {
            NotificationReason.ON_CALL: f"you are on call ({self.note})",
            NotificationReason.NOBODY_ON_CALL: (
                f"{self.note}, and you are first on the escalation path"
            ),
            NotificationReason.ESCALATED: f"it was escalated to you {self.note}",
            NotificationReason.ASSIGNED: f"it was assigned to you {self.note}",
        }[self.reason]


class AlertWatch(models.Model):
    """The protocol's clock on one alert: while nobody acknowledges it, at `due_at` it goes to
    the next person on the escalation path. Finished once acknowledged, resolved, or
    the path has nobody left."""

    alert = models.OneToOneField(
        Alert, primary_key=True, on_delete=models.CASCADE, related_name="protocol_watch"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(max_length=12)
    started_at = models.DateTimeField(help_text="When the first person was notified.")
    due_at = models.DateTimeField()
    escalations = models.PositiveSmallIntegerField(default=0)
    # Where on the path the next escalation looks (the rows of whoever was told are written by a
    # receiver after commit; the path position does not depend on them).
    path_position = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(finished_at__isnull=True), name="alert_watch_due"
            )
        ]

    def __str__(self):
        return f"watch on alert {self.alert_id}"
