"""A physician's signature on a month's billing report, and the evidence it froze.

Signing copies the report as it was: one `SignedPatientMonth` per patient line, holding the
line (codes, units, reasons, periods with their device days, the month's time totals) and the
evidence behind it (the readings behind each device day, the time entries with person, role
and activity). Nothing here is recomputed later: a reading or a time entry that arrives after
signing shows as an amendment beside the signed figures (readings.care.signing), never as a
change to them. Rows are never updated or deleted by the portal (PROTECT everywhere); signing
again after an amendment adds a new version that supersedes the old one, which is kept.

Imported at the end of readings/care/models.py so Django finds the models in the care app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import Organization, Patient, Role


class BillingSignature(models.Model):
    """One version of one organization's signed month. Version 1 is the first signature; a
    later version (`supersedes` the one before) signs the report again with its amendment."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="The month's first day.")
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # As printed on the packet: the name and role the signer had when signing.
    signer_name = models.CharField(max_length=300)
    signer_role = models.CharField(max_length=20, choices=Role.choices)
    signed_at = models.DateTimeField()
    attestation = models.TextField()
    patients = models.PositiveIntegerField(default=0, help_text="Patient lines signed.")
    codes = models.JSONField(default=dict, help_text="Units per code across the lines.")

    class Meta:
        ordering = ["-month", "-version"]
        constraints = [
            # Two physicians pressing "Sign" at once: one version wins, the other finds it.
            models.UniqueConstraint(
                fields=["organization", "month", "version"], name="billing_signature_version"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="billing_signature_v1"),
        ]

    def __str__(self):
        return f"billing {self.month:%Y-%m} v{self.version} (org {self.organization_id})"


class SignedPatientMonth(models.Model):
    """One patient's line of a signed month, frozen: `line` is the report line as signed and
    `evidence` what it rests on (see readings.care.signing for both shapes)."""

    signature = models.ForeignKey(
        BillingSignature, on_delete=models.PROTECT, related_name="patient_months"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    line = models.JSONField()
    evidence = models.JSONField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["signature", "patient"], name="signed_patient_month_once"
            )
        ]

    def __str__(self):
        return f"patient {self.patient_id} in {self.signature}"
