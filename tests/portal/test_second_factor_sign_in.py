"""The second sign-in step: password first, then an authenticator-app code, a backup code or a
passkey for a user who has one; throttled and audited."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from portal.models import AuditEvent
from tests import factories
from tests.portal.second_factor_helpers import (
    app_for,
    backup_codes_for,
    code_for,
    sign_in,
    sign_in_with_app,
    wrong_code_for,
)


def test_user_without_a_device_signs_in_with_the_password_alone(client, alice):
    response = sign_in(client, alice, follow=True)
    assert response.redirect_chain[-1][0] == "/roster/"
    assert client.get("/patients/").status_code == HTTPStatus.OK


def test_password_then_app_code(client, alice, patient):
    device = app_for(alice)
    response = sign_in(client, alice, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/verify/?next=%2F"
    assert b"Code from your authenticator app" in response.content

    # nothing else is reachable before the second step
    page = client.get(f"/patients/{patient.pk}/")
    assert page.status_code == HTTPStatus.FOUND
    assert page["Location"] == f"/accounts/verify/?next=%2Fpatients%2F{patient.pk}%2F"

    response = client.post(
        "/accounts/verify/", {"code": code_for(device), "next": f"/patients/{patient.pk}/"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert client.get(f"/patients/{patient.pk}/").status_code == HTTPStatus.OK
    event = AuditEvent.objects.filter(action="second_factor.verify").get()
    assert event.actor == alice
    assert event.organization == alice.membership.organization
    assert event.detail == {"method": "authenticator_app", "device": device.persistent_id}


def test_wrong_code_is_refused_and_audited(client, alice):
    device = app_for(alice)
    sign_in(client, alice)
    response = client.post("/accounts/verify/", {"code": wrong_code_for(device)})
    assert response.status_code == HTTPStatus.OK
    assert b"That code is not right" in response.content
    assert client.get("/patients/").status_code == HTTPStatus.FOUND
    event = AuditEvent.objects.filter(action="second_factor.verify_fail").get()
    assert event.actor == alice
    assert event.detail == {"method": "authenticator_app", "reason": "wrong_code"}


def test_failures_are_throttled_even_for_a_right_code(client, alice, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # the wait after a failure outlasts the test
    device = app_for(alice)
    sign_in(client, alice)
    client.post("/accounts/verify/", {"code": wrong_code_for(device)})
    response = client.post("/accounts/verify/", {"code": code_for(device)})
    assert response.status_code == HTTPStatus.OK
    assert b"Too many wrong codes. Wait" in response.content
    assert client.get("/patients/").status_code == HTTPStatus.FOUND
    reasons = [
        e.detail["reason"]
        for e in AuditEvent.objects.filter(action="second_factor.verify_fail").order_by("id")
    ]
    assert reasons == ["wrong_code", "throttled"]
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_backup_code_works_once(client, alice):
    app_for(alice)
    backup_codes_for(alice, codes=("abcd2345", "efgh6723"))
    sign_in(client, alice)
    response = client.post("/accounts/verify/", {"code": "ABCD-2345"}, follow=True)
    assert response.redirect_chain[-1][0] == "/roster/"
    assert b"You signed in with a backup code; 1 left" in response.content
    event = AuditEvent.objects.filter(action="second_factor.verify").get()
    assert event.detail["method"] == "backup_code"
    assert event.detail["backup_codes_left"] == 1

    client.post("/accounts/logout/")
    sign_in(client, alice)
    response = client.post("/accounts/verify/", {"code": "abcd2345"})
    assert response.status_code == HTTPStatus.OK
    assert b"That code is not right" in response.content


def test_next_must_stay_on_the_site(client, alice):
    device = app_for(alice)
    sign_in(client, alice)
    response = client.post(
        "/accounts/verify/", {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_session_api_is_refused_until_verified(client, alice, org_key):
    device = app_for(alice)
    sign_in(client, alice)
    response = client.get("/api/v1/patients")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {
        "error": "second_factor_required",
        "message": "Complete the second sign-in step in the portal first.",
        "fields": {},
    }
    # an API key is not a session: the second step does not concern it
    response = client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {org_key[1]}")
    assert response.status_code == HTTPStatus.OK

    client.post("/accounts/verify/", {"code": code_for(device)})
    assert client.get("/api/v1/patients").status_code == HTTPStatus.OK


def test_api_keys_are_unaffected(api, alice):
    app_for(alice)
    assert api.get("/api/v1/patients").status_code == HTTPStatus.OK
    assert APIClient().get("/api/v1/patients").status_code == HTTPStatus.UNAUTHORIZED


def test_htmx_requests_are_sent_to_the_second_step(client, alice):
    app_for(alice)
    sign_in(client, alice)
    response = client.get(
        "/patients/?q=x", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-results"
    )
    assert response.status_code == HTTPStatus.OK
    assert response["HX-Redirect"] == "/accounts/verify/"
    assert b"patient-results" not in response.content


def test_django_admin_needs_the_second_step(client, ada):
    device = app_for(ada)
    sign_in(client, ada)
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/verify/")
    client.post("/accounts/verify/", {"code": code_for(device)})
    assert client.get("/admin/").status_code == HTTPStatus.OK


@pytest.fixture
def root(db):
    return factories.UserFactory(username="root", is_superuser=True, is_staff=True)


def test_superuser_must_enrol_before_django_admin(client, root):
    sign_in(client, root)
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/security/?next=%2Fadmin%2F"
    assert client.get("/accounts/security/").status_code == HTTPStatus.OK


def test_superuser_rule_can_be_switched_off(client, root, settings):
    settings.SUPERUSER_SECOND_FACTOR_REQUIRED = False
    sign_in(client, root)
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_a_device_removed_elsewhere_ends_the_verification(client, alice):
    device = app_for(alice)
    sign_in_with_app(client, alice, device)
    device.delete()  # e.g. the organization admin reset it
    response = client.get("/patients/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/verify/")
    # the second step sees no device left and lets the (policy-free) user through
    response = client.get(response["Location"])
    assert response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == HTTPStatus.OK


def test_sign_out_is_reachable_before_the_second_step(client, alice):
    app_for(alice)
    sign_in(client, alice)
    assert client.post("/accounts/logout/").status_code == HTTPStatus.FOUND
    assert client.get("/accounts/verify/")["Location"].startswith("/accounts/login/")


def test_second_step_gives_the_session_a_new_key(client, alice):
    device = app_for(alice)
    sign_in(client, alice)
    half_signed_in = client.session.session_key
    client.post("/accounts/verify/", {"code": code_for(device)})
    assert client.session.session_key != half_signed_in
    assert client.get("/patients/").status_code == HTTPStatus.OK
