from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal import dates
from portal.api_helpers import StrictSerializer
from portal.enrolment_models import ConsentMethod, DischargeReason, Sex
from portal.identifiers import validate_identifier
from portal.models import Patient, validate_time_zone


class PatientSerializer(serializers.ModelSerializer):
    # Enrolment (portal/enrolment_models.py): the program by its code, the current diagnoses
    # by ICD-10-CM code, consent and discharge as recorded on the enrolment pages.
    program = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="The monitoring program's code.",
    )
    diagnoses = serializers.SerializerMethodField(
        help_text="Current ICD-10-CM codes (with the dot, e.g. I50.22), in the order added."
    )

    # Empty ("") until recorded / while not discharged: the schema's enums admit "".
    consent_method = serializers.ChoiceField(
        choices=ConsentMethod.choices, allow_blank=True, read_only=True
    )
    discharge_reason = serializers.ChoiceField(
        choices=DischargeReason.choices, allow_blank=True, read_only=True
    )

    @extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": 8}})
    def get_diagnoses(self, patient) -> list[str]:
        # The list endpoint prefetches only current rows (portal.api); one patient reads them.
        return [d.code for d in patient.diagnoses.all() if d.removed_at is None]

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "zip_code",
            "time_zone",
            "is_active",
            "monitoring_started_on",
            "program",
            "diagnoses",
            "consent_on",
            "consent_method",
            "consent_text_version",
            "discharged_on",
            "discharge_reason",
            "impilo_patient_id",
            "solo_id",
            "solo_spid",
            "solo_hsid",
            "validic_user_id",
            "patient_graph_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_field({"type": "string", "format": "time-zone", "maxLength": 64})
class TimeZoneField(serializers.CharField):
    """An IANA time zone name, e.g. America/Chicago (`format: time-zone` in the schema; a list
    of all ~600 names there would make every reader and fuzzer walk through them)."""


class PatientCreateSerializer(StrictSerializer):
    # Identifiers refuse control characters here too (the model checks them on save), so the
    # schema can say so: portal.schema gives fields with validate_identifier its pattern.
    mrn = serializers.CharField(max_length=64, validators=[validate_identifier])
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField(
        validators=[dates.BIRTH_DATE.validate], help_text="1900-01-01 to today."
    )
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    # [0-9], not \d: Python's \d matches every script's digits.
    zip_code = serializers.RegexField(r"^[0-9]{5}(-[0-9]{4})?$", required=False, allow_blank=True)
    time_zone = TimeZoneField(max_length=64, validators=[validate_time_zone])
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    monitoring_started_on = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[dates.MONITORING_START.validate],
        help_text="2000-01-01 to 365 days from today.",
    )
    impilo_patient_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    solo_id = serializers.CharField(
        max_length=64, required=False, allow_null=True, validators=[validate_identifier]
    )
    solo_spid = serializers.CharField(
        max_length=128, required=False, allow_null=True, validators=[validate_identifier]
    )
    solo_hsid = serializers.CharField(
        max_length=128, required=False, allow_null=True, validators=[validate_identifier]
    )
    validic_user_id = serializers.CharField(
        max_length=64, required=False, allow_null=True, validators=[validate_identifier]
    )
    patient_graph_id = serializers.CharField(
        max_length=64, required=False, allow_null=True, validators=[validate_identifier]
    )
