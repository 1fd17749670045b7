"""Every pull from Solo into the portal's mirror (the shape in `portal.sync`).

- `waiting_rooms_sync(*, organization)`: Get Waiting Room List. Decision: it stays a direct call
  that returns the rooms, not a `SyncRun`: pages and the API call it to fill their room choices
  at once (a handful of rows, one request), and nobody watches its progress. It moved here from
  the services; its shape did not change.
- `appointment_sync_one(*, organization, solo_appointment_id)`: Get Appointment, for a webhook
  and for the reconciliation task.
- `episode_sync_one(*, organization, solo_id)`: Get Episode, for a webhook.
Patients are not pulled: they come from the EHR (the portal creates them in Solo, see
`appointments.services.patients`).

Each pull is call, then record: Solo is asked with no transaction open, and the answer is
applied in one short transaction (`appointment_mirror`, `episode_mirror`, `waiting_rooms_store`,
which the webhook inbox also uses as its record step). A pull always applies Solo's current
state, so running it twice, or for events in any order, changes nothing twice."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments import solo_shapes
from appointments.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    Episode,
    EpisodeStatus,
    VideoCallStatus,
    WaitingRoom,
)
from appointments.services.common import from_unix_seconds, solo_client
from portal.models import Patient

logger = logging.getLogger(__name__)


# --- waiting rooms ---------------------------------------------------------------------------
def waiting_rooms_sync(*, organization) -> list[WaitingRoom]:
    """Get Waiting Room List (seed 003) into the mirror; rooms Solo no longer lists go inactive."""
    return waiting_rooms_store(organization, solo_client(organization).waiting_rooms())


@transaction.atomic
def waiting_rooms_store(organization, rooms: list[dict]) -> list[WaitingRoom]:
    seen = []
    for room in rooms:
        obj, _ = WaitingRoom.objects.update_or_create(
            organization=organization,
            solo_id=room["id"],
            defaults={
                "name": room["name"],
                "service_line": room.get("serviceLine") or "",
                "service_type": room.get("serviceType") or "",
                "is_active": True,
            },
        )
        seen.append(obj.pk)
    WaitingRoom.objects.filter(organization=organization).exclude(pk__in=seen).update(
        is_active=False
    )
    return list(WaitingRoom.objects.filter(pk__in=seen))


# --- appointments ----------------------------------------------------------------------------
def appointment_sync_one(*, organization, solo_appointment_id: int) -> Appointment | None:
    """Fetch the appointment from Solo (Get Appointment) and make the mirror match it. Safe to
    repeat and to run for events in any order: it always applies Solo's current state."""
    current = solo_client(organization).appointment_get(solo_appointment_id)
    return appointment_mirror(organization=organization, current=current)


