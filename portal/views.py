import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.access import staff_action, staff_view
from portal.audit import audit_event_record
from portal.roles import may
from portal.selectors import patients_search

logger = logging.getLogger(__name__)

PATIENTS_PER_PAGE = 25


@require_GET
def healthz(request):
    """The process is up (no dependencies checked): for the load balancer's liveness probe."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """Database and Redis reachable, else 503 naming which one failed: for readiness probes."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any driver error means "not ready"
        logger.warning("readyz database check failed")
        checks["database"] = "unavailable"
        connection.close_if_unusable_or_obsolete()
    if settings.REDIS_URL:
        try:
            cache.set("readyz", "1", timeout=5)
            checks["redis"] = "ok" if cache.get("readyz") == "1" else "unavailable"
        except Exception:
            logger.warning("readyz redis check failed")
            checks["redis"] = "unavailable"
    else:
        checks["redis"] = "not configured"
    failed = [name for name, state in checks.items() if state == "unavailable"]
    return JsonResponse(
        {"status": "unavailable" if failed else "ok", "checks": checks, "failed": failed},
        status=503 if failed else 200,
    )


@staff_view()
def home(request):
    # The care-team roster is the home page once it exists; until then, the patient list.
    try:
        return redirect(reverse("care:roster"))
    except NoReverseMatch:
        return redirect("patients:list")


@staff_action("patients.view")
def patient_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(patients_search(request.organization, query), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    audit_event_record(
        action="patient.list",
        request=request,
        detail={"page": page.number, "searched": bool(query)},
    )
    # Action "patients.enrol" (coordinators and org admins): readings.care.views_enrol.
    can_enrol = may(request.membership, "patients.enrol")
    context = {"page": page, "query": query, "can_enrol": can_enrol}
    template = "portal/patient_list.html"
    if request.htmx and request.htmx.target == "patient-results":
        template += "#results"
    return render(request, template, context)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
