"""Device API shapes: ModelSerializers for output, StrictSerializers for action input."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices.models import (
    Device,
    DeviceAssignment,
    DeviceStatus,
    DeviceStatusChange,
    Item,
    SmartMeterConnection,
)
from devices.services import NOTE_REQUIRED_STATUSES, SMART_METER_TYPES
from portal.api_helpers import MAX_ID, StrictSerializer
from portal.models import Site
from portal.schema import NON_BLANK_TEXT

STATUS_HELP = "An Impilo device status: " + ", ".join(DeviceStatus.values)


def status_out(**kwargs):
    # Output status fields are plain strings in the schema: one enum (StatusEnum, on the
    # input) instead of four identical ones under different names.
    return serializers.CharField(read_only=True, help_text=STATUS_HELP, **kwargs)


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "impilo_item_id", "name", "kind"]


class SiteRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "impilo_site_id", "name", "is_vendor_site"]


class DeviceSerializer(serializers.ModelSerializer):
    item = ItemSerializer()
    site = SiteRefSerializer(allow_null=True)
    assigned_patient_id = serializers.IntegerField(allow_null=True)
    current_status = status_out()

    class Meta:
        model = Device
        fields = [
            "id",
            "impilo_device_id",
            "identifier",
            "source",
            "item",
            "site",
            "current_status",
            "assigned_patient_id",
            "last_synced_at",
            "updated_at",
        ]


class StatusChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)
    from_status = status_out()
    to_status = status_out()

    class Meta:
        model = DeviceStatusChange
        fields = ["id", "from_status", "to_status", "note", "changed_by", "changed_at"]


class AssignmentSerializer(serializers.ModelSerializer):
    replaced_by_device_id = serializers.IntegerField(
        source="replaced_by.device_id", allow_null=True, default=None
    )

    class Meta:
        model = DeviceAssignment
        fields = [
            "id",
            "device_id",
            "patient_id",
            "assigned_at",
            "ended_at",
            "ended_reason",
            "replaced_by_device_id",
        ]


class DeviceDetailSerializer(DeviceSerializer):
    assignments = AssignmentSerializer(many=True)
    status_changes = StatusChangeSerializer(many=True)

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "assignments", "status_changes"]


class SmartMeterConnectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SmartMeterConnection
        fields = [
            "id",
            "patient_id",
            "imei",
            "device_type",
            "device_name",
            "device_id",
            "created_at",
            "deleted_at",
            "deleted_reason",
        ]


# --- input ------------------------------------------------------------------------------------
class AssignInput(StrictSerializer):
    patient_id = serializers.IntegerField()


class SiteInput(StrictSerializer):
    site_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="One of the organization's clinics (a site Impilo knows that is not an Impilo "
        "warehouse); see `site` on a device.",
    )


class ReplaceInput(StrictSerializer):
    replacement_device_id = serializers.IntegerField(
        help_text="A device of the same kind (catalogue item kind) on the shelf; another kind "
        "is 409 `replacement_kind_mismatch`."
    )
    # Blank is accepted here so that the service refuses it with its own code (one rule for
    # page and API): 422 `note_required`.
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        default="",
        help_text="Required: what is wrong with the old device (blank is 422 `note_required`).",
    )


class StatusInput(StrictSerializer):
    # A note is required to decommission or to mark defective (services.device_set_status).
    openapi_extra = {
        "anyOf": [
            {"properties": {"status": {"not": {"enum": sorted(NOTE_REQUIRED_STATUSES)}}}},
            {
                "required": ["note"],
                "properties": {"note": {"type": "string", "pattern": NON_BLANK_TEXT}},
            },
        ]
    }

    # "assigned" follows an assignment (the assign endpoint); it is not set by hand.
    status = serializers.ChoiceField(
        choices=[c for c in DeviceStatus.choices if c[0] != DeviceStatus.ASSIGNED]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


@extend_schema_field({"type": "string", "format": "imei", "maxLength": 40})
class ImeiField(serializers.CharField):
    """An IMEI as printed on a label: 15 digits; spaces and dashes are dropped
    (devices.validators.clean_imei). `format: imei` says so in the schema."""


class SmartMeterConnectInput(StrictSerializer):
    imei = ImeiField(
        max_length=40,
        help_text="15 digits. The last should be a Luhn check digit: one that does not match "
        "is 422 `imei_check_digit` unless `confirm_imei` is true.",
    )
    device_type = serializers.ChoiceField(choices=sorted(SMART_METER_TYPES))
    confirm_imei = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Connect even though the IMEI's check digit does not match (staff checked "
        "the label).",
    )


class EmptyInput(StrictSerializer):
    pass
