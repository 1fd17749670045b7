"""API shapes of care: explicit input contracts, ModelSerializers out."""

from rest_framework import serializers

from portal import dates
from portal.api_helpers import StrictSerializer
from readings.care.models import Activity, TimeEntry
from readings.models import Alert, Reading


class RosterPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="patient.pk")
    mrn = serializers.CharField(source="patient.mrn")
    first_name = serializers.CharField(source="patient.first_name")
    last_name = serializers.CharField(source="patient.last_name")
    time_zone = serializers.CharField(source="patient.time_zone")
    last_reading = serializers.SerializerMethodField()
    open_alerts = serializers.SerializerMethodField()
    period_start = serializers.DateField(source="patient.period_start", allow_null=True)
    device_days = serializers.IntegerField(source="patient.period_days")
    reached_2_days = serializers.SerializerMethodField()
    reached_16_days = serializers.SerializerMethodField()
    month_minutes = serializers.IntegerField(source="patient.month_minutes")
    devices = serializers.SerializerMethodField()

    def get_last_reading(self, row) -> dict | None:
        r = row.last_reading
        if r is None:
            return None
        return {
            "id": r.pk,
            "metric": r.metric,
            "value": r.value,
            "unit": r.unit,
            "measured_at": r.measured_at.isoformat().replace("+00:00", "Z"),
        }

    def get_open_alerts(self, row) -> dict:
        return {"critical": row.patient.crit_alerts, "warning": row.patient.warn_alerts}

    def get_reached_2_days(self, row) -> bool:
        return row.patient.period_days >= 2

    def get_reached_16_days(self, row) -> bool:
        return row.patient.period_days >= 16

    def get_devices(self, row) -> list[dict]:
        return [{"id": d.pk, "identifier": d.identifier, "item": d.item.name} for d in row.devices]


class AlertReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reading
        fields = ["id", "metric", "value", "unit", "measured_at", "source", "manual"]


class AlertSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id")
    reading_ids = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "severity",
            "status",
            "kind",
            "metric",
            "rule_key",
            "rule_text",
            "breach_count",
            "reading_ids",
            "detail",
            "first_triggered_at",
            "last_triggered_at",
            "acknowledged_at",
            "escalated_at",
            "resolved_at",
        ]

    def get_reading_ids(self, alert) -> list[int]:
        ids = getattr(alert, "prefetched_reading_ids", None)
        if ids is None:
            ids = [link.reading_id for link in alert.links.all()]
        return ids


class AlertActionInput(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class TimeEntrySerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id", read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "patient",
            "author",
            "day",
            "minutes",
            "activity",
            "interactive",
            "interpretation",
            "note",
            "created_at",
            "updated_at",
        ]


class TimeEntryInput(StrictSerializer):
    patient = serializers.IntegerField()
    day = serializers.DateField(
        help_text="The patient-local date of the care: from 2000-01-01 to the patient's today.",
        validators=[dates.CARE_DAY.validate],
    )
    minutes = serializers.IntegerField(min_value=1, max_value=600)
    activity = serializers.ChoiceField(choices=Activity.choices, default=Activity.REVIEW)
    interactive = serializers.BooleanField(default=False)
    interpretation = serializers.BooleanField(default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class TimeEntryPatch(StrictSerializer):
    day = serializers.DateField(required=False, validators=[dates.CARE_DAY.validate])
    minutes = serializers.IntegerField(min_value=1, max_value=600, required=False)
    activity = serializers.ChoiceField(choices=Activity.choices, required=False)
    interactive = serializers.BooleanField(required=False)
    interpretation = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    units = serializers.IntegerField()
    reason = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    first_day = serializers.DateField(source="first")
    last_day = serializers.DateField(source="last")
    in_progress = serializers.BooleanField()
    first_period = serializers.BooleanField()
    dates_with_data = serializers.ListField(child=serializers.DateField(), source="days")
    codes = CodeSerializer(many=True)


class BillingEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    day = serializers.DateField()
    minutes = serializers.IntegerField()
    activity = serializers.CharField()
    interactive = serializers.BooleanField()
    interpretation = serializers.BooleanField()
    author = serializers.IntegerField(source="author_id", allow_null=True)


class BillingLineSerializer(serializers.Serializer):
    patient = serializers.IntegerField(source="patient.pk")
    mrn = serializers.CharField(source="patient.mrn")
    time_zone = serializers.CharField(source="patient.time_zone")
    episode_start = serializers.DateField(allow_null=True)
    periods = PeriodSerializer(many=True)
    management_minutes = serializers.IntegerField(source="time.management_minutes")
    interpretation_minutes = serializers.IntegerField(source="time.interpretation_minutes")
    interactive_call = serializers.BooleanField(source="time.interactive")
    codes_met = serializers.ListField(child=serializers.CharField(), source="code_names")
    management_codes = CodeSerializer(many=True, source="management")
    shortfall = serializers.CharField()
    time_entries = BillingEntrySerializer(many=True, source="entries")