@transaction.atomic
def appointment_mirror(*, organization, current: dict) -> Appointment | None:
    """The record step of a pull: the mirror's row for Solo's `current` (a Get Appointment
    answer) made to match it, locked while it changes. None for a visit of a patient the portal
    does not follow."""
    patient_ref = str((current.get("patient") or {}).get("id") or "")
    appointment = (
        Appointment.objects.select_for_update()
        .filter(organization=organization, solo_id=int(current["id"]))
        .first()
    )
    solo_shapes.unknown_fields("appointment", current, solo_shapes.APPOINTMENT_FIELDS)
    starts_at = from_unix_seconds(current["date"])
    status = current.get("status") or AppointmentStatus.SCHEDULED
    if status not in AppointmentStatus.values:
        logger.warning("solo appointment=%s unknown status", current["id"])
        status = AppointmentStatus.SCHEDULED
    call = video_call_status(current)
    if appointment is None:
        patient = Patient.objects.filter(organization=organization, solo_id=patient_ref).first()
        if patient is None:
            return None  # a visit for someone the portal does not follow
        ext = current.get("externalId")
        defaults = {}
        try:
            defaults["external_id"] = uuid.UUID(str(ext)) if ext else uuid.uuid4()
        except ValueError:
            defaults["external_id"] = uuid.uuid4()
        try:
            with transaction.atomic():  # a booking may be inserting the same row right now
                appointment = Appointment.objects.create(
                    organization=organization,
                    patient=patient,
                    solo_id=int(current["id"]),
                    said=int(current["id"]),
                    starts_at=starts_at,
                    duration_seconds=int(current.get("duration") or 900),
                    status=status,
                    reasons=current.get("reasons") or [],
                    video_call_status=call,
                    synced_at=timezone.now(),
                    **defaults,
                )
                AppointmentChange.objects.create(
                    appointment=appointment,
                    status=status,
                    starts_at=starts_at,
                    source=AppointmentChange.Source.SOLO,
                    note="Created in Solo",
                )
                return appointment
        except IntegrityError:
            appointment = Appointment.objects.select_for_update().get(
                organization=organization, solo_id=int(current["id"])
            )
    changed = appointment.status != status or appointment.starts_at != starts_at
    call_changed = appointment.video_call_status != call
    appointment.status = status
    appointment.starts_at = starts_at
    appointment.video_call_status = call
    appointment.duration_seconds = int(current.get("duration") or appointment.duration_seconds)
    appointment.reasons = current.get("reasons") or appointment.reasons
    appointment.synced_at = timezone.now()
    appointment.save()
    if changed or call_changed:
        note = "Updated from Solo"
        if call_changed and call:
            note = f"Updated from Solo: {VideoCallStatus(call).label.lower()}"
        AppointmentChange.objects.create(
            appointment=appointment,
            status=status,
            starts_at=starts_at,
            source=AppointmentChange.Source.SOLO,
            note=note,
        )
    return appointment


def video_call_status(current: dict) -> str:
    """Solo's `videoCall.status` (seed 003 Get Appointment), "" for `videoCall: null`. A value
    the document does not list is logged (the visit id only) and stored as "" — the visit is
    then judged by its appointment status, as before Solo sent the call."""
    call = current.get("videoCall")
    if not isinstance(call, dict):
        return ""
    solo_shapes.unknown_fields("appointment.videoCall", call, solo_shapes.VIDEO_CALL_FIELDS)
    value = call.get("status")
    if value in VideoCallStatus.values:
        return value
    if value not in (None, ""):
        logger.warning("solo appointment=%s unknown videoCall status", current.get("id"))
    return ""


# --- episodes --------------------------------------------------------------------------------
def episode_sync_one(*, organization, solo_id: str) -> Episode | None:
    """Get Episode and update the mirror (episode:created/updated webhooks)."""
    current = solo_client(organization).episode_get(solo_id)
    return episode_mirror(organization=organization, solo_id=solo_id, current=current)


@transaction.atomic
def episode_mirror(*, organization, solo_id: str, current: dict) -> Episode | None:
    """The record step: the mirror's episode made to match Solo's `current` (a Get Episode
    answer). None for an episode of a patient the portal does not follow."""
    patient = Patient.objects.filter(
        organization=organization, solo_id=current.get("externalPatientId")
    ).first()
    if patient is None:
        return None
    solo_shapes.unknown_fields("episode", current, solo_shapes.EPISODE_FIELDS)
    status = str(current.get("status", "")).lower()
    episode, _ = Episode.objects.update_or_create(
        organization=organization,
        solo_id=solo_id,
        defaults={
            "patient": patient,
            "name": current["name"],
            "kind": current.get("type") or "",
            "starts_on": date.fromisoformat(current["from"]),
            "ends_on": date.fromisoformat(current["to"]) if current.get("to") else None,
            "status": status if status in EpisodeStatus.values else EpisodeStatus.ACTIVE,
            "objective": current.get("objective") or "",
            "reason_incomplete": current.get("reasonIncomplete") or "",
        },
    )
    return episode
