"""Appointments API: list/detail/book/reschedule/cancel/provider-link. Thin: input serializer,
service call, output serializer. Solo's refusals become 409/422 with Solo's message; Solo
outages 503."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments import api_booking, selectors
from appointments.api_common import ERRORS, SOLO_ERRORS, raise_for, waiting_room_named
from appointments.models import AppointmentStatus
from appointments.serializers import (
    AppointmentSerializer,
    BookInput,
    CancelInput,
    ProviderLinkInput,
    ProviderLinkOutput,
    RescheduleInput,
)
from appointments.services import booking
from appointments.services.common import VisitRefused
from portal import dates
from portal.access import patient_for_org
from portal.api_helpers import ApiError, object_id
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.models import ApiScope
from portal.roles import roles_for
from portal.schema import ID_SCHEMA, error_response


@extend_schema_view(
    get=extend_schema(
        summary="List appointments",
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATETIME, description="Visits starting at or after."
            ),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="Visits starting before."),
            OpenApiParameter("status", str, enum=AppointmentStatus.values),
            OpenApiParameter("patient", ID_SCHEMA),
        ],
        responses={
            200: AppointmentSerializer(many=True),
            422: error_response("`validation_error`: a filter value that is not valid."),
        },
    ),
    post=extend_schema(
        summary="Book a video visit in Solo",
        request=BookInput,
        responses={
            201: AppointmentSerializer,
            404: error_response("No such patient."),
            **SOLO_ERRORS,
        },
        description=ERRORS,
    ),
)
class AppointmentList(generics.ListCreateAPIView):
    serializer_class = AppointmentSerializer
    # Each visit carries its patient's MRN.
    required_scopes = {
        "GET": (ApiScope.APPOINTMENTS_READ, ApiScope.PATIENTS_READ),
        "POST": (ApiScope.APPOINTMENTS_WRITE, ApiScope.APPOINTMENTS_READ, ApiScope.PATIENTS_READ),
    }
    allowed_roles = {"POST": roles_for("visits.schedule")}

    def get_queryset(self):
        qs = selectors.appointments_for(self.request.organization)
        params = self.request.query_params
        for name, lookup in (("from", "starts_at__gte"), ("to", "starts_at__lt")):
            value = dates.query_param(
                params, name, dates.parse_instant, status=422, code="validation_error"
            )
            if value is not None:
                qs = qs.filter(**{lookup: value})
        if "status" in params:
            if params["status"] not in AppointmentStatus.values:
                raise ApiError(422, "validation_error", "status: not a known status.")
            qs = qs.filter(status=params["status"])
        if "patient" in params:
            patient = object_id(params["patient"])
            if patient is None:
                raise ApiError(422, "validation_error", "patient: must be an id.")
            qs = qs.filter(patient_id=patient)
        return qs

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_event_record(action="appointment.list", request=request, detail={"api": True})
        return response

    def create(self, request, *args, **kwargs):
        data = BookInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        patient = patient_for_org(request.organization, d["patient"])
        room = waiting_room_named(request.organization, d["waiting_room"])
        try:
            visit = booking.appointment_book(
                patient=patient,
                waiting_room=room,
                starts_at=d["starts_at"],
                duration_seconds=d.get("duration_seconds"),
                reasons=d.get("reasons"),
                by=request.user if request.user.is_authenticated else None,
                request=request,
            )
        except (VisitRefused, VendorError) as exc:
            raise_for(exc)
        return Response(AppointmentSerializer(visit).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(summary="Get one appointment"))
class AppointmentDetail(generics.RetrieveAPIView):
    serializer_class = AppointmentSerializer
    required_scopes = (ApiScope.APPOINTMENTS_READ, ApiScope.PATIENTS_READ)

    def get_object(self):
        visit = selectors.appointment_for_org(self.request.organization, self.kwargs["pk"])
        audit_event_record(
            action="appointment.view", request=self.request, patient=visit.patient, obj=visit
        )
        return visit


class _Action(APIView):
    # Changes the visit in Solo and answers with it (and its patient's MRN).
    required_scopes = (
        ApiScope.APPOINTMENTS_WRITE,
        ApiScope.APPOINTMENTS_READ,
        ApiScope.PATIENTS_READ,
    )
    allowed_roles = roles_for("visits.schedule")

    def visit(self, request, pk):
        return selectors.appointment_for_org(request.organization, pk)

    def user(self, request):
        return request.user if request.user.is_authenticated else None


class AppointmentReschedule(_Action):
    @extend_schema(
        summary="Move an appointment",
        request=RescheduleInput,
        responses={200: AppointmentSerializer, **SOLO_ERRORS},
        description=ERRORS,
    )
    def post(self, request, pk):
        visit = self.visit(request, pk)
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            booking.appointment_reschedule(
                appointment=visit,
                starts_at=data.validated_data["starts_at"],
                by=self.user(request),
                request=request,
            )
        except (VisitRefused, VendorError) as exc:
            raise_for(exc)
        return Response(AppointmentSerializer(visit).data)


class AppointmentCancel(_Action):
    @extend_schema(
        summary="Cancel an appointment",
        request=CancelInput,
        responses={200: AppointmentSerializer, **SOLO_ERRORS},
        description=ERRORS,
    )
    def post(self, request, pk):
        visit = self.visit(request, pk)
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            booking.appointment_cancel(
                appointment=visit,
                reason=data.validated_data["reason"],
                by=self.user(request),
                request=request,
            )
        except (VisitRefused, VendorError) as exc:
            raise_for(exc)
        return Response(AppointmentSerializer(visit).data)


class AppointmentProviderLink(_Action):
    # A fresh link is made in Solo and grants entry to the visit: a write, not a read.
    required_scopes = (ApiScope.APPOINTMENTS_WRITE, ApiScope.APPOINTMENTS_READ)

    @extend_schema(
        summary="Get a fresh provider video link (or the MS Teams one)",
        request=ProviderLinkInput,
        responses={200: ProviderLinkOutput, **SOLO_ERRORS},
        description="A new link on every call; 503 when Solo does not answer.",
    )
    def post(self, request, pk):
        visit = self.visit(request, pk)
        data = ProviderLinkInput(data=request.data)
        data.is_valid(raise_exception=True)
        teams = data.validated_data["teams"]
        try:
            url = booking.appointment_provider_link(appointment=visit, teams=teams, request=request)
        except VendorError as exc:
            raise_for(exc)
        return Response({"appointment": visit.pk, "url": url, "teams": teams})


urlpatterns = [
    path("appointments", AppointmentList.as_view(), name="api-appointment-list"),
    path("appointments/<int:pk>", AppointmentDetail.as_view(), name="api-appointment-detail"),
    path(
        "appointments/<int:pk>/reschedule",
        AppointmentReschedule.as_view(),
        name="api-appointment-reschedule",
    ),
    path(
        "appointments/<int:pk>/cancel", AppointmentCancel.as_view(), name="api-appointment-cancel"
    ),
    path(
        "appointments/<int:pk>/provider-link",
        AppointmentProviderLink.as_view(),
        name="api-appointment-provider-link",
    ),
    *api_booking.urlpatterns,
]
