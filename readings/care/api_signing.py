"""The API of signed billing months: sign a month (physician/QHP sessions only), list the
signatures, read one with its frozen lines and their live amendment, and read one signed
patient-month's evidence packet. Thin: input serializer, readings.care.signing, output."""

from django.core.exceptions import PermissionDenied
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import dates
from portal.api_helpers import ApiError, KeysetCursorPagination, StrictSerializer
from portal.audit import audit_event_record
from portal.models import ApiKey, ApiScope
from portal.roles import roles_for
from portal.schema import error_response
from readings.care import signing
from readings.care.api import MONTH_PARAMETER, MONTH_PATTERN
from readings.care.serializers import CodeSerializer
from readings.care.signing_models import BillingSignature, SignedPatientMonth


# --- serializers --------------------------------------------------------------------------------
class SignInput(StrictSerializer):
    month = serializers.RegexField(MONTH_PATTERN, help_text="YYYY-MM: a month that has ended.")
    attestation = serializers.CharField(
        required=False,
        max_length=4000,
        help_text="What the signer attests (default: the portal's standard attestation).",
    )
    amend = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Sign the month's amendment as a new version superseding the current one.",
    )


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2026-10"})
class MonthField(serializers.DateField):
    """A month, written YYYY-MM (a DateField would be documented as a whole date)."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class SignatureSerializer(serializers.ModelSerializer):
    month = MonthField(help_text="YYYY-MM.")
    superseded_by = serializers.SerializerMethodField()
    codes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Units signed per code, across the lines."
    )

    class Meta:
        model = BillingSignature
        fields = [
            "id",
            "month",
            "version",
            "supersedes",
            "superseded_by",
            "signed_by",
            "signer_name",
            "signer_role",
            "signed_at",
            "attestation",
            "patients",
            "codes",
        ]

    def get_superseded_by(self, obj) -> int | None:
        try:
            return obj.superseded_by.pk
        except BillingSignature.DoesNotExist:
            return None


class PatientRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class AmendmentSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["same", "changed", "new", "gone"])
    changes = serializers.ListField(child=serializers.CharField())
    codes_signed = serializers.ListField(child=serializers.CharField())
    codes_now = serializers.ListField(child=serializers.CharField())


class SignedLineSerializer(serializers.Serializer):
    patient = PatientRefSerializer(source="line.patient")
    codes = CodeSerializer(many=True, source="line.codes")
    device_days = serializers.ListField(child=serializers.DateField(), source="line.device_days")
    report = serializers.DictField(
        source="line.report",
        help_text="The billing report's line as signed (the shape of GET billing's lines).",
    )
    amendment = AmendmentSerializer(help_text="What differs now; not part of the signature.")


class EvidenceReadingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.CharField()
    value = serializers.JSONField(help_text="A number in the canonical unit, or text.")
    unit = serializers.CharField()
    measured_at = serializers.DateTimeField()
    local_day = serializers.DateField()
    source = serializers.CharField()
    device = serializers.CharField()


class EvidenceDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    readings = EvidenceReadingSerializer(many=True)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    role = serializers.CharField()
    clinical_staff = serializers.BooleanField()


class EvidenceEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    day = serializers.DateField()
    minutes = serializers.IntegerField()
    activity = serializers.CharField()
    person = PersonSerializer()
    contact = serializers.BooleanField(help_text="A real-time interactive contact.")
    fields = serializers.DictField(help_text="The time entry's stored fields as signed.")


class EvidenceSerializer(serializers.Serializer):
    signature = SignatureSerializer()
    patient = PatientRefSerializer(source="line.patient")
    codes = CodeSerializer(many=True, source="line.codes")
    report = serializers.DictField(source="line.report")
    device_days = EvidenceDaySerializer(many=True, source="evidence.device_days")
    time_entries = EvidenceEntrySerializer(many=True, source="evidence.time_entries")
    amendment = AmendmentSerializer()


# --- views ----------------------------------------------------------------------------------------
class SignaturePagination(KeysetCursorPagination):
    page_size = 50


@extend_schema_view(
    get=extend_schema(
        summary="Signed billing months",
        description="The organization's signatures, newest month and version first.",
        parameters=[MONTH_PARAMETER],
        responses=SignatureSerializer(many=True),
    ),
    post=extend_schema(
        summary="Sign a month's billing report (physician/QHP)",
        description=(
            "Freezes every patient line of the month's report with its evidence. Idempotent: "
            "a signed month answers 200 with its signature; `amend` signs what changed since "
            "as a new version superseding it. Only a physician/QHP's session signs; an API "
            "key is not a person (403 `physician_required`)."
        ),
        request=SignInput,
        responses={
            201: SignatureSerializer,
            200: SignatureSerializer,
            403: error_response(
                "`permission_denied` (a role other than physician, or a key without the "
                "scopes) or `physician_required` (an API key cannot sign)."
            ),
            409: error_response(
                "`month_not_ended`, `not_signed` (amend before signing) or `nothing_to_amend`."
            ),
        },
    ),
)
class SignatureList(generics.ListAPIView):
    serializer_class = SignatureSerializer
    pagination_class = SignaturePagination
    required_scopes = {
        "GET": ApiScope.READINGS_READ,
        "POST": (ApiScope.CARE_WRITE, ApiScope.READINGS_READ),
    }
    allowed_roles = {"POST": roles_for("billing.sign")}

    def get_queryset(self):
        qs = BillingSignature.objects.filter(organization=self.request.organization)
        month = dates.query_param(self.request.query_params, "month", dates.parse_month)
        if month:
            qs = qs.filter(month=month)
        return qs.select_related("superseded_by").order_by("-month", "-version", "-id")

    def post(self, request):
        data = SignInput(data=request.data)
        data.is_valid(raise_exception=True)
        if isinstance(request.auth, ApiKey):
            raise ApiError(
                403,
                "physician_required",
                "A signature names a physician/QHP: sign in the portal or with their session.",
            )
        values = data.validated_data
        try:
            signature, created = signing.billing_month_sign(
                organization=request.organization,
                month=dates.parse_month(values["month"]),
                by=request.user,
                attestation=values.get("attestation", ""),
                amend=values["amend"],
                request=request,
            )
        except PermissionDenied as exc:
            raise ApiError(403, "permission_denied", str(exc)) from exc
        except dates.DateRefused as exc:
            raise ApiError(422, "validation_error", f"month: {exc}", {"month": [str(exc)]}) from exc
        except signing.SigningError as exc:
            raise ApiError(409, exc.code, str(exc)) from exc
        return Response(
            SignatureSerializer(signature).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(summary="One signed billing month", responses=SignatureSerializer)
class SignatureDetail(generics.RetrieveAPIView):
    serializer_class = SignatureSerializer
    required_scopes = ApiScope.READINGS_READ

    def get_object(self):
        return signing.signature_for_org(self.request.organization, self.kwargs["pk"])


class LinePagination(KeysetCursorPagination):
    page_size = 100


@extend_schema(
    summary="The lines of a signed billing month",
    description=(
        "Each patient line as signed (codes, device days, the report's line), with the "
        "amendment computed now beside it. Cursor-paginated: follow `next`."
    ),
    responses=SignedLineSerializer(many=True),
)
class SignatureLines(generics.GenericAPIView):
    serializer_class = SignedLineSerializer
    pagination_class = LinePagination
    required_scopes = (ApiScope.READINGS_READ, ApiScope.PATIENTS_READ)

    def get(self, request, pk):
        signature = signing.signature_for_org(request.organization, pk)
        qs = SignedPatientMonth.objects.filter(signature=signature).select_related("patient")
        page = self.paginate_queryset(qs.order_by("id"))
        found = signing.amendments(signature, page)
        rows = [{"line": s.line, "amendment": found[s.patient_id]} for s in page]
        audit_event_record(
            action="billing.view",
            request=request,
            obj=signature,
            detail={
                "api": True,
                "signed_version": signature.version,
                "patients": [s.patient_id for s in page],
            },
        )
        return self.get_paginated_response(SignedLineSerializer(rows, many=True).data)


@extend_schema(
    summary="The evidence packet of one signed patient-month",
    description=(
        "Device days with the readings behind each, time entries with person, role and "
        "activity, the interactive contact, the signature; and the amendment computed now."
    ),
    responses=EvidenceSerializer,
)
class SignatureEvidence(APIView):
    required_scopes = (ApiScope.READINGS_READ, ApiScope.PATIENTS_READ)

    def get(self, request, pk, patient_pk):
        signature = signing.signature_for_org(request.organization, pk)
        signed = signing.signed_patient_month(signature, patient_pk)
        amendment = signing.amendments(signature, [signed])[signed.patient_id]
        audit_event_record(
            action="billing.evidence.view",
            request=request,
            patient=signed.patient,
            obj=signature,
            detail={"api": True, "version": signature.version},
        )
        body = {
            "signature": signature,
            "line": signed.line,
            "evidence": signed.evidence,
            "amendment": amendment,
        }
        return Response(EvidenceSerializer(body).data)


urlpatterns = [
    path("billing/signatures", SignatureList.as_view(), name="api-billing-signatures"),
    path("billing/signatures/<int:pk>", SignatureDetail.as_view(), name="api-billing-signature"),
    path(
        "billing/signatures/<int:pk>/lines",
        SignatureLines.as_view(),
        name="api-billing-signature-lines",
    ),
    path(
        "billing/signatures/<int:pk>/patients/<int:patient_pk>",
        SignatureEvidence.as_view(),
        name="api-billing-signature-evidence",
    ),
]
