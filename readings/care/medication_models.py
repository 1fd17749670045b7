"""Medications as the care team keeps them: free entries (name, dose, schedule), written down
from what the patient or their physician says — not e-prescribing, no drug database.

Each change keeps the earlier values (MedicationChange, one row per add, edit and stop, with
who and when), so a nurse reading an old alert can see what the patient was taking then.

Imported at the end of readings/care/models.py so Django finds the models in the care app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import Organization, Patient


class Medication(models.Model):
    """One medication on the patient's list. Stopping keeps the row (`stopped_at`/`by`)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, blank=True, help_text="e.g. 25 mg")
    schedule = models.CharField(max_length=200, blank=True, help_text="e.g. once daily, morning")
    note = models.TextField(blank=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=["patient", "name"],
                condition=Q(stopped_at__isnull=True),
                name="medication_current",
            ),
        ]

    def __str__(self):
        # Not the drug's name: str() ends up in logs and admin messages.
        return f"Medication {self.pk} (patient {self.patient_id})"

    @property
    def is_current(self) -> bool:
        return self.stopped_at is None

    @property
    def history(self) -> list:
        """Its changes, oldest first (prefetched by readings.care.medications.medications_for)."""
        return list(self.changes.all())

    @property
    def last_change(self):
        history = self.history
        return history[-1] if history else None

    def snapshot(self) -> dict:
        return {
            "name": self.name,
            "dose": self.dose,
            "schedule": self.schedule,
            "note": self.note,
            "started_on": self.started_on.isoformat() if self.started_on else None,
        }


class MedicationChange(models.Model):
    """A medication's history: what it read before and after each change, who changed it."""

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        EDITED = "edited", "Changed"
        STOPPED = "stopped", "Stopped"

    medication = models.ForeignKey(Medication, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"medication {self.medication_id} {self.action}"
