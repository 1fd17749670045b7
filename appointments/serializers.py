from rest_framework import serializers

from appointments.models import MAX_DURATION_SECONDS, Appointment, WaitingRoom
from portal import dates
from portal.api_helpers import StrictSerializer


class AppointmentSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    waiting_room = serializers.CharField(
        source="waiting_room.name", read_only=True, allow_null=True, default=None
    )
    ends_at = serializers.DateTimeField(read_only=True)
    # Text, not an enum: empty until Solo reports a call (an enum cannot hold that blank).
    video_call_status = serializers.CharField(
        read_only=True,
        help_text="Solo's `videoCall.status` as last reported: `LWBS`, `incomplete`, `complete`, "
        "`finalizing`, `on hold`, `on call` or `waiting`; empty when Solo has reported none.",
    )
    took_place = serializers.BooleanField(
        read_only=True,
        help_text="Whether the visit took place (appointments.selectors.visits_taken_place): "
        "its video call complete, or Solo closed it completed/signed off and the call did not "
        "end LWBS or incomplete. Billing and the time log read the same rule.",
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "patient",
            "patient_mrn",
            "waiting_room",
            "solo_id",
            "said",
            "external_id",
            "starts_at",
            "ends_at",
            "duration_seconds",
            "status",
            "video_call_status",
            "took_place",
            "reasons",
            "cancel_reason",
            "episode",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BookFields(StrictSerializer):
    """The visit to book; the patient is named by the endpoint (its id, SPID or HSID)."""

    waiting_room = serializers.CharField(max_length=200, help_text="Waiting room name, as in Solo.")
    starts_at = serializers.DateTimeField(
        help_text="ISO 8601 with an offset (e.g. a free slot), at most 365 days ahead.",
        validators=[dates.VISIT_START.validate],
    )
    duration_seconds = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_DURATION_SECONDS
    )
    reasons = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=10
    )


class BookInput(BookFields):
    patient = serializers.IntegerField(help_text="The portal's patient id.")


class RescheduleInput(StrictSerializer):
    starts_at = serializers.DateTimeField(
        help_text="In the future, at most 365 days ahead.", validators=[dates.VISIT_START.validate]
    )


class CancelInput(StrictSerializer):
    reason = serializers.CharField(max_length=500)


class ProviderLinkInput(StrictSerializer):
    teams = serializers.BooleanField(required=False, default=False)


class ProviderLinkOutput(serializers.Serializer):
    appointment = serializers.IntegerField()
    url = serializers.URLField()
    teams = serializers.BooleanField()


class PatientLinkOutput(serializers.Serializer):
    appointment = serializers.IntegerField()
    url = serializers.URLField(help_text="The patient's join link, fresh from Solo.")


class WaitingRoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = WaitingRoom
        fields = ["id", "name", "service_line", "service_type"]
        read_only_fields = fields


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="Book with this value as `starts_at`.")
    ends_at = serializers.DateTimeField()
    duration_seconds = serializers.IntegerField()
    waiting_room = serializers.CharField(help_text="The waiting room's name, as booking takes it.")


class SlotPage(serializers.Serializer):
    next = serializers.URLField(
        allow_null=True, help_text="The next page (later slots of the same span), or null."
    )
    previous = serializers.URLField(allow_null=True, help_text="Always null: page forward.")
    results = SlotSerializer(many=True)
