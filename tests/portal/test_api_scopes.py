"""Every API endpoint needs the scopes of all the data it returns or changes. The table below
names them per route and method; a route or method without a row fails the suite, and for
every row a key holding every scope but one needed scope gets 403, while a key holding exactly
the needed scopes passes the permission check (the objects do not exist: 404/422, never 403)."""

from http import HTTPStatus

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from portal.models import ApiScope
from tests import factories

P_R, P_W = ApiScope.PATIENTS_READ, ApiScope.PATIENTS_WRITE
R_R, R_W = ApiScope.READINGS_READ, ApiScope.READINGS_WRITE
D_R, D_W = ApiScope.DEVICES_READ, ApiScope.DEVICES_WRITE
A_R, A_W = ApiScope.APPOINTMENTS_READ, ApiScope.APPOINTMENTS_WRITE
C_W = ApiScope.CARE_WRITE

# (route as Django prints it, method) → the scopes a key needs. README's API table says the same.
NEEDS = {
    ("api/v1/patients", "GET"): {P_R},
    ("api/v1/patients", "POST"): {P_W, P_R},
    ("api/v1/patients/<int:pk>", "GET"): {P_R},
    ("api/v1/devices", "GET"): {D_R},
    ("api/v1/devices/<int:pk>", "GET"): {D_R},
    ("api/v1/devices/<int:pk>/assign", "POST"): {D_W, D_R},
    ("api/v1/devices/<int:pk>/unassign", "POST"): {D_W, D_R},
    ("api/v1/devices/<int:pk>/replace", "POST"): {D_W, D_R},
    ("api/v1/devices/<int:pk>/site", "POST"): {D_W, D_R},
    ("api/v1/devices/<int:pk>/status", "POST"): {D_W, D_R},
    ("api/v1/patients/<int:patient_pk>/smart-meters", "GET"): {D_R},
    ("api/v1/patients/<int:patient_pk>/smart-meters", "POST"): {D_W, D_R},
    ("api/v1/patients/<int:patient_pk>/smart-meters/disconnect-all", "POST"): {D_W, D_R},
    ("api/v1/patients/<int:patient_pk>/smart-meters/<str:imei>/disconnect", "POST"): {D_W, D_R},
    ("api/v1/readings/heart-rate", "POST"): {R_W, P_R, D_R},
    ("api/v1/patients/<str:patient_id>/metrics", "POST"): {R_W},
    ("api/v1/measurements", "POST"): {R_W},
    ("api/v1/patients/<int:pk>/readings", "GET"): {R_R},
    ("api/v1/patients/<int:pk>/observations", "GET"): {R_R},
    ("api/v1/roster", "GET"): {P_R, R_R, D_R},
    ("api/v1/alerts", "GET"): {R_R},
    ("api/v1/alerts/<int:pk>/acknowledge", "POST"): {C_W, R_R},
    ("api/v1/alerts/<int:pk>/resolve", "POST"): {C_W, R_R},
    ("api/v1/alerts/<int:pk>/claim", "POST"): {C_W, R_R},
    ("api/v1/alerts/<int:pk>/release", "POST"): {C_W, R_R},
    ("api/v1/alerts/<int:pk>/assign", "POST"): {C_W, R_R},
    ("api/v1/alerts/<int:pk>/escalate", "POST"): {C_W, R_R},
    ("api/v1/time-entries", "GET"): {R_R},
    ("api/v1/time-entries", "POST"): {C_W, R_R},
    ("api/v1/time-entries/<int:pk>", "GET"): {R_R},
    ("api/v1/time-entries/<int:pk>", "PATCH"): {C_W, R_R},
    ("api/v1/time-entries/<int:pk>", "DELETE"): {C_W},
    ("api/v1/billing", "GET"): {R_R, P_R},
    ("api/v1/billing/signatures", "GET"): {R_R},
    ("api/v1/billing/signatures", "POST"): {C_W, R_R},
    ("api/v1/billing/signatures/<int:pk>", "GET"): {R_R},
    ("api/v1/billing/signatures/<int:pk>/lines", "GET"): {R_R, P_R},
    ("api/v1/billing/signatures/<int:pk>/patients/<int:patient_pk>", "GET"): {R_R, P_R},
    ("api/v1/patients/<int:pk>/thresholds", "GET"): {R_R},
    ("api/v1/patients/<int:pk>/thresholds", "POST"): {C_W, R_R},
    ("api/v1/appointments", "GET"): {A_R, P_R},
    ("api/v1/appointments", "POST"): {A_W, A_R, P_R},
    ("api/v1/appointments/<int:pk>", "GET"): {A_R, P_R},
    ("api/v1/appointments/<int:pk>/reschedule", "POST"): {A_W, A_R, P_R},
    ("api/v1/appointments/<int:pk>/cancel", "POST"): {A_W, A_R, P_R},
    ("api/v1/appointments/<int:pk>/provider-link", "POST"): {A_W, A_R},
    ("api/v1/appointments/<int:pk>/patient-link", "POST"): {A_W, A_R},
    ("api/v1/appointments/by-spid/<str:ref>", "POST"): {A_W, A_R, P_R},
    ("api/v1/appointments/by-hsid/<str:ref>", "POST"): {A_W, A_R, P_R},
    ("api/v1/waiting-rooms", "GET"): {A_R},
    ("api/v1/waiting-rooms/<int:pk>/slots", "GET"): {A_R},
}
MISSING_ID = 987654321


