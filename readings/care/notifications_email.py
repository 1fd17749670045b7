"""Sending a notification email (issue 17), outside any transaction, in a Celery task.

Claim → send → record, each step its own short transaction, so the mail server is never waited
on while a row is locked:
- claim: a pending, due row becomes `sending` (its attempt counted) under a row lock; a row in
  any other state is left alone, so a second task for the same row sends nothing;
- send: through Django's email backend (EMAIL_URL), with a Message-ID fixed per row;
- record: `delivered`, or back to `pending` with the next attempt backed off (the error's class
  kept, never its text), `failed` after MAX_ATTEMPTS.
A worker that dies between claim and record leaves the row `sending`: the sweep marks it failed
("DeliveryUnknown") rather than send again, because the mail may have left. At most once per
row; the escalation path is the safety net for a lost message."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from readings.care import protocol as rules
from readings.care.notifications_models import (
    Channel,
    DeliveryStatus,
    Notification,
)
from readings.care.protocol_models import EmailDetail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE = dt.timedelta(seconds=30)  # doubled each attempt: 30 s, 1, 2, 4 min
STALE_SENDING = dt.timedelta(minutes=10)


def notification_email_deliver(*, notification_id: int, now=None) -> str:
    """Send one notification email if it is pending and due. Returns the row's status after."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, channel=Channel.EMAIL)
            .first()
        )
        if row is None:
            return "missing"
        if row.status != DeliveryStatus.PENDING or row.due_at > now:
            return row.status
        if row.next_attempt_at and row.next_attempt_at > now:
            return row.status
        row.status, row.attempts = DeliveryStatus.SENDING, row.attempts + 1
        row.save(update_fields=["status", "attempts", "updated_at"])
    message = email_message(row)
    try:
        message.send()
    except Exception as exc:
        return _failed(row, exc.__class__.__name__, now)
    Notification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), error=""
    )
    log.info("notification %s delivered by email (attempt %s)", row.pk, row.attempts)
    return DeliveryStatus.DELIVERED


def _failed(row: Notification, error: str, now: dt.datetime) -> str:
    final = row.attempts >= MAX_ATTEMPTS
    status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
    Notification.objects.filter(pk=row.pk).update(
        status=status,
        error=error[:100],
        next_attempt_at=None if final else now + RETRY_BASE * 2 ** (row.attempts - 1),
    )
    log.warning("notification %s: email attempt %s failed (%s)", row.pk, row.attempts, error)
    return status


def notification_emails_due(now=None) -> list[int]:
    """Emails to (re)send now: pending, due (quiet hours over) and past their back-off. Rows
    stuck `sending` (their worker died mid-send) are marked failed, never re-sent."""
    now = now or timezone.now()
    Notification.objects.filter(
        channel=Channel.EMAIL, status=DeliveryStatus.SENDING, updated_at__lt=now - STALE_SENDING
    ).update(status=DeliveryStatus.FAILED, error="DeliveryUnknown")
    return list(
        Notification.objects.filter(
            channel=Channel.EMAIL, status=DeliveryStatus.PENDING, due_at__lte=now
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("due_at")
        .values_list("pk", flat=True)[:500]
    )


def alert_link(alert_id: int) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("care:alert", args=[alert_id])


def email_message(row: Notification) -> EmailMessage:
    """The message for one row. It carries what the organization's protocol allows (default:
    the tier and a link only) — never more, whatever the reason."""
    alert = row.alert
    protocol = rules.protocol_current(alert.organization)
    detail = protocol.email_detail if protocol else EmailDetail.LINK
    tier = "Critical" if row.severity == "critical" else "Warning"
    lines = [f"A {tier.lower()} alert needs you: {row.why_text}.", ""]
    if detail in (EmailDetail.RULE, EmailDetail.PATIENT):
        lines.append(f"What crossed: {alert.rule_text}")
    if detail == EmailDetail.PATIENT:
        lines.append(f"Patient: {alert.patient.display_name}, MRN {alert.patient.mrn}")
    lines += [
        f"Open the alert: {alert_link(alert.pk)}",
        "",
        "Acknowledge it in the portal, or it goes to the next person on the escalation path.",
    ]
    domain = settings.PORTAL_BASE_URL.split("//")[-1].split("/")[0].split(":")[0] or "localhost"
    return EmailMessage(
        subject=f"{tier} alert needs you — Vitals Portal",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.address],
        # The same id on every attempt of this row: a receiving server may drop a repeat.
        headers={"Message-ID": f"<notification-{row.pk}@{domain}>"},
    )
