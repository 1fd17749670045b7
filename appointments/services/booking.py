"""Booking a visit and changing it: slots, book, reschedule, cancel, provider link (seed 003
"Appointments"). Solo first, then the mirror in one short transaction with its audit row; no
transaction is open while Solo is called. Each service says what a crash between Solo's answer
and the record leaves, and how it converges."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import dateformat, timezone

from appointments.models import (
    MAX_DURATION_SECONDS,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    WaitingRoom,
)
from appointments.services.common import (
    VisitConflict,
    VisitRefused,
    from_unix_seconds,
    solo_client,
    unix_seconds,
)
from appointments.services.patient_events import solo_patient_bookable
from appointments.services.patients import solo_patient_ensure
from portal import dates
from portal.audit import audit_event_record
from portal.http import VendorError


def appointment_slots_find(
    *, waiting_room: WaitingRoom, day: date, zone, duration_seconds: int | None = None
) -> list[datetime]:
    """Free start times on `day` (in `zone`) from Get Slots; past times are left out."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = start + timedelta(days=1)
    after = max(start, timezone.now())
    if after >= end:
        return []
    slots = solo_client(waiting_room.organization).appointment_slots(
        after=unix_seconds(after),
        before=unix_seconds(end),
        waiting_room=waiting_room.name,
        duration=duration_seconds,
    )
    return [from_unix_seconds(s["date"]) for s in slots]


# Solo's Get Slots answers for a window of at most this long (the sandbox refuses more).
SLOT_WINDOW = timedelta(days=31)


def appointment_slots_between(
    *, waiting_room: WaitingRoom, start: datetime, end: datetime, duration_seconds=None
) -> list[tuple[datetime, int]]:
    """Free (start, duration seconds) slots in [start, end) from Get Slots, in time order; the
    window is clipped to the future and to SLOT_WINDOW (callers page through longer spans)."""
    start = max(start, timezone.now())
    end = min(end, start + SLOT_WINDOW)
    if end <= start:
        return []
    slots = solo_client(waiting_room.organization).appointment_slots(
        after=unix_seconds(start),
        before=unix_seconds(end),
        waiting_room=waiting_room.name,
        duration=duration_seconds,
    )
    found = []
    for slot in slots if isinstance(slots, list) else []:
        when = slot.get("date") if isinstance(slot, dict) else None
        if not isinstance(when, int) or isinstance(when, bool):
            continue
        try:
            duration = int(slot.get("duration") or duration_seconds or 0)
            found.append((dates.from_timestamp(when), duration))
        except (dates.DateRefused, TypeError, ValueError):
            continue  # not a time the portal can hold: never offered
    return sorted(found)


def _check_start(starts_at: datetime) -> None:
    if timezone.is_naive(starts_at):
        raise VisitRefused("The start time needs a time zone.")
    if starts_at <= timezone.now():
        raise VisitRefused("That time has already passed; pick a time in the future.")
    if starts_at > timezone.now() + dates.VISIT_AHEAD:
        raise VisitRefused("Visits can be booked at most 365 days ahead.")


