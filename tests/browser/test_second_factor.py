"""Second factor in Chromium: an authenticator app set up from Account security and used at
the next sign-in; a passkey registered with Chromium's virtual authenticator and used at the
next sign-in; the organization admin requiring a second factor."""

import base64
import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from portal.models import AuditEvent
from tests.portal.second_factor_helpers import code_for


def test_authenticator_app_set_up_and_sign_in(signed_in_page, alice, screenshot_dir):
    page = signed_in_page(alice)
    page.get_by_role("link", name="Account security").click()
    expect(page.get_by_role("heading", name="Account security")).to_be_visible()
    expect(page.get_by_text("Password only")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/account-security-empty.png", full_page=True)

    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.locator("svg.qr")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/authenticator-app-setup.png", full_page=True)
    secret = page.locator("[data-secret]").get_attribute("data-secret")
    page.get_by_label("Six-digit code").fill(f"{totp(base64.b32decode(secret)):06d}")
    page.get_by_role("button", name="Confirm and turn on").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.get_by_role("list", name="Backup codes").get_by_role("listitem")).to_have_count(10)
    page.screenshot(path=f"{screenshot_dir}/backup-codes.png", full_page=True)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("Second factor on")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/account-security.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    signed_in_page(alice)  # the password step: the portal now asks for the second one
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/second-step.png", full_page=True)
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    device = TOTPDevice.objects.get(user=alice)
    device.__class__.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    page.get_by_label("Code from your authenticator app").fill(code_for(device))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/roster/$"))
    assert AuditEvent.objects.filter(actor=alice, action="second_factor.verify").count() == 1


def test_passkey_registration_and_sign_in(
    localhost_sign_in, localhost_url, virtual_authenticator, ada, org, screenshot_dir
):
    page = localhost_sign_in(ada)
    expect(page).to_have_url(re.compile(r"/roster/$"))
    page.goto(f"{localhost_url}/accounts/security/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Second factor on")).to_be_visible()  # the page reloaded
    expect(page.get_by_role("button", name=re.compile(r"Remove passkey"))).to_have_count(1)
    page.screenshot(path=f"{screenshot_dir}/account-security-passkey.png", full_page=True)
    credential = WebAuthnCredential.objects.get(user=ada)
    assert credential.confirmed
    cdp, authenticator = virtual_authenticator
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert [c["rpId"] for c in stored["credentials"]] == ["localhost"]

    page.get_by_role("button", name="Sign out").click()
    localhost_sign_in(ada)
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    expect(page.get_by_role("button", name="Use your passkey")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/second-step-passkey.png", full_page=True)
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(re.compile(r"/roster/$"))
    event = AuditEvent.objects.filter(actor=ada, action="second_factor.verify").get()
    assert event.detail["method"] == "passkey"

    # signed in with a second factor, the admin may require one of every colleague
    page.goto(f"{localhost_url}/organization/security/")
    page.get_by_label("Require a second factor for every staff member").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Staff must now sign in with a second factor.")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/organization-security.png", full_page=True)
    org.refresh_from_db()
    assert org.require_second_factor is True
