"""Alert triage: the care team claims, acknowledges, annotates, escalates and resolves the alerts
that ingestion raised (readings.alerts). Each action is audited and written to the alert's
history (AlertEvent), in the same transaction as the change.

Who holds an alert (`claimed_by`) decides who works it: while a colleague holds it, another
clinician may add notes but not acknowledge, escalate, resolve, assign or release it — two
nurses calling the same patient is the problem claiming solves. The refusal names the holder;
taking the alert over is an explicit, recorded act (`take_over=True`): a nurse who went home
holding a critical alert must not block the next shift, and the history says who took it from
whom. The physician/QHP it was escalated to may act on it beside the holder. Every action that
checks the holder does so on the row locked with SELECT … FOR UPDATE, so of two concurrent
claims exactly one wins and the other is refused naming the winner."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.access import CLINICAL
from portal.audit import audit_event_record
from portal.models import Role
from readings.care.signals import alert_handed_after_commit
from readings.models import Alert, AlertAction, AlertEvent, AlertOutcome, AlertStatus, Severity

BULK_LIMIT = 100  # one queue page is 25; a batch larger than a few pages is not a review


class AlertStateError(Exception):
    """The action does not fit the alert's state (e.g. acknowledging a resolved alert). `code`
    is the API's error code."""

    def __init__(self, message: str, code: str = "alert_state"):
        self.code = code
        super().__init__(message)


class AlertHeldError(AlertStateError):
    """A colleague holds the alert; the message names them."""

    def __init__(self, holder):
        self.holder = holder
        super().__init__(
            f"{person_name(holder)} holds this alert. Take it over to act on it.", "alert_held"
        )


def person_name(user) -> str:
    return user.get_full_name() or user.username


def _locked(alert: Alert) -> Alert:
    # The holder is read after the lock, never joined into the locking query: a query that
    # waited for the lock gets the alert's new row but the joined rows it read before (an
    # empty holder), so a join would let the second of two concurrent claims win too.
    return Alert.objects.select_for_update().get(pk=alert.pk)


def may_work(alert: Alert, by) -> bool:
    """Whether `by` (None: an API key) may acknowledge, escalate or resolve `alert` now."""
    if alert.claimed_by_id is None:
        return True
    return by is not None and by.pk in (alert.claimed_by_id, alert.escalated_to_id)


def _check_open(alert: Alert) -> None:
    if not alert.is_open:
        raise AlertStateError("This alert is already resolved.", "alert_resolved")


def _check_hold(alert: Alert, by) -> None:
    if not may_work(alert, by):
        raise AlertHeldError(alert.claimed_by)


def _record(alert, action, by, note, request, api_key=None, **detail) -> None:
    note = (note or "").strip()
    AlertEvent.objects.create(alert=alert, action=action, actor=by, api_key=api_key, note=note)
    audit_event_record(
        action=f"alert.{action}",
        request=request,
        actor=by,
        api_key=api_key,
        patient=alert.patient,
        obj=alert,
        detail={"with_note": bool(note), **detail},  # ids only: the note stays in the history
    )


def _joined(prefix: str, note: str) -> str:
    note = (note or "").strip()
    return f"{prefix} {note}" if note else prefix


def colleague_for(organization, user, *, roles, field: str, wrong_role: str):
    """`user` if an active member of `organization` with one of `roles`; else a ValidationError
    on `field`. Guards every hand-over: a form's choices can be stale or forged."""
    membership = (
        get_user_model()
        .objects.filter(pk=getattr(user, "pk", None), is_active=True)
        .filter(membership__organization=organization)
        .values_list("membership__role", flat=True)
        .first()
    )
    if membership is None:
        raise ValidationError({field: "Choose a colleague of your organization."})
    if membership not in roles:
        raise ValidationError({field: wrong_role})
    return user


# --- holding an alert -----------------------------------------------------------------------
def _claim(alert: Alert, by, *, request, take_over=False, note="") -> None:
    """Make `by` the holder of the locked `alert` (an event, audited)."""
    previous = alert.claimed_by
    if previous is not None and previous.pk != by.pk and not take_over:
        raise AlertHeldError(previous)
    alert.claimed_by, alert.claimed_at = by, timezone.now()
    alert.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    if previous is not None and previous.pk != by.pk:
        note = _joined(f"Taken over from {person_name(previous)}.", note)
    _record(alert, AlertAction.CLAIMED, by, note, request, from_user=getattr(previous, "pk", None))


