"""Shared API plumbing: the JSON error shape, strict input serializers, cursor pagination."""

import datetime as dt
import logging
from http import HTTPStatus
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import F, OrderBy, Q
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


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (the schema's `Error` component; see error_body)."""

    error = serializers.CharField(help_text="A machine code, e.g. `validation_error`.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(
        help_text="Field name → its messages (nested for nested input); empty when no field "
        "is to blame."
    )


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


MAX_ID = 2**63 - 1  # a bigint primary key


def object_id(raw: str) -> int | None:
    """A query parameter holding an object id (1 to MAX_ID, ASCII digits), or None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


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


# A JSON value must already have the type the schema gives its field: DRF would take 12 for a
# string, "12" or 12.0 for an integer and "yes" or 1 for a boolean.
_JSON_TYPES = (
    (serializers.BooleanField, (bool,), "Must be true or false."),
    (serializers.CharField, (str,), "Must be a string."),
    (serializers.IntegerField, (int,), "Must be an integer."),
    (serializers.FloatField, (int, float), "Must be a number."),
)


def _wrong_json_type(field, value) -> str | None:
    if value is None:
        return None  # the field's allow_null decides
    for kind, types, message in _JSON_TYPES:
        if isinstance(field, kind):
            wrong_bool = isinstance(value, bool) and bool not in types
            return message if wrong_bool or not isinstance(value, types) else None
    return None


class JsonTypedSerializer(serializers.Serializer):
    """An input shape whose values must have their field's JSON type."""

    # Why (for readers of the code, not of the schema): DRF alone would take 12 for a string,
    # "12" for an integer, "yes" for a boolean, which the schema does not allow. Vendor-shaped
    # nested objects use this base: they keep accepting unknown fields.

    def to_internal_value(self, data):
        if isinstance(data, dict):
            wrong = {}
            for name, field in self.fields.items():
                if name in data and not field.read_only:
                    message = _wrong_json_type(field, data[name])
                    if message:
                        wrong[name] = [message]
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class StrictSerializer(JsonTypedSerializer):
    """An input contract: fields it does not define are refused (a typo must not pass
    silently; portal.schema.PortalAutoSchema says so in the schema, `additionalProperties:
    false`), and so are numbers, dates and timestamps written with anything but ASCII, and a
    value whose JSON type is not its field's."""

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

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                # Opaque: a value from `next` or `previous` (tests/security register the format).
                parameter["schema"]["format"] = "cursor"
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size
                )
        return parameters


class KeysetCursorPagination(CursorPagination):
    """Cursor pagination in the queryset's own multi-column order (e.g. the roster's sorts),
    where DRF's cursor keys on the first column only and breaks past 1,000 equal values.

    The cursor holds the last row's value of every ordering column, signed so that a client
    cannot hand the database a value of the wrong type: a page is an index range whatever its
    depth, and rows written meanwhile are neither repeated nor skipped. The order must end in a
    unique column; a nullable column must be ordered nulls first (`F(x).asc(nulls_first=True)`),
    the others hold no nulls."""

    salt = "portal.api.keyset-cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.columns = [_column(term) for term in queryset.query.order_by]
        position, backwards = self._decode(request)
        if position is not None:
            queryset = queryset.filter(_beyond(self.columns, position, backwards))
        if backwards:
            queryset = queryset.order_by(*(_term(c, reverse=True) for c in self.columns))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        self.next_position = self._position(rows[-1]) if rows and (more or backwards) else None
        came_from_before = position is not None and not backwards
        self.previous_position = (
            self._position(rows[0]) if rows and (came_from_before or (backwards and more)) else None
        )
        return rows

    def get_next_link(self):
        return self._link(self.next_position, backwards=False)

    def get_previous_link(self):
        return self._link(self.previous_position, backwards=True)

    def _position(self, row) -> list:
        values = [getattr(row, name) for name, _desc, _nullable in self.columns]
        return [v.isoformat() if isinstance(v, dt.date) else v for v in values]

    def _link(self, position, *, backwards):
        if position is None:
            return None
        token = signing.dumps({"p": position, "b": backwards}, salt=self.salt, compress=True)
        params = self.request.query_params.copy()
        params[self.cursor_query_param] = token
        return self.base_url.split("?", 1)[0] + "?" + urlencode(params, doseq=True)

    def _decode(self, request):
        token = request.query_params.get(self.cursor_query_param)
        if not token:
            return None, False
        try:
            data = signing.loads(token, salt=self.salt)
            position, backwards = data["p"], bool(data["b"])
        except (signing.BadSignature, KeyError, TypeError) as exc:
            raise ApiError(400, "invalid_cursor", self.invalid_cursor_message) from exc
        if not isinstance(position, list) or len(position) != len(self.columns):
            raise ApiError(400, "invalid_cursor", self.invalid_cursor_message)
        return position, backwards


def _column(term) -> tuple[str, bool, bool]:
    """(name, descending, nullable) of one order_by term: "-name" or F(name).asc(nulls_first)."""
    if isinstance(term, str):
        return term.removeprefix("-"), term.startswith("-"), False
    if isinstance(term, OrderBy) and isinstance(term.expression, F):
        return term.expression.name, term.descending, bool(term.nulls_first)
    raise TypeError(f"keyset pagination cannot order by {term!r}")


def _term(column, *, reverse=False):
    name, descending, nullable = column
    descending = descending != reverse
    expression = F(name)
    if not nullable:
        return expression.desc() if descending else expression.asc()
    # Nulls come first in the page order, so last when walking backwards.
    nulls = {"nulls_last": True} if reverse else {"nulls_first": True}
    return expression.desc(**nulls) if descending else expression.asc(**nulls)


def _beyond(columns, position, backwards) -> Q:
    """Rows after `position` in the page order (before it when walking backwards): the
    lexicographic comparison (a, b, c) > (x, y, z) spelled out column by column."""
    result = Q(pk__in=[])
    equal_so_far = Q()
    for (name, descending, nullable), value in zip(columns, position, strict=True):
        greater = descending == backwards  # the rows wanted hold greater values of this column
        if value is None:  # nulls come first in the page order
            strictly = Q(**{f"{name}__isnull": False}) if not backwards else Q(pk__in=[])
            same = Q(**{f"{name}__isnull": True})
        else:
            strictly = Q(**{f"{name}__{'gt' if greater else 'lt'}": value})
            if nullable and backwards:
                strictly |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        result |= equal_so_far & strictly
        equal_so_far &= same
    return result
