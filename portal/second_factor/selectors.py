"""Reads about a user's second factor: their devices, whether one is required of them, and the
organization admin's overview of who has one.

Only an authenticator app (TOTP) or a passkey counts as a second factor; backup codes recover
an account that has one, they never stand in for it."""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from portal.access import membership_of
from portal.models import Membership


def authenticator_apps(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def passkeys(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def user_has_second_factor(user) -> bool:
    return authenticator_apps(user).exists() or passkeys(user).exists()


def second_factor_required_for(user) -> bool:
    """The organization's policy, or the superuser rule (SUPERUSER_SECOND_FACTOR_REQUIRED).
    Reads the user's cached membership, so a staff page pays no extra query."""
    if user.is_superuser and settings.SUPERUSER_SECOND_FACTOR_REQUIRED:
        return True
    membership = membership_of(user)
    return bool(membership and membership.organization.require_second_factor)


def staff_second_factor_overview(organization):
    """The organization's staff with whether each has an app, a passkey, backup codes."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .annotate(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)),
            has_passkey=Exists(
                WebAuthnCredential.objects.filter(user=OuterRef("user"), confirmed=True)
            ),
            has_backup_codes=Exists(
                StaticDevice.objects.filter(user=OuterRef("user"), confirmed=True)
            ),
        )
        .order_by("user__last_name", "user__first_name", "user__username")
    )
