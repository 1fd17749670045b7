"""API shapes of care: explicit input contracts, ModelSerializers out."""

from rest_framework import serializers

from portal import dates
from portal.api_helpers import StrictSerializer
from readings import billing
from readings.care.models import (
    COUNTING_MEDIA,
    Activity,
    ContactMedium,
    ContactWith,
    TimeEntry,
)
from readings.models import Alert, AlertOutcome, Reading


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
    claimed_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of who holds the alert (claimed it or was assigned it); null: nobody.",
    )
    escalated_to = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the physician/QHP the alert was escalated to.",
    )

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
            "claimed_by",
            "claimed_at",
            "escalated_to",
            "escalated_at",
            "resolved_at",
            "outcome",
        ]

    def get_reading_ids(self, alert) -> list[int]:
        ids = getattr(alert, "prefetched_reading_ids", None)
        if ids is None:
            ids = [link.reading_id for link in alert.links.all()]
        return ids


class AlertActionInput(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class AlertResolveInput(AlertActionInput):
    outcome = serializers.ChoiceField(
        choices=AlertOutcome.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for critical and warning alerts; a critical alert also needs a note.",
    )


class AlertClaimInput(AlertActionInput):
    take_over = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Take the alert from the colleague who holds it (recorded in its history).",
    )


class AlertAssignInput(AlertClaimInput):
    to = serializers.CharField(max_length=150, help_text="Username of a clinical colleague.")


class AlertEscalateInput(StrictSerializer):
    to = serializers.CharField(
        max_length=150, help_text="Username of a physician/QHP of the organization."
    )
    note = serializers.CharField(max_length=4000, help_text="Why (required).")


class TimeEntrySerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id", read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    performed_by = serializers.CharField(
        source="performed_by.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Username of the staff member whose time this was; null: nobody named.",
    )
    minutes = serializers.IntegerField(
        read_only=True, help_text="This entry's whole minutes (billing sums seconds first)."
    )
    appointment = serializers.IntegerField(source="appointment_id", read_only=True, allow_null=True)
    interactive_contact = serializers.BooleanField(
        source="is_contact",
        read_only=True,
        help_text="A real-time call or visit (phone, video, in person) with the patient or "
        "caregiver: the interactive communication 99470/99457 require.",
    )
    billable = serializers.BooleanField(read_only=True)
    # Plain text out: the model's choices also hold `unrecorded` (entries from before contacts
    # were recorded), which input never accepts; one enum name per choice set in the schema.
    contact_medium = serializers.CharField(
        read_only=True,
        help_text="phone, video, in_person; `unrecorded` for an entry logged before contacts "
        "were recorded (never counted); empty when not a call or visit.",
    )

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "patient",
            "author",
            "performed_by",
            "performer_role",
            "day",
            "seconds",
            "minutes",
            "activity",
            "contact_medium",
            "contact_with",
            "appointment",
            "office_visit",
            "interactive_contact",
            "counts_toward",
            "billable",
            "not_billable_reason",
            "day_reason",
            "note",
            "created_at",
            "updated_at",
        ]


MEDIUM_CHOICES = [c for c in ContactMedium.choices if c[0] in COUNTING_MEDIA]