def appointment_book(
    *,
    patient,
    waiting_room: WaitingRoom,
    starts_at: datetime,
    duration_seconds: int | None = None,
    reasons: list[str] | None = None,
    by=None,
    request=None,
    via: str = "id",
) -> Appointment:
    """Create Appointment (seed 003) for the patient in the waiting room, then mirror it.
    `via` names the patient in Solo: "id" (Create Appointment, creating the patient in Solo
    first if needed), "spid" or "hsid" (Create Appointment with SPID / with HSID: for a patient
    an integrator named by that id, who is in Solo already).

    Check, call, record — with no claim row: the slot is the claim, and Solo holds it (it
    refuses a taken slot with 409). What a crash leaves:
    - before Create Appointment: nothing in Solo but, at most, the patient (see
      services.patients); nothing in the mirror. Booking again books once.
    - after Solo accepted, before the record: the visit is in Solo, not in the mirror. Its
      `appointment:scheduled` webhook mirrors it as a visit no booking has claimed; booking the
      same slot again is refused by Solo (409) and adopts that visit (`_unclaimed_visit_at`), so
      there is one visit, never two. A repeat before the webhook arrives is refused with Solo's
      "slot taken" message. Without a webhook subscription the visit stays unknown to the
      portal: the reconciliation re-reads only the visits the mirror already has."""
    if waiting_room.organization_id != patient.organization_id:
        raise VisitRefused("That waiting room belongs to another organization.")
    if not patient.is_active:
        raise VisitRefused("This patient is inactive; reactivate them before booking a visit.")
    solo_patient_bookable(patient)  # Solo said the patient is deactivated (a patient webhook)
    if duration_seconds is not None and not 1 <= duration_seconds <= MAX_DURATION_SECONDS:
        raise VisitRefused("A visit lasts between 1 second and 24 hours.")
    _check_start(starts_at)
    reasons = [r.strip() for r in (reasons or []) if r and r.strip()]
    client = solo_client(patient.organization)
    create = _create_call(client, patient, via)
    external_id = Appointment._meta.get_field("external_id").default()
    body = {
        "date": unix_seconds(starts_at),
        "waitingRoom": waiting_room.name,
        "externalId": str(external_id),
    }
    if duration_seconds:
        body["duration"] = duration_seconds
    if reasons:
        body["reasons"] = reasons
    try:
        created = create(body)
    except VendorError as exc:
        # Solo refuses a slot that is taken. When it is taken by this very visit (an earlier
        # attempt whose answer was lost, mirrored since by its webhook), that visit is the answer.
        same = (
            _unclaimed_visit_at(patient, waiting_room, starts_at, by) if exc.status == 409 else None
        )
        if same is None:
            raise
        return same
    try:
        current = client.appointment_get(created["id"])
        duration = int(current.get("duration") or duration_seconds or 900)
    except VendorError:  # the visit exists; the webhook or next sync fills in the details
        duration = duration_seconds or 900
    return _appointment_store_booked(
        patient=patient,
        waiting_room=waiting_room,
        solo_id=int(created["id"]),
        external_id=external_id,
        starts_at=starts_at,
        duration=duration,
        reasons=reasons,
        by=by,
        request=request,
    )


def _create_call(client, patient, via: str):
    """The Create Appointment operation that names the patient `via` their id, SPID or HSID."""
    if via == "spid":
        return lambda body: client.appointment_create_by_spid(patient.solo_spid, body)
    if via == "hsid":
        return lambda body: client.appointment_create_by_hsid(patient.solo_hsid, body)
    solo_patient_id = solo_patient_ensure(patient=patient, client=client)
    return lambda body: client.appointment_create(solo_patient_id, body)


