"""A URLconf for the error-page tests: the portal's, plus pages that fail on purpose."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.access import ANY_STAFF, staff_view
from portal.urls import handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns


@staff_view(*ANY_STAFF)
def refuse(request):
    raise PermissionDenied("Only the billing lead may open this.")


@staff_view(*ANY_STAFF)
def fail(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("test-errors/403/", refuse),
    path("test-errors/500/", fail),
    *portal_urlpatterns,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
