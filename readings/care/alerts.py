"""Alert triage: the care team acknowledges, annotates, escalates and resolves the alerts that
ingestion raised (readings.alerts). Each action is audited and written to the alert's history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_event_record
from readings.models import Alert, AlertAction, AlertEvent, AlertStatus


class AlertStateError(Exception):
    """The action does not fit the alert's state (e.g. acknowledging a resolved alert)."""


# --- triage ---------------------------------------------------------------------------------
def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _triage(alert, action, by, note, request, api_key=None, *, change) -> Alert:
    alert = _locked(alert)
    if not alert.is_open:
        raise AlertStateError("This alert is already resolved.")
    change(alert)
    alert.save()
    AlertEvent.objects.create(
        alert=alert, action=action, actor=by, api_key=api_key, note=(note or "").strip()
    )
    audit_event_record(
        action=f"alert.{action}",
        request=request,
        actor=by,
        api_key=api_key,
        patient=alert.patient,
        obj=alert,
        detail={"with_note": bool((note or "").strip())},
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by=None, note: str = "", request=None, api_key=None):
    """A nurse has seen the alert and is on it."""

    def change(a):
        if a.status == AlertStatus.OPEN:
            a.status = AlertStatus.ACKNOWLEDGED
        a.acknowledged_at = a.acknowledged_at or timezone.now()
        a.acknowledged_by = a.acknowledged_by or by

    return _triage(alert, AlertAction.ACKNOWLEDGED, by, note, request, api_key, change=change)


@transaction.atomic
def alert_note_add(*, alert: Alert, by, note: str, request=None) -> Alert:
    if not note.strip():
        raise ValidationError({"note": "Write the note."})
    return _triage(alert, AlertAction.NOTE, by, note, request, change=lambda a: None)


@transaction.atomic
def alert_escalate(*, alert: Alert, by, note: str, request=None) -> Alert:
    """Hand the alert to the physician/QHP; the note says why and to whom."""
    if not note.strip():
        raise ValidationError({"note": "Say why and to whom you escalate."})

    def change(a):
        a.status = AlertStatus.ESCALATED
        a.escalated_at = timezone.now()
        a.acknowledged_at = a.acknowledged_at or a.escalated_at
        a.acknowledged_by = a.acknowledged_by or by

    return _triage(alert, AlertAction.ESCALATED, by, note, request, change=change)


@transaction.atomic
def alert_resolve(*, alert: Alert, by=None, note: str = "", request=None, api_key=None):
    """Close the alert. A later breach of the same rule opens a new one."""

    def change(a):
        a.status = AlertStatus.RESOLVED
        a.resolved_at = timezone.now()
        a.resolved_by = by

    return _triage(alert, AlertAction.RESOLVED, by, note, request, api_key, change=change)
