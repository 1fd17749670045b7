"""The time log (minutes of care, with revisions) and the care timer."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import Patient, Role
from readings.care.models import (
    Activity,
    CareTimer,
    TimeEntry,
    TimeEntryRevision,
)

MAX_ENTRY_MINUTES = 600


# --- time log -------------------------------------------------------------------------------
def patient_today(patient: Patient, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(patient.tz).date()


def _entry_checked(entry: TimeEntry) -> None:
    errors = {}
    if entry.minutes is None or not 1 <= entry.minutes <= MAX_ENTRY_MINUTES:
        errors["minutes"] = f"Enter between 1 and {MAX_ENTRY_MINUTES} minutes."
    if entry.day and entry.day > patient_today(entry.patient):
        errors["day"] = "The day cannot be in the future (patient's local date)."
    if entry.activity not in Activity.values:
        errors["activity"] = "Choose an activity."
    if errors:
        raise ValidationError(errors)
    entry.full_clean(exclude=["organization", "patient", "author", "api_key"])


def time_entry_can_edit(entry: TimeEntry, by, api_key) -> bool:
    if api_key is not None:
        return entry.api_key_id == api_key.pk
    if by is None:
        return False
    if entry.author_id == by.pk:
        return True
    membership = getattr(by, "membership", None)
    return bool(
        membership
        and membership.role == Role.ORG_ADMIN
        and membership.organization_id == entry.organization_id
    )


@transaction.atomic
def time_entry_create(
    *,
    patient: Patient,
    by=None,
    api_key=None,
    day: dt.date,
    minutes: int,
    activity: str = Activity.REVIEW,
    interactive: bool = False,
    interpretation: bool = False,
    note: str = "",
    request=None,
) -> TimeEntry:
    """Log minutes of care for a patient (manual entry, a stopped timer, or the API)."""
    entry = TimeEntry(
        organization=patient.organization,
        patient=patient,
        author=by,
        api_key=api_key,
        day=day,
        minutes=minutes,
        activity=activity,
        interactive=interactive,
        interpretation=interpretation or activity == Activity.INTERPRETATION,
        note=note.strip(),
    )
    _entry_checked(entry)
    entry.save()
    TimeEntryRevision.objects.create(
        entry=entry, action="created", editor=by, api_key=api_key, after=entry.snapshot()
    )
    audit_event_record(
        action="time_entry.create",
        request=request,
        actor=by,
        api_key=api_key,
        patient=patient,
        obj=entry,
        detail={"minutes": entry.minutes},
    )
    return entry


EDITABLE = ("day", "minutes", "activity", "interactive", "interpretation", "note")


@transaction.atomic
def time_entry_update(
    *, entry: TimeEntry, by=None, api_key=None, request=None, **changes
) -> TimeEntry:
    """Change an entry: only its author (or the key that posted it) or an org admin; the
    previous values are kept as a revision."""
    entry = TimeEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if entry.deleted_at is not None:
        raise ValidationError("This entry was deleted.")
    if not time_entry_can_edit(entry, by, api_key):
        raise PermissionDenied("Only the author or an organization admin can change this entry.")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    before = entry.snapshot()
    for name, value in changes.items():
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    if entry.activity == Activity.INTERPRETATION:
        entry.interpretation = True
    _entry_checked(entry)
    if entry.snapshot() == before:
        return entry
    entry.save()
    TimeEntryRevision.objects.create(
        entry=entry,
        action="edited",
        editor=by,
        api_key=api_key,
        before=before,
        after=entry.snapshot(),
    )
    audit_event_record(
        action="time_entry.update",
        request=request,
        actor=by,
        api_key=api_key,
        patient=entry.patient,
        obj=entry,
        detail={"fields": sorted(k for k in changes if before.get(k) != entry.snapshot()[k])},
    )
    return entry


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry, by=None, api_key=None, request=None) -> TimeEntry:
    entry = TimeEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if entry.deleted_at is not None:
        return entry
    if not time_entry_can_edit(entry, by, api_key):
        raise PermissionDenied("Only the author or an organization admin can delete this entry.")
    entry.deleted_at = timezone.now()
    entry.save(update_fields=["deleted_at", "updated_at"])
    TimeEntryRevision.objects.create(
        entry=entry, action="deleted", editor=by, api_key=api_key, before=entry.snapshot()
    )
    audit_event_record(
        action="time_entry.delete",
        request=request,
        actor=by,
        api_key=api_key,
        patient=entry.patient,
        obj=entry,
    )
    return entry


# --- the timer ------------------------------------------------------------------------------
class TimerError(Exception):
    pass


@transaction.atomic
def care_timer_start(*, user, patient: Patient, now=None) -> CareTimer:
    """Start timing care for a patient. One timer per user: a timer running for another
    patient must be stopped first (so no minutes land on the wrong chart)."""
    now = now or timezone.now()
    running = CareTimer.objects.select_for_update().filter(user=user).first()
    if running is not None:
        if running.patient_id == patient.pk:
            return running
        raise TimerError(
            "Your timer is running for another patient. Stop it there first "
            f"(patient {running.patient_id})."
        )
    return CareTimer.objects.create(user=user, patient=patient, started_at=now)


@transaction.atomic
def care_timer_stop(
    *,
    user,
    patient: Patient,
    activity: str = Activity.REVIEW,
    interactive: bool = False,
    note: str = "",
    request=None,
    now=None,
) -> TimeEntry:
    """Stop the timer and log its minutes (rounded to the nearest minute, at least 1) on the
    patient-local day the timer started."""
    now = now or timezone.now()
    timer = CareTimer.objects.select_for_update().filter(user=user, patient=patient).first()
    if timer is None:
        raise TimerError("No timer is running for this patient.")
    seconds = (now - timer.started_at).total_seconds()
    minutes = max(1, round(seconds / 60))
    if minutes > MAX_ENTRY_MINUTES:
        # The caller discards it (care_timer_cancel): nobody times 10 hours of care for one
        # patient; it was left running.
        raise TimerError(
            "The timer ran for more than 10 hours, so it was not logged; enter the time manually."
        )
    timer.delete()
    return time_entry_create(
        patient=patient,
        by=user,
        day=timer.started_at.astimezone(patient.tz).date(),
        minutes=minutes,
        activity=activity,
        interactive=interactive,
        note=note,
        request=request,
    )


@transaction.atomic
def care_timer_cancel(*, user, patient: Patient) -> None:
    CareTimer.objects.filter(user=user, patient=patient).delete()