def api_endpoints():
    """(route, method) of every implemented method of every /api/v1/ view."""

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    found = set()
    for route, callback in walk(get_resolver()):
        if not route.startswith("api/v1/"):
            continue
        view = callback.cls
        for method in view.http_method_names:
            if method not in ("head", "options") and hasattr(view, method):
                found.add((route, method.upper()))
    return found


def test_every_endpoint_declares_its_scopes_here():
    assert api_endpoints() == set(NEEDS)


def url_for(route: str) -> str:
    for placeholder in ("<int:pk>", "<int:patient_pk>", "<str:patient_id>"):
        route = route.replace(placeholder, str(MISSING_ID))
    return "/" + route.replace("<str:imei>", "350000000010005").replace("<str:ref>", "nobody")


def call(org, scopes, route, method):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.api_key(org, sorted(scopes))[1]}")
    return client.generic(method, url_for(route), "{}", content_type="application/json")


CASES = [
    pytest.param(route, method, scope, id=f"{method} {route} without {scope}")
    for (route, method), needed in sorted(NEEDS.items())
    for scope in sorted(needed)
]


@pytest.mark.parametrize(("route", "method", "scope"), CASES)
def test_a_key_missing_one_needed_scope_gets_403(org, route, method, scope):
    others = set(ApiScope.values) - {scope}
    response = call(org, others, route, method)
    assert response.status_code == HTTPStatus.FORBIDDEN
    body = response.json()  # the patient-graph endpoint keeps its {error, message} shape
    assert (body["error"], body["message"]) == (
        "permission_denied",
        f"This API key lacks the '{scope}' scope.",
    )


@pytest.mark.parametrize(("route", "method"), sorted(NEEDS))
def test_a_key_with_exactly_the_needed_scopes_passes_the_check(org, route, method):
    response = call(org, NEEDS[(route, method)], route, method)
    assert response.status_code != HTTPStatus.FORBIDDEN, response.content


def test_head_needs_the_get_scopes(org, patient):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {factories.api_key(org, [ApiScope.READINGS_READ])[1]}"
    )
    assert client.head("/api/v1/patients").status_code == HTTPStatus.FORBIDDEN


def test_the_message_names_every_missing_scope(org):
    response = call(org, {ApiScope.READINGS_READ}, "api/v1/roster", "GET")
    assert response.json()["message"] == (
        "This API key lacks the 'patients:read' and 'devices:read' scopes."
    )
