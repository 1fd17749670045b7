"""Core API: patients (read-only here; patients come from the EHR/vendor syncs and admin)."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from portal.access import patient_for_org
from portal.api_helpers import ApiError
from portal.audit import audit_event_record
from portal.models import ApiScope
from portal.roles import roles_for
from portal.schema import error_response
from portal.selectors import patients_search
from portal.serializers import PatientCreateSerializer, PatientSerializer
from portal.services import PatientConflict, patient_create


@extend_schema_view(
    get=extend_schema(
        summary="List patients",
        parameters=[
            OpenApiParameter("search", str, description="Name or MRN, as on the patient list page.")
        ],
    ),
    post=extend_schema(
        summary="Enrol a patient",
        request=PatientCreateSerializer,
        responses={
            201: PatientSerializer,
            409: error_response("`mrn_taken`: the MRN already exists in the organization."),
        },
    ),
)
class PatientList(generics.ListCreateAPIView):
    serializer_class = PatientSerializer
    # Enrolling answers with the stored patient: the write scope and the read scope.
    required_scopes = {
        "GET": ApiScope.PATIENTS_READ,
        "POST": (ApiScope.PATIENTS_WRITE, ApiScope.PATIENTS_READ),
    }
    allowed_roles = {"POST": roles_for("patients.enrol")}

    def create(self, request, *args, **kwargs):
        data = PatientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            patient = patient_create(
                organization=request.organization, request=request, **data.validated_data
            )
        except PatientConflict as exc:
            raise ApiError(409, "mrn_taken", str(exc), {"mrn": [str(exc)]}) from exc
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    def get_queryset(self):
        query = self.request.query_params.get("search", "").strip()[:100]
        return (
            patients_search(self.request.organization, query)
            .select_related("program")
            .prefetch_related("diagnoses")
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_event_record(action="patient.list", request=request, detail={"api": True})
        return response


@extend_schema_view(get=extend_schema(summary="Get one patient"))
class PatientDetail(generics.RetrieveAPIView):
    serializer_class = PatientSerializer
    required_scopes = ApiScope.PATIENTS_READ

    def get_object(self):
        patient = patient_for_org(self.request.organization, self.kwargs["pk"])
        audit_event_record(
            action="patient.view", request=self.request, patient=patient, obj=patient
        )
        return patient


urlpatterns = [
    path("patients", PatientList.as_view(), name="api-patient-list"),
    path("patients/<int:pk>", PatientDetail.as_view(), name="api-patient-detail"),
]
