"""Escalation when nobody acknowledges (issue 17): an alert still unacknowledged when its
protocol clock runs out (readings.care.notifications_models.AlertWatch) goes to the next person
on the escalation path who has not heard of it yet. The alert records whom and when
(escalated_to, escalated_at) and its history says why; the person is told through
readings.care.signals.alert_handed, like any hand-off. Run by Celery beat
(readings.care.tasks.alerts_escalate_due)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from portal.audit import audit_event_record
from readings.care import protocol as rules
from readings.care.notifications_models import AlertWatch, Notification
from readings.care.signals import alert_handed_after_commit
from readings.models import Alert, AlertAction, AlertEvent

log = logging.getLogger(__name__)

BATCH = 200


def alerts_escalate_due(now=None) -> list[int]:
    """Escalate every alert whose clock ran out; returns the ids escalated. Each alert in its
    own short transaction; a watch another process holds is skipped (it is being handled)."""
    now = now or timezone.now()
    due = AlertWatch.objects.filter(finished_at__isnull=True, due_at__lte=now).order_by("due_at")
    escalated = []
    for alert_id in list(due.values_list("alert_id", flat=True)[:BATCH]):
        if _escalate_one(alert_id, now):
            escalated.append(alert_id)
    return escalated


def attended(alert: Alert) -> bool:
    """Someone is acting on it: acknowledged (or escalated by staff, which acknowledges) or
    resolved. Holding an alert is not enough: triage keeps claiming apart from acknowledging
    (readings.care.alerts), so a critical alert claimed by a nurse who then never acknowledges
    it still goes to the next person at the protocol's limit."""
    return not alert.is_open or alert.acknowledged_at is not None


@transaction.atomic
def _escalate_one(alert_id: int, now: dt.datetime) -> bool:
    watch = (
        AlertWatch.objects.select_for_update(skip_locked=True)
        .filter(pk=alert_id, finished_at__isnull=True, due_at__lte=now)
        .first()
    )
    if watch is None:
        return False
    alert = Alert.objects.select_for_update(of=("self",)).select_related("patient").get(pk=alert_id)
    protocol = rules.protocol_current(alert.organization)
    if attended(alert) or protocol is None:
        _finish(watch, now)
        return False
    heard = set(Notification.objects.filter(alert=alert).values_list("recipient_id", flat=True))
    heard.add(alert.escalated_to_id)
    step = next(
        (
            s
            for s in protocol.path.all()
            if s.position >= watch.path_position and s.person_id not in heard
        ),
        None,
    )
    waited = rules.duration_text(now - watch.started_at)
    if step is None:
        _finish(watch, now)
        AlertEvent.objects.create(
            alert=alert,
            action=AlertAction.NOTE,
            actor=None,
            note=f"Unacknowledged for {waited}; nobody left on the escalation path.",
        )
        return False
    person = step.person
    alert.escalated_to, alert.escalated_at = person, now
    alert.save(update_fields=["escalated_to", "escalated_at", "updated_at"])
    note = (
        f"Unacknowledged for {waited}: escalated to {person.get_full_name() or person.username}, "
        "next on the protocol's escalation path."
    )
    AlertEvent.objects.create(alert=alert, action=AlertAction.ESCALATED, actor=None, note=note)
    audit_event_record(
        action="alert.escalated",
        organization=alert.organization,
        patient=alert.patient,
        obj=alert,
        detail={"by": "protocol", "to": person.pk, "step": step.position},
    )
    watch.escalations += 1
    watch.path_position = step.position + 1
    watch.due_at = now + rules.limit_for(protocol, alert.severity)
    watch.save(update_fields=["escalations", "path_position", "due_at"])
    alert_handed_after_commit(
        alert_id=alert.pk, to_user_id=person.pk, by_user_id=None, reason="escalated", note=note
    )
    log.info("alert %s escalated by the protocol to user %s", alert.pk, person.pk)
    return True


def _finish(watch: AlertWatch, now: dt.datetime) -> None:
    watch.finished_at = now
    watch.save(update_fields=["finished_at"])
