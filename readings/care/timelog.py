"""The time log (seconds of care, with revisions) and the care timer.

Who may bill what (readings.billing.time_counts_toward) is decided here when an entry is
logged or its person, activity or office-visit flag changes, and stored on the entry, so the
evidence says who did the work and what they were then."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import Membership, Patient
from portal.roles import may
from readings import billing
from readings.care.contacts import visit_happened
from readings.care.models import (
    COUNTING_MEDIA,
    Activity,
    CareTimer,
    ContactMedium,
    TimeEntry,
    TimeEntryRevision,
)

# A timer left running this long was forgotten: it is discarded, not logged.
TIMER_MAX_SECONDS = 10 * 60 * 60


def _hm(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60} s"


# --- time log -------------------------------------------------------------------------------
def patient_today(patient: Patient, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(patient.tz).date()


def _membership(user) -> Membership | None:
    return Membership.objects.filter(user=user).first() if user is not None else None


def _decide(entry: TimeEntry) -> None:
    """Store what the entry counts toward, from who did the work (their role now)."""
    membership = _membership(entry.performed_by)
    entry.performer_role = membership.role if membership else ""
    entry.counts_toward, entry.not_billable_reason = billing.time_counts_toward(
        interpretation=entry.activity == Activity.INTERPRETATION,
        performer_role=entry.performer_role,
        may_bill_management=bool(membership and membership.may_bill_management),
        office_visit=entry.office_visit,
    )


def _contact_errors(entry: TimeEntry, before: dict | None) -> dict:
    errors = {}
    legacy = before is not None and before["contact_medium"] == entry.contact_medium
    if entry.activity == Activity.CALL:
        if entry.contact_medium not in COUNTING_MEDIA and not legacy:
            errors["contact_medium"] = (
                "Say how the call or visit happened: phone, video or in person."
            )
        if not entry.contact_with and not legacy:
            errors["contact_with"] = "Say whether it was with the patient or a caregiver."
    elif entry.contact_medium and not legacy:
        errors["contact_medium"] = "Only a real-time call or visit has a medium."
    if entry.office_visit and entry.activity != Activity.CALL:
        errors["office_visit"] = "Only a call or visit can be billed as an office visit."
    if entry.appointment_id is not None:
        visit = entry.appointment
        if visit.patient_id != entry.patient_id:
            errors["appointment"] = "That visit is not this patient's."
        elif not visit_happened(visit):
            call = f", {visit.get_video_call_status_display()}" if visit.video_call_status else ""
            errors["appointment"] = (
                f"That Solo visit has not happened (status: {visit.get_status_display()}{call})."
            )
        elif entry.activity != Activity.CALL or entry.contact_medium != ContactMedium.VIDEO:
            errors["appointment"] = "A Solo visit is a video visit: choose call, video."
    return errors


def _day_errors(entry: TimeEntry) -> dict:
    """One patient's time on one day: above 2 hours it needs a reason, above 24 it is
    refused. The patient row is locked by the caller, so two entries cannot both pass."""
    others = (
        TimeEntry.objects.filter(patient_id=entry.patient_id, day=entry.day, deleted_at=None)
        .exclude(pk=entry.pk)
        .aggregate(s=Sum("seconds"))["s"]
        or 0
    )
    total = others + entry.seconds
    if total > billing.DAY_MAX_SECONDS:
        return {
            "seconds": f"Refused: {_hm(total)} for this patient on {entry.day:%b %-d} "
            "is more than a day has (24 hours)."
        }
    if total > billing.DAY_REASON_SECONDS and not entry.day_reason:
        return {
            "day_reason": f"{_hm(total)} for this patient on {entry.day:%b %-d} is more "
            "than 2 hours: say why."
        }
    return {}


def _entry_checked(entry: TimeEntry, before: dict | None = None) -> None:
    errors = {}
    seconds = entry.seconds
    if seconds is None or seconds < billing.MIN_ENTRY_SECONDS:
        errors["seconds"] = "Under a minute: nothing logged (at least 60 seconds)."
    elif seconds > billing.DAY_MAX_SECONDS:
        errors["seconds"] = "Refused: more than 24 hours."
    if entry.day and entry.day > patient_today(entry.patient):
        errors["day"] = "The day cannot be in the future (patient's local date)."
    if entry.activity not in Activity.values:
        errors["activity"] = "Choose an activity."
    errors.update(_contact_errors(entry, before))
    if not errors:
        errors.update(_day_errors(entry))
    if errors:
        raise ValidationError(errors)
    entry.full_clean(
        exclude=["organization", "patient", "author", "api_key", "performed_by", "appointment"]
    )


def performer_for(organization, username: str):
    """The active staff member of the organization with this username (the API's
    `performed_by`); ValidationError otherwise."""
    found = (
        Membership.objects.filter(
            organization=organization, user__username=username.strip(), user__is_active=True
        )
        .select_related("user")
        .first()
    )
    if found is None:
        raise ValidationError({"performed_by": "No active staff member with this username."})
    return found.user


def time_entry_can_edit(entry: TimeEntry, by, api_key) -> bool:
    if api_key is not None:
        return entry.api_key_id == api_key.pk
    if by is None:
        return False
    if entry.author_id == by.pk:
        return True
    membership = getattr(by, "membership", None)
    return (
        membership is not None
        and may(membership, "care.time_any")
        and membership.organization_id == entry.organization_id
    )


def _lock_patient(patient: Patient) -> None:
    # Serialises entries of one patient, so the day's total is checked against committed rows.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()


@transaction.atomic
def time_entry_create(
    *,
    patient: Patient,
    by=None,
    api_key=None,
    performed_by=None,
    day: dt.date,
    seconds: int,
    activity: str = Activity.REVIEW,
    contact_medium: str = "",
    contact_with: str = "",
    appointment=None,
    office_visit: bool = False,
    day_reason: str = "",
    note: str = "",
    request=None,
) -> TimeEntry:
    """Log seconds of care for a patient (manual entry, a stopped timer, or the API). The
    person is `performed_by`, else the signed-in user `by`; an API key alone names nobody,
    so its time is kept and not billable."""
    _lock_patient(patient)
    entry = TimeEntry(
        organization=patient.organization,
        patient=patient,
        author=by,
        api_key=api_key,
        performed_by=performed_by if performed_by is not None else by,
        day=day,
        seconds=seconds,
        activity=activity,
        contact_medium=contact_medium,
        contact_with=contact_with,
        appointment=appointment,
        office_visit=office_visit,
        day_reason=day_reason.strip(),
        note=note.strip(),
    )
    _entry_checked(entry)
    _decide(entry)
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
        detail={"seconds": entry.seconds, "counts_toward": entry.counts_toward},
    )
    return entry


EDITABLE = (
    "day",
    "seconds",
    "activity",
    "performed_by",
    "contact_medium",
    "contact_with",
    "appointment",
    "office_visit",
    "day_reason",
    "note",
)
# Changing these decides again what the entry counts toward (with the person's role now).
DECIDING = ("activity", "performed_by", "office_visit")


@transaction.atomic
def time_entry_update(
    *, entry: TimeEntry, by=None, api_key=None, request=None, **changes
) -> TimeEntry:
    """Change an entry: only its author (or the key that posted it) or an org admin; the
    previous values are kept as a revision."""
    _lock_patient(entry.patient)
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
    _entry_checked(entry, before)
    after = entry.snapshot()
    if any(before[k] != after[k] for k in DECIDING):
        _decide(entry)
        after = entry.snapshot()
    if after == before:
        return entry
    entry.save()
    TimeEntryRevision.objects.create(
        entry=entry, action="edited", editor=by, api_key=api_key, before=before, after=after
    )
    audit_event_record(
        action="time_entry.update",
        request=request,
        actor=by,
        api_key=api_key,
        patient=entry.patient,
        obj=entry,
        detail={"fields": sorted(k for k in after if before.get(k) != after[k])},
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
    """The timer cannot do that. `running_patient`: the patient whose timer is in the way (a
    page names them, with a link, when they are of the viewer's organization)."""

    def __init__(self, message: str, *, running_patient: Patient | None = None):
        super().__init__(message)
        self.running_patient = running_patient


@transaction.atomic
def care_timer_start(*, user, patient: Patient, now=None) -> CareTimer:
    """Start timing care for a patient. One timer per user: a timer running for another
    patient must be stopped first (so no minutes land on the wrong chart)."""
    now = now or timezone.now()
    running = (
        CareTimer.objects.select_for_update(of=("self",))
        .select_related("patient")
        .filter(user=user)
        .first()
    )
    if running is not None:
        if running.patient_id == patient.pk:
            return running
        raise TimerError(
            "Your timer is running for another patient. Stop it there first.",
            running_patient=running.patient,
        )
    return CareTimer.objects.create(user=user, patient=patient, started_at=now)


@transaction.atomic
def care_timer_stop(*, user, patient: Patient, request=None, now=None, **details) -> TimeEntry:
    """Stop the timer and log its whole seconds on the patient-local day the timer started.
    Under a minute logs nothing (a start and stop by mistake); the caller discards the timer
    on TimerError (care_timer_cancel). `details`: activity, contact_medium, contact_with,
    office_visit, day_reason, note — as time_entry_create. A ValidationError (the day needs a
    reason) rolls back and leaves the timer running."""
    now = now or timezone.now()
    timer = CareTimer.objects.select_for_update().filter(user=user, patient=patient).first()
    if timer is None:
        raise TimerError("No timer is running for this patient.")
    seconds = int((now - timer.started_at).total_seconds())
    if seconds < billing.MIN_ENTRY_SECONDS:
        raise TimerError(
            f"The timer ran for {max(seconds, 0)} seconds, under a minute: nothing was logged."
        )
    if seconds > TIMER_MAX_SECONDS:
        # Nobody times 10 hours of care for one patient: it was left running.
        raise TimerError(
            "The timer ran for more than 10 hours, so it was not logged; enter the time manually."
        )
    timer.delete()
    return time_entry_create(
        patient=patient,
        by=user,
        day=timer.started_at.astimezone(patient.tz).date(),
        seconds=seconds,
        request=request,
        **details,
    )


@transaction.atomic
def care_timer_cancel(*, user, patient: Patient) -> None:
    CareTimer.objects.filter(user=user, patient=patient).delete()
