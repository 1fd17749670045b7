"""Every URL pattern, walked as anonymous, another organization's nurse and API key, and our
own nurse, coordinator, physician and admin, with every method it takes. A route without an
expectation here fails the test, so no new page or endpoint can be added without saying who may
reach it.

Who may is not written here: each expectation names its action in portal.roles.ACTIONS (per
method when they differ), and the walker asks the table. For every method and every role of
the cast the answer is 403 exactly when the table refuses the role; when it allows it, a read
gets `ok` and a write (sent an empty body) anything but 403 and 5xx — a validation error, a
redirect with a message, a rule's refusal or a 404 for another person's notice are all answers
to a person who may ask.

Expectation kinds:
- Page(...)  staff pages: anonymous → redirect to sign-in; outsider → 404 when the URL names an
  object of ours, else 200 showing none of our data.
- Api(...)   API: anonymous → 401; another organization's key/nurse → 404 for our objects.
- Public / Machine: reachable without a login by design (health, schema, webhooks, sandbox).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from portal.models import Role
from portal.roles import ACTIONS, roles_for
from tests import factories
from tests.module_data import member_fixtures, module_transaction

READ = "patients.view"
SIGNED_IN = None  # an account page: anyone signed in, whatever their role


@dataclass
class Page:
    url: object = None  # callable(world) -> path, when the pattern has parameters
    # the action in portal.roles.ACTIONS, or {method: action} when methods differ
    action: str | dict | None = READ
    methods: tuple = ("GET",)
    ok: int | None = HTTPStatus.OK  # None: the page calls a vendor, any non-error answer
    scoped: bool = False  # the URL names one of our objects: outsiders get 404
    # (author fixture, action): the object is the author's; others need the action as well
    owned: tuple | None = None


@dataclass
class Api:
    url: object = None
    action: str | dict | None = READ
    methods: tuple = ("GET",)
    scoped: bool = False
    ok: int | None = HTTPStatus.OK
    body: dict = field(default_factory=dict)
    owned: tuple | None = None


def action_of(expect, method: str) -> str | None:
    if isinstance(expect.action, dict):
        return expect.action[method]
    return expect.action


def allowed(expect, method: str, role: str) -> bool:
    action = action_of(expect, method)
    return action is None or role in roles_for(action)


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
    "": Page(action=SIGNED_IN, ok=HTTPStatus.FOUND),
    "healthz": Public("load balancer liveness probe"),
    "readyz": Public("load balancer readiness probe"),
    "accounts/login/": Public("the sign-in form"),
    "accounts/logout/": Public("signing out is harmless"),
    "accounts/password/": Page(action=SIGNED_IN),
    "accounts/password/done/": Page(action=SIGNED_IN),
    "accounts/profile/": Page(action=SIGNED_IN),  # the viewer's own time zone
    # --- second factor (tests/portal/test_second_factor_*.py)
    # nothing to verify: on to the home page
    "accounts/verify/": Page(action=SIGNED_IN, ok=HTTPStatus.FOUND),
    "accounts/security/": Page(action=SIGNED_IN),
    "accounts/security/app/": Page(action=SIGNED_IN),
    # codes only answer a POST
    "accounts/security/backup-codes/": Page(action=SIGNED_IN, ok=HTTPStatus.FOUND),
    "accounts/security/<slug:kind>/<int:pk>/remove/": Page(
        url=lambda w: "/accounts/security/app/1/remove/", action=SIGNED_IN, methods=("POST",)
    ),
    "organization/security/": Page(action="organization.security", methods=("GET", "POST")),
    "organization/security/staff/<int:user_id>/reset/": Page(
        url=lambda w: "/organization/security/staff/1/reset/",
        methods=("POST",),
        action="organization.security",
    ),
    # --- staff and invitations (tests/portal/test_staff_*.py): the organization admin's; another
    # organization's member or invitation is a 404 there (test_staff_page.py)
    "staff/": Page(action="staff.manage"),
    "staff/invite/": Page(action="staff.manage", methods=("GET", "POST")),
    "staff/<int:user_id>/": Page(
        url=lambda w: f"/staff/{w['org'].memberships.get(role=Role.NURSE).user_id}/",
        action="staff.manage",
        methods=("GET", "POST"),
    ),
    **{
        f"staff/<int:user_id>/{action}/": Page(
            url=lambda w, a=action: f"/staff/1/{a}/", action="staff.manage", methods=("POST",)
        )
        for action in ("deactivate", "reactivate")
    },
    **{
        f"staff/invites/<int:pk>/{action}/": Page(
            url=lambda w, a=action: f"/staff/invites/1/{a}/",
            action="staff.manage",
            methods=("POST",),
        )
        for action in ("resend", "revoke")
    },
    "staff/join/<str:token>/": Public(
        "the invitee's sign-up link: the token is the credential (single use, expires; "
        "tests/portal/test_staff_join.py)"
    ),
    "staff/join/": Public("the sign-up form, for the token the link put in the session"),
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
    # enrolment (readings.care.views_enrol): coordinators and admins enrol and re-enrol;
    # any staff discharges
    "patients/enrol/": Page(action="patients.enrol", methods=("GET", "POST")),
    "patients/enrol/diagnoses/": Page(action="patients.enrol"),
    "patients/enrol/diagnoses/pick/": Page(action="patients.enrol"),
    "patients/<int:pk>/link-vendors/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/link-vendors/",
        scoped=True,
        methods=("POST",),
        action="patients.enrol",
        ok=None,
    ),
    "patients/<int:pk>/discharge/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/discharge/",
        scoped=True,
        action="patients.discharge",
    ),
    "patients/<int:pk>/reenrol/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/reenrol/",
        scoped=True,
        methods=("POST",),
        action="patients.enrol",
        ok=None,
    ),
    "api/v1/patients": Api(action={"GET": READ, "POST": "patients.enrol"}, methods=("GET", "POST")),
    "api/v1/patients/<int:pk>": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}", scoped=True
    ),
    # --- devices
    "devices/": Page(),
    "devices/sync/": Page(methods=("POST",), action="devices.sync"),
    "devices/sync/status/": Page(),
    "devices/<int:pk>/": Page(url=lambda w: f"/devices/{w['device'].pk}/", scoped=True),
    "devices/<int:pk>/patients/": Page(
        url=lambda w: f"/devices/{w['device'].pk}/patients/", scoped=True, action="devices.manage"
    ),
    **{
        f"devices/<int:pk>/{action}/": Page(
            url=lambda w, a=action: f"/devices/{w['device'].pk}/{a}/",
            scoped=True,
            methods=("POST",),
            action="devices.manage",
        )
        for action in ("assign", "unassign", "replace", "site", "status")
    },
    "devices/patients/<int:patient_pk>/options/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/options/",
        scoped=True,
        action="devices.manage",
    ),
    "devices/patients/<int:patient_pk>/assign/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/assign/",
        scoped=True,
        methods=("POST",),
        action="devices.manage",
    ),
    "devices/patients/<int:patient_pk>/smart-meters/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/smart-meters/",
        scoped=True,
        methods=("POST",),
        action="devices.manage",
    ),
    "devices/patients/<int:patient_pk>/smart-meters/<int:connection_pk>/disconnect/": Page(
        url=lambda w: (
            f"/devices/patients/{w['patient'].pk}/smart-meters/{w['smart_meter'].pk}/disconnect/"
        ),
        scoped=True,
        methods=("POST",),
        action="devices.manage",
    ),
    "devices/patients/<int:patient_pk>/smart-meters/disconnect-all/": Page(
        url=lambda w: f"/devices/patients/{w['patient'].pk}/smart-meters/disconnect-all/",
        scoped=True,
        methods=("POST",),
        action="devices.manage",
    ),
    "api/v1/devices": Api(),
    "api/v1/devices/<int:pk>": Api(url=lambda w: f"/api/v1/devices/{w['device'].pk}", scoped=True),
    **{
        f"api/v1/devices/<int:pk>/{action}": Api(
            url=lambda w, a=action: f"/api/v1/devices/{w['device'].pk}/{a}",
            scoped=True,
            methods=("POST",),
            action="devices.manage",
        )
        for action in ("assign", "unassign", "replace", "site", "status")
    },
    "api/v1/patients/<int:patient_pk>/smart-meters": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/smart-meters",
        scoped=True,
        methods=("GET", "POST"),
        action={"GET": READ, "POST": "devices.manage"},
    ),
    "api/v1/patients/<int:patient_pk>/smart-meters/<str:imei>/disconnect": Api(
        url=lambda w: (
            f"/api/v1/patients/{w['patient'].pk}/smart-meters/{w['smart_meter'].imei}/disconnect"
        ),
        scoped=True,
        methods=("POST",),
        action="devices.manage",
    ),
    "api/v1/patients/<int:patient_pk>/smart-meters/disconnect-all": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/smart-meters/disconnect-all",
        scoped=True,
        methods=("POST",),
        action="devices.manage",
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
        action="readings.manual",
    ),
    "api/v1/readings/heart-rate": Api(methods=("POST",), action="readings.manual"),
    "api/v1/measurements": Api(methods=("POST",), action="readings.manual"),
    "api/v1/patients/<str:patient_id>/metrics": Api(
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/metrics",
        scoped=True,
        methods=("POST",),
        action="readings.manual",
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
        url=lambda w: f"/appointments/schedule/{w['patient'].pk}/",
        scoped=True,
        ok=None,
        methods=("GET", "POST"),
        action="visits.schedule",
    ),
    "appointments/<int:pk>/": Page(url=lambda w: visit(w, ""), scoped=True),
    # These fetch from Solo at click time (not configured in this test): any non-5xx answer.
    "appointments/<int:pk>/provider-link": Page(
        url=lambda w: visit(w, "provider-link"), scoped=True, ok=None, action="visits.schedule"
    ),
    "appointments/<int:pk>/solo": Page(
        url=lambda w: visit(w, "solo"), scoped=True, ok=None, action="visits.schedule"
    ),
    "appointments/<int:pk>/patient-link": Page(
        url=lambda w: visit(w, "patient-link"), scoped=True, ok=None, action="visits.schedule"
    ),
    "appointments/<int:pk>/patient-link/email": Page(
        url=lambda w: visit(w, "patient-link/email"),
        scoped=True,
        methods=("POST",),
        action="visits.schedule",
    ),
    "appointments/patients/<int:patient_pk>/email-consent": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/email-consent",
        scoped=True,
        methods=("POST",),
        action="visits.schedule",
    ),
    # Reads Solo (not configured here): any non-error answer; editing is tested beside it.
    "appointments/patients/<int:patient_pk>/solo": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/solo",
        scoped=True,
        ok=None,
        methods=("GET", "POST"),
        action={"GET": READ, "POST": "patients.demographics"},
    ),
    "appointments/<int:pk>/reschedule": Page(
        url=lambda w: visit(w, "reschedule"),
        scoped=True,
        ok=None,
        methods=("GET", "POST"),
        action="visits.schedule",
    ),
    "appointments/<int:pk>/note": Page(
        url=lambda w: visit(w, "note"),
        scoped=True,
        ok=None,
        methods=("GET", "POST"),
        action={"GET": READ, "POST": "visits.clinical"},
    ),
    "appointments/<int:pk>/cancel": Page(
        url=lambda w: visit(w, "cancel"), scoped=True, methods=("POST",), action="visits.schedule"
    ),
    "appointments/<int:pk>/attachments": Page(
        url=lambda w: visit(w, "attachments"),
        scoped=True,
        methods=("POST",),
        action="visits.schedule",
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
        action="visits.schedule",
    ),
    "appointments/<int:pk>/episode": Page(
        url=lambda w: visit(w, "episode"), scoped=True, methods=("POST",), action="visits.schedule"
    ),
    "appointments/patients/<int:patient_pk>/episodes": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/episodes",
        scoped=True,
        methods=("POST",),
        action="visits.schedule",
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
        action={"GET": READ, "POST": "visits.schedule"},
    ),
    "appointments/patients/<int:patient_pk>/documents": Page(
        url=lambda w: f"/appointments/patients/{w['patient'].pk}/documents",
        scoped=True,
        action="visits.clinical",
        methods=("GET", "POST"),
    ),
    "appointments/consults/": Page(action="visits.clinical", methods=("GET", "POST")),
    "appointments/assistance/current": Page(action="assistance.request", ok=None),
    "appointments/reports/": Page(action="visits.reports", methods=("GET", "POST")),
    "appointments/reports/<int:pk>/": Page(
        url=lambda w: f"/appointments/reports/{w['report'].pk}/",
        scoped=True,
        action="visits.reports",
    ),
    "appointments/reports/<int:pk>/download": Page(
        url=lambda w: f"/appointments/reports/{w['report'].pk}/download",
        scoped=True,
        action="visits.reports",
        ok=None,
    ),
    "appointments/assistance/": Page(action="assistance.request", ok=None, methods=("GET", "POST")),
    "appointments/assistance/<int:pk>/cancel": Page(
        url=lambda w: f"/appointments/assistance/{w['assistance'].pk}/cancel",
        scoped=True,
        action="assistance.request",
        methods=("POST",),
    ),
    "api/v1/appointments": Api(
        methods=("GET", "POST"), action={"GET": READ, "POST": "visits.schedule"}
    ),
    "api/v1/appointments/<int:pk>": Api(
        url=lambda w: f"/api/v1/appointments/{w['appointment'].pk}", scoped=True
    ),
    **{
        f"api/v1/appointments/<int:pk>/{action}": Api(
            url=lambda w, a=action: f"/api/v1/appointments/{w['appointment'].pk}/{a}",
            scoped=True,
            methods=("POST",),
            action="visits.schedule",
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
            url=lambda w, k=kind: f"/api/v1/appointments/by-{k}/nobody",
            methods=("POST",),
            action="visits.schedule",
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
            action="alerts.triage",
        )
        for action in ("acknowledge", "note", "escalate", "resolve", "claim", "release", "assign")
    },
    # the batch names its alerts in the body: another organization's are refused, changing none
    "alerts/bulk/": Page(methods=("POST",), action="alerts.triage", ok=None),
    **{
        f"patients/<int:pk>/{rest}/": Page(
            url=lambda w, r=rest: f"/patients/{w['patient'].pk}/{r}/",
            scoped=True,
            methods=("POST",),
            action="care.time",
        )
        for rest in ("time", "timer/start", "timer/stop")
    },
    "patients/<int:pk>/thresholds/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/thresholds/",
        scoped=True,
        methods=("GET", "POST"),
        action={"GET": READ, "POST": "thresholds.change"},
    ),
    # --- the monthly patient summary (tests/care/test_monthly_summary_views.py): any staff
    "patients/<int:pk>/summary/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/summary/", scoped=True
    ),
    "patients/<int:pk>/summary.pdf": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/summary.pdf", scoped=True
    ),
    # the entry is its author's (alice's): a colleague also needs `care.time_any` (admins)
    "time/<int:pk>/": Page(
        url=lambda w: f"/time/{w['time_entry'].pk}/",
        scoped=True,
        methods=("GET", "POST"),
        action="care.time",
        owned=("time_entry", "care.time_any", ("GET", "POST")),
    ),
    "billing/": Page(),
    "billing.csv": Page(),
    # --- the alert protocol and its notices (tests/care/test_protocol_page.py): everyone reads
    # the protocol, an admin changes it (POST); a notice is its recipient's alone (404 to others)
    "protocol/": Page(methods=("GET", "POST"), action={"GET": READ, "POST": "protocol.change"}),
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
        url=lambda w: f"/patients/{w['patient'].pk}/outreach/",
        scoped=True,
        methods=("POST",),
        action="care.time",
    ),
    # --- the patient page's medication list (tests/care/test_medications.py): every staff
    # member reads it, clinical staff keep it
    "patients/<int:pk>/medications/": Page(
        url=lambda w: f"/patients/{w['patient'].pk}/medications/",
        scoped=True,
        methods=("GET", "POST"),
        action={"GET": READ, "POST": "medications.change"},
    ),
    "medications/<int:pk>/": Page(
        url=lambda w: f"/medications/{medication(w).pk}/", scoped=True, action="medications.change"
    ),
    "medications/<int:pk>/stop/": Page(
        url=lambda w: f"/medications/{medication(w).pk}/stop/",
        scoped=True,
        methods=("POST",),
        action="medications.change",
    ),
    "reports/program/": Page(),
    "reports/program.csv": Page(),
    "api/v1/roster": Api(),
    "api/v1/alerts": Api(),
    "api/v1/alerts/<int:pk>/acknowledge": Api(
        url=lambda w: f"/api/v1/alerts/{w['alert'].pk}/acknowledge",
        scoped=True,
        methods=("POST",),
        action="alerts.triage",
    ),
    **{
        f"api/v1/alerts/<int:pk>/{action}": Api(
            url=lambda w, a=action: f"/api/v1/alerts/{w['alert'].pk}/{a}",
            scoped=True,
            methods=("POST",),
            action="alerts.triage",
        )
        for action in ("resolve", "claim", "release", "assign", "escalate")
    },
    "api/v1/time-entries": Api(methods=("GET", "POST"), action={"GET": READ, "POST": "care.time"}),
    "api/v1/time-entries/<int:pk>": Api(
        url=lambda w: f"/api/v1/time-entries/{w['time_entry'].pk}",
        scoped=True,
        methods=("GET", "PATCH", "DELETE"),
        action={"GET": READ, "PATCH": "care.time", "DELETE": "care.time"},
        owned=("time_entry", "care.time_any", ("PATCH", "DELETE")),
    ),
    "api/v1/billing": Api(),
    # --- signed billing months (tests/care/test_billing_signing.py): only a physician signs
    "billing/sign/": Page(methods=("POST",), action="billing.sign"),
    "billing/signed/<int:pk>/patients/<int:patient_pk>/": Page(
        url=lambda w: f"/billing/signed/{w['signature'].pk}/patients/{w['patient'].pk}/",
        scoped=True,
    ),
    "billing/signed/<int:pk>/patients/<int:patient_pk>.csv": Page(
        url=lambda w: f"/billing/signed/{w['signature'].pk}/patients/{w['patient'].pk}.csv",
        scoped=True,
    ),
    "api/v1/billing/signatures": Api(
        methods=("GET", "POST"), action={"GET": READ, "POST": "billing.sign"}
    ),
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
        url=lambda w: f"/api/v1/patients/{w['patient'].pk}/thresholds",
        scoped=True,
        methods=("GET", "POST"),
        action={"GET": READ, "POST": "thresholds.change"},
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


# --- the cast and the world, made once for the module's ~160 tests (tests/module_data.py) ---
# A write one test makes (a delete, a claim) is rolled back before the next, as with a world
# made per test; making it per test was half of this module's time.
CAST = ("org", "other_org", "patient", "alice", "bob", "ada", "olga", "petra")


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    from tests.factories import route_world

    with module_transaction(django_db_blocker):
        org = factories.our_organization()
        other_org = factories.other_organization()
        patient = factories.our_patient(org)
        cast = {"org": org, "other_org": other_org, "patient": patient}
        for name in ("alice", "bob", "ada", "petra"):
            cast[name] = factories.cast_member(name, org)
        cast["olga"] = factories.cast_member("olga", other_org)
        cast["world"] = {"org": org, "patient": patient, **route_world(org, patient)}
        # One signed-in session per person (a session row, as force_login makes it); each test
        # hands its cookie to fresh clients.
        cast["sessions"] = {}
        for name in ("alice", "bob", "petra", "ada", "olga"):
            signing_in = Client()
            signing_in.force_login(cast[name])
            cast["sessions"][cast[name].pk] = signing_in.cookies[settings.SESSION_COOKIE_NAME]
        yield cast


globals().update(member_fixtures((*CAST, "world")))


def _url(expect, pattern, world):
    if expect.url is not None:
        return expect.url(world)
    assert "<" not in pattern, f"{pattern} needs a url builder"
    return "/" + pattern


def may_call(expect, method, user, role, world) -> bool:
    """Whether the table lets `user` (of `role`) make this call."""
    if not allowed(expect, method, role):
        return False
    if expect.owned is None or method not in expect.owned[2]:
        return True
    name, others, _ = expect.owned
    return world[name].author_id == user.pk or role in roles_for(others)


PROTECTED = [(r, e) for r, e in EXPECT.items() if isinstance(e, Page | Api)]


def test_every_expectation_names_actions_of_the_table():
    for pattern, expect in PROTECTED:
        for method in expect.methods:
            action = action_of(expect, method)
            assert action is None or action in ACTIONS, (pattern, method, action)


@pytest.mark.parametrize(("pattern", "expect"), PROTECTED, ids=[r or "/" for r, _ in PROTECTED])
def test_route_access(
    pattern, expect, world, module_world, client, alice, bob, ada, petra, olga, other_org
):
    url = _url(expect, pattern, world)
    is_api = isinstance(expect, Api)
    signed_in = {}  # one signed-in client per person, reused for every method
    for user in (alice, bob, petra, ada, olga):
        signed_in[user.pk] = client.__class__()
        signed_in[user.pk].cookies[settings.SESSION_COOKIE_NAME] = module_world["sessions"][user.pk]
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
        response = call(signed_in[olga.pk])
        if not allowed(expect, method, Role.NURSE):  # olga's role is refused, or our object hid
            refused = (HTTPStatus.FORBIDDEN,) if method == "GET" else (403, 404)
            assert response.status_code in refused, (method, url, "outsider")
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

        # our own staff, by role, as portal.roles.ACTIONS says; those refused go first, so a
        # write that succeeds (a delete) cannot hide a refusal behind a 404
        cast = ((alice, Role.NURSE), (bob, Role.COORDINATOR), (petra, Role.PHYSICIAN))
        cast = sorted(
            (*cast, (ada, Role.ORG_ADMIN)),
            key=lambda pair: may_call(expect, method, *pair, world),
        )
        for user, role in cast:
            response = call(signed_in[user.pk])
            where = (method, url, role, response.status_code)
            if not may_call(expect, method, user, role, world):
                assert response.status_code == HTTPStatus.FORBIDDEN, where
            elif method != "GET" or expect.ok is None:  # a write, or a page calling a vendor
                # 503: the vendor is not configured here (the API says so in JSON)
                assert response.status_code not in (500, 502), where
                assert response.status_code not in (401, 403), where
            else:
                assert response.status_code == expect.ok, where
