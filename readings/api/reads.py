"""Readings API, reads: a patient's readings (raw or as chart series); the FHIR R4
Observation export is in `observations`. Thin: a selector, then the serializer the schema
documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics
from rest_framework.response import Response

from portal import dates
from portal.access import patient_for_org
from portal.api_helpers import ApiError, CursorPagination
from portal.audit import audit_event_record
from portal.models import ApiScope
from portal.schema import pagination_parameters
from readings import selectors
from readings.models import Reading
from readings.serializers import ReadingPage, ReadingSerializer, ReadingSeries, iso_z
from readings.vendor_records import reading_histories

RANGE_PARAMS = [
    OpenApiParameter("metric", str, description="A metric (heart_rate, systolic, weight, …)."),
    OpenApiParameter(
        "from",
        OpenApiTypes.DATETIME,
        description="ISO date-time with offset, 2000–2100 (default: 30 days ago).",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATETIME,
        description="ISO date-time with offset, 2000–2100 (default: now).",
    ),
]


def _window(request):
    now = datetime.now(tz=UTC)
    params = request.query_params
    start = dates.query_param(params, "from", dates.parse_instant, now - timedelta(days=30))
    end = dates.query_param(params, "to", dates.parse_instant, now + timedelta(minutes=1))
    if end <= start:
        raise ApiError(400, "invalid_parameter", "to must be after from.")
    return start, end


class PatientReadingsView(generics.ListAPIView):
    """A patient's readings, newest first (cursor pagination)."""

    serializer_class = ReadingSerializer
    required_scopes = ApiScope.READINGS_READ

    @extend_schema(
        summary="List a patient's readings",
        description=(
            "`resolution=raw` (default): the readings, newest first, cursor-paginated. "
            "`resolution=auto`: the chart series of `metric` (`bp` gives systolic and "
            "diastolic; without `metric`, every metric the patient has in the window), at most "
            "500 points per metric — the readings themselves when there are that few, else "
            "min/avg/max per time bucket computed in the database."
        ),
        parameters=[
            *RANGE_PARAMS,
            OpenApiParameter("resolution", str, enum=["raw", "auto"], description="See above."),
            *pagination_parameters(CursorPagination),
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="ReadingsOrSeries",
                serializers=[ReadingPage, ReadingSeries],
                resource_type_field_name=None,
                many=False,
            )
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        patient = patient_for_org(self.request.organization, self.kwargs["pk"])
        start, end = _window(self.request)
        qs = Reading.objects.filter(
            patient=patient, measured_at__gte=start, measured_at__lt=end
        ).select_related("device", "patient")
        metric = self.request.query_params.get("metric")
        if metric:
            qs = qs.filter(metric=metric)
        self._patient = patient
        return qs

    def get_serializer(self, *args, **kwargs):
        if args and isinstance(args[0], list):  # a page: its readings' earlier versions
            kwargs["context"] = {
                **self.get_serializer_context(),
                "histories": reading_histories(args[0]),
            }
        return super().get_serializer(*args, **kwargs)

    def list(self, request, *args, **kwargs):
        resolution = request.query_params.get("resolution", "raw")
        if resolution not in ("raw", "auto"):
            raise ApiError(400, "invalid_parameter", "resolution must be raw or auto.")
        if resolution == "auto":
            return self._series(request)
        response = super().list(request, *args, **kwargs)
        audit_event_record(
            action="reading.list", request=request, patient=self._patient, detail={"api": True}
        )
        return response

    def _series(self, request):
        metric = request.query_params.get("metric") or None
        patient = patient_for_org(request.organization, self.kwargs["pk"])
        start, end = _window(request)
        metrics = [metric] if metric else _metrics_in(patient, start, end)
        series = [s for m in metrics for s in selectors.readings_series(patient, m, start, end)]
        audit_event_record(
            action="reading.list",
            request=request,
            patient=patient,
            detail={"api": True, "resolution": "auto"},
        )
        return Response(
            ReadingSeries(
                {
                    "metric": metric,
                    "from": iso_z(start),
                    "to": iso_z(end),
                    "series": [
                        {
                            "metric": s.metric,
                            "bucketed": s.bucketed,
                            "bucket_seconds": s.bucket_seconds or None,
                            "points": [
                                {
                                    "t": iso_z(datetime.fromtimestamp(x, tz=UTC)),
                                    "min": s.low[i],
                                    "avg": s.avg[i],
                                    "max": s.high[i],
                                    "count": s.count[i],
                                }
                                for i, x in enumerate(s.x)
                                if s.count[i]
                            ],
                        }
                        for s in series
                    ],
                }
            ).data
        )


def _metrics_in(patient, start, end) -> list[str]:
    return sorted(
        set(
            Reading.objects.filter(
                patient=patient, measured_at__gte=start, measured_at__lt=end
            ).values_list("metric", flat=True)
        )
    )
