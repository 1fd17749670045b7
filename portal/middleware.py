import re

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

MACHINE_PATHS = ("/api/", "/webhooks/", "/sandbox/")


def wants_json(request) -> bool:
    return request.path.startswith(MACHINE_PATHS)


POLL_HEADER = "X-Background-Poll"


class SessionIdleMiddleware:
    """The session is an idle timeout (SESSION_IDLE_MINUTES): every request a person makes
    pushes its expiry on, as SESSION_SAVE_EVERY_REQUEST would — except the page's own background
    requests (the live notice, the alert badge, the worklist counts, job progress), which send
    `X-Background-Poll: 1`; otherwise an open tab on a ward workstation would keep the session
    alive forever. A client that sends the header only declines to extend its own session. Sits
    after SessionMiddleware.

    Background requests also never save the session: saving writes the whole session, so one
    that loaded it before a person's request stored something (a passkey challenge) would write
    the old contents back over it (run s6-5)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get(POLL_HEADER) != "1":
            request.session.modified = True  # saved (expiry renewed) unless the session is empty
        return self.get_response(request)


class BodySizeLimitMiddleware:
    """Refuse oversized machine bodies before anything reads them: 413 with the error shape.
    (DRF parsers read the stream directly, so DATA_UPLOAD_MAX_MEMORY_SIZE alone would not.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if wants_json(request) and not request.path.startswith("/sandbox/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.API_MAX_BODY_BYTES
            if length > limit:
                return JsonResponse(
                    {
                        "error": "payload_too_large",
                        "message": f"Request body is {length} bytes; the limit is {limit}.",
                        "fields": {},
                    },
                    status=413,
                )
        return self.get_response(request)


# C0 controls and DEL, except tab and line breaks (which a pasted search may carry).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QueryControlCharsMiddleware:
    """Refuse a query string holding a control character (a NUL above all): PostgreSQL stores
    and compares no NUL, so `/patients/?q=%00` reached the search (or the audit row naming
    the filter) and ended in a 500. No page or endpoint takes such a value, so one check
    here covers them all: pages get the calm error page, machines the JSON error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.GET and not request.path.startswith("/sandbox/") and _has_control(request):
            message = "The address holds a control character; remove it and try again."
            if wants_json(request):
                return JsonResponse(
                    {"error": "malformed_request", "message": message, "fields": {}}, status=400
                )
            html = render_to_string(
                "error.html", {"status": 400, "title": "Bad request", "message": message}
            )
            return HttpResponse(html, status=400)
        return self.get_response(request)


def _has_control(request) -> bool:
    return any(
        _CONTROL.search(key) or any(_CONTROL.search(v) for v in values)
        for key, values in request.GET.lists()
    )


class DatabaseUnavailableMiddleware:
    """When PostgreSQL is down, staff see a calm maintenance page and machines a 503 JSON body,
    never a stack trace. Connections are retried on the next request (CONN_HEALTH_CHECKS)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable_response(request)
        return None


def database_unavailable_response(request):
    if wants_json(request):
        return JsonResponse(
            {
                "error": "service_unavailable",
                "message": "The database is unavailable; retry shortly.",
                "fields": {},
            },
            status=503,
            headers={"Retry-After": "30"},
        )
    # Rendered without the request: context processors would touch the database again.
    return HttpResponse(
        render_to_string("maintenance.html"), status=503, headers={"Retry-After": "30"}
    )
