import zoneinfo

from rest_framework import serializers

from portal.api_helpers import StrictSerializer
from portal.models import Patient


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "first_name",
            "last_name",
            "birth_date",
            "zip_code",
            "time_zone",
            "is_active",
            "monitoring_started_on",
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


class PatientCreateSerializer(StrictSerializer):
    mrn = serializers.CharField(max_length=64)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField()
    zip_code = serializers.RegexField(r"^\d{5}(-\d{4})?$", required=False, allow_blank=True)
    # A choice, so that the schema lists the IANA names it accepts.
    time_zone = serializers.ChoiceField(choices=sorted(zoneinfo.available_timezones()))
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    monitoring_started_on = serializers.DateField(required=False, allow_null=True)
    impilo_patient_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    solo_id = serializers.CharField(max_length=64, required=False, allow_null=True)
    solo_spid = serializers.CharField(max_length=128, required=False, allow_null=True)
    solo_hsid = serializers.CharField(max_length=128, required=False, allow_null=True)
    validic_user_id = serializers.CharField(max_length=64, required=False, allow_null=True)
    patient_graph_id = serializers.CharField(max_length=64, required=False, allow_null=True)

    def validate_birth_date(self, value):
        from django.utils import timezone

        if value > timezone.localdate() or value.year < 1900:
            raise serializers.ValidationError("Birth date must be a past date after 1900.")
        return value
