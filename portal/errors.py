"""Error pages: JSON with the API error shape for machine paths, calm HTML for staff.
Nothing here echoes the request or a traceback."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from portal.api_helpers import error_body
from portal.context_processors import nav_items
from portal.middleware import database_unavailable_response, wants_json


def _from_memory(request) -> dict:
    """The page's navigation from what the view already loaded (staff_view sets
    request.membership), reading nothing from the database."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"request": request}
    return {
        "request": request,
        "user": membership.user,
        "membership": membership,
        "organization": membership.organization,
        "nav_items": nav_items(request.path),
    }


def _respond(request, status: int, title: str, message: str, *, use_database: bool = True):
    """The error page inside the portal's layout (navigation, search, live counts) for staff.

    403, 404 and 400 render with the request, so the navigation is the one every page has. A
    500 renders from memory only (use_database=False): its cause is unknown, and may be the
    database in a state the view could not classify (a broken transaction, a lost connection),
    where a query from the error page would fail again and leave the user Django's bare
    "Server Error". The live counts in the navigation arrive by their own background requests,
    which fail quietly while the database is away."""
    if wants_json(request):
        return JsonResponse(error_body(status, message), status=status)
    context = {"status": status, "title": title, "message": message}
    if use_database:
        try:
            html = render_to_string("error.html", context, request=request)
        except (OperationalError, InterfaceError):
            html = render_to_string("error.html", context | _from_memory(request))
    else:
        html = render_to_string("error.html", context | _from_memory(request))
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
        request,
        500,
        "Something went wrong",
        "The error has been logged. Please try again.",
        use_database=False,
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the API error shape for machines, a plain explanation for staff."""
    return _respond(
        request,
        403,
        "Form expired",
        "This form was open too long or came from elsewhere. Reload the page and try again.",
    )
