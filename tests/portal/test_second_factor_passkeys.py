"""Passkeys (django-otp-webauthn): the relying party is a host name from WEBAUTHN_RP_ID or the
request; the ceremonies refuse callers who have not passed the password step; failures are
audited. The whole ceremony with an authenticator runs in tests/browser/test_second_factor.py."""

import json
from http import HTTPStatus

import pytest
from django.test import RequestFactory
from django_otp_webauthn.models import WebAuthnCredential

from portal.models import AuditEvent
from portal.second_factor.webauthn import passkeys_possible, relying_party_id
from tests.portal.second_factor_helpers import sign_in

BEGIN_REGISTRATION = "/accounts/passkeys/registration/begin/"
BEGIN_AUTHENTICATION = "/accounts/passkeys/authentication/begin/"
COMPLETE_AUTHENTICATION = "/accounts/passkeys/authentication/complete/"


@pytest.mark.parametrize(
    ("host", "rp_id", "possible"),
    [
        ("localhost:8123", "localhost", True),
        ("portal.example.org", "portal.example.org", True),
        ("127.0.0.1:8000", "127.0.0.1", False),
        ("[::1]:8000", "::1", False),
        ("[::1]", "::1", False),
    ],
)
def test_relying_party_id_is_the_request_host(settings, host, rp_id, possible):
    settings.ALLOWED_HOSTS = ["*"]
    request = RequestFactory().get("/", HTTP_HOST=host)
    assert relying_party_id(request) == rp_id
    assert passkeys_possible(request) is possible


def test_relying_party_id_setting_wins(settings):
    settings.WEBAUTHN_RP_ID = "example.org"
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")
    assert relying_party_id(request) == "example.org"
    assert passkeys_possible(request) is True


def test_registration_refuses_anonymous_callers(client, db):
    response = client.post(BEGIN_REGISTRATION, HTTP_HOST="localhost")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "not_authenticated"


def test_registration_options_name_the_portal_and_the_host(nurse_client, alice):
    response = nurse_client.post(BEGIN_REGISTRATION, HTTP_HOST="localhost:8123")
    assert response.status_code == HTTPStatus.OK
    options = response.json()
    assert options["rp"] == {"name": "Vitals Portal", "id": "localhost"}
    assert options["user"]["name"] == "alice"
    assert "otp_webauthn_register_state" in nurse_client.session


def test_passwordless_sign_in_is_off(client, db):
    response = client.post(BEGIN_AUTHENTICATION, HTTP_HOST="localhost")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "passwordless_login_disabled"


@pytest.fixture
def alices_passkey(alice):
    return WebAuthnCredential.objects.create(
        user=alice,
        name="Passkey",
        confirmed=True,
        credential_id=b"credential-of-alice",
        public_key=b"not-a-real-key",
        sign_count=0,
    )


def test_second_step_offers_the_users_passkey(client, alice, alices_passkey):
    sign_in(client, alice, HTTP_HOST="localhost")
    page = client.get("/accounts/verify/", HTTP_HOST="localhost")
    assert b'id="passkey-verification-button"' in page.content
    assert b"Code from your authenticator app" not in page.content  # she has no app
    response = client.post(BEGIN_AUTHENTICATION, HTTP_HOST="localhost")
    assert response.status_code == HTTPStatus.OK
    options = response.json()
    assert options["rpId"] == "localhost"
    assert [c["type"] for c in options["allowCredentials"]] == ["public-key"]


def test_unverified_user_cannot_register_another_passkey(client, alice, alices_passkey):
    sign_in(client, alice, HTTP_HOST="localhost")
    response = client.post(BEGIN_REGISTRATION, HTTP_HOST="localhost")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "second_factor_required"


def test_failed_passkey_verification_is_audited(client, alice, alices_passkey):
    sign_in(client, alice, HTTP_HOST="localhost")
    response = client.post(
        COMPLETE_AUTHENTICATION,
        data=json.dumps({"id": "x"}),
        content_type="application/json",
        HTTP_HOST="localhost",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    event = AuditEvent.objects.filter(action="second_factor.verify_fail").get()
    assert event.actor == alice
    assert event.detail == {"method": "passkey", "reason": "invalid_state"}
    assert client.get("/patients/", HTTP_HOST="localhost").status_code == HTTPStatus.FOUND