@transaction.atomic
def alert_claim(*, alert: Alert, by, take_over: bool = False, note: str = "", request=None):
    """`by` takes the alert: others see them as its holder. Held by a colleague: refused
    naming them, unless `take_over` (recorded, with whom it was taken from)."""
    alert = _locked(alert)
    _check_open(alert)
    if alert.claimed_by_id == by.pk:
        raise AlertStateError("You hold this alert already.")
    _claim(alert, by, request=request, take_over=take_over, note=note)
    return alert


@transaction.atomic
def alert_assign(*, alert: Alert, by, to, note: str = "", take_over=False, request=None):
    """Hand the alert to a clinical colleague (nurse, physician/QHP or admin of the same
    organization): they become its holder and are told (alert_handed, reason "assigned")."""
    to = colleague_for(
        alert.organization_id,
        to,
        roles=CLINICAL,
        field="to",
        wrong_role="Alerts go to clinical staff: a nurse, a physician/QHP or an admin.",
    )
    if to.pk == by.pk:
        return alert_claim(alert=alert, by=by, take_over=take_over, note=note, request=request)
    alert = _locked(alert)
    _check_open(alert)
    holder = alert.claimed_by
    if holder is not None and holder.pk == to.pk:
        raise AlertStateError(f"{person_name(to)} holds this alert already.")
    if holder is not None and holder.pk != by.pk and not take_over:
        raise AlertHeldError(holder)
    alert.claimed_by, alert.claimed_at = to, timezone.now()
    alert.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    text = _joined(f"To {person_name(to)}.", note)
    if holder is not None and holder.pk != by.pk:
        text = _joined(f"Taken from {person_name(holder)}.", text)
    _record(alert, AlertAction.ASSIGNED, by, text, request, to_user=to.pk)
    alert_handed_after_commit(
        alert_id=alert.pk, to_user_id=to.pk, by_user_id=by.pk, reason="assigned", note=note
    )
    return alert


@transaction.atomic
def alert_release(*, alert: Alert, by, is_admin: bool = False, note: str = "", request=None):
    """The holder lets the alert go back to the unclaimed queue; an organization admin may
    release anyone's (someone off sick). Anyone else takes it over instead."""
    alert = _locked(alert)
    _check_open(alert)
    holder = alert.claimed_by
    if holder is None:
        raise AlertStateError("Nobody holds this alert.")
    if holder.pk != by.pk and not is_admin:
        raise AlertHeldError(holder)
    alert.claimed_by, alert.claimed_at = None, None
    alert.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    if holder.pk != by.pk:
        note = _joined(f"Released from {person_name(holder)}.", note)
    _record(alert, AlertAction.RELEASED, by, note, request, from_user=holder.pk)
    return alert


# --- triage ---------------------------------------------------------------------------------
def _acknowledge(alert: Alert, by, note, request, api_key=None) -> None:
    _check_open(alert)
    _check_hold(alert, by)
    if by is not None and alert.claimed_by_id is None:
        _claim(alert, by, request=request)  # acknowledging is taking it on
    if alert.status == AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = alert.acknowledged_at or timezone.now()
    alert.acknowledged_by = alert.acknowledged_by or by
    alert.save()
    _record(alert, AlertAction.ACKNOWLEDGED, by, note, request, api_key)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by=None, note: str = "", request=None, api_key=None):
    """A clinician has seen the alert and is on it: unclaimed, it becomes theirs."""
    alert = _locked(alert)
    _acknowledge(alert, by, note, request, api_key)
    return alert


@transaction.atomic
def alert_note_add(*, alert: Alert, by, note: str, request=None) -> Alert:
    """Anyone clinical may add to the history, whoever holds the alert."""
    if not note.strip():
        raise ValidationError({"note": "Write the note."})
    alert = _locked(alert)
    _check_open(alert)
    _record(alert, AlertAction.NOTE, by, note, request)
    return alert


@transaction.atomic
def alert_escalate(*, alert: Alert, to, note: str, by=None, request=None) -> Alert:
    """Hand the alert to a named physician/QHP with the reason; they see it in their queue
    and are told (alert_handed, reason "escalated"). `by` None is the organization's protocol
    (unacknowledged past its limit): it may name any clinician its path lists, and it is not
    stopped by the holder."""
    if not note.strip():
        raise ValidationError({"note": "Say why you escalate."})
    if by is not None and getattr(to, "pk", None) == by.pk:
        raise ValidationError({"to": "Choose a physician other than yourself."})
    to = colleague_for(
        alert.organization_id,
        to,
        roles=(Role.PHYSICIAN,) if by is not None else CLINICAL,
        field="to",
        wrong_role="Escalations go to a physician or QHP of your organization.",
    )
    alert = _locked(alert)
    _check_open(alert)
    if by is not None:
        _check_hold(alert, by)
        if alert.claimed_by_id is None:
            _claim(alert, by, request=request)
    alert.status = AlertStatus.ESCALATED
    alert.escalated_at = timezone.now()
    alert.escalated_to = to
    alert.acknowledged_at = alert.acknowledged_at or alert.escalated_at
    alert.acknowledged_by = alert.acknowledged_by or by
    alert.save()
    _record(
        alert, AlertAction.ESCALATED, by, f"To {person_name(to)}: {note}", request, to_user=to.pk
    )
    alert_handed_after_commit(
        alert_id=alert.pk,
        to_user_id=to.pk,
        by_user_id=getattr(by, "pk", None),
        reason="escalated",
        note=note.strip(),
    )
    return alert


