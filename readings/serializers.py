"""Input contracts copied field by field from the vendor documents, and output shapes.

Vendor-shaped inputs (Impilo's HeartRateReadingRequest, patient-graph's metric entry, Validic's
measurement record) are liberal in what they accept: a field the document does not define is
ignored, and its name logged once per process (`VendorShapeSerializer`), so the day a vendor
adds one, readings keep arriving. The portal's own inputs (StrictSerializer) still refuse
unknown fields: a typo there must not pass silently."""

import logging
from datetime import UTC

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal import dates
from portal.api_helpers import (
    ASCII_ONLY_FIELDS,
    NON_ASCII_MESSAGE,
    ErrorSerializer,
    JsonTypedSerializer,
)
from portal.identifiers import validate_identifier
from portal.vendor_shapes import names_not_yet_logged
from readings.models import Reading

logger = logging.getLogger(__name__)


def unknown_fields_note(shape: str, names) -> None:
    """Log the names (never the values: they may be PHI) of fields a vendor shape ignored,
    each name once per process (portal.vendor_shapes)."""
    for name in names_not_yet_logged(shape, {str(n)[:64] for n in names}):
        logger.info("vendor shape %s: unknown field %r ignored", shape, name)


class VendorShapeSerializer(JsonTypedSerializer):
    """A vendor's input shape: fields the document does not define are accepted and ignored
    (their names logged once, see unknown_fields_note); the fields it does define keep every
    check of a strict input (their JSON type, ASCII digits in numbers and timestamps)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = set(data) - set(self.fields)
            if unknown:
                unknown_fields_note(type(self).__name__, unknown)
            non_ascii = {
                name: [NON_ASCII_MESSAGE]
                for name, field in self.fields.items()
                if isinstance(field, ASCII_ONLY_FIELDS)
                and isinstance(data.get(name), str)
                and not data[name].isascii()
            }
            if non_ascii:
                raise serializers.ValidationError(non_ascii)
        return super().to_internal_value(data)


class StrictInteger(serializers.IntegerField):
    """An integer in JSON, not a string or a float that happens to convert."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictNumber(serializers.FloatField):
    """A JSON number (not a numeric string)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBoolean(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class OffsetDateTimeField(serializers.DateTimeField):
    """An RFC 3339 `date-time` (seed 002's `format`), whose offset is part of the format: one
    written without it is refused, never read as UTC or the server's zone (a guess that moves
    the reading by hours). The patient-graph sandbox refuses it the same way."""

    default_error_messages = {
        "naive": "Give the UTC offset (e.g. Z or -05:00): a date-time without one is ambiguous."
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well formed but impossible: DateTimeField says so
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class HeartRateReadingRequest(VendorShapeSerializer):
    """Impilo `HeartRateReadingRequest` (seed 000)."""

    # Seed 000: the device (by id or identifier) or the patient must be named.
    openapi_extra = {
        "anyOf": [
            {"required": ["deviceId"], "properties": {"deviceId": {"type": "integer"}}},
            {
                "required": ["deviceIdentifier"],
                "properties": {"deviceIdentifier": {"type": "string"}},
            },
            {"required": ["patientId"], "properties": {"patientId": {"type": "integer"}}},
        ]
    }

    readingTimestamp = serializers.DateTimeField(
        default_timezone=UTC, help_text="The UTC timestamp (seed 000): no offset means UTC."
    )
    deviceId = StrictInteger(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    deviceIdentifier = serializers.CharField(required=False, allow_null=True, max_length=64)
    patientId = StrictInteger(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1, help_text="Impilo id."
    )
    deviceTimeZoneOffset = StrictInteger(required=False, allow_null=True)
    manual = StrictBoolean(required=False, allow_null=True)
    heartRate = StrictInteger(required=False, allow_null=True)


def iso_z(instant) -> str:
    """An instant as the vendors write it: UTC with `Z`, microseconds only when there are some."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UtcInstantField(serializers.CharField):
    """An output instant written by iso_z (a string in the schema, as the vendor documents it)."""

    def to_representation(self, value):
        return iso_z(value)


class ImpiloPatientRef(serializers.Serializer):
    id = serializers.IntegerField(source="impilo_patient_id", allow_null=True)
    externalId = serializers.CharField(source="mrn")


class ImpiloItemRef(serializers.Serializer):
    id = serializers.IntegerField(source="impilo_item_id", allow_null=True)
    name = serializers.CharField()
    kind = serializers.CharField()


