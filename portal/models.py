"""Core models every app uses: tenants, staff, patients, keys, vendor accounts, audit, sync."""

import hashlib
import hmac
import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from portal.crypto import EncryptedJSONField
from portal.enrolment_models import (  # noqa: F401 (models registered with the portal app)
    ConsentMethod,
    DischargeReason,
    PatientDiagnosis,
    Program,
    Sex,
)
from portal.http import vendor_url_problem
from portal.identifiers import clean_identifier_fields


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. America/Chicago).")


class Organization(models.Model):
    """A customer: one clinic or health system. Maps to an Impilo customer, a Solo brand and a
    patient-graph brand."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    impilo_customer_id = models.CharField(max_length=64, blank=True)
    solo_brand = models.CharField(max_length=64, blank=True)
    patient_graph_brand_id = models.CharField(max_length=64, blank=True)
    require_second_factor = models.BooleanField(
        default=False,
        help_text="Staff must sign in with a second factor (authenticator app or passkey).",
    )
    # Replaced whenever one of the organization's threshold rules is written, so every process
    # knows when its cached rules are stale (readings.thresholds).
    thresholds_version = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Site(models.Model):
    """A place devices sit: a clinic, or an Impilo warehouse (`is_vendor_site`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    impilo_site_id = models.BigIntegerField(null=True, blank=True)
    is_vendor_site = models.BooleanField(
        default=False, help_text="An Impilo warehouse: devices here cannot be assigned."
    )
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "impilo_site_id"], name="site_unique_impilo_id_per_org"
            )
        ]

    def __str__(self):
        return self.name


class Patient(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="patients"
    )
    mrn = models.CharField("MRN", max_length=64)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    zip_code = models.CharField("ZIP", max_length=10, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    # The patient agreed to receive visit join links at `email` (and when, and who recorded it).
    # Agreement is for that address: changing the address withdraws it (appointments.services).
    # The audit trail keeps every change; these fields hold the current answer.
    email_links_consent = models.BooleanField("agreed to visit links by email", default=False)
    email_links_consent_at = models.DateTimeField(null=True, blank=True)
    email_links_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(default=True)
    monitoring_started_on = models.DateField(null=True, blank=True)
    primary_nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="primary_patients",
    )
    # Enrolment (portal/enrolment_models.py holds the vocabularies and the diagnosis list).
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="patients"
    )
    ordering_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ordered_patients",
    )
    # Consent to remote monitoring, as CMS asks it documented: when, how, who took it, and
    # which version of the consent text the patient agreed to. Empty: not recorded.
    consent_on = models.DateField("consent given on", null=True, blank=True)
    consent_method = models.CharField(max_length=12, choices=ConsentMethod.choices, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent_text_version = models.CharField(max_length=40, blank=True)
    # Discharge ends monitoring (is_active False) and keeps everything recorded before it.
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField(blank=True)
    # Vendor ids: NULL when the patient is not known to that vendor (NULL keeps uniqueness).
    impilo_patient_id = models.BigIntegerField(null=True, blank=True)
    solo_id = models.CharField("Solo id", max_length=64, null=True, blank=True)
    solo_spid = models.CharField("Solo SPID", max_length=128, null=True, blank=True)
    solo_hsid = models.CharField("Solo HSID", max_length=128, null=True, blank=True)
    validic_user_id = models.CharField(max_length=64, null=True, blank=True)
    patient_graph_id = models.CharField(max_length=64, null=True, blank=True)
    # When Solo last said the patient is deactivated (`active: false` in Get Patient, after a
    # patient:* webhook); NULL while Solo holds them active. Kept apart from `is_active`, which is
    # the portal's own decision (monitoring, roster, billing): Solo's flag only stops visits, and
    # reactivation in Solo must not undo a discharge made in the portal, nor the reverse.
    solo_deactivated_at = models.DateTimeField("deactivated in Solo", null=True, blank=True)
    # Why a vendor id above is still empty after the portal last tried to find or create it
    # ({"solo"|"validic"|"impilo": staff message}); cleared per vendor once linked
    # (readings.care.enrolment). Vendor messages only, never patient details.
    vendor_link_problems = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="patient_unique_mrn"),
            models.UniqueConstraint(
                fields=["organization", "impilo_patient_id"], name="patient_unique_impilo_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "solo_id"], name="patient_unique_solo_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "validic_user_id"], name="patient_unique_validic_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "patient_graph_id"], name="patient_unique_pg_id"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "last_name", "first_name"], name="patient_by_name"
            ),
        ]

    def __str__(self):
        # Deliberately not the name: str() ends up in logs and admin messages.
        return f"Patient {self.pk} (MRN {self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    IDENTIFIER_FIELDS = (
        "mrn",
        "solo_id",
        "solo_spid",
        "solo_hsid",
        "validic_user_id",
        "patient_graph_id",
    )

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        try:
            clean_identifier_fields(self, self.IDENTIFIER_FIELDS, exclude, zip_field="zip_code")
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class Role(models.TextChoices):
    NURSE = "nurse", "Nurse"
    COORDINATOR = "coordinator", "Care coordinator"
    ORG_ADMIN = "org_admin", "Organization admin"
    # A physician or other qualified health professional (CMS "QHP"): the only role whose data
    # interpretation time bills 99091 and who may sign a month's billing report.
    PHYSICIAN = "physician", "Physician / QHP"