def resolve_requirements(severity: str, outcome: str, note: str) -> dict:
    """What is missing to resolve an alert of `severity`: critical needs an outcome and a note,
    a warning an outcome, information neither. {field: message}, empty when complete."""
    errors = {}
    if outcome and outcome not in AlertOutcome.values:
        errors["outcome"] = "Choose one of the listed outcomes."
    elif not outcome and severity in (Severity.CRITICAL, Severity.WARNING):
        errors["outcome"] = f"Choose an outcome: a {severity} alert is resolved with one."
    if severity == Severity.CRITICAL and not (note or "").strip():
        errors["note"] = "Write a note: a critical alert is resolved with what was done."
    return errors


def _resolve(alert: Alert, by, note, outcome, request, api_key=None) -> None:
    _check_open(alert)
    _check_hold(alert, by)
    # Checked on the locked row: the severity may have risen since the page was loaded.
    errors = resolve_requirements(alert.severity, outcome, note)
    if errors:
        raise ValidationError(errors)
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = timezone.now()
    alert.resolved_by = by
    alert.outcome = outcome or ""
    alert.save()
    _record(alert, AlertAction.RESOLVED, by, note, request, api_key, outcome=alert.outcome)


@transaction.atomic
def alert_resolve(
    *, alert: Alert, by=None, note: str = "", outcome: str = "", request=None, api_key=None
):
    """Close the alert with its outcome. A later breach of the same rule opens a new one."""
    alert = _locked(alert)
    _resolve(alert, by, note, outcome, request, api_key)
    return alert


# --- several at once ------------------------------------------------------------------------
def _locked_batch(organization, alert_ids) -> list[Alert]:
    ids = sorted(set(alert_ids))
    if not ids:
        raise ValidationError({"alerts": "Choose at least one alert."})
    if len(ids) > BULK_LIMIT:
        raise ValidationError({"alerts": f"Choose at most {BULK_LIMIT} alerts at once."})
    # Locked in id order, so two batches that overlap cannot deadlock.
    alerts = list(
        Alert.objects.select_for_update()
        .filter(organization=organization, pk__in=ids)
        .order_by("pk")
    )
    if len(alerts) != len(ids):
        raise ValidationError({"alerts": "Some of the chosen alerts are not in your queue."})
    critical = [a for a in alerts if a.severity == Severity.CRITICAL]
    if critical:
        raise AlertStateError(
            f"Critical alerts are triaged one at a time ({critical[0].patient.display_name}: "
            f"{critical[0].rule_text}). Nothing was changed."
        )
    for a in alerts:
        if not a.is_open:
            raise AlertStateError(
                f"{a.patient.display_name}: this alert is already resolved. Nothing was changed."
            )
    return alerts


@transaction.atomic
def alerts_acknowledge_many(*, organization, alert_ids, by, note: str, request=None):
    """Acknowledge several warning or information alerts with one note (never critical ones:
    each of those is a patient to look at). All or nothing."""
    if not (note or "").strip():
        raise ValidationError({"note": "Write the note that applies to every chosen alert."})
    alerts = _locked_batch(organization, alert_ids)
    for a in alerts:
        _acknowledge(a, by, note, request)
    return alerts


@transaction.atomic
def alerts_resolve_many(*, organization, alert_ids, by, outcome: str, note: str, request=None):
    """Resolve several warning or information alerts with one outcome and one note. Allowed
    because the usual batch is one cause seen many times (a faulty cuff, a week of travel);
    the outcome and note are required even for information alerts, so a batch is never closed
    without a word, and a critical alert is never in one. All or nothing."""
    errors = {}
    if outcome not in AlertOutcome.values:
        errors["outcome"] = "Choose the outcome that applies to every chosen alert."
    if not (note or "").strip():
        errors["note"] = "Write the note that applies to every chosen alert."
    if errors:
        raise ValidationError(errors)
    alerts = _locked_batch(organization, alert_ids)
    for a in alerts:
        _resolve(a, by, note, outcome, request)
    return alerts
