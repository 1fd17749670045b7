"""An organization's alert protocol (issue 17): who is on call (a weekly rota in the
organization's time zone), how long a critical or warning alert may stay unacknowledged, whom to
escalate to next, quiet hours for non-critical notifications and how much an email may say.

A protocol is never edited in place: saving writes a new version and supersedes the current one
(who, when, why), like a patient's threshold overrides, so its history is the list of its rows.
Rules about it live in readings.care.protocol; readings.care.models re-exports these models."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import Organization

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # datetime.weekday() order
ALL_DAYS = (1 << 7) - 1


def duration_text(duration: dt.timedelta) -> str:
    """'15 min', '1 h 30 min', '45 s' (tests use seconds)."""
    seconds = int(duration.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class EmailDetail(models.TextChoices):
    """How much protected health information a notification email may carry. Email leaves
    the portal (phones, shared inboxes), so the default names no patient and no value."""

    LINK = "link", "The tier and a link only"
    RULE = "rule", "The tier, the rule crossed and a link (no patient identity)"
    PATIENT = "patient", "The patient's name and MRN, the rule crossed and a link"


class AlertProtocol(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="alert_protocols"
    )
    # Durations, not minutes: staff type minutes, tests use seconds.
    critical_limit = models.DurationField(
        default=dt.timedelta(minutes=15),
        help_text="How long a critical alert may stay unacknowledged before it escalates.",
    )
    warning_limit = models.DurationField(
        default=dt.timedelta(hours=4),
        help_text="How long a warning may stay unacknowledged before it escalates.",
    )
    warning_portal = models.BooleanField(
        "notify warnings in the portal", default=True, help_text="Critical alerts always are."
    )
    warning_email = models.BooleanField(
        "email warnings too", default=False, help_text="Critical alerts are always emailed."
    )
    email_detail = models.CharField(
        "what an email may say",
        max_length=10,
        choices=EmailDetail.choices,
        default=EmailDetail.LINK,
    )
    quiet_start = models.TimeField(
        null=True, blank=True, help_text="Local time; warnings wait until quiet hours end."
    )
    quiet_end = models.TimeField(null=True, blank=True)
    reason = models.TextField(help_text="Why this version of the protocol.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(superseded_at__isnull=True),
                name="alert_protocol_one_current",
            ),
            models.CheckConstraint(
                condition=Q(critical_limit__gt=dt.timedelta(0), warning_limit__gt=dt.timedelta(0)),
                name="alert_protocol_limits_positive",
            ),
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="alert_protocol_quiet_both_or_neither",
            ),
        ]

    def __str__(self):
        return f"alert protocol {self.pk} of organization {self.organization_id}"

    @property
    def critical_limit_text(self) -> str:
        return duration_text(self.critical_limit)

    @property
    def warning_limit_text(self) -> str:
        return duration_text(self.warning_limit)

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start is not None and self.quiet_start != self.quiet_end


class RotaSlot(models.Model):
    """One clinician on call on some weekdays from `start_hour` to `end_hour` (local time of
    the organization). `end_hour` at or before `start_hour` runs past midnight into the next
    day (20 → 8: from 20:00 on each chosen day to 08:00 the morning after)."""

    protocol = models.ForeignKey(AlertProtocol, on_delete=models.CASCADE, related_name="slots")
    weekdays = models.PositiveSmallIntegerField(help_text="Bit 0 Monday … bit 6 Sunday.")
    start_hour = models.PositiveSmallIntegerField()
    end_hour = models.PositiveSmallIntegerField(help_text="24 = midnight.")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekdays__gte=1, weekdays__lte=ALL_DAYS, start_hour__lte=23)
                & Q(end_hour__gte=1, end_hour__lte=24),
                name="rota_slot_ranges",
            )
        ]

    def __str__(self):
        return f"{self.days_text} {self.hours_text}"

    @property
    def days_text(self) -> str:
        if self.weekdays == ALL_DAYS:
            return "Every day"
        if self.weekdays == 0b0011111:
            return "Mon–Fri"
        if self.weekdays == 0b1100000:
            return "Sat–Sun"
        return ", ".join(day for i, day in enumerate(WEEKDAYS) if self.weekdays & (1 << i))

    @property
    def hours_text(self) -> str:
        if (self.start_hour, self.end_hour) == (0, 24):
            return "all day"
        text = f"{self.start_hour:02d}:00–{self.end_hour:02d}:00"  # 24:00: midnight, that day
        return text + " (next day)" if self.overnight else text

    @property
    def overnight(self) -> bool:
        return self.end_hour <= self.start_hour

    def covers(self, weekday: int, hour: int) -> bool:
        """Whether this slot is on call at `hour` o'clock on local `weekday` (0 = Monday)."""
        on = self.weekdays & (1 << weekday)
        if not self.overnight:
            return bool(on) and self.start_hour <= hour < self.end_hour
        before = self.weekdays & (1 << ((weekday - 1) % 7))
        return bool(on and hour >= self.start_hour) or bool(before and hour < self.end_hour)


class EscalationStep(models.Model):
    """The escalation path: whom to hand an unacknowledged alert to next, in order."""

    protocol = models.ForeignKey(AlertProtocol, on_delete=models.CASCADE, related_name="path")
    position = models.PositiveSmallIntegerField()
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "position"], name="escalation_step_once"),
            models.UniqueConstraint(fields=["protocol", "person"], name="escalation_person_once"),
        ]

    def __str__(self):
        return f"step {self.position} of protocol {self.protocol_id}"
