"""Whom an alert reaches, and how (issue 17). Listens to readings.signals.alert_raised (a new
critical or warning alert, or one whose tier rose) and readings.care.signals.alert_handed (an
alert escalated or assigned to a named person); the receivers are connected in CareConfig.ready.

Each notification is a row (readings.care.notifications_models.Notification), written in one
transaction with the alert's history event; emails leave after commit, in a Celery task
(readings.care.notifications_email), so no mail server is waited on inside a transaction.
Critical alerts reach people at once; warnings follow the protocol (portal notice, email if
chosen) and wait for the end of quiet hours. Escalation: readings.care.notifications_escalation.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from readings.care import protocol as rules
from readings.care import tasks
from readings.care.notifications_models import (
    AlertWatch,
    Channel,
    DeliveryStatus,
    Notification,
    NotificationReason,
)
from readings.care.protocol_models import AlertProtocol, RotaSlot
from readings.models import OPEN_STATUSES, Alert, AlertAction, AlertEvent, Severity

log = logging.getLogger(__name__)
User = get_user_model()

NOTIFIED_TIERS = (Severity.CRITICAL, Severity.WARNING)


# --- receivers (connected in readings.care.apps) ----------------------------------------------
def on_alert_raised(sender, *, alert_id: int, reason: str, **kwargs) -> None:
    alert_raised_notify(alert_id=alert_id, reason=reason)


def on_alert_handed(sender, *, alert_id, to_user_id, by_user_id, reason, note="", **kwargs):
    alert_handed_notify(
        alert_id=alert_id, to_user_id=to_user_id, by_user_id=by_user_id, reason=reason, note=note
    )


# --- services ---------------------------------------------------------------------------------
@transaction.atomic
def alert_raised_notify(*, alert_id: int, reason: str, now=None) -> list[Notification]:
    """Notify whoever is on call when the reading was taken (the rota slot of the alert's first
    reading, or of the reading that raised its tier), and start the protocol's clock. Nobody on
    call: the first person on the escalation path, and the notification says so."""
    now = now or timezone.now()
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("organization", "patient")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None or not alert.is_open or alert.severity not in NOTIFIED_TIERS:
        return []
    protocol = _protocol_with_rota(alert.organization_id)
    if protocol is None:
        log.info("alert %s: the organization has no alert protocol; nobody notified", alert.pk)
        return []
    moment = alert.first_triggered_at if reason == "opened" else alert.last_triggered_at
    people, slots = rules.on_call(protocol, moment)
    why, note = (
        NotificationReason.ON_CALL,
        "; ".join(f"{s.days_text}, {s.hours_text}" for s in slots),
    )
    if not people:
        first = protocol.path.select_related("person").first()
        when = rules.moment_text(protocol, moment)
        if first is None:
            _event(alert, f"Nobody on call at {when} and no escalation path: nobody notified.")
            return []
        people = [first.person]
        why, note = NotificationReason.NOBODY_ON_CALL, f"nobody on call at {when}"
    rows = _notify(alert, protocol, people, why=why, note=note, now=now)
    if alert.acknowledged_at is None:  # escalation.attended: only acknowledging stops the clock
        _watch(alert, protocol, now)
    return rows


@transaction.atomic
def alert_handed_notify(
    *, alert_id: int, to_user_id: int, by_user_id: int | None, reason: str, note: str = "", now=None
) -> list[Notification]:
    """The person an alert was escalated or assigned to hears of it (portal and email)."""
    now = now or timezone.now()
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("organization", "patient")
        .filter(pk=alert_id)
        .first()
    )
    person = User.objects.filter(
        pk=to_user_id, membership__organization_id=alert and alert.organization_id
    ).first()
    if alert is None or person is None:
        return []
    protocol = rules.protocol_current(alert.organization)
    why = NotificationReason.ESCALATED if reason == "escalated" else NotificationReason.ASSIGNED
    by = User.objects.filter(pk=by_user_id).first() if by_user_id else None
    text = f"by {_name(by)}" if by else "by the protocol (unacknowledged)"
    return _notify(alert, protocol, [person], why=why, note=text, now=now, always_email=True)


def _notify(
    alert: Alert,
    protocol: AlertProtocol | None,
    people: list,
    *,
    why: str,
    note: str,
    now: dt.datetime,
    always_email: bool = False,
) -> list[Notification]:
    """Rows for each person and channel, one history event, and the emails queued after
    commit. Critical: portal and email, now. Warning: as the protocol says (a hand-off to a
    named person always both), after quiet hours."""
    critical = alert.severity == Severity.CRITICAL
    due = now if critical else (rules.quiet_until(protocol, now) or now)
    channels = [Channel.PORTAL, Channel.EMAIL]
    if not (critical or always_email):
        warning_portal = protocol.warning_portal if protocol else True
        warning_email = protocol.warning_email if protocol else False
        channels = [
            c for c, on in ((Channel.PORTAL, warning_portal), (Channel.EMAIL, warning_email)) if on
        ]
    rows = []
    for person in people:
        for channel in channels:
            row = Notification(
                organization=alert.organization,
                alert=alert,
                recipient=person,
                channel=channel,
                reason=why,
                severity=alert.severity,
                note=note[:200],
                due_at=due,
            )
            if channel == Channel.PORTAL:
                row.status, row.delivered_at = DeliveryStatus.DELIVERED, due
            elif not person.email:
                row.status, row.error = DeliveryStatus.FAILED, "NoEmailAddress"
            else:
                row.address = person.email
            rows.append(row)
    Notification.objects.bulk_create(rows)
    for person in people:
        how = ", ".join(r.get_channel_display().lower() for r in rows if r.recipient == person)
        held = "" if due <= now else f", held until quiet hours end ({due:%H:%M} UTC)"
        reason = NotificationReason(why).label.lower()
        _event(alert, f"{_name(person)} ({reason}: {note}): {how or 'no channel on'}{held}.")
    emails = [
        r.pk for r in rows if r.channel == Channel.EMAIL and r.status == DeliveryStatus.PENDING
    ]
    if emails and due <= now:
        transaction.on_commit(lambda: [tasks.notification_email_send.delay(pk) for pk in emails])
    return rows


def _protocol_with_rota(organization_id: int) -> AlertProtocol | None:
    """rules.protocol_current, read in two statements (the protocol, its rota with each
    clinician) instead of five: this runs in the request that stored a critical reading, before
    its email can leave. The escalation path is read only when nobody is on call."""
    slots = RotaSlot.objects.select_related("clinician")
    return (
        AlertProtocol.objects.filter(organization_id=organization_id, superseded_at__isnull=True)
        .select_related("organization")
        .prefetch_related(Prefetch("slots", queryset=slots))
        .first()
    )


def _watch(alert: Alert, protocol: AlertProtocol, now: dt.datetime) -> None:
    """Start (or, when the tier rose, restart) the clock on an unacknowledged alert. A warning's
    clock starts when its notification is due: nobody is escalated over a warning held by quiet
    hours."""
    start = (
        now if alert.severity == Severity.CRITICAL else (rules.quiet_until(protocol, now) or now)
    )
    # One INSERT … ON CONFLICT DO UPDATE (update_or_create took a savepoint, a locking read and
    # a write): a new clock starts now; a running one keeps its start and restarts its limit.
    AlertWatch.objects.bulk_create(
        [
            AlertWatch(
                alert=alert,
                organization=alert.organization,
                severity=alert.severity,
                started_at=now,
                due_at=start + rules.limit_for(protocol, alert.severity),
                finished_at=None,
            )
        ],
        update_conflicts=True,
        unique_fields=["alert"],
        update_fields=["organization", "severity", "due_at", "finished_at"],
    )


def _event(alert: Alert, note: str) -> None:
    AlertEvent.objects.create(alert=alert, action=AlertAction.NOTIFIED, actor=None, note=note)


def _name(user) -> str:
    return user.get_full_name() or user.username


# --- the live notice --------------------------------------------------------------------------
def notices_for(user, now=None, limit: int = 5) -> list[Notification]:
    """A user's unread portal notices that are due, about alerts still open, newest first."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            recipient=user,
            channel=Channel.PORTAL,
            read_at__isnull=True,
            due_at__lte=now,
            alert__status__in=OPEN_STATUSES,
        )
        .select_related("alert")
        .order_by("-due_at", "-id")[:limit]
    )


def notice_mark_read(*, notification: Notification, now=None) -> None:
    """Read (opened or dismissed): the notice stops showing; the row keeps when."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
