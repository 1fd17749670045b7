"""Every write about second factors: enrolling and removing devices, backup codes, the second
sign-in step, and the organization's policy. Each one writes its audit event.

Whether the signed-in user has a second factor is kept in the session (set at sign-in, kept
current by these services), so the middleware that enforces it costs no query per request. A
device added from another session counts from that session's next sign-in; one removed
elsewhere ends this session's verification at once (django-otp reloads the verifying device).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from portal.access import membership_of
from portal.audit import audit_event_record
from portal.models import Membership
from portal.second_factor import selectors

ENROLLED_SESSION_KEY = "second_factor_enrolled"
BACKUP_CODE_COUNT = 10


class SecondFactorError(Exception):
    """A refused action; the message is shown to the user."""


@dataclass(frozen=True)
class Verification:
    ok: bool
    method: str
    retry_at: datetime | None = None  # set when the code was refused because of throttling


def session_enrolment_record(request) -> bool:
    """Read whether the user has a second factor and keep it in the session."""
    enrolled = selectors.user_has_second_factor(request.user)
    request.session[ENROLLED_SESSION_KEY] = enrolled
    return enrolled


def on_user_logged_in(sender, request, user, **kwargs):
    """`user_logged_in` receiver: the password step decides whether a second step follows."""
    if request is not None and hasattr(request, "session"):
        request.session[ENROLLED_SESSION_KEY] = selectors.user_has_second_factor(user)


def safe_next(request, url: str | None) -> str:
    """`url` if it stays on this site, else ''."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def second_factor_event(*, request, action: str, detail: dict, user=None) -> None:
    user = user or request.user
    membership = membership_of(user)
    audit_event_record(
        action=action,
        request=request,
        actor=user if user.is_authenticated else None,
        organization=membership.organization if membership else None,
        detail=detail,
    )


def _require_verified(request, what: str) -> None:
    if selectors.user_has_second_factor(request.user) and not request.user.is_verified():
        raise SecondFactorError(f"Confirm your second factor before you {what}.")


# --- enrolment -------------------------------------------------------------------------------
def totp_device_pending(*, request) -> TOTPDevice:
    """The user's authenticator app being set up: one unconfirmed device, reused until
    confirmed so reloading the page keeps the same QR code."""
    _require_verified(request, "add an authenticator app")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name="Authenticator app", confirmed=False
        )
    return device


