"""The care API's alerts: the queue, and triage — claim, release, assign, acknowledge,
escalate, resolve. Thin: input serializer, service (readings.care.alerts holds the rules),
output serializer."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api_helpers import ApiError
from portal.audit import audit_event_record
from portal.models import ApiScope
from portal.roles import roles_for
from portal.schema import ID_SCHEMA, error_response
from readings.care import selectors, services
from readings.care.api import _actor, _patient_param, _validation
from readings.care.serializers import (
    AlertActionInput,
    AlertAssignInput,
    AlertClaimInput,
    AlertEscalateInput,
    AlertResolveInput,
    AlertSerializer,
)
from readings.models import AlertStatus, Severity

# Claiming, releasing, assigning and escalating are a person's acts: the schema offers them with
# a signed-in session only (an API key gets 403 `person_required`; AlertActionView.needs_person).
PERSON_ONLY = [{"Session": []}]


@extend_schema_view(
    get=extend_schema(
        summary="List alerts",
        parameters=[
            OpenApiParameter("status", str, enum=["open", *AlertStatus.values]),
            OpenApiParameter("severity", str, enum=Severity.values),
            OpenApiParameter("patient", ID_SCHEMA),
        ],
        responses={200: AlertSerializer(many=True), 404: error_response("No such patient.")},
    )
)
class AlertList(generics.ListAPIView):
    serializer_class = AlertSerializer
    required_scopes = ApiScope.READINGS_READ

    def get_queryset(self):
        params = self.request.query_params
        status_ = params.get("status", "open")
        if status_ not in ("open", *AlertStatus.values):
            raise ApiError(400, "invalid_parameter", "status is not a known alert status.")
        severity = params.get("severity")
        if severity is not None and severity not in Severity.values:
            raise ApiError(400, "invalid_parameter", "severity is not a known alert severity.")
        patient = _patient_param(self.request) if "patient" in params else None
        return (
            selectors.alert_queue(
                self.request.organization,
                status=status_,
                severity=severity or "",
                patient=patient,
            )
            .prefetch_related("links")
            .order_by("-id")
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_event_record(
            action="alert.list",
            request=request,
            detail={"api": True, "alerts": [a["id"] for a in response.data.get("results", [])]},
        )
        return response


def _alert_colleague(request, username: str):
    """The organization's staff member named by `to`, or a 404 naming the field."""
    user = (
        get_user_model()
        .objects.filter(username=username, membership__organization=request.organization)
        .first()
    )
    if user is None:
        raise ApiError(
            404,
            "not_found",
            "to: no staff member of the organization with this username",
            {"to": ["Not found."]},
        )
    return user


STATE_ERRORS = {
    409: error_response(
        "`alert_resolved`: the alert is resolved already; `alert_held`: a colleague holds it "
        "(the message names them; `take_over` takes it); `alert_state`: nothing to do."
    ),
    422: error_response("An input refused; `fields` names it (e.g. `outcome`, `note`, `to`)."),
}


class AlertActionView(APIView):
    """Answers with the alert. State refusals are 409s, missing input (an outcome, a note) is a
    422 naming the field."""

    required_scopes = (ApiScope.CARE_WRITE, ApiScope.READINGS_READ)
    allowed_roles = {"POST": roles_for("alerts.triage")}
    input_serializer = AlertActionInput
    needs_person = False  # claiming, assigning, escalating: a person, not an integration key

    def act(self, request, alert, data, user, key):
        raise NotImplementedError

    def post(self, request, pk):
        alert = selectors.alert_for_org(request.organization, pk)
        user, key = _actor(request)
        if self.needs_person and user is None:
            raise ApiError(
                403,
                "person_required",
                "Claiming, assigning and escalating are done by a staff member signed in, "
                "not by an API key.",
            )
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            alert = self.act(request, alert, data.validated_data, user, key)
        except services.AlertStateError as exc:
            raise ApiError(409, exc.code, str(exc)) from exc
        except ValidationError as exc:
            raise _validation(exc) from exc
        return Response(AlertSerializer(alert).data)


