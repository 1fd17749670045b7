"""The care API: roster, time entries (CRUD) and the monthly billing summary (alerts:
readings.care.api_alerts). Thin: input serializer, service, output serializer."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from appointments.models import Appointment
from portal import dates
from portal.access import patient_for_org
from portal.api_helpers import ApiError, KeysetCursorPagination, object_id
from portal.audit import audit_event_record
from portal.models import ApiKey, ApiScope
from portal.roles import roles_for
from portal.schema import ID_SCHEMA, error_response
from readings import billing
from readings.care import selectors, services
from readings.care.models import TimeEntry
from readings.care.serializers import (
    BillingLineSerializer,
    RosterPatientSerializer,
    TimeEntryInput,
    TimeEntryPatch,
    TimeEntrySerializer,
)

MONTH_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"  # 2000-01 to 2100-12 (portal.dates)
MONTH_PARAMETER = OpenApiParameter(
    "month",
    {"type": "string", "pattern": MONTH_PATTERN},
    description="YYYY-MM, 2000-01 to 2100-12 (default: this month).",
)


def _actor(request):
    user = request.user if request.user and request.user.is_authenticated else None
    key = request.auth if isinstance(request.auth, ApiKey) else None
    return user, key


def _patient_param(request):
    """The `patient` query parameter: a patient of the organization (404 otherwise)."""
    pk = object_id(request.query_params["patient"])
    if pk is None:
        raise ApiError(400, "invalid_parameter", "patient must be an id.")
    return patient_for_org(request.organization, pk)


def _validation(exc: ValidationError) -> ApiError:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    name, msgs = next(iter(fields.items()))
    return ApiError(422, "validation_error", f"{name}: {msgs[0]}", fields)


def _entry_values(request, values: dict, patient) -> dict:
    """The API's names turned into the service's arguments: `performed_by` (a username) into
    the organization's staff member, `appointment` (an id) into the patient's visit. Either
    not found is a 404 naming the field, like every other reference to a missing object."""
    if "performed_by" in values:
        try:
            values["performed_by"] = services.performer_for(
                request.organization, values["performed_by"]
            )
        except ValidationError:
            raise ApiError(
                404,
                "not_found",
                "performed_by: no active staff member of the organization with this username",
                {"performed_by": ["Not found."]},
            ) from None
    if values.get("appointment") is not None:
        visit = Appointment.objects.filter(
            organization=request.organization, patient=patient, pk=values["appointment"]
        ).first()
        if visit is None:
            raise ApiError(
                404,
                "not_found",
                "appointment: no such visit of this patient",
                {"appointment": ["Not found."]},
            )
        values["appointment"] = visit
    return values


def _time_validation(exc: ValidationError, data) -> ApiError:
    """A 422 naming the field as the client sent it (`minutes` when it sent minutes)."""
    if hasattr(exc, "error_dict") and "minutes" in data and "seconds" in exc.error_dict:
        exc.error_dict["minutes"] = exc.error_dict.pop("seconds")
    return _validation(exc)


def _flag(params, name) -> bool:
    """A boolean query parameter as the schema spells it: `true` or `false`."""
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise ApiError(400, "invalid_parameter", f"{name} must be true or false.")
    return value == "true"


@extend_schema(
    summary="The care-team roster",
    description=(
        "The organization's monitored patients with their last reading, open alerts, days "
        "with device data in the current 30-day period (2 / 16 reached), minutes this month "
        "and assigned devices. Cursor-paginated in the chosen sort: follow `next`."
    ),
    parameters=[
        OpenApiParameter("q", str, description="Last name, first name prefix or MRN."),
        OpenApiParameter("attention", bool, description="Only patients with open alerts."),
        OpenApiParameter(
            "no_data_days",
            {"type": "integer", "minimum": 1, "maximum": 365},
            description="Only patients without data for N days (1–365).",
        ),
        OpenApiParameter("below_16", bool, description="Only patients below 16 device days."),
        OpenApiParameter("sort", str, enum=list(selectors.ROSTER_SORTS)),
    ],
    responses=RosterPatientSerializer(many=True),
)
class RosterView(generics.GenericAPIView):
    # Patients (names, MRN), their readings, alerts and minutes, and their devices.
    required_scopes = (ApiScope.PATIENTS_READ, ApiScope.READINGS_READ, ApiScope.DEVICES_READ)
    pagination_class = KeysetCursorPagination
    serializer_class = RosterPatientSerializer

    def get(self, request):
        params = request.query_params
        try:
            no_data = int(params["no_data_days"]) if "no_data_days" in params else None
        except ValueError:
            raise ApiError(400, "invalid_parameter", "no_data_days must be a number.") from None
        if no_data is not None and not 1 <= no_data <= 365:
            raise ApiError(400, "invalid_parameter", "no_data_days must be 1–365.")
        sort = params.get("sort", "attention")
        if sort not in selectors.ROSTER_SORTS:
            raise ApiError(
                400, "invalid_parameter", f"sort must be one of {list(selectors.ROSTER_SORTS)}."
            )
        filters = selectors.RosterFilters(
            query=params.get("q", "")[:100],
            attention=_flag(params, "attention"),
            no_data_days=no_data,
            below_16=_flag(params, "below_16"),
            sort=sort,
        )
        now = timezone.now()
        qs = selectors.roster_patients(request.organization, filters, now=now)
        page = self.paginate_queryset(qs)
        rows = selectors.roster_rows(page, now=now)
        audit_event_record(
            action="roster.view",
            request=request,
            detail={"api": True, "patients": [r.patient.pk for r in rows]},
        )
        return self.get_paginated_response(RosterPatientSerializer(rows, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary="List time entries",
        parameters=[
            OpenApiParameter("patient", ID_SCHEMA, description="Only this patient's entries."),
            OpenApiParameter(
                "month",
                {"type": "string", "pattern": MONTH_PATTERN},
                description="Only entries of this month (YYYY-MM).",
            ),
        ],
        responses={200: TimeEntrySerializer(many=True), 404: error_response("No such patient.")},
    ),
    post=extend_schema(
        summary="Log care time",
        request=TimeEntryInput,
        description=(
            "Seconds (or minutes) of care for a patient on a patient-local day, by a named "
            "person: `performed_by` (a staff username; a signed-in user's own time by "
            "default). An API key's time without `performed_by` is kept and not billable. "
            "Activity `call` is a real-time contact and needs `contact_medium` and "
            "`contact_with`. Under 60 seconds, more than 2 hours that day without "
            "`day_reason`, or more than 24 hours that day: 422 naming the field."
        ),
        responses={
            201: TimeEntrySerializer,
            404: error_response("No such patient, staff member (`performed_by`) or visit."),
            422: error_response("`validation_error`: the field named in `fields`."),
        },
    ),
)
class TimeEntryList(generics.ListCreateAPIView):
    serializer_class = TimeEntrySerializer
    required_scopes = {
        "GET": ApiScope.READINGS_READ,
        "POST": (ApiScope.CARE_WRITE, ApiScope.READINGS_READ),
    }
    allowed_roles = {"POST": roles_for("care.time")}

    def get_queryset(self):
        params = self.request.query_params
        qs = TimeEntry.objects.filter(
            organization=self.request.organization, deleted_at__isnull=True
        )
        if "patient" in params:
            qs = qs.filter(patient=_patient_param(self.request))
        month = dates.query_param(params, "month", dates.parse_month)
        if month:
            first, last = billing.month_bounds(month)
            qs = qs.filter(day__gte=first, day__lte=last)
        return qs

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_event_record(
            action="time_entry.list",
            request=request,
            detail={"api": True, "entries": [e["id"] for e in response.data.get("results", [])]},
        )
        return response

    def create(self, request, *args, **kwargs):
        data = TimeEntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            patient = patient_for_org(request.organization, values.pop("patient"))
        except Http404:
            # 404 like every other reference to a missing object (devices assign, booking).
            raise ApiError(
                404, "not_found", "patient: not found", {"patient": ["Not found."]}
            ) from None
        user, key = _actor(request)
        try:
            entry = services.time_entry_create(
                patient=patient,
                by=user,
                api_key=key,
                request=request,
                **_entry_values(request, values, patient),
            )
        except ValidationError as exc:
            raise _time_validation(exc, request.data) from exc
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="Get a time entry"),
    patch=extend_schema(summary="Change a time entry (author or admin)", request=TimeEntryPatch),
    delete=extend_schema(summary="Delete a time entry (author or admin; kept in history)"),
)
class TimeEntryDetail(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = TimeEntrySerializer
    required_scopes = {
        "GET": ApiScope.READINGS_READ,
        "PATCH": (ApiScope.CARE_WRITE, ApiScope.READINGS_READ),
        "DELETE": ApiScope.CARE_WRITE,
    }
    allowed_roles = {"PATCH": roles_for("care.time"), "DELETE": roles_for("care.time")}
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        entry = selectors.time_entry_for_org(self.request.organization, self.kwargs["pk"])
        if self.request.method == "GET":
            audit_event_record(
                action="time_entry.view", request=self.request, patient=entry.patient, obj=entry
            )
        return entry

    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        data = TimeEntryPatch(data=request.data)
        data.is_valid(raise_exception=True)
        user, key = _actor(request)
        try:
            values = _entry_values(request, dict(data.validated_data), entry.patient)
            entry = services.time_entry_update(
                entry=entry, by=user, api_key=key, request=request, **values
            )
        except PermissionDenied as exc:
            raise ApiError(403, "not_author", str(exc)) from exc
        except ValidationError as exc:
            raise _time_validation(exc, request.data) from exc
        return Response(TimeEntrySerializer(entry).data)

    def destroy(self, request, *args, **kwargs):
        entry = self.get_object()
        user, key = _actor(request)
        try:
            services.time_entry_delete(entry=entry, by=user, api_key=key, request=request)
        except PermissionDenied as exc:
            raise ApiError(403, "not_author", str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class BillingPagination(KeysetCursorPagination):
    page_size = 100


@extend_schema(
    summary="RPM billing summary for a month",
    description=(
        "Per patient: the 30-day periods ending in the month (and the one in progress) with "
        "their dates with device data and codes (99453/99445/99454) and physician/QHP "
        "interpretation (99091 per period), the month's billable minutes (seconds summed, "
        "then rounded down) and codes (99470/99457/99458), and the time entries as evidence, "
        "not-billable ones included with the reason. CMS 2026 rules "
        "(readings/billing.py). Cursor-paginated by name: follow `next`."
    ),
    parameters=[MONTH_PARAMETER],
    responses=BillingLineSerializer(many=True),
)
class BillingSummary(generics.GenericAPIView):
    # Each line names the patient by MRN.
    required_scopes = (ApiScope.READINGS_READ, ApiScope.PATIENTS_READ)
    pagination_class = BillingPagination
    serializer_class = BillingLineSerializer

    def get(self, request):
        tz = selectors.organization_tz(request.organization)
        this_month = timezone.now().astimezone(tz).date().replace(day=1)
        month = dates.query_param(request.query_params, "month", dates.parse_month, this_month)
        page = self.paginate_queryset(selectors.billing_patients(request.organization, month))
        lines = selectors.billing_lines(page, month)
        audit_event_record(
            action="billing.view",
            request=request,
            detail={"api": True, "month": f"{month:%Y-%m}", "patients": [p.pk for p in page]},
        )
        return self.get_paginated_response(BillingLineSerializer(lines, many=True).data)


urlpatterns = [
    path("roster", RosterView.as_view(), name="api-roster"),
    path("time-entries", TimeEntryList.as_view(), name="api-time-entry-list"),
    path("time-entries/<int:pk>", TimeEntryDetail.as_view(), name="api-time-entry-detail"),
    path("billing", BillingSummary.as_view(), name="api-billing"),
]