@transaction.atomic
def totp_device_confirm(*, request, device: TOTPDevice, token: str) -> bool:
    """Activate the app once it shows a correct code (throttled like sign-in)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
    if not device.verify_token(_clean(token)):
        second_factor_event(
            request=request,
            action="second_factor.device_add_fail",
            detail={"kind": "authenticator_app", "reason": "wrong_code"},
        )
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    _enrolled(request, device, kind="authenticator_app")
    return True


def passkey_registered(*, request, device_id: int | None) -> None:
    """django-otp-webauthn saved (and, for a first factor, verified with) a new passkey."""
    device = WebAuthnCredential.objects.filter(pk=device_id, user=request.user).first()
    if device is not None:
        _enrolled(request, device, kind="passkey")


def _enrolled(request, device, *, kind: str) -> None:
    if not request.user.is_verified():
        # Set up a moment ago in a signed-in session: this session counts as verified.
        otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    second_factor_event(
        request=request,
        action="second_factor.device_add",
        detail={"kind": kind, "device": device.persistent_id},
    )


@transaction.atomic
def backup_codes_issue(*, request) -> list[str]:
    """Replace the user's backup codes with new ones and return them (shown once)."""
    if not selectors.user_has_second_factor(request.user):
        raise SecondFactorError("Add an authenticator app or a passkey before backup codes.")
    _require_verified(request, "make new backup codes")
    device, _ = StaticDevice.objects.get_or_create(
        user=request.user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    second_factor_event(
        request=request, action="second_factor.backup_codes_issue", detail={"count": len(codes)}
    )
    return codes


DEVICE_KINDS = {"app": TOTPDevice, "passkey": WebAuthnCredential}


@transaction.atomic
def device_remove(*, request, kind: str, pk: int) -> None:
    model = DEVICE_KINDS.get(kind)
    if model is None:
        raise SecondFactorError("There is no such kind of device.")
    device = model.objects.filter(user=request.user, confirmed=True, pk=pk).first()
    if device is None:
        raise SecondFactorError("That device is not one of yours.")
    if not request.user.is_verified():
        raise SecondFactorError("Confirm your second factor before you remove a device.")
    devices = [*selectors.authenticator_apps(request.user), *selectors.passkeys(request.user)]
    last = all(d.persistent_id == device.persistent_id for d in devices)
    if last and selectors.second_factor_required_for(request.user):
        raise SecondFactorError(
            "Your organization requires a second factor: add another before removing this one."
        )
    persistent_id = device.persistent_id
    device.delete()
    if last:
        # Backup codes recover an account that has a second factor; alone they are not one.
        StaticDevice.objects.filter(user=request.user).delete()
    request.session[ENROLLED_SESSION_KEY] = not last
    second_factor_event(
        request=request,
        action="second_factor.device_remove",
        detail={"kind": kind, "device": persistent_id, "last": last},
    )


# --- the second sign-in step -----------------------------------------------------------------
def _clean(token: str) -> str:
    return "".join((token or "").split()).replace("-", "").lower()[:32]


def second_factor_verify(*, request, token: str) -> Verification:
    """Check a code from an authenticator app (six digits) or a backup code against the user's
    devices. Each device throttles its own failures (django-otp: waits of 1, 2, 4 … s)."""
    token = _clean(token)
    is_app_code = token.isdigit() and len(token) == 6
    method = "authenticator_app" if is_app_code else "backup_code"
    model = TOTPDevice if is_app_code else StaticDevice
    retry_at = None
    for device_id in model.objects.filter(user=request.user, confirmed=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            device = model.objects.select_for_update().get(pk=device_id)
            allowed, info = device.verify_is_allowed()
            if not allowed:
                retry_at = max(retry_at or info["locked_until"], info["locked_until"])
                continue
            if token and device.verify_token(token):
                second_factor_verified(request=request, device=device, method=method)
                return Verification(ok=True, method=method)
    second_factor_event(
        request=request,
        action="second_factor.verify_fail",
        detail={"method": method, "reason": "throttled" if retry_at else "wrong_code"},
    )
    return Verification(ok=False, method=method, retry_at=retry_at)


def second_factor_verified(*, request, device, method: str) -> None:
    # Fully signed in now: a new session key, as at the password step (session fixation).
    request.session.cycle_key()
    otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    detail = {"method": method, "device": device.persistent_id}
    if method == "backup_code":
        detail["backup_codes_left"] = selectors.backup_codes_left(request.user)
    second_factor_event(request=request, action="second_factor.verify", detail=detail)


# --- the organization's policy -------------------------------------------------------------
@transaction.atomic
def organization_policy_set(*, request, organization, required: bool) -> None:
    if required and not request.user.is_verified():
        raise SecondFactorError(
            "Set up your own second factor (and sign in with it) before requiring one."
        )
    if organization.require_second_factor == required:
        return
    organization.require_second_factor = required
    organization.save(update_fields=["require_second_factor", "updated_at"])
    second_factor_event(
        request=request,
        action="second_factor.policy_change",
        detail={"require_second_factor": required},
    )


@transaction.atomic
def member_second_factor_reset(*, request, organization, user_id: int) -> Membership:
    """An organization admin clears a colleague's devices and backup codes (a lost phone):
    the colleague enrols again at their next sign-in."""
    membership = (
        Membership.objects.select_related("user")
        .filter(organization=organization, user_id=user_id)
        .first()
    )
    if membership is None:
        raise SecondFactorError("That person is not on your organization's staff.")
    if membership.user_id == request.user.pk:
        raise SecondFactorError("Manage your own devices on your Account security page.")
    if not request.user.is_verified():
        raise SecondFactorError("Sign in with your own second factor before resetting another's.")
    user = membership.user
    for model in (TOTPDevice, WebAuthnCredential, StaticDevice):
        model.objects.filter(user=user).delete()
    second_factor_event(
        request=request,
        action="second_factor.reset",
        detail={"user": user.pk},
    )
    return membership
