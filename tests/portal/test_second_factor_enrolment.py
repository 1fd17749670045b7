"""Account security: setting up an authenticator app (QR code + key, confirmed with a code),
backup codes shown once, removing devices; each change audited."""

import base64
import re
from http import HTTPStatus

from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEvent
from tests.portal.second_factor_helpers import app_for, backup_codes_for, sign_in_with_app


def _setup_key(response) -> bytes:
    secret = re.search(rb'data-secret="([A-Z2-7]+)"', response.content).group(1)
    return base64.b32decode(secret)


def test_app_setup_shows_a_qr_code_and_the_key(nurse_client, alice):
    response = nurse_client.get("/accounts/security/app/")
    assert response.status_code == HTTPStatus.OK
    assert b'<svg width="' in response.content  # drawn on the server: no script, no CDN
    assert b'class="qr"' in response.content
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed is False
    assert _setup_key(response) == device.bin_key
    # reloading keeps the same key (the app may have scanned it already)
    again = nurse_client.get("/accounts/security/app/")
    assert _setup_key(again) == device.bin_key
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_app_is_active_only_after_a_right_code(nurse_client, alice):
    key = _setup_key(nurse_client.get("/accounts/security/app/"))
    wrong = f"{(totp(key) + 1) % 1_000_000:06d}"
    response = nurse_client.post("/accounts/security/app/", {"code": wrong})
    assert response.status_code == HTTPStatus.OK
    assert b"That code is not right" in response.content
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    fail = AuditEvent.objects.filter(action="second_factor.device_add_fail").get()
    assert fail.detail == {"kind": "authenticator_app", "reason": "wrong_code"}

    TOTPDevice.objects.filter(user=alice).update(throttling_failure_count=0)
    response = nurse_client.post("/accounts/security/app/", {"code": f"{totp(key):06d}"})
    assert response.status_code == HTTPStatus.OK
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed is True
    # the first factor comes with backup codes, shown in this answer
    assert b"Your backup codes" in response.content
    shown = re.findall(rb"<li>([a-z2-7]{4})-([a-z2-7]{4})</li>", response.content)
    assert len(shown) == 10
    stored = set(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True))
    assert stored == {(a + b).decode() for a, b in shown}
    actions = list(
        AuditEvent.objects.filter(actor=alice, action__startswith="second_factor.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "second_factor.device_add_fail",
        "second_factor.device_add",
        "second_factor.backup_codes_issue",
    ]
    # set up in this session: the session counts as verified, patient pages stay open
    assert nurse_client.get("/patients/").status_code == HTTPStatus.OK


def test_backup_codes_are_shown_once_and_replaced_on_request(client, alice):
    device = app_for(alice)
    backup_codes_for(alice, codes=("abcd2345",))
    sign_in_with_app(client, alice, device)
    assert client.get("/accounts/security/backup-codes/")["Location"] == "/accounts/security/"
    page = client.get("/accounts/security/")
    assert b"abcd" not in page.content
    assert b"<strong>1</strong> code left" in page.content

    response = client.post("/accounts/security/backup-codes/")
    assert response.status_code == HTTPStatus.OK
    tokens = set(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True))
    assert len(tokens) == 10
    assert "abcd2345" not in tokens
    assert StaticDevice.objects.filter(user=alice).count() == 1


def test_backup_codes_need_a_second_factor_first(nurse_client, alice):
    response = nurse_client.post("/accounts/security/backup-codes/", follow=True)
    assert b"Add an authenticator app or a passkey before backup codes" in response.content
    assert not StaticDevice.objects.filter(user=alice).exists()


def test_security_page_lists_devices(client, alice):
    device = app_for(alice)
    sign_in_with_app(client, alice, device)
    page = client.get("/accounts/security/")
    assert page.status_code == HTTPStatus.OK
    assert b"Second factor on" in page.content
    assert f"/accounts/security/app/{device.pk}/remove/".encode() in page.content


def test_removing_the_last_device_removes_backup_codes(client, alice):
    device = app_for(alice)
    backup_codes_for(alice)
    sign_in_with_app(client, alice, device)
    response = client.post(f"/accounts/security/app/{device.pk}/remove/", follow=True)
    assert b"Device removed" in response.content
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    event = AuditEvent.objects.filter(action="second_factor.device_remove").get()
    assert event.detail == {"kind": "app", "device": device.persistent_id, "last": True}
    # no second factor left, no policy: password alone again
    assert client.get("/patients/").status_code == HTTPStatus.OK


def test_cannot_remove_the_last_device_when_the_organization_requires_one(client, alice, org):
    device = app_for(alice)
    org.require_second_factor = True
    org.save()
    sign_in_with_app(client, alice, device)
    response = client.post(f"/accounts/security/app/{device.pk}/remove/", follow=True)
    assert b"Your organization requires a second factor" in response.content
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_cannot_remove_someone_elses_device(client, alice, bob):
    device = app_for(alice)
    bobs = app_for(bob)
    sign_in_with_app(client, alice, device)
    response = client.post(f"/accounts/security/app/{bobs.pk}/remove/", follow=True)
    assert b"not one of yours" in response.content
    assert TOTPDevice.objects.filter(pk=bobs.pk).exists()
    response = client.post(f"/accounts/security/sms/{device.pk}/remove/", follow=True)
    assert b"no such kind of device" in response.content


def test_security_page_warns_when_passkeys_cannot_work_on_an_ip_address(nurse_client):
    by_ip = nurse_client.get("/accounts/security/", HTTP_HOST="127.0.0.1")
    assert b"Passkeys need the portal to be reached by its host name" in by_ip.content
    assert b'id="passkey-registration-placeholder"' not in by_ip.content
    by_name = nurse_client.get("/accounts/security/", HTTP_HOST="localhost")
    assert b'id="passkey-registration-placeholder"' in by_name.content
    assert b'id="otp_webauthn_config"' in by_name.content  # JSON, not a script: CSP-safe
