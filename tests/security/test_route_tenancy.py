"""Every URL pattern, walked as anonymous, another organization's nurse and API key, our own
nurse, coordinator and admin. A route without an expectation here fails the test, so no new
page or endpoint can be added without saying who may reach it.

Expectation kinds:
- Page(...)  staff pages: anonymous → redirect to sign-in; outsider → 404 when the URL names an
  object of ours, else 200 showing none of our data; allowed roles → `ok`, others → 403.
- Api(...)   API: anonymous → 401; another organization's key/nurse → 404 for our objects.
- Public / Machine: reachable without a login by design (health, schema, webhooks, sandbox).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from portal.models import Role
from tests import factories

STAFF_ROLES = (Role.NURSE, Role.COORDINATOR, Role.ORG_ADMIN)
CLINICAL = (Role.NURSE, Role.ORG_ADMIN)


@dataclass
class Page:
    url: object = None  # callable(world) -> path, when the pattern has parameters
    roles: tuple = STAFF_ROLES
    methods: tuple = ("GET",)
    ok: int | None = HTTPStatus.OK  # None: the page calls a vendor, any non-error answer
    scoped: bool = False  # the URL names one of our objects: outsiders get 404


@dataclass
class Api:
    url: object = None
    methods: tuple = ("GET",)
    roles: tuple = STAFF_ROLES
    scoped: bool = False
    ok: int = HTTPStatus.OK
    body: dict = field(default_factory=dict)


@dataclass
class Public:
    why: str


def medication(world):
    """The patient's medication (added through the service on first use)."""
    from readings.care.medications import medication_add

    if "medication" not in world:
        world["medication"] = medication_add(
            patient=world["patient"], by=None, name="Furosemide", dose="20 mg"
        )
    return world["medication"]


def visit(world, rest):
    return f"/appointments/{world['appointment'].pk}/{rest}"


