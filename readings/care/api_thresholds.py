"""The thresholds API: a patient's rules in force, and a clinician's override typed with its
unit (converted to the metric's canonical unit; an implausible value is a 422 naming the
field). Thin: input serializer, service, output serializer."""

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from portal.access import patient_for_org
from portal.api_helpers import StrictSerializer
from portal.audit import audit_event_record
from portal.models import ApiScope
from portal.roles import roles_for
from portal.schema import error_response
from readings.care import services
from readings.models import Direction, RuleKind, Severity, ThresholdRule
from readings.thresholds import effective_rules
from readings.units import METRICS, Metric, unit_label


class ThresholdInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    metric = serializers.ChoiceField(
        choices=Metric.choices, required=False, allow_blank=True, default="",
        help_text="Blank for 'no data' rules.",
    )  # fmt: skip
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.ABOVE)
    severity = serializers.ChoiceField(choices=Severity.choices)
    value = serializers.FloatField(required=False, allow_null=True, default=None)
    unit = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=16,
        help_text=(
            "The unit `value` is typed in: weight lb or kg, temperature °F or °C, glucose mg/dL "
            "or mmol/L (UCUM codes accepted). Blank: the metric's canonical unit. Stored "
            "converted to the canonical unit."
        ),
    )
    readings_count = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=2, max_value=50
    )
    days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=60
    )
    is_active = serializers.BooleanField(default=True)
    reason = serializers.CharField(max_length=2000)


class ThresholdSerializer(serializers.ModelSerializer):
    unit = serializers.SerializerMethodField(help_text="The canonical unit of `value`.")
    description = serializers.CharField(source="describe", read_only=True)
    override = serializers.SerializerMethodField(help_text="Set for this patient.")

    class Meta:
        model = ThresholdRule
        fields = [
            "id",
            "kind",
            "metric",
            "direction",
            "severity",
            "value",
            "unit",
            "entered_value",
            "entered_unit",
            "readings_count",
            "days",
            "is_active",
            "override",
            "reason",
            "description",
            "created_at",
        ]

    def get_unit(self, rule) -> str:
        info = METRICS.get(rule.metric)
        return unit_label(info.unit) if info else ""

    def get_override(self, rule) -> bool:
        return rule.patient_id is not None


@extend_schema_view(
    get=extend_schema(
        summary="A patient's alert thresholds in force",
        description="The organization's defaults, each replaced by the patient's override "
        "with the same key (a weight-gain rule's window is part of its key).",
        responses={200: ThresholdSerializer(many=True), 404: error_response("No such patient.")},
    ),
    post=extend_schema(
        summary="Set a threshold for one patient",
        description="Supersedes the patient's current override with the same key (kept in "
        "its history). `value` is typed in `unit` and stored converted; a value no "
        "threshold of the metric could have (38 °F) is a 422 naming the field.",
        request=ThresholdInput,
        responses={201: ThresholdSerializer, 404: error_response("No such patient.")},
    ),
)
class PatientThresholds(generics.GenericAPIView):
    serializer_class = ThresholdSerializer
    pagination_class = None
    required_scopes = {
        "GET": ApiScope.READINGS_READ,
        "POST": (ApiScope.CARE_WRITE, ApiScope.READINGS_READ),
    }
    allowed_roles = {"POST": roles_for("thresholds.change")}

    def get(self, request, pk):
        patient = patient_for_org(request.organization, pk)
        rules = effective_rules(request.organization, [patient.pk])[patient.pk]
        audit_event_record(
            action="threshold.view", request=request, patient=patient, detail={"api": True}
        )
        return Response(ThresholdSerializer(rules, many=True).data)

    def post(self, request, pk):
        patient = patient_for_org(request.organization, pk)
        data = ThresholdInput(data=request.data)
        data.is_valid(raise_exception=True)
        # An API key has no person: the audit event names the key.
        user = request.user if request.user and request.user.is_authenticated else None
        rule = services.threshold_override_set(
            patient=patient, by=user, request=request, **data.validated_data
        )
        return Response(ThresholdSerializer(rule).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path(
        "patients/<int:pk>/thresholds", PatientThresholds.as_view(), name="api-patient-thresholds"
    ),
]
