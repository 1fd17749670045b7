"""Shared API plumbing: the JSON error shape, strict input serializers, cursor pagination."""

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, serializers
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """Raise from a service call site to answer with a specific status and machine code."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        self.status_code = status
        self.code = code
        self.fields = fields or {}
        super().__init__(detail=message, code=code)


_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "throttled",
    503: "service_unavailable",
}


def error_body(status: int, message: str, code: str | None = None, fields=None) -> dict:
    return {
        "error": code or _CODES.get(status, "error"),
        "message": message,
        "fields": fields or {},
    }


def _flatten(detail):
    if isinstance(detail, list):
        return (
            [str(d) for d in detail]
            if all(not isinstance(d, dict | list) for d in detail)
            else [_flatten(d) for d in detail]
        )
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    return [str(detail)]


def exception_handler(exc, context):
    """Every API error as `{"error", "message", "fields"}`. Validation errors are 422 with the
    field messages; unparseable bodies are 400. A vendor error no view translated is 503 (the
    vendor is down or not configured) or 409 (it refused); a value the database cannot store
    (e.g. a NUL character, an out-of-range number) is 422 — the transaction is rolled back."""
    exc = _translate_unhandled(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        response.data = error_body(exc.status_code, str(exc.detail), exc.code, exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        response.status_code = HTTPStatus.UNPROCESSABLE_ENTITY
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        first = next(iter(fields.items()), None)
        message = "The request has invalid fields."
        if first:
            name, msgs = first
            text = msgs[0] if isinstance(msgs, list) and msgs and isinstance(msgs[0], str) else msgs
            message = f"{name}: {text}" if name != "non_field_errors" else str(text)
        response.data = error_body(422, message, "validation_error", fields)
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body(400, str(exc.detail), "malformed_request")
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = (
            getattr(exc, "default_code", None) if isinstance(exc, exceptions.APIException) else None
        )
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response.status_code = 401
            code = "not_authenticated"
        response.data = error_body(
            response.status_code, str(detail), code if code != "error" else None
        )
    return response


def _translate_unhandled(exc):
    from portal.http import VendorError

    if isinstance(exc, VendorError):
        if exc.code == "not_configured":
            return ApiError(503, "vendor_not_configured", exc.message)
        if exc.is_outage:
            return ApiError(503, "vendor_unavailable", exc.staff_message)
        return ApiError(409, "vendor_refused", exc.staff_message)
    if isinstance(exc, DataError):
        logger.info("API input the database refused: %s", type(exc).__name__)
        return ApiError(
            422,
            "unstorable_value",
            "The request holds a value that cannot be stored (a NUL character, or a number "
            "or date out of range).",
        )
    return exc


def json_error_view(status: int, message: str):
    # CSRF-exempt: it changes nothing, and an unmatched POST/PUT/DELETE must get this 404,
    # not the CSRF middleware's 403 (which told an integrator the wrong thing).
    @csrf_exempt
    def view(request, exception=None, **kwargs):
        return JsonResponse(error_body(status, message), status=status)

    return view


# Fields whose text DRF turns into a number or a date through int() and `\d` regexes, which read
# any script's digits ("٢٠٢٦-01-05" is 2026-01-05): only ASCII digits are a contract's digits.
ASCII_ONLY_FIELDS = (
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
)
NON_ASCII_MESSAGE = "Use ASCII digits (0-9): digits of other scripts are not accepted."


class StrictSerializer(serializers.Serializer):
    """Input contracts refuse fields they do not define (a typo must not pass silently), and
    numbers, dates and timestamps written with anything but ASCII."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            non_ascii = {
                name: [NON_ASCII_MESSAGE]
                for name, field in self.fields.items()
                if isinstance(field, ASCII_ONLY_FIELDS)
                and isinstance(data.get(name), str)
                and not data[name].isascii()
            }
            if non_ascii:
                raise serializers.ValidationError(non_ascii)
        return super().to_internal_value(data)


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-id"
    invalid_cursor_message = "The cursor is not valid; start again from the first page."

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise ApiError(400, "invalid_cursor", self.invalid_cursor_message) from exc

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                raise ApiError(
                    400, "invalid_page_size", "page_size must be a whole number."
                ) from None
            if not 1 <= size <= self.max_page_size:
                raise ApiError(
                    400,
                    "invalid_page_size",
                    f"page_size must be between 1 and {self.max_page_size}.",
                )
            return size
        return self.page_size