class TimeEntryFields(StrictSerializer):
    """The fields an entry is written with (a change: any of them)."""

    day = serializers.DateField(required=False, validators=[dates.CARE_DAY.validate])
    seconds = serializers.IntegerField(
        min_value=billing.MIN_ENTRY_SECONDS,
        max_value=billing.DAY_MAX_SECONDS,
        required=False,
        help_text="Duration in seconds (at least 60). Give `seconds` or `minutes`.",
    )
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=billing.DAY_MAX_SECONDS // 60,
        required=False,
        help_text="Duration in whole minutes, instead of `seconds`.",
    )
    activity = serializers.ChoiceField(choices=Activity.choices, required=False)
    performed_by = serializers.CharField(
        required=False,
        max_length=150,
        help_text="Username of the staff member of the organization whose time this was. "
        "Without it an API key's time names nobody and is kept as not billable; a signed-in "
        "user's time is their own.",
    )
    contact_medium = serializers.ChoiceField(
        choices=MEDIUM_CHOICES,
        required=False,
        allow_blank=True,
        help_text="Required with activity `call`: how the real-time contact happened.",
    )
    contact_with = serializers.ChoiceField(
        choices=ContactWith.choices, required=False, allow_blank=True
    )
    appointment = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The Solo visit (portal appointment id) this time was spent in; it must "
        "have happened (completed or signed off). Activity `call`, medium `video`.",
    )
    office_visit = serializers.BooleanField(
        required=False,
        help_text="The visit is billed separately as an office visit: its minutes never "
        "count as RPM minutes.",
    )
    day_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Required when the patient's time that day passes 2 hours.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    def validate(self, attrs):
        if "seconds" in attrs and "minutes" in attrs:
            raise serializers.ValidationError({"minutes": ["Give seconds or minutes, not both."]})
        if "minutes" in attrs:
            attrs["seconds"] = attrs.pop("minutes") * 60
        return attrs


class TimeEntryInput(TimeEntryFields):
    patient = serializers.IntegerField()
    day = serializers.DateField(
        help_text="The patient-local date of the care: from 2000-01-01 to the patient's today.",
        validators=[dates.CARE_DAY.validate],
    )
    activity = serializers.ChoiceField(choices=Activity.choices, default=Activity.REVIEW)

    def validate(self, attrs):
        if "seconds" not in attrs and "minutes" not in attrs:
            raise serializers.ValidationError({"seconds": ["Give seconds or minutes."]})
        return super().validate(attrs)


class TimeEntryPatch(TimeEntryFields):
    pass


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
    seconds = serializers.IntegerField()
    activity = serializers.CharField()
    contact_medium = serializers.CharField()
    interactive_contact = serializers.BooleanField(source="is_contact")
    office_visit = serializers.BooleanField()
    author = serializers.IntegerField(source="author_id", allow_null=True)
    performed_by = serializers.CharField(
        source="performed_by.username", allow_null=True, default=None
    )
    performer_role = serializers.CharField()
    counts_toward = serializers.CharField()
    not_billable_reason = serializers.CharField()


class InterpretationSerializer(serializers.Serializer):
    first_day = serializers.DateField(source="period.first")
    last_day = serializers.DateField(source="period.last")
    in_progress = serializers.BooleanField(source="period.in_progress")
    minutes = serializers.IntegerField(source="outcome.minutes")
    code = CodeSerializer(allow_null=True)
    reason = serializers.CharField()


class BillingLineSerializer(serializers.Serializer):
    patient = serializers.IntegerField(source="patient.pk")
    mrn = serializers.CharField(source="patient.mrn")
    time_zone = serializers.CharField(source="patient.time_zone")
    episode_start = serializers.DateField(allow_null=True)
    periods = PeriodSerializer(many=True)
    management_seconds = serializers.IntegerField(source="time.management_seconds")
    management_minutes = serializers.IntegerField(
        source="time.management_minutes",
        help_text="Billable management seconds of the month summed, then rounded down.",
    )
    not_billable_minutes = serializers.IntegerField(source="time.not_billable_minutes")
    interactive_call = serializers.BooleanField(
        source="time.interactive",
        help_text="A real-time call or visit with the patient or caregiver in the month (a "
        "contact entry or a Solo visit that happened).",
    )
    solo_visit_days = serializers.ListField(child=serializers.DateField(), source="visit_days")
    interpretation = InterpretationSerializer(
        many=True, help_text="99091 per listed 30-day period (physician/QHP time only)."
    )
    codes_met = serializers.ListField(child=serializers.CharField(), source="code_names")
    management_codes = CodeSerializer(many=True, source="management")
    shortfall = serializers.CharField()
    time_entries = BillingEntrySerializer(many=True, source="entries")
