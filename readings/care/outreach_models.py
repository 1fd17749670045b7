"""An outreach attempt: a nurse or coordinator tried to reach a patient (to re-engage them with
their device, to have the month's interactive contact) and says how it went.

Its own record, apart from the time log: "no answer" and "left message" are worth counting
(the program report counts them per month and per person) but are not care time, and a
reached patient's call is logged as time as well (readings.care.outreach links the two).

Imported at the end of readings/care/models.py so Django finds the model in the care app.
"""

from django.conf import settings
from django.db import models

from portal.models import Organization, Patient


class OutreachOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left a message"
    REACHED = "reached", "Reached"


class OutreachMedium(models.TextChoices):
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"
    TEXT = "text", "Text or secure message"
    IN_PERSON = "in_person", "In person"


class OutreachAttempt(models.Model):
    """Who tried to reach the patient, when, how, how it went, and the note. `worklist` says
    which worklist it was logged from (blank: the patient page); `time_entry` is the call
    logged with it when the patient was reached."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outreach_attempts")
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(help_text="When the attempt was made.")
    medium = models.CharField(max_length=12, choices=OutreachMedium.choices)
    outcome = models.CharField(max_length=14, choices=OutreachOutcome.choices)
    note = models.TextField(blank=True)
    worklist = models.CharField(max_length=20, blank=True)
    time_entry = models.OneToOneField(
        "care.TimeEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outreach_attempt",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # the patient's panel and the worklists' "last attempt" column
            models.Index(fields=["patient", "-at"], name="outreach_by_patient"),
            # the program report's month
            models.Index(fields=["organization", "at"], name="outreach_by_org_month"),
        ]

    def __str__(self):
        return f"Outreach {self.pk} (patient {self.patient_id}, {self.outcome})"
