"""What the portal keeps of Solo records that Solo cannot give back: the bytes of attachments
uploaded through the portal, the patient documents it added, the stat consults it requested
(seed 003). appointments.models re-exports them: import from there. Kept apart only for size;
the app label is `appointments` all the same."""

from django.conf import settings
from django.db import models

from portal.models import Organization, Patient


class AttachmentCopy(models.Model):
    """The bytes of an attachment as uploaded through the portal. Solo offers upload, list and
    delete but no download (seed 003 "Appointment Attachments"), so without this copy a file
    cannot be opened again. Served only to staff of the organization (appointments.views_
    attachments), with the type that was checked at upload."""

    attachment = models.OneToOneField(
        "appointments.Attachment", on_delete=models.CASCADE, related_name="copy"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # Named by the service (attachments/<organization>/<random hex>), never by the uploader, so
    # no path can be smuggled in; there is no MEDIA_URL: the bytes are served only by a view.
    file = models.FileField(max_length=200)
    sha256 = models.CharField(max_length=64)
    stored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "attachment copies"  # Django would say "…ys"

    def __str__(self):
        return f"Attachment copy {self.pk}"


class PatientDocument(models.Model):
    """A document the portal added to a patient in Solo (seed 003 "Add Patient Document": name,
    dateTime, question-and-response pairs). Solo answers `[]` and lists none back, so this row is
    the only record of what was sent."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="solo_documents")
    name = models.CharField(max_length=200)
    written_at = models.DateTimeField(help_text="The document's dateTime, as sent to Solo.")
    responses = models.JSONField(default=list, help_text="[{question, response}] as sent.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]

    def __str__(self):
        return f"Patient document {self.pk}"


class ConsultRequest(models.Model):
    """A stat teleconsult requested through Solo's perfect answer API (seed 003): Solo creates or
    updates the patient, books a visit and prefills its note; it answers with its patient id and
    the visit (encounter) id."""

    class Reason(models.TextChoices):
        STROKE = "Stroke", "Stroke"
        EEG_STAT = "EEG Stat", "EEG stat"
        EEG_ROUTINE = "EEG Routine", "EEG routine"

    class ConsultType(models.TextChoices):
        NEW = "new", "New consult"
        UPDATE = "update", "Update to a consult"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="consult_requests"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    consult_type = models.CharField(max_length=10, choices=ConsultType.choices)
    solo_patient_id = models.CharField(max_length=64)
    encounter_id = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Consult request {self.pk}"
