"""The organization's "require a second factor" policy, set by its admin from a portal page:
staff without a device are sent to enrolment and reach no patient data page or session API."""

from http import HTTPStatus

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEvent
from tests.portal.second_factor_helpers import app_for, code_for, sign_in, sign_in_with_app


@pytest.fixture
def required(org):
    org.require_second_factor = True
    org.save()
    return org


@pytest.fixture
def ada_verified(client, ada):
    return sign_in_with_app(client, ada, app_for(ada))


def test_admin_switches_the_policy_on_from_the_portal(ada_verified, org):
    page = ada_verified.get("/organization/security/")
    assert page.status_code == HTTPStatus.OK
    assert b"Optional" in page.content
    response = ada_verified.post(
        "/organization/security/", {"require_second_factor": "on"}, follow=True
    )
    assert b"Staff must now sign in with a second factor" in response.content
    org.refresh_from_db()
    assert org.require_second_factor is True
    event = AuditEvent.objects.filter(action="second_factor.policy_change").get()
    assert event.organization == org
    assert event.detail == {"require_second_factor": True}

    ada_verified.post("/organization/security/", {})
    org.refresh_from_db()
    assert org.require_second_factor is False


def test_admin_without_a_second_factor_cannot_require_one(client, ada, org):
    client.force_login(ada)
    response = client.post("/organization/security/", {"require_second_factor": "on"}, follow=True)
    assert b"Set up your own second factor" in response.content
    org.refresh_from_db()
    assert org.require_second_factor is False
    assert not AuditEvent.objects.filter(action="second_factor.policy_change").exists()


def test_only_the_organization_admin_sets_the_policy(nurse_client, org):
    response = nurse_client.post("/organization/security/", {"require_second_factor": "on"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    org.refresh_from_db()
    assert org.require_second_factor is False


def test_staff_without_a_device_are_sent_to_enrolment(client, alice, patient, required):
    response = sign_in(client, alice, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/security/?next=%2F"
    assert b"Your organization requires a second factor" in response.content
    for url in ("/patients/", f"/patients/{patient.pk}/", f"/readings/patients/{patient.pk}/"):
        page = client.get(url)
        assert page.status_code == HTTPStatus.FOUND, url
        assert page["Location"].startswith("/accounts/security/?next="), url
    api = client.get(f"/api/v1/patients/{patient.pk}")
    assert api.status_code == HTTPStatus.FORBIDDEN
    assert api.json()["error"] == "second_factor_enrolment_required"
    htmx = client.get("/patients/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/accounts/security/"
    assert patient.last_name.encode() not in htmx.content

    # enrolment itself is open; once done, so is everything else
    assert client.get("/accounts/security/app/").status_code == HTTPStatus.OK
    client.post("/accounts/security/app/", {"code": code_for(TOTPDevice.objects.get(user=alice))})
    assert client.get(f"/patients/{patient.pk}/").status_code == HTTPStatus.OK
    assert client.get(f"/api/v1/patients/{patient.pk}").status_code == HTTPStatus.OK


def test_policy_applies_to_open_sessions_at_once(nurse_client, org):
    assert nurse_client.get("/patients/").status_code == HTTPStatus.OK
    org.require_second_factor = True
    org.save()
    assert nurse_client.get("/patients/").status_code == HTTPStatus.FOUND


def test_policy_of_one_organization_leaves_another_alone(client, olga, required):
    client.force_login(olga)
    assert client.get("/patients/").status_code == HTTPStatus.OK


def test_api_keys_ignore_the_policy(api, required, patient):
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == HTTPStatus.OK


def test_admin_resets_a_colleagues_second_factor(ada_verified, client, alice, required):
    alices = Client()
    sign_in_with_app(alices, alice, app_for(alice))
    assert alices.get("/patients/").status_code == HTTPStatus.OK

    response = ada_verified.post(f"/organization/security/staff/{alice.pk}/reset/", follow=True)
    assert b"second factor was reset" in response.content
    event = AuditEvent.objects.filter(action="second_factor.reset").get()
    assert event.detail == {"user": alice.pk}
    # alice's open session loses its verification and, by policy, goes to enrolment
    first = alices.get("/patients/")
    assert first["Location"].startswith("/accounts/verify/")
    assert alices.get(first["Location"])["Location"] == "/patients/"
    assert alices.get("/patients/")["Location"].startswith("/accounts/security/")


def test_admin_cannot_reset_another_organizations_staff(ada_verified, olga):
    device = app_for(olga)
    response = ada_verified.post(f"/organization/security/staff/{olga.pk}/reset/", follow=True)
    assert b"not on your organization" in response.content
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_django_admin_needs_enrolment_under_the_policy(client, ada, required):
    sign_in(client, ada)
    response = client.get("/admin/")
    assert response["Location"] == "/accounts/security/?next=%2Fadmin%2F"


def test_staff_overview_shows_who_has_a_second_factor(ada_verified, alice, bob):
    app_for(alice)
    page = ada_verified.get("/organization/security/")
    assert b"2 of 3 have a second factor" in page.content
    assert f"/organization/security/staff/{alice.pk}/reset/".encode() in page.content
    assert f"/organization/security/staff/{bob.pk}/reset/".encode() not in page.content
