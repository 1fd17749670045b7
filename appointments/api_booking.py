"""Booking for integrators: the organization's waiting rooms, their free slots (from Solo),
booking for a patient named by Solo's SPID or the health system's HSID, and the patient's own
join link. Thin, like appointments.api: input, service call, output."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments import selectors, sync
from appointments.api_common import ERRORS, SOLO_ERRORS, raise_for, waiting_room_named
from appointments.serializers import (
    AppointmentSerializer,
    BookFields,
    PatientLinkOutput,
    SlotPage,
    WaitingRoomSerializer,
)
from appointments.services import booking, links
from appointments.services.common import VisitRefused
from appointments.services.patients import patient_by_solo_ref
from portal import dates
from portal.api_helpers import ApiError, CursorPagination
from portal.http import VendorError
from portal.models import ApiScope
from portal.roles import roles_for
from portal.schema import ID_SCHEMA, error_response


class RoomPagination(CursorPagination):
    ordering = "name"  # unique within an organization


@extend_schema_view(
    get=extend_schema(
        summary="List waiting rooms",
        description="The organization's active Solo waiting rooms (fetched from Solo the first "
        "time, when the portal knows none). Book into one by its `name`.",
        responses={200: WaitingRoomSerializer(many=True), **SOLO_ERRORS},
    )
)
class WaitingRoomList(generics.ListAPIView):
    serializer_class = WaitingRoomSerializer
    pagination_class = RoomPagination
    required_scopes = (ApiScope.APPOINTMENTS_READ,)

    def get_queryset(self):
        rooms = selectors.waiting_rooms_for(self.request.organization)
        if not rooms.exists():
            try:
                sync.waiting_rooms_sync(organization=self.request.organization)
            except VendorError as exc:
                raise_for(exc)
        return selectors.waiting_rooms_for(self.request.organization)


SLOT_PAGE_SIZE, SLOT_PAGE_MAX = 50, 500
SLOT_SPAN_DEFAULT = timedelta(days=7)


def _page_size(params) -> int:
    raw = params.get("page_size")
    if raw is None:
        return SLOT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_page_size", "page_size must be a whole number.") from None
    if not 1 <= size <= SLOT_PAGE_MAX:
        raise ApiError(
            400, "invalid_page_size", f"page_size must be between 1 and {SLOT_PAGE_MAX}."
        )
    return size


class WaitingRoomSlots(APIView):
    """Free slots are Solo's answer at the time of asking, not rows: a page is the first
    `page_size` slots from `from`, and `next` asks again from just after the last one."""

    required_scopes = (ApiScope.APPOINTMENTS_READ,)

    @extend_schema(
        summary="Free slots of a waiting room",
        description=(
            "Free start times from Solo's Get Slots between `from` (default now) and `to` "
            "(default `from` + 7 days; at most 31 days after `from`), earliest first, paged: "
            "follow `next` for later slots. Past times are never offered. "
            "422 `validation_error` for a bad span; 503 `solo_unavailable` when Solo does not "
            "answer."
        ),
        parameters=[
            OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH),
            OpenApiParameter(
                "from", OpenApiTypes.DATETIME, description="Slots starting at or after."
            ),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="Slots ending by."),
            OpenApiParameter(
                "duration_seconds",
                {"type": "integer", "minimum": 1, "maximum": 86400},
                description="Slot length (default: the waiting room's).",
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": SLOT_PAGE_MAX, "default": 50},
            ),
        ],
        responses={
            200: SlotPage,
            422: error_response("`validation_error`: a span or duration that is not valid."),
            **SOLO_ERRORS,
        },
    )
    def get(self, request, pk):
        room = selectors.waiting_room_for_org(request.organization, pk)
        params = request.query_params
        start = dates.query_param(
            params, "from", dates.parse_instant, status=422, code="validation_error"
        )
        end = dates.query_param(
            params, "to", dates.parse_instant, status=422, code="validation_error"
        )
        start = start or timezone.now()
        end = end or dates.add_time(start, SLOT_SPAN_DEFAULT)
        if end <= start or end - start > booking.SLOT_WINDOW:
            raise ApiError(
                422,
                "validation_error",
                "to: must be after `from`, and at most 31 days after it.",
                {"to": ["Must be after `from`, and at most 31 days after it."]},
            )
        duration = _duration(params)
        size = _page_size(params)
        try:
            slots = booking.appointment_slots_between(
                waiting_room=room, start=start, end=end, duration_seconds=duration
            )
        except VendorError as exc:
            raise_for(exc)
        page = slots[:size]
        after_last = page[-1][0] + timedelta(seconds=1) if len(slots) > size else None
        return Response(
            SlotPage(
                {
                    "next": _next_url(request, params, after_last, end) if after_last else None,
                    "previous": None,
                    "results": [
                        {
                            "starts_at": when,
                            "ends_at": when + timedelta(seconds=length),
                            "duration_seconds": length,
                            "waiting_room": room.name,
                        }
                        for when, length in page
                    ],
                }
            ).data
        )


def _duration(params) -> int | None:
    raw = params.get("duration_seconds")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 86400:
        raise ApiError(
            422,
            "validation_error",
            "duration_seconds: must be a whole number from 1 to 86400.",
            {"duration_seconds": ["Must be a whole number from 1 to 86400."]},
        )
    return value


def _next_url(request, params, after, end) -> str:
    """This request's URL from just after the page's last slot, to the same end."""
    query = {k: v for k, v in params.items() if k not in ("from", "to", "cursor")}
    query |= {"from": after.isoformat(), "to": end.isoformat()}
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


class AppointmentBookBySoloRef(APIView):
    """Book for the patient an integrator names by Solo's SPID or the health system's HSID: the
    id must be that of exactly one patient of the key's organization in the portal."""

    required_scopes = (
        ApiScope.APPOINTMENTS_WRITE,
        ApiScope.APPOINTMENTS_READ,
        ApiScope.PATIENTS_READ,
    )
    allowed_roles = roles_for("visits.schedule")
    ref = "spid"

    def post(self, request, ref):
        data = BookFields(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        patient = patient_by_solo_ref(request.organization, **{self.ref: ref})
        if patient is None:
            raise ApiError(
                404, "not_found", f"No patient of your organization has this {self.ref.upper()}."
            )
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
                via=self.ref,
            )
        except (VisitRefused, VendorError) as exc:
            raise_for(exc)
        return Response(AppointmentSerializer(visit).data, status=status.HTTP_201_CREATED)