# pattern (as Django prints it) → expectation
EXPECT = {
    "": Page(ok=HTTPStatus.FOUND),
    "healthz": Public("load balancer liveness probe"),
    "readyz": Public("load balancer readiness probe"),
    "accounts/login/": Public("the sign-in form"),
    "accounts/logout/": Public("signing out is harmless"),
    "accounts/password/": Page(),
    "accounts/password/done/": Page(),
    # --- second factor (tests/portal/test_second_factor_*.py)
    "accounts/verify/": Page(ok=HTTPStatus.FOUND),  # nothing to verify: on to the home page
    "accounts/security/": Page(),
    "accounts/security/app/": Page(),
    "accounts/security/backup-codes/": Page(ok=HTTPStatus.FOUND),  # codes only answer a POST
    "accounts/security/<slug:kind>/<int:pk>/remove/": Page(
        url=lambda w: "/accounts/security/app/1/remove/", methods=("POST",)
    ),
    "organization/security/": Page(roles=(Role.ORG_ADMIN,)),
    "organization/security/staff/<int:user_id>/reset/": Page(
        url=lambda w: "/organization/security/staff/1/reset/",
        methods=("POST",),
        roles=(Role.ORG_ADMIN,),
    ),
    **{
        f"accounts/passkeys/{step}/": Public(
            "django-otp-webauthn's JSON ceremony: registration refuses anonymous callers, "
            "sign-in needs the password step first (tests/portal/test_second_factor_passkeys.py)"
        )
        for step in (
            "registration/begin",
            "registration/complete",
            "authentication/begin",
            "authentication/complete",
        )
    },
    "accounts/passkeys/jsi18n/": Public("the passkey script's translations"),
    "patients/": Page(),
    "patients/<int:pk>/": Page(url=lambda w: f"/patients/{w['patient'].pk}/", scoped=True),
    "api/v1/patients": Api(),
    "api/v1/patients/<int:pk>": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}", scoped=True
    ),
    # --- devices
    "devices/": Page(),
    "devices/sync/": Page(methods=("POST",)),
    "devices/sync/status/": Page(),
    "devices/<int:pk>/": Page(url=lambda w: f"/devices/{w['device'].pk}/", scoped=True),
    "devices/<int:pk>/patients/": Page(
        url=lambda w: f"/devices/{w['device'].pk}/patients/", scoped=True, roles=CLINICAL
    ),
    **{
        f"devices/<int:pk>/{action}/": Page(
            url=lambda w, a=action: f"/devices/{w['device'].pk}/{a}/",
            scoped=True,
            methods=("POST",),
        )
        for action in ("assign", "unassign", "replace", "site", "status")
    },
    "devices/patients/<int:patient_pk>/options/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/options/", scoped=True, roles=CLINICAL
    ),
    "devices/patients/<int:patient_pk>/assign/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/assign/", scoped=True, methods=("POST",)
    ),
    "devices/patients/<int:patient_pk>/smart-meters/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/smart-meters/",
        scoped=True,
        methods=("POST",),
    ),
    "devices/patients/<int:patient_pk>/smart-meters/<int:connection_pk>/disconnect/": Page(
        url=lambda w: (
            f"/devices/patients/{w['patient'].pk}/smart-meters/{w['smart_meter'].pk}/disconnect/"
        ),
        scoped=True,
        methods=("POST",),
    ),
    "devices/patients/<int:patient_pk>/smart-meters/disconnect-all/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/smart-meters/disconnect-all/",
        scoped=True,
        methods=("POST",),
    ),
    "api/v1/devices": Api(),
    "api/v1/devices/<int:pk>": Api(url=lambda w: f"/api/v1/devices/{w['device'].pk}", scoped=True),
    **{
        f"api/v1/devices/<int:pk>/{action}": Api(
            url=lambda w, a=action: f"/api/v1/devices/{w['device'].pk}/{a}",
            scoped=True,
            methods=("POST",),
        )
        for action in ("assign", "unassign", "replace", "site", "status")
    },
    "api/v1/patients/<int:patient_pk>/smart-meters": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/smart-meters",
        scoped=True,
        methods=("GET", "POST"),
    ),
    "api/v1/patients/<int:patient_pk>/smart-meters/<str:imei>/disconnect": Api(
        url=lambda w: (
            f"/api/v1/patients/{w['patient'].pk}/smart-meters/{w['smart_meter'].imei}/disconnect"
        ),
        scoped=True,
        methods=("POST",),
    ),
    "api/v1/patients/<int:patient_pk>/smart-meters/disconnect-all": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/smart-meters/disconnect-all",
        scoped=True,
        methods=("POST",),
    ),
    # --- readings
    "readings/": Page(),
    "readings/patients/<int:pk>/": Page(
        url=lambda w: f"/readings/patients/{w['patient'].pk}/", scoped=True
    ),
    "readings/patients/<int:pk>/table/": Page(
        url=lambda w: f"/readings/patients/{w['patient'].pk}/table/", scoped=True
    ),
    "readings/patients/<int:pk>/export.csv": Page(
        url=lambda w: f"/readings/patients/{w['patient'].pk}/export.csv", scoped=True
    ),
    "readings/patients/<int:pk>/manual/": Page(
        url=lambda w: f"/readings/patients/{w['patient'].pk}/manual/",
        scoped=True,
        methods=("POST",),
    ),
    "api/v1/readings/heart-rate": Api(methods=("POST",)),
    "api/v1/measurements": Api(methods=("POST",)),
    "api/v1/patients/<str:patient_id>/metrics": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/metrics", scoped=True, methods=("POST",)
    ),
    "api/v1/patients/<int:pk>/readings": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/readings", scoped=True
    ),
    "api/v1/patients/<int:pk>/observations": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/observations", scoped=True
    ),
    # --- appointments
    "appointments/": Page(),
    "appointments/schedule/<int:patient_pk>/": Page(
        url=lambda w: f"/appointments/schedule/{w['patient'].pk}/", scoped=True, ok=None
    ),
    "appointments/<int:pk>/": Page(url=lambda w: visit(w, ""), scoped=True),
    # These fetch from Solo at click time (not configured in this test): any non-5xx answer.
    "appointments/<int:pk>/provider-link": Page(
        url=lambda w: visit(w, "provider-link"), scoped=True, ok=None
    ),
    "appointments/<int:pk>/solo": Page(url=lambda w: visit(w, "solo"), scoped=True, ok=None),
    "appointments/<int:pk>/patient-link": Page(
        url=lambda w: visit(w, "patient-link"), scoped=True, ok=None
    ),
    "appointments/<int:pk>/patient-link/email": Page(
        url=lambda w: visit(w, "patient-link/email"), scoped=True, methods=("POST",)
    ),
    "appointments/patients/<int:patient_pk>/email-consent": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/email-consent",
        scoped=True,
        methods=("POST",),
    ),
    # Reads Solo (not configured here): any non-error answer; editing is tested beside it.
    "appointments/patients/<int:patient_pk>/solo": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/solo", scoped=True, ok=None
    ),
    "appointments/<int:pk>/reschedule": Page(
        url=lambda w: visit(w, "reschedule"), scoped=True, ok=None
    ),
    "appointments/<int:pk>/note": Page(url=lambda w: visit(w, "note"), scoped=True, ok=None),
    "appointments/<int:pk>/cancel": Page(
        url=lambda w: visit(w, "cancel"), scoped=True, methods=("POST",)
    ),
    "appointments/<int:pk>/attachments": Page(
        url=lambda w: visit(w, "attachments"), scoped=True, methods=("POST",)
    ),
    "appointments/<int:pk>/attachments/list": Page(
        url=lambda w: visit(w, "attachments/list"), scoped=True, ok=None
    ),
    # The world's attachment has no stored copy: staff are sent back with a message.
    "appointments/<int:pk>/attachments/<int:attachment_pk>/file": Page(
        url=lambda w: visit(w, f"attachments/{w['attachment'].pk}/file"),
        scoped=True,
        ok=HTTPStatus.FOUND,
    ),
    "appointments/<int:pk>/attachments/<int:attachment_pk>/delete": Page(
        url=lambda w: visit(w, f"attachments/{w['attachment'].pk}/delete"),
        scoped=True,
        methods=("GET", "POST"),
    ),
    "appointments/<int:pk>/episode": Page(
        url=lambda w: visit(w, "episode"), scoped=True, methods=("POST",)
    ),
    "appointments/patients/<int:patient_pk>/episodes": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/episodes",
        scoped=True,
        methods=("POST",),
    ),
    "appointments/patients/<int:patient_pk>/episodes/list": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/episodes/list",
        scoped=True,
        ok=None,
    ),
    "appointments/episodes/<int:pk>/": Page(
        url=lambda w: f"/appointments/episodes/{w['episode'].pk}/",
        scoped=True,
        methods=("GET", "POST"),
        ok=None,
    ),
    "appointments/patients/<int:patient_pk>/documents": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/documents",
        scoped=True,
        roles=CLINICAL,
        methods=("GET", "POST"),
    ),
    "appointments/consults/": Page(roles=CLINICAL, methods=("GET", "POST")),
    "appointments/assistance/current": Page(roles=CLINICAL, ok=None),
    "appointments/reports/": Page(roles=(Role.COORDINATOR, Role.ORG_ADMIN)),
    "appointments/reports/<int:pk>/": Page(
        url=lambda w: f"/appointments/reports/{w['report'].pk}/",
        scoped=True,
        roles=(Role.COORDINATOR, Role.ORG_ADMIN),
    ),
    "appointments/reports/<int:pk>/download": Page(
        url=lambda w: f"/appointments/reports/{w['report'].pk}/download",
        scoped=True,
        roles=(Role.COORDINATOR, Role.ORG_ADMIN),
        ok=None,
    ),
    "appointments/assistance/": Page(roles=CLINICAL, ok=None),
    "appointments/assistance/<int:pk>/cancel": Page(
        url=lambda w: f"/appointments/assistance/{w['assistance'].pk}/cancel",
        scoped=True,
        roles=CLINICAL,
        methods=("POST",),
    ),
    "api/v1/appointments": Api(methods=("GET", "POST")),
    "api/v1/appointments/<int:pk>": Api(
        url=lambda w: f"/api/v1/appointments/{w['appointment'].pk}", scoped=True
    ),
    **{
        f"api/v1/appointments/<int:pk>/{action}": Api(
            url=lambda w, a=action: f"/api/v1/appointments/{w['appointment'].pk}/{a}",
            scoped=True,
            methods=("POST",),
        )
        for action in ("cancel", "patient-link", "provider-link", "reschedule")
    },
    "api/v1/waiting-rooms": Api(),
    "api/v1/waiting-rooms/<int:pk>/slots": Api(
        url=lambda w: f"/api/v1/waiting-rooms/{w['appointment'].waiting_room_id}/slots",
        scoped=True,
        ok=None,
    ),
    **{
        f"api/v1/appointments/by-{kind}/<str:ref>": Api(
            url=lambda w, k=kind: f"/api/v1/appointments/by-{k}/nobody", methods=("POST",)
        )
        for kind in ("spid", "hsid")
    },
    "webhooks/solo/<uuid:receiver_id>": Public(
        "Solo's webhooks: authenticated by decrypting with the subscription's key"
    ),
    "webhooks/impilo/<uuid:receiver_id>": Public(
        "Impilo's order.Status webhooks: authenticated by the HMAC signature of the body"
    ),
    # care (readings/care)
    "roster/": Page(),
    "alerts/": Page(),
    "alerts/badge/": Page(),
    "alerts/<int:pk>/": Page(url=lambda w: f"/alerts/{w['alert'].pk}/", scoped=True),
    **{
        f"alerts/<int:pk>/{action}/": Page(
            url=lambda w, a=action: f"/alerts/{w['alert'].pk}/{a}/",
            scoped=True,
            methods=("POST",),
            roles=(Role.NURSE, Role.ORG_ADMIN),
        )
        for action in ("acknowledge", "note", "escalate", "resolve", "claim", "release", "assign")
    },
    # the batch names its alerts in the body: another organization's are refused, changing none
    "alerts/bulk/": Page(methods=("POST",), roles=(Role.NURSE, Role.ORG_ADMIN), ok=None),
    "patients/<int:pk>/time/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/time/", scoped=True, methods=("POST",)
    ),
    "patients/<int:pk>/timer/start/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/timer/start/", scoped=True, methods=("POST",)
    ),
    "patients/<int:pk>/timer/stop/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/timer/stop/", scoped=True, methods=("POST",)
    ),
    "patients/<int:pk>/thresholds/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/thresholds/", scoped=True
    ),
    # the entry is alice's: the coordinator is refused (403), the admin may edit
    "time/<int:pk>/": Page(
        url=lambda w: f"/time/{w['time_entry'].pk}/",
        scoped=True,
        roles=(Role.NURSE, Role.ORG_ADMIN),
    ),
    "billing/": Page(),
    "billing.csv": Page(),
    # --- the alert protocol and its notices (tests/care/test_protocol_page.py): everyone reads
    # the protocol, an admin changes it (POST); a notice is its recipient's alone (404 to others)
    "protocol/": Page(roles=(Role.NURSE, Role.COORDINATOR, Role.ORG_ADMIN)),
    "notices/": Page(),
    **{
        f"notices/<int:pk>/{action}/": Page(
            url=lambda w, a=action: f"/notices/{w['notification'].pk}/{a}/",
            scoped=True,
            methods=("POST",),
        )
        for action in ("open", "dismiss")
    },
    # --- worklists and the program report (tests/care/test_worklists.py, test_outreach.py,
    # test_program_report.py)
    "worklists/": Page(),
    "worklists/nav/": Page(),
    "worklists/<slug:slug>/": Page(url=lambda w: "/worklists/contact/"),
    "patients/<int:pk>/outreach/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/outreach/", scoped=True, methods=("POST",)
    ),
    # --- the patient page's medication list (tests/care/test_medications.py): every staff
    # member reads it, clinical staff keep it
    "patients/<int:pk>/medications/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/medications/",
        scoped=True,
        methods=("GET", "POST"),
    ),
    "medications/<int:pk>/": Page(
        url=lambda w: f"/medications/{medication(w).pk}/", scoped=True, roles=CLINICAL
    ),
    "medications/<int:pk>/stop/": Page(
        url=lambda w: f"/medications/{medication(w).pk}/stop/",
        scoped=True,
        methods=("POST",),
        roles=CLINICAL,
    ),
    "reports/program/": Page(),
    "reports/program.csv": Page(),
    "api/v1/roster": Api(),
    "api/v1/alerts": Api(),
    "api/v1/alerts/<int:pk>/acknowledge": Api(
        url=lambda w: f"/api/v1/alerts/{w['alert'].pk}/acknowledge", scoped=True, methods=("POST",)
    ),
    "api/v1/alerts/<int:pk>/resolve": Api(
        url=lambda w: f"/api/v1/alerts/{w['alert'].pk}/resolve", scoped=True, methods=("POST",)
    ),
    **{
        f"api/v1/alerts/<int:pk>/{action}": Api(
            url=lambda w, a=action: f"/api/v1/alerts/{w['alert'].pk}/{a}",
            scoped=True,
            methods=("POST",),
        )
        for action in ("claim", "release", "assign", "escalate")
    },
    "api/v1/time-entries": Api(),
    "api/v1/time-entries/<int:pk>": Api(
        url=lambda w: f"/api/v1/time-entries/{w['time_entry'].pk}",
        scoped=True,
        methods=("GET", "PATCH", "DELETE"),
    ),
    "api/v1/billing": Api(),
    # --- signed billing months (tests/care/test_billing_signing.py): only a physician signs
    "billing/sign/": Page(methods=("POST",), roles=()),
    "billing/signed/<int:pk>/patients/<int:patient_pk>/": Page(
        url=lambda w: f"/billing/signed/{w['signature'].pk}/patients/{w['patient'].pk}/",
        scoped=True,
    ),
    "billing/signed/<int:pk>/patients/<int:patient_pk>.csv": Page(
        url=lambda w: f"/billing/signed/{w['signature'].pk}/patients/{w['patient'].pk}.csv",
        scoped=True,
    ),
    "api/v1/billing/signatures": Api(),
    "api/v1/billing/signatures/<int:pk>": Api(
        url=lambda w: f"/api/v1/billing/signatures/{w['signature'].pk}", scoped=True
    ),
    "api/v1/billing/signatures/<int:pk>/lines": Api(
        url=lambda w: f"/api/v1/billing/signatures/{w['signature'].pk}/lines", scoped=True
    ),
    "api/v1/billing/signatures/<int:pk>/patients/<int:patient_pk>": Api(
        url=lambda w: f"/api/v1/billing/signatures/{w['signature'].pk}/patients/{w['patient'].pk}",
        scoped=True,
    ),
    "api/v1/patients/<int:pk>/thresholds": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/thresholds", scoped=True
    ),
    "api/schema/": Public("the OpenAPI schema describes the API, holds no data"),
    "api/docs/": Public("API documentation"),
    "api/<path:rest>": Public("JSON 404 for unknown API paths"),
}
PREFIXES_EXEMPT = {
    "admin/": "Django admin: its own login; scoping tested in tests/portal/test_admin_scoping.py",
    "sandbox/": "vendor sandbox, mounted only with PORTAL_SANDBOX=1 (never in production)",
    "static/": "static files",
}


