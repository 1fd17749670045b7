"""Error pages: JSON with the API error shape for machine paths, calm HTML for staff.
Nothing here echoes the request or a traceback."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from portal.api_helpers import error_body
from portal.middleware import database_unavailable_response, wants_json


def _respond(request, status: int, title: str, message: str):
    if wants_json(request):
        return JsonResponse(error_body(status, message), status=status)
    html = render_to_string(
        "error.html", {"status": status, "title": title, "message": message}, request=None
    )
    return HttpResponse(html, status=status)


def page_not_found(request, exception=None):
    return _respond(request, 404, "Not found", "This page does not exist, or you cannot see it.")


def permission_denied(request, exception=None):
    text = str(exception) if exception and str(exception) else "Your role does not allow this."
    return _respond(request, 403, "Not allowed", text)


def bad_request(request, exception=None):
    return _respond(request, 400, "Bad request", "The request could not be understood.")


def server_error(request):
    # A database outage can surface outside a view (e.g. saving the session on the way out),
    # where DatabaseUnavailableMiddleware cannot see it: answer 503 + maintenance here too.
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        return database_unavailable_response(request)
    return _respond(
        request, 500, "Something went wrong", "The error has been logged. Please try again."
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the API error shape for machines, a plain explanation for staff."""
    return _respond(
        request,
        403,
        "Form expired",
        "This form was open too long or came from elsewhere. Reload the page and try again.",
    )
