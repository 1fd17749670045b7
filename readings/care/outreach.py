"""Outreach attempts: logging one (from a worklist or the patient page) and reading a patient's.

A reached patient's call may be logged as care time in the same action: it is then an
ordinary time entry (readings.care.timelog.time_entry_create: its checks, its billing
decision, its audit), linked to the attempt, and a phone, video or in-person call is the
month's interactive contact by the time log's own rule."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import Patient
from readings.care.models import COUNTING_MEDIA, Activity, ContactWith, OutreachAttempt
from readings.care.outreach_models import OutreachMedium, OutreachOutcome
from readings.care.timelog import patient_today, time_entry_create
from readings.care.worklists import BY_SLUG

NOTE_MAX = 2000


@transaction.atomic
def outreach_attempt_log(
    *,
    patient: Patient,
    by,
    outcome: str,
    medium: str,
    note: str = "",
    worklist: str = "",
    call_minutes: int | None = None,
    contact_with: str = ContactWith.PATIENT,
    request=None,
    now: dt.datetime | None = None,
) -> OutreachAttempt:
    """Record that `by` tried to reach `patient`, how and how it went. With `call_minutes`
    (only when the patient was reached) the call is logged as care time too, on the patient's
    today: a phone, video or in-person call as a call with its medium, a text as a secure
    message (never the interactive contact)."""
    now = now or timezone.now()
    errors = {}
    if outcome not in OutreachOutcome.values:
        errors["outcome"] = "Choose how it went: no answer, left a message, or reached."
    if medium not in OutreachMedium.values:
        errors["medium"] = "Choose how you tried: phone, video, text or in person."
    if call_minutes and outcome != OutreachOutcome.REACHED:
        errors["call_minutes"] = "Only a call that reached the patient is care time."
    if len(note) > NOTE_MAX:
        errors["note"] = f"The note is too long ({NOTE_MAX} characters at most)."
    if worklist and worklist not in BY_SLUG:
        errors["worklist"] = "Unknown worklist."
    if errors:
        raise ValidationError(errors)
    entry = None
    if call_minutes:
        is_call = medium in COUNTING_MEDIA
        entry = time_entry_create(
            patient=patient,
            by=by,
            day=patient_today(patient, now),
            seconds=call_minutes * 60,
            activity=Activity.CALL if is_call else Activity.MESSAGE,
            contact_medium=medium if is_call else "",
            contact_with=contact_with if is_call else "",
            note=note,
            request=request,
        )
    attempt = OutreachAttempt.objects.create(
        organization=patient.organization,
        patient=patient,
        performed_by=by,
        at=now,
        medium=medium,
        outcome=outcome,
        note=note.strip(),
        worklist=worklist,
        time_entry=entry,
    )
    audit_event_record(
        action="outreach.create",
        request=request,
        actor=by,
        patient=patient,
        obj=attempt,
        detail={
            "outcome": outcome,
            "medium": medium,
            "worklist": worklist,
            "time_entry": entry.pk if entry else None,
        },
    )
    return attempt


def outreach_for(patient: Patient, limit: int = 10) -> list[OutreachAttempt]:
    """The patient's latest outreach attempts, newest first (the care panel's section)."""
    return list(
        OutreachAttempt.objects.filter(patient=patient)
        .select_related("performed_by", "time_entry")
        .order_by("-at", "-id")[:limit]
    )
