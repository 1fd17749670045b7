"""Readings API, the FHIR R4 export: a patient's readings as a `searchset` Bundle of
Observations (readings.fhir builds them), in `application/fhir+json` or `application/json`."""

from __future__ import annotations

from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import dates
from portal.access import patient_for_org
from portal.audit import audit_event_record
from portal.models import ApiScope
from portal.schema import PortalAutoSchema, error_response
from readings import fhir, selectors
from readings.api.reads import RANGE_PARAMS, _window
from readings.models import Reading
from readings.serializers import iso_z


class FhirJSONRenderer(JSONRenderer):
    """FHIR's JSON media type (http://hl7.org/fhir/R4/http.html#mime-type): the same JSON,
    named so that a FHIR client asking for `application/fhir+json` gets it (not a 406)."""

    media_type = "application/fhir+json"
    format = "fhir"


class JsonErrorsSchema(PortalAutoSchema):
    """Documents a view's errors as `application/json` only: they are the API's error body,
    not FHIR resources, whichever media type the 200 was negotiated in."""

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if media_types is None and not str(status_code).startswith("2"):
            media_types = [JSONRenderer.media_type]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)


_QUANTITY = {
    "type": "object",
    "required": ["value", "unit", "system", "code"],
    "properties": {
        "value": {"type": "number"},
        "unit": {"type": "string", "description": "What staff read (lb, °F, mmHg, …)."},
        "system": {"type": "string", "enum": [fhir.UCUM]},
        "code": {"type": "string", "description": "The UCUM code ([lb_av], [degF], mm[Hg], …)."},
    },
}
_CONCEPT = {
    "type": "object",
    "required": ["coding"],
    "properties": {
        "coding": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["system", "code"],
                "properties": {
                    "system": {"type": "string"},
                    "code": {"type": "string"},
                    "display": {"type": "string"},
                },
            },
        },
        "text": {"type": "string"},
    },
}
FHIR_BUNDLE = {
    "type": "object",
    "description": "A FHIR R4 Bundle (http://hl7.org/fhir/R4/bundle.html) of Observations "
    "(http://hl7.org/fhir/R4/observation.html); the main elements are listed here.",
    "required": ["resourceType", "type", "link", "entry"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "type": {"type": "string", "enum": ["searchset"]},
        "link": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["relation", "url"],
                "properties": {
                    "relation": {"type": "string", "enum": ["self", "next"]},
                    "url": {"type": "string", "format": "uri"},
                },
            },
        },
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["fullUrl", "resource", "search"],
                "properties": {
                    "fullUrl": {"type": "string"},
                    "search": {"type": "object"},
                    "resource": {
                        "type": "object",
                        "required": [
                            "resourceType",
                            "id",
                            "status",
                            "category",
                            "code",
                            "subject",
                            "effectiveDateTime",
                        ],
                        "properties": {
                            "resourceType": {"type": "string", "enum": ["Observation"]},
                            "id": {"type": "string"},
                            "meta": {"type": "object"},
                            "status": {"type": "string", "enum": ["final"]},
                            "category": {"type": "array", "items": _CONCEPT},
                            "code": _CONCEPT,
                            "subject": {"type": "object"},
                            "effectiveDateTime": {
                                "type": "string",
                                "description": "In the patient's offset, e.g. "
                                "2026-11-20T07:30:00-05:00.",
                            },
                            "valueQuantity": _QUANTITY,
                            "component": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"code": _CONCEPT, "valueQuantity": _QUANTITY},
                                },
                            },
                            "device": {"type": "object"},
                        },
                    },
                },
            },
        },
    },
}


class ObservationsView(APIView):
    """FHIR R4 Observations of a patient as a `searchset` Bundle, in `application/fhir+json`
    (the default, and what `Accept: application/fhir+json` gets) or `application/json`."""

    required_scopes = ApiScope.READINGS_READ
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    schema = JsonErrorsSchema()
    page_size = 200

    @extend_schema(
        summary="Export a patient's readings as FHIR R4 Observations",
        description=(
            "A `Bundle` (type searchset) of vital-signs Observations: LOINC code, UCUM "
            "`valueQuantity`, `effectiveDateTime` in the patient's offset, the R4 profile in "
            "`meta.profile`; blood pressure as one Observation (85354-9, bp profile) with "
            "systolic and diastolic components, and a systolic or diastolic without its "
            "partner as its own Observation (8480-6 or 8462-4) under the base vital-signs "
            "profile; SpO2 carries 2708-6 (fixed by the oxygensat profile) and 59408-5 (pulse "
            "oximetry). Glucose (category laboratory) and steps (activity) claim no profile. "
            "Content negotiation: `application/fhir+json` (default, also for `*/*`) or "
            "`application/json`, the same body; any other `Accept` is a 406. Errors are the "
            "API's JSON error body as `application/json`. Newest first, "
            f"about {page_size} readings a page; the Bundle's `next` link (`before=`) gives the "
            "next page. A page never splits readings taken at the same instant, so a blood "
            "pressure's two components always come together."
        ),
        parameters=[
            *RANGE_PARAMS,
            OpenApiParameter(
                "before", OpenApiTypes.DATETIME, description="Only readings before this instant."
            ),
        ],
        responses={
            (200, FhirJSONRenderer.media_type): OpenApiResponse(
                FHIR_BUNDLE, description="FHIR R4 Bundle"
            ),
            (200, JSONRenderer.media_type): OpenApiResponse(
                FHIR_BUNDLE, description="FHIR R4 Bundle"
            ),
            406: error_response(
                "`not_acceptable`: `Accept` names neither `application/fhir+json` nor "
                "`application/json` (nor `*/*`)."
            ),
        },
    )
    def get(self, request, pk):
        patient = patient_for_org(request.organization, pk)
        start, end = _window(request)
        qs = Reading.objects.filter(
            patient=patient, measured_at__gte=start, measured_at__lt=end
        ).select_related("device", "patient")
        metric = request.query_params.get("metric")
        if metric:
            qs = qs.filter(metric__in=selectors.chart_metrics(metric))
        qs = qs.order_by("-measured_at", "measurement_group", "id")
        before = dates.query_param(request.query_params, "before", dates.parse_instant)
        page_qs = qs.filter(measured_at__lt=before) if before else qs
        rows = list(page_qs[: self.page_size])
        next_url = None
        if len(rows) == self.page_size:
            # Finish the last instant on this page (a BP's systolic and diastolic share it).
            last_at = rows[-1].measured_at
            seen = {r.pk for r in rows}
            rows += [r for r in qs.filter(measured_at=last_at) if r.pk not in seen]
            if qs.filter(measured_at__lt=last_at).exists():
                params = request.query_params.copy()
                params["before"] = iso_z(last_at)
                next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        audit_event_record(
            action="reading.export_fhir",
            request=request,
            patient=patient,
            detail={"paged": before is not None},
        )
        body = fhir.bundle(
            fhir.observations(rows),
            self_url=request.build_absolute_uri(),
            next_url=next_url,
        )
        return Response(body)  # in the media type negotiated from Accept

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            # An error is the API's JSON error body, not a FHIR resource: say so, whatever
            # was asked for (a 406 has no negotiated renderer at all).
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        return response