def _unclaimed_visit_at(patient, waiting_room, starts_at, by) -> Appointment | None:
    """The open visit at this time that Solo told us about (its webhook) but that no booking
    through the portal has claimed: the portal's own earlier attempt whose answer was lost.
    A visit the portal booked stays a refusal (the slot is taken)."""
    visit = (
        Appointment.objects.filter(
            Q(waiting_room=waiting_room) | Q(waiting_room__isnull=True),
            organization=patient.organization,
            patient=patient,
            starts_at=starts_at,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(changes__source=AppointmentChange.Source.PORTAL)
        .first()
    )
    if visit is not None:
        # Get Appointment does not say the room; the booking does.
        visit.waiting_room, visit.booked_by = waiting_room, by
        visit.save(update_fields=["waiting_room", "booked_by", "updated_at"])
    return visit


@transaction.atomic
def _appointment_store_booked(
    *, patient, waiting_room, solo_id, external_id, starts_at, duration, reasons, by, request
) -> Appointment:
    # A webhook may have mirrored the visit already (it fetches by Solo id): adopt that row.
    appointment, _ = Appointment.objects.select_for_update().update_or_create(
        organization=patient.organization,
        solo_id=solo_id,
        defaults={
            "patient": patient,
            "waiting_room": waiting_room,
            "said": solo_id,
            "external_id": external_id,
            "starts_at": starts_at,
            "duration_seconds": duration,
            "reasons": reasons,
            "booked_by": by,
            "synced_at": timezone.now(),
        },
    )
    AppointmentChange.objects.create(
        appointment=appointment,
        status=appointment.status,
        starts_at=starts_at,
        source=AppointmentChange.Source.PORTAL,
        note=f"Booked in {waiting_room.name}",
        by=by,
    )
    audit_event_record(
        action="appointment.book",
        request=request,
        actor=by,
        patient=patient,
        obj=appointment,
        detail={"solo_id": solo_id, "waiting_room": waiting_room.pk},
    )
    return appointment


def _check_open(appointment: Appointment) -> None:
    if not appointment.is_open:
        raise VisitConflict(
            f"This visit is {appointment.get_status_display().lower()}; "
            "it can no longer be changed."
        )


def appointment_reschedule(
    *, appointment: Appointment, starts_at: datetime, by=None, request=None
) -> Appointment:
    """Update Appointment (seed 003) with the new `date`, then mirror the move.

    Check, call, record, with no claim row: the move is idempotent in Solo (the same `date`
    again is accepted). A crash after Solo moved the visit leaves the mirror at the old time
    until the `appointment:rescheduled` webhook or the reconciliation (which re-reads every open
    visit of the coming days) applies Solo's time; moving it again to the same time is accepted
    by Solo and recorded once."""
    _check_open(appointment)
    _check_start(starts_at)
    if starts_at == appointment.starts_at:
        raise VisitConflict("The visit is already at that time.")
    solo_client(appointment.organization).appointment_update(
        appointment.solo_id, {"date": unix_seconds(starts_at)}
    )
    return _appointment_record_moved(appointment, starts_at=starts_at, by=by, request=request)


def _when(instant, patient) -> str:
    """A visit's time as staff read it: the patient's local time, with its zone."""
    return dateformat.format(instant.astimezone(patient.tz), "M j, Y, g:i A T")


@transaction.atomic
def _appointment_record_moved(appointment, *, starts_at, by, request) -> Appointment:
    previous = appointment.starts_at
    appointment.starts_at = starts_at
    appointment.synced_at = timezone.now()
    appointment.save(update_fields=["starts_at", "synced_at", "updated_at"])
    AppointmentChange.objects.create(
        appointment=appointment,
        status=appointment.status,
        starts_at=starts_at,
        source=AppointmentChange.Source.PORTAL,
        note=f"Moved from {_when(previous, appointment.patient)}",
        by=by,
    )
    audit_event_record(
        action="appointment.reschedule",
        request=request,
        actor=by,
        patient=appointment.patient,
        obj=appointment,
    )
    return appointment


def appointment_cancel(*, appointment: Appointment, reason: str, by=None, request=None):
    """Update Appointment with `status: cancelled` (seed 003); the reason stays in the portal
    (Solo's API has no field for it).

    Check, call, record, with no claim row: cancelling is idempotent in Solo (a cancelled
    visit's cancel is accepted, and sends no second event). What a crash leaves:
    - before Solo's call: nothing changed anywhere; cancelling again cancels once.
    - after Solo cancelled, before the record: the mirror shows the visit open. Cancelling again
      is accepted by Solo and recorded once, reason included. Otherwise the
      `appointment:cancelled` webhook or the reconciliation applies Solo's status (the reason,
      which only the portal keeps, is then lost) and a repeat is refused: the visit is closed."""
    reason = (reason or "").strip()
    if not reason:
        raise VisitRefused("Please give a reason for cancelling.")
    if len(reason) > 500:
        raise VisitRefused("Keep the reason under 500 characters.")
    _check_open(appointment)
    solo_client(appointment.organization).appointment_cancel(appointment.solo_id)
    return _appointment_record_cancelled(appointment, reason=reason, by=by, request=request)


@transaction.atomic
def _appointment_record_cancelled(appointment, *, reason, by, request) -> Appointment:
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason
    appointment.synced_at = timezone.now()
    appointment.save(update_fields=["status", "cancel_reason", "synced_at", "updated_at"])
    AppointmentChange.objects.create(
        appointment=appointment,
        status=AppointmentStatus.CANCELLED,
        starts_at=appointment.starts_at,
        source=AppointmentChange.Source.PORTAL,
        note=reason,
        by=by,
    )
    audit_event_record(
        action="appointment.cancel",
        request=request,
        actor=by,
        patient=appointment.patient,
        obj=appointment,
    )
    return appointment


def appointment_provider_link(*, appointment: Appointment, teams: bool = False, request=None):
    """A fresh provider video link (Get Provider Appointment Link, or the MS Teams one)."""
    client = solo_client(appointment.organization)
    if teams:
        url = client.msteams_provider_link(appointment.solo_id)["msTeamsProviderVisitUrl"]
    else:
        url = client.provider_link(appointment.solo_id)["providerVisitUrl"]
    audit_event_record(
        action="appointment.provider_link",
        request=request,
        patient=appointment.patient,
        obj=appointment,
        detail={"teams": teams},
    )
    return url
