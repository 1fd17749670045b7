"""Set-up shared by the second-factor tests: devices, codes, and the two sign-in steps."""

import time

from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple"


def app_for(user) -> TOTPDevice:
    """A confirmed authenticator app (TOTP) of `user`."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    """The app's current code; the next step's if the current one was used already (django-otp
    refuses a code twice and accepts one step of drift)."""
    device.refresh_from_db()
    now_t = int((time.time() - device.t0) // device.step) + device.drift
    ahead = max(0, device.last_t + 1 - now_t)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return f"{code:06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


def backup_codes_for(user, codes=("abcd2345", "efgh6723")) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=code)
    return device


def sign_in(client, user, **extra):
    """The password step, through the real login form."""
    return client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}, **extra
    )


def sign_in_with_app(client, user, device):
    sign_in(client, user)
    response = client.post("/accounts/verify/", {"code": code_for(device)})
    assert response.status_code == 302, response.content
    return client


def superuser_signed_in(client, username="root"):
    """A superuser signed in with both steps (superusers always need a second factor)."""
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser(username, f"{username}@example.org", PASSWORD)
    sign_in_with_app(client, root, app_for(root))
    return root
