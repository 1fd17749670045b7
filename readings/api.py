"""Readings API: the three ingestion endpoints in the vendors' own shapes (DESIGN.md), the
patient's readings, and the FHIR R4 Observation export. Thin: validate, call a service or a
selector, shape the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from django.db import transaction
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import dates
from portal.access import CLINICAL, patient_for_org
from portal.api_helpers import ApiError, CursorPagination
from portal.audit import audit_event_record
from portal.models import ApiScope, Patient
from portal.schema import error_response, pagination_parameters
from readings import fhir, selectors
from readings.models import Reading
from readings.serializers import (
    HeartRateReadingRequest,
    ImpiloReadingObject,
    MeasurementBatch,
    MeasurementsResponse,
    PatientGraphError,
    PatientMetricEntry,
    PatientMetricRequest,
    ReadingPage,
    ReadingSerializer,
    ReadingSeries,
    ValidicMeasurementRecord,
)
from readings.services import ingest, replay, sources
from readings.services.ingest import IngestError, body_hash

MAX_BATCH = 500
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A replay with the same key (and body) returns the first answer; the same key "
    "with a different body is 422 `idempotency_key_reused`.",
)


def _iso_z(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _api_error(exc: IngestError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.fields)


class IngestView(APIView):
    """Shared: scopes, roles, and `Idempotency-Key` replay."""

    required_scopes = ApiScope.READINGS_WRITE
    allowed_roles = CLINICAL
    endpoint = ""

    def post(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            return self.ingest(request, *args, **kwargs)
        if len(key) > 200:
            raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key is too long.")
        digest = body_hash({"body": request.data, "path": request.path})
        # The key is claimed first, in the transaction that stores the reading: of concurrent
        # requests with one key, exactly one ingests; the others see its committed answer.
        with transaction.atomic():
            claim = replay.ingestion_replay_claim(
                organization=request.organization,
                endpoint=self.endpoint,
                key=key,
                request_hash=digest,
            )
            if claim is not None:
                response = self.ingest(request, *args, **kwargs)  # an error rolls the claim back
                if response.status_code < 300:
                    replay.ingestion_replay_complete(
                        claim=claim, status_code=response.status_code, body=response.data
                    )
                else:
                    claim.delete()  # only a success is replayed
                return response
        found = replay.ingestion_replay_find(
            organization=request.organization, endpoint=self.endpoint, key=key
        )
        if found is None or found.request_hash != digest:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used for a different request.",
            )
        response = Response(found.response_body, status=found.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    def ingest(self, request, *args, **kwargs):  # pragma: no cover - overridden
        raise NotImplementedError


def impilo_reading_object(reading: Reading) -> dict:
    device = reading.device
    patient = reading.patient
    return {
        "id": reading.pk,
        "readingTimestamp": _iso_z(reading.measured_at),
        "manual": reading.manual,
        "deviceTimeZoneOffset": reading.device_tz_offset,
        "patientTimeZoneOffset": reading.patient_tz_offset,
        "heartRate": int(reading.value),
        "patient": {"id": patient.impilo_patient_id, "externalId": patient.mrn},
        "item": (
            {"id": device.item.impilo_item_id, "name": device.item.name, "kind": device.item.kind}
            if device
            else None
        ),
        "device": (
            {
                "id": device.impilo_device_id,
                "identifier": device.identifier,
                "currentStatus": device.current_status,
            }
            if device
            else None
        ),
    }


class HeartRateReadingView(IngestView):
    endpoint = "readings.heart-rate"
    # Impilo's answer names the patient (MRN as externalId) and the device's current status,
    # which a caller posting by device id did not send: it needs those read scopes too.
    required_scopes = (ApiScope.READINGS_WRITE, ApiScope.PATIENTS_READ, ApiScope.DEVICES_READ)

    @extend_schema(
        summary="Record a heart rate reading (Impilo shape)",
        description=(
            "Impilo `Record Heart Rate Reading` (seed 000). Either `deviceId` (Impilo device "
            "id), `deviceIdentifier` or `patientId` (Impilo patient id) is required. "
            "`patientTimeZoneOffset` is derived from the patient's (ZIP-derived) time zone. "
            "201 with the Impilo reading object; 200 with the stored reading when the same "
            "reading was recorded before. 404 unknown device/patient; 409 "
            "`device_decommissioned` or `device_not_assigned`; 422 with the field for a "
            "value out of range (heart rate 20 to 300 bpm) or a timestamp in the future. "
            "`readingTimestamp` is UTC (seed 000): one without an offset is read as UTC."
        ),
        request=HeartRateReadingRequest,
        responses={
            201: ImpiloReadingObject,
            200: ImpiloReadingObject,
            404: error_response("No such device or patient."),
            409: error_response("`device_decommissioned` or `device_not_assigned`."),
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def ingest(self, request):
        data = HeartRateReadingRequest(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            items = sources.heart_rate_inputs(
                organization=request.organization, data=data.validated_data
            )
            result = ingest.readings_ingest(
                organization=request.organization,
                items=items,
                action="reading.ingest",
                request=request,
            )
        except IngestError as exc:
            raise _api_error(exc) from exc
        reading = result.readings[0]
        return Response(
            impilo_reading_object(reading),
            status=HTTPStatus.CREATED if result.created else HTTPStatus.OK,
        )


def _patient_graph_exception_handler(exc, context):
    """patient-graph keeps its own `{error, message}` error shape (seed 002)."""
    from portal.api_helpers import exception_handler

    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        response.data = {"error": response.data["error"], "message": response.data["message"]}
    return response


class PatientMetricsView(IngestView):
    endpoint = "patients.metrics"

    error_serializer = PatientGraphError  # portal.schema documents every error with it

    def get_exception_handler(self):
        return _patient_graph_exception_handler

    @extend_schema(
        summary="Record a metric entry (patient-graph shape)",
        description=(
            "patient-graph `POST /v1/patients/{patient_id}/metrics` (seed 002), request and "
            "response exactly as documented. `patient_id` is the patient's patient-graph id, "
            "or the portal's patient id. Known metric keys (heart_rate, weight, spo2, "
            "blood_glucose, …) are stored in their canonical UCUM unit; other keys are kept as "
            "their own series. Errors are `{error, message}`: 404 unknown patient, 422 invalid "
            "body (the message names the field), 409 device rules do not apply here."
        ),
        request=PatientMetricRequest,
        responses={
            201: PatientMetricEntry,
            200: PatientMetricEntry,
            404: OpenApiResponse(PatientGraphError),
            422: OpenApiResponse(PatientGraphError),
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def ingest(self, request, patient_id: str):
        patients = Patient.objects.filter(organization=request.organization)
        patient = patients.filter(patient_graph_id=patient_id).first()
        if patient is None and patient_id.isdigit() and len(patient_id) <= 18:
            patient = patients.filter(pk=int(patient_id)).first()
        if patient is None:
            raise ApiError(404, "not_found", "Patient not found")
        data = PatientMetricRequest(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            items = sources.patient_metric_inputs(patient=patient, data=data.validated_data)
            result = ingest.readings_ingest(
                organization=request.organization,
                items=items,
                action="reading.ingest",
                request=request,
            )
        except IngestError as exc:
            raise ApiError(exc.status, exc.code, f"{exc.field}: {exc.message}") from exc
        reading = result.readings[0]
        body = {
            "id": str(reading.pk),
            "patient_id": patient_id,
            "brand_id": request.organization.patient_graph_brand_id or request.organization.slug,
            "metric_key": reading.metric_key,
            "value_numeric": request.data.get("value_numeric") or None,
            "value_text": reading.value_text or None,
            "unit": request.data.get("unit") or None,
            "source": reading.source,
            "is_phi": reading.is_phi,
            "recorded_at": _iso_z(reading.measured_at),
            "created_at": _iso_z(reading.created_at),
        }
        return Response(body, status=HTTPStatus.CREATED if result.created else HTTPStatus.OK)


class MeasurementsView(IngestView):
    endpoint = "measurements"
    request_body_required = True  # one record or a list of them

    @extend_schema(
        summary="Record Validic measurement records",
        description=(
            "Validic Inform measurement records (seed 004), one object or a list of up to "
            f"{MAX_BATCH}. **One record**: 201 created, 200 when already stored (same `id` and "
            "`checksum`), or the error status (404 unknown user/device, 409 device rules, 422 "
            "invalid field). **A list**: 200 with one outcome per record "
            "(`created | duplicate | updated | deleted | error`); each record is all-or-nothing "
            "on its own, so a bad record does not hold back the others. A record whose "
            "`checksum` changed replaces the stored one; one with `deleted_at` removes it."
        ),
        request=PolymorphicProxySerializer(
            component_name="MeasurementRecords",
            serializers=[
                ValidicMeasurementRecord,
                MeasurementBatch,
            ],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            200: MeasurementsResponse,
            201: MeasurementsResponse,
            404: error_response("One record: no such Validic user or device."),
            409: error_response("One record: a device rule refused it."),
            413: error_response(f"`payload_too_large`: more than {MAX_BATCH} records."),
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def ingest(self, request):
        single = isinstance(request.data, dict)
        raw = [request.data] if single else request.data
        if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
            raise ApiError(
                422, "validation_error", "Send one measurement record or a non-empty list of them."
            )
        if len(raw) > MAX_BATCH:
            raise ApiError(413, "payload_too_large", f"At most {MAX_BATCH} records per request.")
        records, invalid = [], {}
        for index, item in enumerate(raw):
            parsed = ValidicMeasurementRecord(data=item)
            if parsed.is_valid():
                records.append((index, parsed.validated_data))
            elif single:
                raise serializers.ValidationError(parsed.errors)
            else:
                invalid[index] = parsed.errors
        outcomes = {
            index: outcome
            for (index, _), outcome in zip(
                records,
                sources.validic_records_ingest(
                    organization=request.organization,
                    records=[r for _, r in records],
                    request=request,
                ),
                strict=True,
            )
        }
        if single:
            outcome = outcomes[0]
            if outcome.error:
                raise _api_error(outcome.error)
        results = []
        for index, item in enumerate(raw):
            record_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            if index in invalid:
                results.append(
                    {
                        "id": record_id,
                        "status": "error",
                        "readings": [],
                        "error": {
                            "error": "validation_error",
                            "message": "The record has invalid fields.",
                            "fields": invalid[index],
                        },
                    }
                )
                continue
            outcome = outcomes[index]
            entry = {
                "id": outcome.record_id,
                "status": outcome.status,
                "readings": [r.pk for r in outcome.readings],
            }
            if outcome.error:
                entry["error"] = {
                    "error": outcome.error.code,
                    "message": outcome.error.message,
                    "fields": outcome.error.fields,
                }
            results.append(entry)
        body = {
            "results": results,
            "created": sum(r["status"] in ("created", "updated") for r in results),
            "duplicates": sum(r["status"] == "duplicate" for r in results),
            "errors": sum(r["status"] == "error" for r in results),
        }
        status = HTTPStatus.OK
        if single and results[0]["status"] in ("created", "updated"):
            status = HTTPStatus.CREATED
        return Response(body, status=status)


# --- reads ----------------------------------------------------------------------------------
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
                    "from": _iso_z(start),
                    "to": _iso_z(end),
                    "series": [
                        {
                            "metric": s.metric,
                            "bucketed": s.bucketed,
                            "bucket_seconds": s.bucket_seconds or None,
                            "points": [
                                {
                                    "t": _iso_z(datetime.fromtimestamp(x, tz=UTC)),
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


class ObservationsView(APIView):
    """FHIR R4 Observations of a patient as a `searchset` Bundle."""

    required_scopes = ApiScope.READINGS_READ
    page_size = 200

    @extend_schema(
        summary="Export a patient's readings as FHIR R4 Observations",
        description=(
            "A `Bundle` (type searchset) of vital-signs Observations: LOINC code, UCUM "
            "`valueQuantity`, `effectiveDateTime` in the patient's offset; blood pressure as "
            "one Observation (85354-9) with systolic and diastolic components. Newest first, "
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
        responses={200: OpenApiResponse(description="FHIR Bundle")},
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
                params["before"] = _iso_z(last_at)
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
        return Response(body, content_type="application/fhir+json")


urlpatterns = [
    path("readings/heart-rate", HeartRateReadingView.as_view(), name="api-reading-heart-rate"),
    path(
        "patients/<str:patient_id>/metrics",
        PatientMetricsView.as_view(),
        name="api-patient-metrics",
    ),
    path("measurements", MeasurementsView.as_view(), name="api-measurements"),
    path("patients/<int:pk>/readings", PatientReadingsView.as_view(), name="api-patient-readings"),
    path(
        "patients/<int:pk>/observations",
        ObservationsView.as_view(),
        name="api-patient-observations",
    ),
]