def _book_schema(ref: str, operation: str):
    return extend_schema(
        summary=f"Book a video visit for a patient named by {ref.upper()}",
        description=(
            f"Solo's {operation}. The {ref.upper()} must be that of one patient of your "
            "organization in the portal, else 404 `not_found`. " + ERRORS
        ),
        request=BookFields,
        responses={
            201: AppointmentSerializer,
            404: error_response(f"`not_found`: no patient of your organization has this {ref}."),
            **SOLO_ERRORS,
        },
    )


@extend_schema_view(post=_book_schema("spid", "Create Appointment with SPID"))
class AppointmentBookBySpid(AppointmentBookBySoloRef):
    ref = "spid"


@extend_schema_view(post=_book_schema("hsid", "Create Appointment with HSID"))
class AppointmentBookByHsid(AppointmentBookBySoloRef):
    ref = "hsid"


class AppointmentPatientLink(APIView):
    # The link lets its holder into the visit: a write scope, as for the provider link.
    required_scopes = (ApiScope.APPOINTMENTS_WRITE, ApiScope.APPOINTMENTS_READ)
    allowed_roles = roles_for("visits.schedule")

    @extend_schema(
        summary="Get a fresh patient join link",
        request=None,
        responses={200: PatientLinkOutput, **SOLO_ERRORS},
        description="The patient's own link into the visit (Solo's patientVisitUrl), new on "
        "every call; 409 `visit_refused` when the visit is closed; 503 when Solo does not answer.",
    )
    def post(self, request, pk):
        visit = selectors.appointment_for_org(request.organization, pk)
        if not visit.is_open:
            raise ApiError(409, "visit_refused", "The visit is closed: there is nothing to join.")
        try:
            url = links.appointment_patient_link(appointment=visit, request=request)
        except VendorError as exc:
            raise_for(exc)
        return Response({"appointment": visit.pk, "url": url})


urlpatterns = [
    path("waiting-rooms", WaitingRoomList.as_view(), name="api-waiting-room-list"),
    path("waiting-rooms/<int:pk>/slots", WaitingRoomSlots.as_view(), name="api-waiting-room-slots"),
    path(
        "appointments/by-spid/<str:ref>",
        AppointmentBookBySpid.as_view(),
        name="api-appointment-book-spid",
    ),
    path(
        "appointments/by-hsid/<str:ref>",
        AppointmentBookByHsid.as_view(),
        name="api-appointment-book-hsid",
    ),
    path(
        "appointments/<int:pk>/patient-link",
        AppointmentPatientLink.as_view(),
        name="api-appointment-patient-link",
    ),
]