class ImpiloDeviceRef(serializers.Serializer):
    # A Validic Smart Meter device has no Impilo id.
    id = serializers.IntegerField(source="impilo_device_id", allow_null=True)
    identifier = serializers.CharField()
    currentStatus = serializers.CharField(source="current_status")


class ImpiloReadingObject(serializers.Serializer):
    """The reading object Record Heart Rate Reading returns (seed 000)."""

    # Read from a stored heart rate Reading: the schema and the body both come from here.

    id = serializers.IntegerField()
    readingTimestamp = UtcInstantField(source="measured_at")
    manual = serializers.BooleanField(allow_null=True)
    deviceTimeZoneOffset = serializers.IntegerField(source="device_tz_offset", allow_null=True)
    patientTimeZoneOffset = serializers.IntegerField(source="patient_tz_offset", allow_null=True)
    heartRate = serializers.IntegerField(source="value", allow_null=True)
    patient = ImpiloPatientRef(allow_null=True)
    # No device (a reading posted by patient id alone): null item and device.
    item = ImpiloItemRef(source="device.item", allow_null=True)
    device = ImpiloDeviceRef(allow_null=True)


class PatientMetricRequest(VendorShapeSerializer):
    """patient-graph metric entry request (seed 002)."""

    # One of value_numeric (a decimal number) or value_text is required (services).
    openapi_extra = {
        "anyOf": [
            {
                "required": ["value_numeric"],
                "properties": {
                    "value_numeric": {
                        "type": "string",
                        "pattern": r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$",
                    }
                },
            },
            {
                "required": ["value_text"],
                "properties": {"value_text": {"type": "string", "pattern": r"\S"}},
            },
        ]
    }

    metric_key = serializers.CharField(
        min_length=1, max_length=64, validators=[validate_identifier]
    )
    value_numeric = serializers.CharField(required=False, allow_blank=True, max_length=40)
    value_text = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    unit = serializers.CharField(
        required=False, allow_blank=True, max_length=32, validators=[validate_identifier]
    )
    source = serializers.ChoiceField(choices=["manual", "api", "upload"])
    is_phi = StrictBoolean(required=False)
    recorded_at = OffsetDateTimeField()

    def validate(self, attrs):
        for name in ("metric_key", "value_numeric", "value_text", "unit"):
            if name in self.initial_data and not isinstance(self.initial_data[name], str):
                raise serializers.ValidationError({name: ["Must be a string."]})
        return attrs


class FromContextField(serializers.CharField):
    """A value the view knows rather than the reading: `context[<field name>]`."""

    def get_attribute(self, instance):
        return self.context[self.field_name]


class AsSentField(serializers.CharField):
    """The request's value as the client sent it (patient-graph echoes these untrimmed and
    unconverted); null when it sent none or an empty one."""

    def get_attribute(self, instance):
        return self.context["sent"].get(self.field_name) or None


class BlankAsNullField(serializers.CharField):
    def get_attribute(self, instance):
        return super().get_attribute(instance) or None


class PatientMetricEntry(serializers.Serializer):
    """patient-graph 201 response (seed 002): every property required."""

    # Read from a stored Reading, with context `patient_id` (as in the URL), `brand_id` and
    # `sent` (the request body): the schema and the body both come from here.

    id = serializers.CharField()
    patient_id = FromContextField()
    brand_id = FromContextField()
    metric_key = serializers.CharField()
    value_numeric = AsSentField(allow_null=True)
    value_text = BlankAsNullField(allow_null=True)
    unit = AsSentField(allow_null=True)
    source = serializers.CharField()
    is_phi = serializers.BooleanField()
    recorded_at = UtcInstantField(source="measured_at")
    created_at = UtcInstantField()


class PatientGraphError(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField()


class ValidicMetric(VendorShapeSerializer):
    type = serializers.CharField(max_length=64)
    origin = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)
    unit = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)
    value = StrictNumber()


class ValidicDevice(JsonTypedSerializer):
    id = serializers.CharField(max_length=64, required=False)
    model = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    manufacturer = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    diagnostics = serializers.ListField(required=False)


class ValidicSource(JsonTypedSerializer):
    type = serializers.CharField()
    device = ValidicDevice(required=False, allow_null=True)


