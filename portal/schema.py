"""drf-spectacular: the portal's authentication schemes (imported in PortalConfig.ready) and
PortalAutoSchema (settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from portal.api_helpers import MAX_ID, ErrorSerializer, JsonTypedSerializer, StrictSerializer
from portal.identifiers import identifier_pattern, validate_identifier


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API key: `Authorization: Bearer vp_<prefix>_<secret>`.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api_auth.SessionAuthentication"
    name = "Session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


# --- error responses, documented for every operation ------------------------------------------
ERRORS = {
    400: "`malformed_request` (the body is not JSON), or a query parameter, cursor or page size "
    "that is not valid (`invalid_parameter`, `invalid_cursor`, `invalid_page_size`).",
    401: "`not_authenticated`: no API key or session, or one that is not valid.",
    403: "`permission_denied`: the API key lacks the scope, or the staff role may not do this.",
    404: "`not_found`: no such object in the organization (another organization's is a 404 too).",
    409: "The request conflicts with the current state (`error` names the rule).",
    413: "`payload_too_large`: the body is over the size limit.",
    415: "`unsupported_media_type`: send `application/json`.",
    422: "`validation_error`: `fields` holds each field's messages; unknown fields are refused.",
    429: "`throttled`: over the rate limit; retry after `Retry-After` seconds.",
    503: "`service_unavailable`: the database (or a vendor the action needs) did not answer.",
}
BODY_METHODS = ("POST", "PUT", "PATCH")
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}  # see api_helpers.object_id


def error_response(description: str) -> OpenApiResponse:
    """An error a view documents itself (`extend_schema(responses={409: error_response(...)})`),
    with the shared error body."""
    return OpenApiResponse(ErrorSerializer, description=description)


def pagination_parameters(pagination_class) -> list[OpenApiParameter]:
    """The paging query parameters, for a list view whose 200 the view documents itself."""
    return [
        OpenApiParameter(p["name"], p["schema"], description=p.get("description", ""))
        for p in pagination_class().get_schema_operation_parameters(view=None)
    ]


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus what every API view of the portal shares, so a new
    view is documented truthfully without a decorator:
    - the error answers it can give, read from its permissions, parsers, throttles, path and
      method, with the shared `Error` body (a view's `error_serializer` replaces it: the
      patient-graph endpoint's `{error, message}`); a status the view documents itself wins;
    - a `pattern` on free-text query parameters: no control characters (the middleware's rule);
    - `additionalProperties: false` on StrictSerializer inputs, which refuse unknown fields;
      the NUL and blank rules of their strings; `minItems` of lists that may not be empty;
    - a serializer's `openapi_extra` (what its fields cannot say, e.g. "one of these three");
    - `requestBody.required` for a view with `request_body_required`."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            free_text = not {"pattern", "format", "enum"} & set(schema)
            if parameter["in"] == "query" and schema.get("type") == "string" and free_text:
                schema["pattern"] = QUERY_TEXT
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(self._error_serializer(), description=ERRORS[status]),
                    str(status),
                )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is not None and getattr(self.view, "request_body_required", False):
            body["required"] = True  # drf-spectacular cannot tell for a oneOf body
        return body

    def _error_serializer(self):
        return getattr(self.view, "error_serializer", ErrorSerializer)

    def _error_statuses(self, operation) -> set[int]:
        statuses = {503}  # DatabaseUnavailableMiddleware answers any request when it must
        if self.view.get_authenticators():
            statuses |= {401, 403}
        if self.view.get_throttles():
            statuses.add(429)
        if "{" in self.path:
            statuses.add(404)
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            statuses.add(400)
        if self.method in BODY_METHODS and self.view.get_parsers():
            statuses |= {400, 413, 415, 422}
        return statuses

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        serializer = force_instance(serializer)
        extra = getattr(serializer, "openapi_extra", {})
        if "type" in extra:  # a shape that is not an object of its fields
            return dict(extra)
        for name, field in serializer.fields.items():
            prop = schema["properties"].get(name)
            if (
                getattr(field, "allow_empty", True) is False
                and prop
                and prop.get("type") == "array"
            ):
                prop.setdefault("minItems", 1)  # DRF refuses an empty list here
        if isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False
        _identifier_patterns(serializer, schema)
        if isinstance(serializer, JsonTypedSerializer):
            for name, field in serializer.fields.items():
                _text_pattern(field, schema["properties"].get(name))
        for key, value in extra.items():
            if key == "properties":  # narrow the fields' own schemas
                for name, narrowing in value.items():
                    schema["properties"][name].update(narrowing)
            else:
                schema[key] = value
        return schema


# No query value may hold a control character but tab and line breaks: the portal's
# QueryControlCharsMiddleware refuses the whole request (400) before any view.
QUERY_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

# Every input string refuses NUL (DRF's ProhibitNullCharactersValidator; PostgreSQL text cannot
# hold it), and one that may not be blank needs a character that is not whitespace (DRF trims).
TEXT = r"^[^\x00]*$"
NON_BLANK_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"


def _identifier_patterns(serializer, schema) -> None:
    """Identifiers (MRN, vendor ids, metric keys: portal.identifiers) refuse control characters
    and invisible formatting: say so with a pattern, for a model's IDENTIFIER_FIELDS (checked in
    its clean_fields) and for fields that carry validate_identifier."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    names = set(getattr(model, "IDENTIFIER_FIELDS", ()))
    for name, field in serializer.fields.items():
        prop = schema["properties"].get(name)
        if not prop or prop.get("type") != "string" or "format" in prop or "enum" in prop:
            continue
        if field.source in names or validate_identifier in getattr(field, "validators", ()):
            prop["pattern"] = identifier_pattern(blank_ok=getattr(field, "allow_blank", True))


def _text_pattern(field, schema) -> None:
    if isinstance(field, serializers.ListField) and schema:
        _text_pattern(field.child, schema.get("items"))
        return
    if not isinstance(field, serializers.CharField) or not schema:
        return
    if schema.get("type") != "string" or "pattern" in schema or "format" in schema:
        return
    blank_ok = field.allow_blank or not field.trim_whitespace
    schema["pattern"] = TEXT if blank_ok else NON_BLANK_TEXT
