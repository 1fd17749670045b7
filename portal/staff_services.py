"""Every write about an organization's staff: invitations (send, resend, revoke, accept), role
and clinical-staff changes, deactivation and reactivation. Each one writes its audit event
(ids, roles and flags; never the address or the token).

Rules kept here:
- an organization always keeps at least one active organization admin: a change that would
  leave none is refused (checked with the organization's row locked, so two admins demoting
  each other at once cannot both succeed);
- an admin does not deactivate themselves (another admin does: it signs them out at once);
- an address that is already a member of the organization is not invited; inviting an address
  with an open invitation replaces it (the old link stops working);
- a sign-up link works once, until it expires (STAFF_INVITE_DAYS), and never after the
  invitation was revoked or replaced.

Deactivating a person keeps the API keys they created: a key belongs to the organization and an
integration (a device hub, an EHR feed) that must keep running after the person who set it up
leaves. The page names the keys still in use so the admin can revoke them in Django admin when
the person may have kept a copy."""

import logging
import smtplib
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import ApiKey, Membership, Organization, Role, StaffInvite
from portal.permissions import ORG_ADMIN_GROUP, grant_org_admin_permissions

logger = logging.getLogger(__name__)


class StaffRefused(Exception):
    """A refused action; the message is shown to the admin (or the invitee) as it is."""