class ValidicUser(JsonTypedSerializer):
    organization_id = serializers.CharField(required=False, allow_blank=True)
    user_id = serializers.CharField()
    uid = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class ValidicMeasurementRecord(VendorShapeSerializer):
    """A Validic Inform measurement record (seed 004 "Sample Data")."""

    id = serializers.CharField(max_length=128)
    checksum = serializers.CharField(max_length=128)
    created_at = serializers.DateTimeField(
        required=False, validators=[dates.QUERY_INSTANT.validate]
    )
    deleted_at = serializers.DateTimeField(
        required=False, allow_null=True, validators=[dates.QUERY_INSTANT.validate]
    )
    end_time = serializers.DateTimeField(required=False, validators=[dates.QUERY_INSTANT.validate])
    start_time = serializers.DateTimeField()
    log_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    metrics = ValidicMetric(many=True, allow_empty=False)
    offset_origin = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    source = ValidicSource()
    tags = serializers.ListField(required=False)
    type = serializers.ChoiceField(choices=["measurement"])
    user = ValidicUser()
    user_notes = serializers.ListField(required=False)
    utc_offset = StrictInteger(required=False, allow_null=True)
    version = serializers.CharField(required=False, allow_blank=True)


class MeasurementBatch(serializers.Serializer):
    """A list of Validic measurement records. Each is judged on its own (an outcome per record in
    the answer), so the list's items are any objects as far as the request is concerned."""

    openapi_extra = {
        "type": "array",
        "minItems": 1,
        "maxItems": 500,
        "items": {"type": "object", "description": "A ValidicMeasurementRecord."},
    }


class MeasurementOutcome(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["created", "duplicate", "updated", "deleted", "error"]
    )
    readings = serializers.ListField(child=serializers.IntegerField())
    error = ErrorSerializer(required=False, help_text="Only with status `error`.")


class MeasurementsResponse(serializers.Serializer):
    results = MeasurementOutcome(many=True)
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()


class ReadingVersionSerializer(serializers.Serializer):
    """An earlier version of a vendor record, as this reading's metric had it."""

    replaced_at = UtcInstantField(help_text="When the portal replaced or removed it.")
    change = serializers.ChoiceField(choices=["corrected", "deleted"])
    checksum = serializers.CharField(help_text="The vendor's checksum of that version.")
    replaced_by_checksum = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    value_text = serializers.CharField()
    unit = serializers.CharField()
    measured_at = serializers.CharField()


class ReadingSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.identifier", default=None, allow_null=True)
    local_time = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField(
        help_text="Earlier versions of the vendor record (oldest first): a correction keeps "
        "the values it replaced. Empty for readings never replaced."
    )

    class Meta:
        model = Reading
        fields = [
            "id",
            "metric",
            "metric_key",
            "value",
            "value_text",
            "unit",
            "loinc",
            "measured_at",
            "local_time",
            "device_tz_offset",
            "patient_tz_offset",
            "source",
            "device",
            "manual",
            "origin",
            "measurement_group",
            "history",
            "local_day",
            "transmitted",
        ]

    def get_local_time(self, obj) -> str:
        return obj.local_measured_at.isoformat()

    @extend_schema_field(ReadingVersionSerializer(many=True))
    def get_history(self, obj) -> list:
        # The view puts the page's histories in the context (one query a page).
        versions = self.context.get("histories", {}).get(obj.pk, [])
        return [
            {
                "replaced_at": version.replaced_at,
                "change": version.change,
                "checksum": version.checksum,
                "replaced_by_checksum": version.replaced_by_checksum,
                **{k: entry.get(k) for k in ("value", "value_text", "unit", "measured_at")},
            }
            for version, entry in versions
        ]


class ReadingPage(serializers.Serializer):
    """A cursor page of readings (`resolution=raw`)."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReadingSerializer(many=True)


class SeriesPoint(serializers.Serializer):
    t = serializers.CharField(help_text="The point's (or its bucket's first) instant, UTC.")
    min = serializers.FloatField()
    avg = serializers.FloatField()
    max = serializers.FloatField()
    count = serializers.IntegerField()


class SeriesSerializer(serializers.Serializer):
    metric = serializers.CharField()
    bucketed = serializers.BooleanField()
    bucket_seconds = serializers.IntegerField(allow_null=True)
    points = SeriesPoint(many=True)


class ReadingSeries(serializers.Serializer):
    """The chart series (`resolution=auto`)."""

    metric = serializers.CharField(allow_null=True, help_text="null: every metric.")
    from_ = serializers.CharField()
    to = serializers.CharField()
    series = SeriesSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword
        return fields
