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
row; the escalation path is the safety net for a lost message.

Speed (issue 19, goal: a critical reading's email accepted within 1 s at p95): each worker
thread keeps its SMTP connection open between messages (`_smtp_send`) instead of connecting,
greeting and quitting per message."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
import time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from readings.care.notifications_models import (
    Channel,
    DeliveryStatus,
    Notification,
)
from readings.care.protocol_models import AlertProtocol, EmailDetail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE = dt.timedelta(seconds=30)  # doubled each attempt: 30 s, 1, 2, 4 min
STALE_SENDING = dt.timedelta(minutes=10)
# An SMTP connection idle longer than this is closed and a new one opened: well inside the
# 5 minutes a server must wait before dropping an idle client (RFC 5321 4.5.3.2.7).
SMTP_REUSE_SECONDS = 30.0

_held = threading.local()  # per worker thread: (settings key, open backend, last used)


def notification_email_deliver(*, notification_id: int, now=None) -> str:
    """Send one notification email if it is pending and due. Returns the row's status after."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("alert")
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
        _smtp_send(message)
    except Exception as exc:
        return _failed(row, exc.__class__.__name__, now)
    Notification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), error=""
    )
    log.info("notification %s delivered by email (attempt %s)", row.pk, row.attempts)
    return DeliveryStatus.DELIVERED


def _smtp_send(message: EmailMessage) -> None:
    """Send `message` through Django's email backend. For the SMTP backend, over this thread's
    open connection when it has one for the same settings used in the last SMTP_REUSE_SECONDS;
    a reused connection the server closed meanwhile is replaced once (the failure comes at the
    first command, before the message was handed over). Any other error drops the connection
    and is the caller's to record."""
    backend = get_connection(fail_silently=False)
    if not isinstance(backend, SmtpBackend):
        backend.send_messages([message])  # console, locmem (tests), file: nothing to keep open
        return
    key = (
        type(backend),
        backend.host,
        backend.port,
        backend.username,
        backend.password,
        backend.use_tls,
        backend.use_ssl,
        backend.timeout,
    )
    held = getattr(_held, "value", None)
    if held and (held[0] != key or time.monotonic() - held[2] > SMTP_REUSE_SECONDS):
        _smtp_drop()
        held = None
    reused = held is not None
    if held is None:
        backend.open()
        held = (key, backend, 0.0)
    _held.value = held
    try:
        held[1].send_messages([message])
    except smtplib.SMTPServerDisconnected:
        _smtp_drop()
        if not reused:
            raise
        _smtp_send(message)  # a fresh connection this time
        return
    except Exception:
        _smtp_drop()
        raise
    _held.value = (key, held[1], time.monotonic())


def _smtp_drop() -> None:
    held = getattr(_held, "value", None)
    _held.value = None
    if held:
        try:
            held[1].close()
        except Exception:  # a dead connection: nothing to say goodbye to
            held[1].connection = None


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


def _email_detail(organization_id: int) -> str:
    """What the protocol in force lets an email say (rules.protocol_current's protocol, read in
    one query: its rota and path are not needed here)."""
    current = AlertProtocol.objects.filter(
        organization_id=organization_id, superseded_at__isnull=True
    )
    return current.values_list("email_detail", flat=True).first() or EmailDetail.LINK


def email_message(row: Notification) -> EmailMessage:
    """The message for one row. It carries what the organization's protocol allows (default:
    the tier and a link only) — never more, whatever the reason."""
    alert = row.alert
    detail = _email_detail(alert.organization_id)
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
