"""The local mirror of Impilo's device inventory and Validic Smart Meter connections."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.crypto import EncryptedJSONField
from portal.identifiers import clean_identifier_fields
from portal.models import Organization, Patient, Site


class ItemKind(models.TextChoices):
    BLOOD_PRESSURE = "blood_pressure", "Blood pressure monitor"
    WEIGHT_SCALE = "weight_scale", "Weight scale"
    PULSE_OXIMETER = "pulse_oximeter", "Pulse oximeter"
    GLUCOMETER = "glucometer", "Glucometer"
    THERMOMETER = "thermometer", "Thermometer"
    NON_MEDICAL = "non_medical", "Non-medical supply"


class Item(models.Model):
    """A catalogue entry (seed 000: 'an item is any of the supplies handled by Impilo')."""

    impilo_item_id = models.BigIntegerField(unique=True, null=True, blank=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    is_serialized = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DeviceStatus(models.TextChoices):
    """Impilo device statuses (seed 001 names `available`, `availableAtSite`, `decommissioned`;
    the others are the states a device passes through in the guide's scenarios)."""

    AVAILABLE = "available", "In Impilo warehouse"
    AVAILABLE_AT_SITE = "availableAtSite", "Available at site"
    ASSIGNED = "assigned", "Assigned to patient"
    IN_TRANSIT = "inTransit", "In transit"
    RETURNED = "returned", "Returned to Impilo"
    DEFECTIVE = "defective", "Defective"
    DECOMMISSIONED = "decommissioned", "Decommissioned"


class DeviceSource(models.TextChoices):
    IMPILO = "impilo", "Impilo"
    VALIDIC = "validic", "Validic Smart Meter"


class Device(models.Model):
    """An instance of an item (seed 000: 'Impilo creates device records for items that are
    serialized'). Validic Smart Meter devices are known by IMEI only (`impilo_device_id` NULL)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="devices")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="devices")
    source = models.CharField(
        max_length=10, choices=DeviceSource.choices, default=DeviceSource.IMPILO
    )
    impilo_device_id = models.BigIntegerField(null=True, blank=True, unique=True)
    identifier = models.CharField(
        max_length=64, help_text="Serial number, IMEI or other identifier printed on the device."
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )
    current_status = models.CharField(
        max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.AVAILABLE_AT_SITE
    )
    assigned_patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "identifier"], name="device_unique_identifier"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "current_status"], name="device_by_status"),
            models.Index(fields=["assigned_patient"], name="device_by_patient"),
        ]

    def __str__(self):
        return f"{self.item} {self.identifier}"

    @property
    def is_decommissioned(self) -> bool:
        return self.current_status == DeviceStatus.DECOMMISSIONED

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude)
        clean_identifier_fields(self, ["identifier"], exclude)


class DeviceStatusChange(models.Model):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=DeviceStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DeviceStatus.choices)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.device_id}: {self.from_status} → {self.to_status}"


class AssignmentEndReason(models.TextChoices):
    UNASSIGNED = "unassigned", "Unassigned"
    REPLACED = "replaced", "Replaced (defective)"


class DeviceAssignment(models.Model):
    """One period during which a device belonged to a patient; history is never rewritten."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="assignments")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="device_assignments"
    )
    assigned_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=12, choices=AssignmentEndReason.choices, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            # A device has at most one open assignment: two nurses assigning at once → one wins.
            models.UniqueConstraint(
                fields=["device"], condition=Q(ended_at__isnull=True), name="assignment_one_open"
            ),
        ]

    def __str__(self):
        return f"device {self.device_id} → patient {self.patient_id}"


class SmartMeterConnection(models.Model):
    """A Validic Smart Meter IMEI connected to a patient (seed 004)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="smart_meter_connections"
    )
    imei = models.CharField("IMEI", max_length=15)
    device_type = models.CharField(
        max_length=32, help_text="Validic device_type, e.g. blood_glucose"
    )
    device_name = models.CharField(max_length=100, blank=True)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="connections"
    )
    created_at = models.DateTimeField(help_text="Validic's created_at")
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["imei"], condition=Q(deleted_at__isnull=True), name="smart_meter_one_open"
            ),
        ]

    def __str__(self):
        return f"IMEI {self.imei} → patient {self.patient_id}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None


class DeviceOperation(models.Model):
    """A claim: a staff action is calling Impilo or Validic about one device (or one Smart Meter
    IMEI). The action takes it in a short transaction after checking its rules, calls the vendor
    with no transaction open and no row locked, then records the vendor's answer and deletes the
    claim in a second short transaction (see `devices.services.claims`). While the claim lives, a
    second action on the same device is refused at once instead of waiting for the vendor."""

    key = models.CharField(max_length=40, unique=True, help_text="device:<pk> or imei:<IMEI>")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=40, help_text="the audit action, e.g. device.assign")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["organization", "started_at"], name="device_operation_by_age"),
        ]

    def __str__(self):
        return f"{self.action} on {self.key}"


class ImpiloWebhook(models.Model):
    """A webhook registered with Impilo for `order.Status` events (devices/webhooks.py has the
    shape decided for them). `receiver_id` is the path segment of our endpoint
    (/webhooks/impilo/<receiver_id>); the signing secret Impilo gave us is encrypted at rest."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="impilo_webhooks"
    )
    receiver_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    impilo_id = models.CharField(max_length=64, blank=True)
    endpoint = models.URLField(max_length=500)
    event_types = models.JSONField(default=list)
    secrets = EncryptedJSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Impilo webhook {self.receiver_id}"

    @property
    def secret(self) -> str:
        return (self.secrets or {}).get("secret", "")


class ImpiloWebhookDelivery(models.Model):
    """The inbox: one row per Impilo event, written before Impilo gets its 2xx. Unique by the
    event's `id`, so a redelivery (Impilo signs each attempt afresh, so its bytes differ) is a
    no-op."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        RETRYING = "retrying", "Waiting to retry"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(ImpiloWebhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "Impilo webhook deliveries"  # Django would say "…ys"
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event_id"], name="impilo_delivery_once_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="impilo_delivery_due"),
        ]

    def __str__(self):
        return f"Impilo delivery {self.pk}"
