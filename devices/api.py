"""Device API: read the inventory; assign / unassign / replace / status; Smart Meter connect
and disconnect. Thin: input serializer, service call, output serializer. Rule refusals are 409
(or 422 for bad input) with the rule's message; a vendor refusal is 409 `vendor_refused`, a
vendor outage 503 `vendor_unavailable` — in every case nothing was changed."""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from devices import selectors, serializers
from devices.models import DeviceStatus, ItemKind, SmartMeterConnection
from devices.services import (
    DeviceRuleError,
    DeviceVendorError,
    device_assign,
    device_associate_site,
    device_replace,
    device_set_status,
    device_unassign,
    smart_meter_connect,
    smart_meter_disconnect,
    smart_meter_disconnect_all,
)
from portal.access import patient_for_org
from portal.api_helpers import ApiError, object_id
from portal.audit import audit_event_record
from portal.models import ApiScope
from portal.roles import roles_for
from portal.schema import ID_SCHEMA, error_response

ACTION_ROLES = roles_for("devices.manage")
ERRORS = (
    "409: a rule refused the action (`error` names the rule, e.g. `device_decommissioned`) or "
    "the vendor refused it (`vendor_refused`); 422: invalid input; 503 `vendor_unavailable`: "
    "the vendor did not answer. Nothing is changed in any of these cases."
)
REFUSED = {
    409: error_response(
        "A rule refused the action (`error` names the rule, e.g. `device_decommissioned`) or "
        "the vendor refused it (`vendor_refused`). Nothing was changed."
    ),
    503: error_response("`vendor_unavailable`: the vendor did not answer. Nothing was changed."),
}
LIST_FILTERS = {
    "status": DeviceStatus.values,
    "kind": ItemKind.values,
    "assigned": ["assigned", "unassigned"],
}


# What an integrator does about a refusal that a person can override.
API_HINTS = {
    "imei_check_digit": " To connect it anyway, send the same body with `confirm_imei: true`.",
}


def run_service(call):
    try:
        return call()
    except DeviceRuleError as exc:
        message = exc.message + API_HINTS.get(exc.code, "")
        fields = {exc.field: [message]} if exc.field else {}
        raise ApiError(exc.status, exc.code, message, fields) from exc
    except DeviceVendorError as exc:
        if exc.is_outage:
            raise ApiError(503, "vendor_unavailable", exc.message) from exc
        raise ApiError(409, "vendor_refused", exc.message) from exc


def actor(request):
    return request.user if request.user.is_authenticated else None


class DeviceActionView(APIView):
    # Every action answers with the device and its history.
    required_scopes = (ApiScope.DEVICES_WRITE, ApiScope.DEVICES_READ)
    allowed_roles = ACTION_ROLES

    def device(self):
        return selectors.device_for_org(self.request.organization, self.kwargs["pk"])

    def detail(self, device, code=status.HTTP_200_OK):
        device = selectors.device_for_org(self.request.organization, device.pk)
        return Response(serializers.DeviceDetailSerializer(device).data, status=code)