class InviteNotUsable(StaffRefused):
    """The sign-up link is unknown, expired, revoked, replaced or already used."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


# --- invitations ------------------------------------------------------------------------------
def invite_link(raw_token: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("staff:join", args=[raw_token])


def invite_message(invite: StaffInvite, link: str) -> tuple[str, str]:
    """Subject and text of the invitation email: who invites, to which organization, as what,
    and until when the link works (in the organization's zone)."""
    organization = invite.organization
    by = invite.invited_by
    inviter = (by.get_full_name() or by.username) if by else "An administrator"
    expires = timezone.localtime(invite.expires_at, organization_tz(organization))
    day = f"{expires:%A, %B} {expires.day}, {expires:%Y}"
    until = f"{day} at {expires:%-I:%M %p} {expires.tzname()}"
    subject = f"Join {organization.name} on Vitals Portal"
    body = (
        f"{inviter} invited you to join {organization.name} on Vitals Portal as "
        f"{invite.get_role_display().lower()}.\n\n"
        f"Choose your username and password here:\n{link}\n\n"
        f"The link works once, until {until}. If it has expired, ask {inviter} to send a new "
        "one.\n\n"
        "If you did not expect this invitation, ignore this email: nothing happens without "
        "the link.\n"
    )
    return subject, body


def organization_tz(organization: Organization) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(organization.time_zone)


def _email_taken(organization: Organization, email: str) -> bool:
    return Membership.objects.filter(organization=organization, user__email__iexact=email).exists()


def staff_invite_send(
    *,
    organization: Organization,
    email: str,
    role: str,
    clinical_staff: bool | None,
    by: User,
    request=None,
) -> tuple[StaffInvite, bool]:
    """Invite `email` to `organization` as `role` and email the sign-up link. Replaces the
    address's open invitation, if any. Returns the invitation and whether the mail server took
    the message (when it did not, the invitation stays open and can be sent again).

    The message is sent after the transaction, never inside it (a slow mail server must not
    hold the rows), in the request so the admin learns at once whether it went."""
    email = get_user_model().objects.normalize_email(email.strip())
    if role not in Role.values:
        raise StaffRefused("Choose a role.")
    if _email_taken(organization, email):
        raise StaffRefused(f"{email} already belongs to a member of {organization.name}.")
    raw = StaffInvite.new_token()
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        replaced = list(
            StaffInvite.objects.select_for_update().filter(
                organization=organization,
                email__iexact=email,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
        )
        now = timezone.now()
        for old in replaced:
            old.revoked_at, old.revoked_by = now, by
            old.save(update_fields=["revoked_at", "revoked_by"])
        invite = StaffInvite.objects.create(
            organization=organization,
            email=email,
            role=role,
            clinical_staff=clinical_staff,
            token_hash=StaffInvite.hash_token(raw),
            invited_by=by,
            created_at=now,
            expires_at=now + timedelta(days=settings.STAFF_INVITE_DAYS),
        )
        audit_event_record(
            action="staff.invite",
            request=request,
            actor=by,
            organization=organization,
            obj=invite,
            detail={
                "role": role,
                "clinical_staff": clinical_staff,
                "replaced": [old.pk for old in replaced],
            },
        )
    sent = _invite_email_send(invite, raw, by=by, request=request)
    return invite, sent


def _invite_email_send(invite: StaffInvite, raw: str, *, by, request) -> bool:
    subject, body = invite_message(invite, invite_link(raw))
    try:
        send_mail(subject, body, None, [invite.email], fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning(
            "staff invite email not sent: invite=%s error=%s", invite.pk, type(exc).__name__
        )
        sent = False
    else:
        invite.sent_at = timezone.now()
        invite.save(update_fields=["sent_at"])
        sent = True
    audit_event_record(
        action="staff.invite_email",
        request=request,
        actor=by,
        organization=invite.organization,
        obj=invite,
        detail={"sent": sent},
    )
    return sent


def staff_invite_resend(*, invite: StaffInvite, by: User, request=None) -> tuple[StaffInvite, bool]:
    """A new link (and a new expiry) for an open invitation, same role and flag: the old link
    stops working. Only the token's hash is kept, so the old link cannot be sent again."""
    if not invite.is_open:
        raise StaffRefused("That invitation was already used or revoked; send a new one.")
    return staff_invite_send(
        organization=invite.organization,
        email=invite.email,
        role=invite.role,
        clinical_staff=invite.clinical_staff,
        by=by,
        request=request,
    )


@transaction.atomic
def staff_invite_revoke(*, invite: StaffInvite, by: User, request=None) -> None:
    invite = StaffInvite.objects.select_for_update().get(pk=invite.pk)
    if not invite.is_open:
        raise StaffRefused("That invitation was already used or revoked.")
    invite.revoked_at, invite.revoked_by = timezone.now(), by
    invite.save(update_fields=["revoked_at", "revoked_by"])
    audit_event_record(
        action="staff.invite_revoke",
        request=request,
        actor=by,
        organization=invite.organization,
        obj=invite,
    )


UNUSABLE = {
    "unknown": "This sign-up link is not valid. Check that the whole link was copied from the "
    "email, or ask your organization's administrator for a new invitation.",
    "expired": "This sign-up link has expired. Ask your organization's administrator to send "
    "you a new invitation.",
    "revoked": "This invitation was withdrawn or replaced by a newer one. Use the link in the "
    "most recent email, or ask your organization's administrator for a new invitation.",
    "accepted": "This sign-up link was already used. Sign in with the username and password "
    "you chose.",
}


def invite_usable(raw_token: str, *, lock: bool = False) -> StaffInvite:
    """The open, unexpired invitation the token belongs to, or InviteNotUsable saying why."""
    rows = StaffInvite.objects.select_related("organization", "invited_by")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invite = rows.filter(token_hash=StaffInvite.hash_token(raw_token or "")).first()
    if invite is None:
        raise InviteNotUsable(UNUSABLE["unknown"], reason="unknown")
    status = invite.status()
    if status != "pending":
        raise InviteNotUsable(UNUSABLE[status], reason=status)
    return invite


def staff_invite_accept(*, raw_token: str, user: User, request=None):
    """Create the invited person's account from the sign-up form's unsaved `user` (username,
    name and password already validated) and make them a member with the invited role. The
    invitation is locked and checked again here, so a link used twice at once signs up one."""
    try:
        with transaction.atomic():
            invite = invite_usable(raw_token, lock=True)
            organization = invite.organization
            if _email_taken(organization, invite.email):
                raise StaffRefused(f"{invite.email} already belongs to a member.")
            user.email = invite.email
            user.is_active = True
            user.save()
            Membership.objects.create(
                user=user,
                organization=organization,
                role=invite.role,
                clinical_staff=invite.clinical_staff,
            )
            if invite.role == Role.ORG_ADMIN:
                grant_org_admin_permissions(user)
            invite.accepted_at, invite.accepted_user = timezone.now(), user
            invite.save(update_fields=["accepted_at", "accepted_user"])
            audit_event_record(
                action="staff.invite_accept",
                request=request,
                actor=user,
                organization=organization,
                obj=invite,
                detail={"user": user.pk, "role": invite.role},
            )
    except IntegrityError:
        # The username was taken between the form's check and the insert.
        raise StaffRefused("That username was just taken. Choose another.") from None
    return user


# --- members ------------------------------------------------------------------------------------
def _active_admins_other_than(organization: Organization, user_id: int) -> int:
    return (
        Membership.objects.filter(
            organization=organization, role=Role.ORG_ADMIN, user__is_active=True
        )
        .exclude(user_id=user_id)
        .count()
    )


def _lock(membership: Membership) -> Membership:
    Organization.objects.select_for_update().get(pk=membership.organization_id)
    return Membership.objects.select_related("user", "organization").get(pk=membership.pk)


def _sync_admin_access(user, role: str) -> None:
    """Organization admins use Django admin for the rare settings the portal has no page for;
    nobody else does (superusers keep theirs)."""
    if role == Role.ORG_ADMIN:
        grant_org_admin_permissions(user)
    elif not user.is_superuser:
        user.groups.remove(*user.groups.filter(name=ORG_ADMIN_GROUP))
        if user.is_staff:
            user.is_staff = False
            user.save(update_fields=["is_staff"])


@transaction.atomic
def staff_member_change(
    *,
    membership: Membership,
    role: str,
    clinical_staff: bool | None,
    by: User,
    request=None,
) -> Membership:
    """Set a member's role and clinical-staff answer (None: the role decides)."""
    if role not in Role.values:
        raise StaffRefused("Choose a role.")
    membership = _lock(membership)
    before = {"role": membership.role, "clinical_staff": membership.clinical_staff}
    if before == {"role": role, "clinical_staff": clinical_staff}:
        return membership
    if (
        membership.role == Role.ORG_ADMIN
        and role != Role.ORG_ADMIN
        and membership.user.is_active
        and _active_admins_other_than(membership.organization, membership.user_id) == 0
    ):
        raise StaffRefused(
            f"{membership.organization.name} needs at least one active organization admin: "
            "make someone else an admin first."
        )
    membership.role, membership.clinical_staff = role, clinical_staff
    membership.save(update_fields=["role", "clinical_staff"])
    if before["role"] != role:
        _sync_admin_access(membership.user, role)
    audit_event_record(
        action="staff.change",
        request=request,
        actor=by,
        organization=membership.organization,
        obj=membership.user,
        detail={
            "user": membership.user_id,
            "before": before,
            "after": {"role": role, "clinical_staff": clinical_staff},
        },
    )
    return membership


def _sessions_end(user) -> int:
    """Delete the user's sessions (database sessions: each is read to find its user; sessions
    end after SESSION_IDLE_MINUTES, so there are few live ones). An inactive user is signed out
    by Django's ModelBackend on their next request anyway; this also frees the rows."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


def api_keys_created_by(user, organization: Organization) -> int:
    return ApiKey.objects.filter(
        organization=organization, created_by=user, revoked_at__isnull=True
    ).count()


@transaction.atomic
def staff_member_deactivate(*, membership: Membership, by: User, request=None) -> Membership:
    """Stop the member from signing in (user.is_active = False) and end their sessions. Their
    history (notes, time, alerts handled, audit) stays theirs; API keys stay (module doc)."""
    membership = _lock(membership)
    user = membership.user
    if user.pk == by.pk:
        raise StaffRefused("You cannot deactivate yourself. Another admin can.")
    if not user.is_active:
        raise StaffRefused(f"{user.get_full_name() or user.username} is already deactivated.")
    if (
        membership.role == Role.ORG_ADMIN
        and _active_admins_other_than(membership.organization, user.pk) == 0
    ):
        raise StaffRefused(
            f"{membership.organization.name} needs at least one active organization admin."
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = _sessions_end(user)
    audit_event_record(
        action="staff.deactivate",
        request=request,
        actor=by,
        organization=membership.organization,
        obj=user,
        detail={
            "user": user.pk,
            "sessions_ended": ended,
            "api_keys_kept": api_keys_created_by(user, membership.organization),
        },
    )
    return membership


@transaction.atomic
def staff_member_reactivate(*, membership: Membership, by: User, request=None) -> Membership:
    """Let a deactivated member sign in again, with the password and second factor they had."""
    membership = _lock(membership)
    user = membership.user
    if user.is_active:
        raise StaffRefused(f"{user.get_full_name() or user.username} is already active.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_event_record(
        action="staff.reactivate",
        request=request,
        actor=by,
        organization=membership.organization,
        obj=user,
        detail={"user": user.pk},
    )
    return membership
