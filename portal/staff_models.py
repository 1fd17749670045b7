"""Staff invitations (portal.models re-exports StaffInvite: import it from there).

Kept apart from portal.models only for size; the app label is `portal` all the same."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

# portal.models imports this module at its end, once Organization and Role exist; import
# StaffInvite from portal.models, never this module first.
from portal.models import Organization, Role


class InviteStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    EXPIRED = "expired", "Expired"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class StaffInvite(models.Model):
    """An organization admin's invitation to one email address, with the role (and clinical
    staff answer) the person will have. The sign-up link carries a random token; only its
    SHA-256 is stored (256 random bits, so a slow hash adds nothing, as with ApiKey), so a copy
    of the database signs nobody up. A link is used once: accepting, revoking or replacing the
    invitation ends it, as does `expires_at`."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="staff_invites"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    # Same meaning as Membership.clinical_staff: empty means the role decides.
    clinical_staff = models.BooleanField("clinical staff", null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # When the mail server took the message; empty when sending failed (the list says so).
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per address: inviting again replaces (revokes) the open one.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="staff_invite_one_open_per_email",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="staff_invite_by_org"),
        ]

    def __str__(self):
        # No address: str() ends up in logs and admin messages.
        return f"Staff invite {self.pk} ({self.role})"

    @staticmethod
    def hash_token(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None

    def status(self, now=None) -> str:
        if self.accepted_at is not None:
            return InviteStatus.ACCEPTED
        if self.revoked_at is not None:
            return InviteStatus.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return InviteStatus.EXPIRED
        return InviteStatus.PENDING

    @property
    def is_expired(self) -> bool:
        return self.status() == InviteStatus.EXPIRED
