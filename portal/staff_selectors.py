"""Reads for the organization admin's Staff page, already scoped to the organization: another
organization's member or invitation is a 404."""

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from portal.models import Membership, Organization, StaffInvite


def staff_roster(organization: Organization) -> QuerySet[Membership]:
    """The organization's members, active first, then by name, each with `has_second_factor`
    (a confirmed authenticator app or passkey; backup codes alone are not one)."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .annotate(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)),
            has_passkey=Exists(
                WebAuthnCredential.objects.filter(user=OuterRef("user"), confirmed=True)
            ),
        )
        .order_by("-user__is_active", "user__last_name", "user__first_name", "user__username")
    )


def open_invites(organization: Organization) -> QuerySet[StaffInvite]:
    """Invitations neither accepted nor revoked, the soonest to expire first (expired ones too:
    the page offers to send them again)."""
    return (
        StaffInvite.objects.filter(
            organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("expires_at", "pk")
    )


def pending_invite_count(organization: Organization) -> int:
    return open_invites(organization).filter(expires_at__gt=timezone.now()).count()


def member_for_org(organization: Organization, user_id: int) -> Membership:
    """The organization's member with user id `user_id`, or 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        organization=organization,
        user_id=user_id,
    )


def invite_for_org(organization: Organization, pk: int) -> StaffInvite:
    """The organization's invitation `pk`, or 404."""
    return get_object_or_404(
        StaffInvite.objects.select_related("organization", "invited_by"),
        organization=organization,
        pk=pk,
    )