def all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def routes():
    out = []
    for pattern in all_patterns():
        clean = pattern.lstrip("^").rstrip("$").replace("\\Z", "")
        if any(clean.startswith(p) for p in PREFIXES_EXEMPT):
            continue
        out.append(clean)
    return sorted(set(out))


def test_every_route_has_an_expectation():
    missing = [r for r in routes() if r not in EXPECT]
    assert not missing, f"routes without a tenancy expectation: {missing}"
    stale = [r for r in EXPECT if r not in routes()]
    assert not stale, f"expectations for routes that no longer exist: {stale}"


@pytest.fixture
def world(org, other_org, patient, alice, bob, ada, olga):
    from tests.factories import route_world

    objects = {"org": org, "patient": patient}
    objects.update(route_world(org, patient))
    return objects


def _url(expect, pattern, world):
    if expect.url is not None:
        return expect.url(world)
    assert "<" not in pattern, f"{pattern} needs a url builder"
    return "/" + pattern


PROTECTED = [(r, e) for r, e in EXPECT.items() if isinstance(e, Page | Api)]


@pytest.mark.parametrize(("pattern", "expect"), PROTECTED, ids=[r or "/" for r, _ in PROTECTED])
def test_route_access(pattern, expect, world, client, alice, bob, ada, olga, other_org):
    url = _url(expect, pattern, world)
    is_api = isinstance(expect, Api)
    for method in expect.methods:

        def call(c, method=method):
            if method == "GET":
                return c.get(url)
            return c.generic(method, url, data=b"{}", content_type="application/json")

        # anonymous
        anon = call(APIClient() if is_api else client.__class__())
        if is_api:
            assert anon.status_code == HTTPStatus.UNAUTHORIZED, (method, url)
        else:
            assert anon.status_code == HTTPStatus.FOUND, (method, url)
            assert anon["Location"].startswith("/accounts/login/"), (method, url)

        # another organization's nurse (and key)
        outsider = client.__class__()
        outsider.force_login(olga)
        response = call(outsider)
        if Role.NURSE not in expect.roles and method == "GET":  # olga's role is refused first
            assert response.status_code == HTTPStatus.FORBIDDEN, (method, url, "outsider")
        elif expect.scoped:
            assert response.status_code == HTTPStatus.NOT_FOUND, (method, url, "outsider")
        else:
            assert response.status_code < 500, (method, url, "outsider")
            assert world["patient"].last_name.encode() not in response.content, (method, url)
        if is_api:
            key_client = APIClient()
            key_client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.api_key(other_org)[1]}")
            response = call(key_client)
            if expect.scoped:
                assert response.status_code == HTTPStatus.NOT_FOUND, (method, url, "outsider key")
            assert world["patient"].last_name.encode() not in response.content

        # our own staff, by role (reads only: writes are exercised by each feature's tests)
        if method != "GET":
            continue
        for user, role in ((alice, Role.NURSE), (bob, Role.COORDINATOR), (ada, Role.ORG_ADMIN)):
            own = client.__class__()
            own.force_login(user)
            response = call(own)
            if role not in expect.roles:
                assert response.status_code == HTTPStatus.FORBIDDEN, (method, url, role)
            elif expect.ok is None:  # the page calls a vendor (not configured here)
                assert response.status_code not in (500, 502), (method, url, role)
                assert response.status_code != HTTPStatus.FORBIDDEN, (method, url, role)
            else:
                assert response.status_code == expect.ok, (method, url, role, response.status_code)