# Roles whose holders are clinical staff unless an admin says otherwise (Membership.clinical_staff).
CLINICAL_STAFF_BY_DEFAULT = frozenset({Role.NURSE})


class Membership(models.Model):
    """A staff user's place in one organization. One organization per user keeps every query's
    scope unambiguous; a person working for two clinics gets two accounts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.NURSE)
    clinical_staff = models.BooleanField(
        "clinical staff",
        null=True,
        blank=True,
        help_text="Whether this person is clinical staff under CMS rules (their management "
        "time bills 99470/99457/99458). Empty: the role decides (a nurse is, a coordinator "
        "is not).",
    )
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="The zone this person's work queues are shown in. Empty: the organization's.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    @property
    def viewer_tz(self) -> zoneinfo.ZoneInfo:
        """The zone alerts, worklists, time entries, device events and visits are shown in."""
        return zoneinfo.ZoneInfo(self.time_zone or self.organization.time_zone)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ORG_ADMIN

    @property
    def is_physician(self) -> bool:
        """A physician or QHP: interpretation time (99091) and report signing."""
        return self.role == Role.PHYSICIAN

    @property
    def is_clinical_staff(self) -> bool:
        if self.clinical_staff is not None:
            return self.clinical_staff
        return self.role in CLINICAL_STAFF_BY_DEFAULT

    @property
    def may_bill_management(self) -> bool:
        """Whether this person's care-management time is billable (99470/99457/99458): clinical
        staff or a physician/QHP."""
        return self.is_physician or self.is_clinical_staff


class ApiScope(models.TextChoices):
    PATIENTS_READ = "patients:read", "Read patients"
    PATIENTS_WRITE = "patients:write", "Enrol patients"
    READINGS_READ = "readings:read", "Read readings and alerts"
    READINGS_WRITE = "readings:write", "Post readings"
    DEVICES_READ = "devices:read", "Read devices"
    DEVICES_WRITE = "devices:write", "Assign and change devices"
    APPOINTMENTS_READ = "appointments:read", "Read appointments"
    APPOINTMENTS_WRITE = "appointments:write", "Book and change appointments"
    CARE_WRITE = "care:write", "Triage alerts and log care time"


def _all_scopes() -> list[str]:
    return [s.value for s in ApiScope]


class ApiKey(models.Model):
    """An integrator's key. The key is `vp_<prefix>_<secret>`; only SHA-256 of the whole key is
    stored (the key has 190 bits of entropy, so a slow hash adds nothing), compared in
    constant time after a lookup by prefix."""

    PREFIX_LEN = 8

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LEN, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=_all_scopes)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate(cls, *, organization, name, scopes=None, created_by=None) -> tuple["ApiKey", str]:
        """Create a key and return it with the raw key, which is never stored nor shown again."""
        prefix = secrets.token_hex(cls.PREFIX_LEN // 2)
        raw = f"vp_{prefix}_{secrets.token_urlsafe(24)}"
        key = cls.objects.create(
            organization=organization,
            name=name,
            prefix=prefix,
            key_hash=cls.hash_key(raw),
            scopes=list(scopes) if scopes is not None else _all_scopes(),
            created_by=created_by,
        )
        return key, raw

    def matches(self, raw: str) -> bool:
        return hmac.compare_digest(self.key_hash, self.hash_key(raw))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class Vendor(models.TextChoices):
    IMPILO = "impilo", "Impilo"
    VALIDIC = "validic", "Validic Inform"
    PATIENT_GRAPH = "patient_graph", "patient-graph"
    SOLO = "solo", "Teladoc Health Solo"


class VendorAccount(models.Model):
    """How one organization reaches one vendor. `secrets` (API keys, tokens, webhook keys) is
    encrypted at rest; each client documents the keys it reads."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="vendor_accounts"
    )
    vendor = models.CharField(max_length=20, choices=Vendor.choices)
    base_url = models.URLField(max_length=300)
    secrets = EncryptedJSONField(default=dict, blank=True)
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "vendor"], name="vendor_account_unique")
        ]

    def __str__(self):
        return f"{self.organization} → {self.get_vendor_display()}"

    def clean_fields(self, exclude=None):
        """The base URL must be one the portal is allowed to call (the HTTP layer checks it
        again on every call, so a row saved around this check is still never called)."""
        super().clean_fields(exclude=exclude)
        if exclude and "base_url" in exclude:
            return
        problem = vendor_url_problem(self.vendor, self.base_url) if self.base_url else None
        if problem:
            raise ValidationError({"base_url": f"The base URL {problem}"})

    def secret(self, name: str, default: str = "") -> str:
        return (self.secrets or {}).get(name, default)


class AuditEvent(models.Model):
    """Append-only record of who saw or changed what. Holds ids and action names, never PHI
    values (no names, birth dates or readings)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    organization = models.ForeignKey(
        Organization, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="audit_by_patient"),
            models.Index(fields=["organization", "-at"], name="audit_by_org"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only.")


# Split out for size; imported last because it uses the models above (re-exported from here).
from portal.staff_models import InviteStatus, StaffInvite  # noqa: E402, F401
from portal.sync_models import SyncRun  # noqa: E402, F401
