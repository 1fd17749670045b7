"""What a patient is enrolled in and for: the monitoring program, diagnoses (ICD-10-CM), consent
and discharge vocabularies. The fields live on `Patient` (portal.models); the lists that grow
(diagnoses) and the organization's own programs live here.

Codes follow standards where one exists: sex is FHIR's administrative gender; diagnoses are
ICD-10-CM codes as CMS publishes them (with the dot, e.g. "I50.22"), looked up in the code set by
the enrolment page — the row keeps the description as shown when it was chosen, so a later
code-set release never rewrites what a clinician picked."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Sex(models.TextChoices):
    # FHIR R4 AdministrativeGender: what a claim and the EHR exchange carry.
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class ConsentMethod(models.TextChoices):
    # CMS requires consent for RPM to be obtained and documented; it may be verbal.
    VERBAL = "verbal", "Verbal"
    WRITTEN = "written", "Written (signed form)"
    ELECTRONIC = "electronic", "Electronic"


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Program goals met"
    PATIENT_REQUEST = "patient_request", "Patient asked to stop"
    NOT_ENGAGED = "not_engaged", "Not taking readings"
    COVERAGE = "coverage", "Insurance or coverage change"
    HIGHER_CARE = "higher_care", "Moved to a higher level of care"
    MOVED = "moved", "Moved away or changed provider"
    DECEASED = "deceased", "Deceased"
    OTHER = "other", "Other"


class Program(models.Model):
    """A monitoring program. The built-in ones (organization NULL: hypertension, heart failure,
    diabetes, COPD) come with the product and carry default alert rules applied on enrolment;
    an organization may add its own (no defaults: its thresholds are the organization's)."""

    organization = models.ForeignKey(
        "portal.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="programs",
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    BUILT_IN = (
        ("hypertension", "Hypertension"),
        ("heart_failure", "Heart failure"),
        ("diabetes", "Diabetes"),
        ("copd", "COPD"),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="program_unique_code_per_org"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(organization__isnull=True),
                name="program_unique_built_in_code",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_built_in(self) -> bool:
        return self.organization_id is None

    @classmethod
    def for_organization(cls, organization):
        """The programs an organization may enrol into: the built-in ones and its own."""
        return cls.objects.filter(
            Q(organization__isnull=True) | Q(organization=organization), is_active=True
        )


class PatientDiagnosis(models.Model):
    """A diagnosis on the patient's problem list for monitoring (the reason RPM is medically
    necessary). Removing one keeps the row (removed_at/by): a claim already made cited it."""

    patient = models.ForeignKey(
        "portal.Patient", on_delete=models.CASCADE, related_name="diagnoses"
    )
    code = models.CharField("ICD-10-CM code", max_length=8)
    description = models.CharField(max_length=255)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name_plural = "patient diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "code"],
                condition=Q(removed_at__isnull=True),
                name="diagnosis_unique_current_code",
            ),
        ]

    def __str__(self):
        return self.code