@extend_schema_view(
    get=extend_schema(
        summary="List devices",
        parameters=[
            OpenApiParameter("status", str, enum=DeviceStatus.values),
            OpenApiParameter("kind", str, enum=ItemKind.values),
            OpenApiParameter("site", ID_SCHEMA, description="Site id"),
            OpenApiParameter("assigned", str, enum=["assigned", "unassigned"]),
            OpenApiParameter("search", str, description="Serial number or IMEI (contains)"),
        ],
        responses={
            200: serializers.DeviceSerializer(many=True),
            422: error_response("`validation_error`: a filter value that is not known."),
        },
    )
)
class DeviceList(generics.ListAPIView):
    serializer_class = serializers.DeviceSerializer
    required_scopes = ApiScope.DEVICES_READ

    def get_queryset(self):
        q = self.request.query_params
        site = q.get("site", "")
        if "site" in q and object_id(site) is None:
            raise ApiError(
                422, "validation_error", "site must be a site id.", {"site": ["Not an id."]}
            )
        for name, allowed in LIST_FILTERS.items():
            if name in q and q[name] not in allowed:
                raise ApiError(
                    422,
                    "validation_error",
                    f"{name} must be one of {', '.join(allowed)}.",
                    {name: ["Not a known value."]},
                )
        return selectors.devices_inventory(
            self.request.organization,
            status=q.get("status", ""),
            kind=q.get("kind", ""),
            site=site,
            assignment=q.get("assigned", ""),
            query=q.get("search", "")[:64],
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_event_record(action="device.list", request=request, detail={"api": True})
        return response


@extend_schema_view(get=extend_schema(summary="Get one device with its history"))
class DeviceDetail(generics.RetrieveAPIView):
    serializer_class = serializers.DeviceDetailSerializer
    required_scopes = ApiScope.DEVICES_READ

    def get_object(self):
        device = get_object_or_404(
            selectors.devices_for(self.request.organization).prefetch_related(
                "assignments__replaced_by", "status_changes__changed_by"
            ),
            pk=self.kwargs["pk"],
        )
        audit_event_record(
            action="device.view", request=self.request, patient=device.assigned_patient, obj=device
        )
        return device


class DeviceAssign(DeviceActionView):
    @extend_schema(
        summary="Assign a device to a patient (Impilo Associate Device)",
        request=serializers.AssignInput,
        responses={200: serializers.DeviceDetailSerializer, **REFUSED},
        description="Seed 001's four rules: the patient is registered with Impilo for the "
        "organization, the device is owned by it, sits at a non-Impilo site and is "
        f"availableAtSite. {ERRORS}",
    )
    def post(self, request, pk):
        device = self.device()
        data = serializers.AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = patient_for_org(request.organization, data.validated_data["patient_id"])
        run_service(
            lambda: device_assign(
                device=device, patient=patient, by=actor(request), request=request
            )
        )
        return self.detail(device)


class DeviceSite(DeviceActionView):
    @extend_schema(
        summary="Move a device to a clinic's stock (Impilo Associate Device with a site)",
        request=serializers.SiteInput,
        responses={
            200: serializers.DeviceDetailSerializer,
            404: error_response("No such device, or no such site in the organization."),
            **REFUSED,
        },
        description="Seed 001: a device is associated with a patient or a site. The device "
        "must be an Impilo device of the organization (`device_not_owned`), assigned to "
        "nobody (`device_assigned`), not decommissioned (`device_decommissioned`) and not at "
        "that site already (`device_already_at_site`); the site must be a clinic Impilo knows "
        "(`site_not_known_to_impilo`), not an Impilo warehouse (`site_is_impilo_warehouse`). "
        f"{ERRORS}",
    )
    def post(self, request, pk):
        device = self.device()
        data = serializers.SiteInput(data=request.data)
        data.is_valid(raise_exception=True)
        site = selectors.site_for_org(request.organization, data.validated_data["site_id"])
        run_service(
            lambda: device_associate_site(
                device=device, site=site, by=actor(request), request=request
            )
        )
        return self.detail(device)


class DeviceUnassign(DeviceActionView):
    @extend_schema(
        summary="Unassign a device from its patient (always allowed)",
        request=serializers.EmptyInput,
        responses={200: serializers.DeviceDetailSerializer, **REFUSED},
        description=ERRORS,
    )
    def post(self, request, pk):
        device = self.device()
        serializers.EmptyInput(data=request.data).is_valid(raise_exception=True)
        run_service(lambda: device_unassign(device=device, by=actor(request), request=request))
        return self.detail(device)


class DeviceReplace(DeviceActionView):
    @extend_schema(
        summary="Replace a defective device (Impilo Device Replacement)",
        request=serializers.ReplaceInput,
        responses={200: serializers.DeviceDetailSerializer, **REFUSED},
        description="The defective device returns to Impilo; the replacement is assigned to "
        f"the same patient. Answers with the replacement device. {ERRORS}",
    )
    def post(self, request, pk):
        device = self.device()
        data = serializers.ReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        replacement = selectors.device_for_org(
            request.organization, data.validated_data["replacement_device_id"]
        )
        run_service(
            lambda: device_replace(
                device=device,
                replacement=replacement,
                note=data.validated_data["note"],
                by=actor(request),
                request=request,
            )
        )
        return self.detail(replacement)


class DeviceSetStatus(DeviceActionView):
    @extend_schema(
        summary="Change a device's status with a note (Impilo DeviceUpdate)",
        request=serializers.StatusInput,
        responses={200: serializers.DeviceDetailSerializer, **REFUSED},
        description=f"A note is required to decommission. {ERRORS}",
    )
    def post(self, request, pk):
        device = self.device()
        data = serializers.StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        run_service(
            lambda: device_set_status(
                device=device, by=actor(request), request=request, **data.validated_data
            )
        )
        return self.detail(device)


@extend_schema_view(
    get=extend_schema(summary="A patient's Smart Meter connections (active and past)"),
    post=extend_schema(
        summary="Connect a Smart Meter by IMEI (Validic Direct Connection)",
        request=serializers.SmartMeterConnectInput,
        responses={201: serializers.SmartMeterConnectionSerializer, **REFUSED},
        description="Provisions the patient at Validic if needed. An IMEI is 15 digits "
        "(422 `invalid_imei`). One whose last (Luhn check) digit does not match the others is "
        "refused with 422 `imei_check_digit`, the message explaining the warning, unless the "
        "body says `confirm_imei: true` (seed 004's own example IMEIs fail the check, so a "
        f"label may too). {ERRORS}",
    ),
)
class SmartMeterList(generics.ListAPIView):
    serializer_class = serializers.SmartMeterConnectionSerializer
    required_scopes = {
        "GET": ApiScope.DEVICES_READ,
        "POST": (ApiScope.DEVICES_WRITE, ApiScope.DEVICES_READ),
    }
    allowed_roles = {"POST": ACTION_ROLES}
    pagination_class = None

    def patient(self):
        return patient_for_org(self.request.organization, self.kwargs["patient_pk"])

    def get_queryset(self):
        return SmartMeterConnection.objects.filter(patient=self.patient()).order_by(
            "-created_at", "-id"
        )

    def list(self, request, *args, **kwargs):
        patient = self.patient()
        response = super().list(request, *args, **kwargs)
        audit_event_record(action="smart_meter.list", request=request, patient=patient)
        return response

    def post(self, request, patient_pk):
        patient = self.patient()
        data = serializers.SmartMeterConnectInput(data=request.data)
        data.is_valid(raise_exception=True)
        connection = run_service(
            lambda: smart_meter_connect(
                patient=patient, by=actor(request), request=request, **data.validated_data
            )
        )
        return Response(
            serializers.SmartMeterConnectionSerializer(connection).data,
            status=status.HTTP_201_CREATED,
        )


class SmartMeterDisconnect(APIView):
    required_scopes = (ApiScope.DEVICES_WRITE, ApiScope.DEVICES_READ)
    allowed_roles = ACTION_ROLES

    @extend_schema(
        summary="Disconnect one Smart Meter IMEI",
        request=serializers.EmptyInput,
        responses={200: serializers.SmartMeterConnectionSerializer, **REFUSED},
        description=ERRORS,
    )
    def post(self, request, patient_pk, imei):
        patient = patient_for_org(request.organization, patient_pk)
        serializers.EmptyInput(data=request.data).is_valid(raise_exception=True)
        connection = get_object_or_404(
            SmartMeterConnection, patient=patient, imei=imei, deleted_at__isnull=True
        )
        connection = run_service(
            lambda: smart_meter_disconnect(
                connection=connection, by=actor(request), request=request
            )
        )
        return Response(serializers.SmartMeterConnectionSerializer(connection).data)


class SmartMeterDisconnectAll(APIView):
    required_scopes = (ApiScope.DEVICES_WRITE, ApiScope.DEVICES_READ)
    allowed_roles = ACTION_ROLES

    @extend_schema(
        summary="Disconnect every Smart Meter IMEI of a patient",
        request=serializers.EmptyInput,
        responses={200: serializers.SmartMeterConnectionSerializer(many=True), **REFUSED},
        description=ERRORS,
    )
    def post(self, request, patient_pk):
        patient = patient_for_org(request.organization, patient_pk)
        serializers.EmptyInput(data=request.data).is_valid(raise_exception=True)
        gone = run_service(
            lambda: smart_meter_disconnect_all(patient=patient, by=actor(request), request=request)
        )
        return Response(serializers.SmartMeterConnectionSerializer(gone, many=True).data)


urlpatterns = [
    path("devices", DeviceList.as_view(), name="api-device-list"),
    path("devices/<int:pk>", DeviceDetail.as_view(), name="api-device-detail"),
    path("devices/<int:pk>/assign", DeviceAssign.as_view(), name="api-device-assign"),
    path("devices/<int:pk>/site", DeviceSite.as_view(), name="api-device-site"),
    path("devices/<int:pk>/unassign", DeviceUnassign.as_view(), name="api-device-unassign"),
    path("devices/<int:pk>/replace", DeviceReplace.as_view(), name="api-device-replace"),
    path("devices/<int:pk>/status", DeviceSetStatus.as_view(), name="api-device-status"),
    path(
        "patients/<int:patient_pk>/smart-meters",
        SmartMeterList.as_view(),
        name="api-smart-meters",
    ),
    path(
        "patients/<int:patient_pk>/smart-meters/disconnect-all",
        SmartMeterDisconnectAll.as_view(),
        name="api-smart-meters-disconnect-all",
    ),
    path(
        "patients/<int:patient_pk>/smart-meters/<str:imei>/disconnect",
        SmartMeterDisconnect.as_view(),
        name="api-smart-meter-disconnect",
    ),
]
