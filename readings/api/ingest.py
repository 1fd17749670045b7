"""Readings API, ingestion: the three endpoints in the vendors' own shapes (DESIGN.md), with
`Idempotency-Key` replay. Thin: validate, call a service, answer with the serializer the schema
documents."""

from __future__ import annotations

from http import HTTPStatus

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api_helpers import ApiError, exception_handler
from portal.models import ApiScope, Patient
from portal.roles import roles_for
from portal.schema import error_response
from readings.api.fast_heart_rate import heart_rate_fast
from readings.bulk import RecordOutcome, validic_records_bulk_ingest
from readings.serializers import (
    HeartRateReadingRequest,
    ImpiloReadingObject,
    MeasurementBatch,
    MeasurementsResponse,
    PatientGraphError,
    PatientMetricEntry,
    PatientMetricRequest,
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


def _api_error(exc: IngestError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.fields)


class IngestView(APIView):
    """Shared: scopes, roles, and `Idempotency-Key` replay."""

    required_scopes = ApiScope.READINGS_WRITE
    allowed_roles = roles_for("readings.manual")
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
            "reading was recorded before (the same value from the same device at the same "
            "instant, posted here or pulled from Impilo). 404 unknown device/patient; 409 "
            "`device_decommissioned` or `device_not_assigned`; 409 `conflicting_reading` when "
            "the device already has another value at that instant (the message names the "
            "stored value, unit, time and reading id); 422 with the field for a "
            "value out of range (heart rate 20 to 300 bpm) or a timestamp in the future. "
            "`readingTimestamp` is UTC (seed 000): one without an offset is read as UTC."
        ),
        request=HeartRateReadingRequest,
        responses={
            201: ImpiloReadingObject,
            200: ImpiloReadingObject,
            404: error_response("No such device or patient."),
            409: error_response(
                "`device_decommissioned`, `device_not_assigned`, or `conflicting_reading` "
                "(another value is stored for the device at that instant)."
            ),
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, *args, **kwargs):
        # The common case in one statement (readings.api.fast_heart_rate); anything it does
        # not take, the general path below answers.
        return heart_rate_fast(request) or super().post(request, *args, **kwargs)

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
        return Response(
            ImpiloReadingObject(result.readings[0]).data,
            status=HTTPStatus.CREATED if result.created else HTTPStatus.OK,
        )


def _patient_graph_exception_handler(exc, context):
    """patient-graph keeps its own `{error, message}` error shape (seed 002)."""
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
            "their own series. A known metric needs its `unit` (patient-graph's document "
            "fixes none, and a unit is never guessed): without one it is 422 `unit_required`. "
            "Errors are `{error, message}`: 404 unknown patient, 422 invalid "
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
        organization = request.organization
        entry = PatientMetricEntry(
            result.readings[0],
            context={
                "patient_id": patient_id,
                "brand_id": organization.patient_graph_brand_id or organization.slug,
                "sent": request.data,
            },
        )
        return Response(entry.data, status=HTTPStatus.CREATED if result.created else HTTPStatus.OK)


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
            "on its own, so a bad record does not hold back the others. Versions: a `checksum` "
            "already seen for the `id` is a replay (`duplicate`, nothing changes); a new "
            "checksum replaces the stored values in place (`updated`, the reading ids stay; the "
            "earlier values are kept as the reading's `history`); one with `deleted_at` removes "
            "the readings (`deleted`), and the record stays deleted until a checksum never seen "
            "before arrives without `deleted_at`. A metric without `unit` is stored only where "
            "the Validic document fixes its unit (spo2: percent, pulse: bpm); otherwise 422 "
            "`unit_required` naming `metrics[i].unit`. The pull from Validic stores records "
            "the same way."
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
        stored: list[RecordOutcome] = []
        validic_records_bulk_ingest(  # the pull's write path too: one behaviour for both
            organization=request.organization,
            records=[r for _, r in records],
            request=request,
            action="reading.ingest",
            outcomes=stored,
        )
        outcomes = {index: outcome for (index, _), outcome in zip(records, stored, strict=True)}
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
                "readings": outcome.reading_ids,
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
        return Response(MeasurementsResponse(body).data, status=status)