@extend_schema_view(
    post=extend_schema(
        summary="Acknowledge an alert",
        request=AlertActionInput,
        responses={200: AlertSerializer, **STATE_ERRORS},
    )
)
class AlertAcknowledge(AlertActionView):
    def act(self, request, alert, data, user, key):
        return services.alert_acknowledge(
            alert=alert, by=user, api_key=key, note=data["note"], request=request
        )


@extend_schema_view(
    post=extend_schema(
        summary="Resolve an alert",
        description="Critical alerts need an `outcome` and a `note`, warnings an `outcome`, "
        "information alerts neither.",
        request=AlertResolveInput,
        responses={200: AlertSerializer, **STATE_ERRORS},
    )
)
class AlertResolve(AlertActionView):
    input_serializer = AlertResolveInput

    def act(self, request, alert, data, user, key):
        return services.alert_resolve(alert=alert, by=user, api_key=key, request=request, **data)


@extend_schema_view(
    post=extend_schema(
        summary="Claim an alert",
        auth=PERSON_ONLY,
        request=AlertClaimInput,
        responses={200: AlertSerializer, **STATE_ERRORS},
    )
)
class AlertClaim(AlertActionView):
    input_serializer = AlertClaimInput
    needs_person = True

    def act(self, request, alert, data, user, key):
        return services.alert_claim(alert=alert, by=user, request=request, **data)


@extend_schema_view(
    post=extend_schema(
        summary="Release an alert",
        auth=PERSON_ONLY,
        description="The holder releases it; an organization admin may release anyone's.",
        request=AlertActionInput,
        responses={200: AlertSerializer, **STATE_ERRORS},
    )
)
class AlertRelease(AlertActionView):
    needs_person = True

    def act(self, request, alert, data, user, key):
        is_admin = request.membership.is_admin
        return services.alert_release(
            alert=alert, by=user, is_admin=is_admin, note=data["note"], request=request
        )


@extend_schema_view(
    post=extend_schema(
        summary="Assign an alert to a clinical colleague",
        auth=PERSON_ONLY,
        request=AlertAssignInput,
        responses={200: AlertSerializer, 404: error_response("No such colleague."), **STATE_ERRORS},
    )
)
class AlertAssign(AlertActionView):
    input_serializer = AlertAssignInput
    needs_person = True

    def act(self, request, alert, data, user, key):
        to = _alert_colleague(request, data.pop("to"))
        return services.alert_assign(alert=alert, by=user, to=to, request=request, **data)


@extend_schema_view(
    post=extend_schema(
        summary="Escalate an alert to a physician/QHP",
        auth=PERSON_ONLY,
        request=AlertEscalateInput,
        responses={
            200: AlertSerializer,
            404: error_response("No such physician."),
            **STATE_ERRORS,
        },
    )
)
class AlertEscalate(AlertActionView):
    input_serializer = AlertEscalateInput
    needs_person = True

    def act(self, request, alert, data, user, key):
        to = _alert_colleague(request, data["to"])
        return services.alert_escalate(
            alert=alert, by=user, to=to, note=data["note"], request=request
        )


urlpatterns = [
    path("alerts", AlertList.as_view(), name="api-alert-list"),
    path("alerts/<int:pk>/acknowledge", AlertAcknowledge.as_view(), name="api-alert-acknowledge"),
    path("alerts/<int:pk>/resolve", AlertResolve.as_view(), name="api-alert-resolve"),
    path("alerts/<int:pk>/claim", AlertClaim.as_view(), name="api-alert-claim"),
    path("alerts/<int:pk>/release", AlertRelease.as_view(), name="api-alert-release"),
    path("alerts/<int:pk>/assign", AlertAssign.as_view(), name="api-alert-assign"),
    path("alerts/<int:pk>/escalate", AlertEscalate.as_view(), name="api-alert-escalate"),
]
