"""Every write about visits: one function per business action, vendor first, then the mirror
in one transaction with its audit row (STYLE.md). Staff-facing refusals are `VisitRefused`
(a clear message, nothing changed); vendor failures are `VendorError` (its `staff_message`)."""

from __future__ import annotations

import hashlib
import logging
import traceback
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from appointments.clients import SoloClient
from appointments.crypto import SoloCryptoError, solo_decrypt, solo_encrypt_json
from appointments.models import (
    MAX_DURATION_SECONDS,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    AssistanceRequest,
    Attachment,
    Episode,
    EpisodeStatus,
    ReportJob,
    VisitNote,
    WaitingRoom,
    WebhookDelivery,
    WebhookSubscription,
)
from appointments.uploads import NotTheClaimedType, attachment_type_checked
from portal import dates
from portal.audit import audit_event_record
from portal.downloads import csv_neutralised
from portal.http import VendorError
from portal.parsers import json_has_nul, json_loads

logger = logging.getLogger(__name__)


class VisitRefused(Exception):
    """A request the portal refuses before asking Solo; `str()` is for staff."""


class VisitConflict(VisitRefused):
    """Refused because of the visit's current state (closed, or already at that time): the API
    answers 409, as for any conflict with the current state, not 422 (the input is valid)."""


def solo_client(organization) -> SoloClient:
    return SoloClient.for_organization(organization)


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _from_ts(value: int) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


# --- waiting rooms and slots -----------------------------------------------------------------
@transaction.atomic
def _rooms_store(organization, rooms: list[dict]) -> list[WaitingRoom]:
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


def waiting_rooms_sync(*, organization) -> list[WaitingRoom]:
    """Get Waiting Room List (seed 003) into the mirror; rooms Solo no longer lists go inactive."""
    return _rooms_store(organization, solo_client(organization).waiting_rooms())


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
        after=_ts(after), before=_ts(end), waiting_room=waiting_room.name, duration=duration_seconds
    )
    return [_from_ts(s["date"]) for s in slots]


# --- patients in Solo --------------------------------------------------------------------------
def solo_patient_ensure(*, patient, client: SoloClient | None = None) -> str:
    """The patient's Solo id, creating the patient in Solo (Create Patient) on first booking."""
    if patient.solo_id:
        return patient.solo_id
    client = client or solo_client(patient.organization)
    solo_id = f"vp-{patient.organization.slug}-{patient.pk}"
    body = {
        "id": solo_id,
        "mrn": patient.mrn,
        "name": [
            {
                "use": "usual",
                "family": patient.full_name,
                "firstName": patient.first_name,
                "middleName": "",
                "lastName": patient.last_name,
                "alias": "",
            }
        ],
        "birthDate": patient.birth_date.isoformat(),
        "active": patient.is_active,
    }
    try:
        spid = client.patient_create(body)
    except VendorError as exc:
        if exc.status != 409:  # already created by an earlier attempt whose answer was lost
            raise
        spid = None
    patient.solo_id = solo_id
    if spid is not None:
        patient.solo_spid = str(spid)
    patient.save(update_fields=["solo_id", "solo_spid", "updated_at"])
    return solo_id


# --- appointments ----------------------------------------------------------------------------
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
) -> Appointment:
    """Create Appointment (seed 003) for the patient in the waiting room, then mirror it."""
    if waiting_room.organization_id != patient.organization_id:
        raise VisitRefused("That waiting room belongs to another organization.")
    if not patient.is_active:
        raise VisitRefused("This patient is inactive; reactivate them before booking a visit.")
    if duration_seconds is not None and not 1 <= duration_seconds <= MAX_DURATION_SECONDS:
        raise VisitRefused("A visit lasts between 1 second and 24 hours.")
    _check_start(starts_at)
    reasons = [r.strip() for r in (reasons or []) if r and r.strip()]
    client = solo_client(patient.organization)
    solo_patient_id = solo_patient_ensure(patient=patient, client=client)
    external_id = Appointment._meta.get_field("external_id").default()
    body = {
        "date": _ts(starts_at),
        "waitingRoom": waiting_room.name,
        "externalId": str(external_id),
    }
    if duration_seconds:
        body["duration"] = duration_seconds
    if reasons:
        body["reasons"] = reasons
    try:
        created = client.appointment_create(solo_patient_id, body)
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
    """Update Appointment (seed 003) with the new `date`, then mirror the move."""
    _check_open(appointment)
    _check_start(starts_at)
    if starts_at == appointment.starts_at:
        raise VisitConflict("The visit is already at that time.")
    solo_client(appointment.organization).appointment_update(
        appointment.solo_id, {"date": _ts(starts_at)}
    )
    previous = appointment.starts_at
    with transaction.atomic():
        appointment.starts_at = starts_at
        appointment.synced_at = timezone.now()
        appointment.save(update_fields=["starts_at", "synced_at", "updated_at"])
        AppointmentChange.objects.create(
            appointment=appointment,
            status=appointment.status,
            starts_at=starts_at,
            source=AppointmentChange.Source.PORTAL,
            note=f"Moved from {previous.isoformat()}",
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
    (Solo's API has no field for it)."""
    reason = (reason or "").strip()
    if not reason:
        raise VisitRefused("Please give a reason for cancelling.")
    if len(reason) > 500:
        raise VisitRefused("Keep the reason under 500 characters.")
    _check_open(appointment)
    solo_client(appointment.organization).appointment_cancel(appointment.solo_id)
    with transaction.atomic():
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


def appointment_sync_from_solo(*, organization, solo_appointment_id: int) -> Appointment | None:
    """Fetch the appointment from Solo (Get Appointment) and make the mirror match it. Safe to
    repeat and to run for events in any order: it always applies Solo's current state."""
    from portal.models import Patient

    current = solo_client(organization).appointment_get(solo_appointment_id)
    patient_ref = str((current.get("patient") or {}).get("id") or "")
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .filter(organization=organization, solo_id=int(current["id"]))
            .first()
        )
        starts_at = _from_ts(current["date"])
        status = current.get("status") or AppointmentStatus.SCHEDULED
        if status not in AppointmentStatus.values:
            logger.warning("solo appointment=%s unknown status", current["id"])
            status = AppointmentStatus.SCHEDULED
        if appointment is None:
            patient = Patient.objects.filter(organization=organization, solo_id=patient_ref).first()
            if patient is None:
                return None  # a visit for someone the portal does not follow
            ext = current.get("externalId")
            defaults = {}
            try:
                import uuid

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
        appointment.status = status
        appointment.starts_at = starts_at
        appointment.duration_seconds = int(current.get("duration") or appointment.duration_seconds)
        appointment.reasons = current.get("reasons") or appointment.reasons
        appointment.synced_at = timezone.now()
        appointment.save()
        if changed:
            AppointmentChange.objects.create(
                appointment=appointment,
                status=status,
                starts_at=starts_at,
                source=AppointmentChange.Source.SOLO,
                note="Updated from Solo",
            )
    return appointment


# --- webhooks --------------------------------------------------------------------------------
APPOINTMENT_EVENTS = [
    "appointment:scheduled",
    "appointment:rescheduled",
    "appointment:cancelled",
    "appointment:completed",
    "appointment:incompleted",
    "appointment:no-show",
    "appointment:lwbs",
]
RETRY_BASE_SECONDS = 30
MAX_ATTEMPTS = 12


def webhook_subscription_register(
    *, organization, base_url: str | None = None, events: list[str] | None = None
) -> WebhookSubscription:
    """Add Webhook (seed 003) pointing at our receiver; store the encryptionKey encrypted."""
    subscription = WebhookSubscription(
        organization=organization, events=events or APPOINTMENT_EVENTS
    )
    base = (base_url or settings.PORTAL_BASE_URL).rstrip("/")
    subscription.endpoint = base + reverse("solo-webhook", args=[subscription.receiver_id])
    answer = solo_client(organization).webhook_add(
        endpoint=subscription.endpoint, events=subscription.events
    )
    subscription.solo_id = answer["id"]
    subscription.secrets = {"encryption_key": answer["encryptionKey"]}
    with transaction.atomic():
        WebhookSubscription.objects.filter(organization=organization, is_active=True).update(
            is_active=False
        )
        subscription.save()
        audit_event_record(
            action="solo.webhook.register", organization=organization, obj=subscription
        )
    return subscription


def webhook_subscription_remove(*, subscription: WebhookSubscription) -> None:
    """Delete Webhook in Solo (a 404 there means it is already gone), then deactivate ours."""
    try:
        solo_client(subscription.organization).webhook_delete(subscription.solo_id)
    except VendorError as exc:
        if exc.status != 404:
            raise
    subscription.is_active = False
    subscription.save(update_fields=["is_active", "updated_at"])


class WebhookRejected(Exception):
    """A delivery we cannot accept (unknown receiver, does not decrypt or parse)."""

    def __init__(self, reason: str, *, malformed: bool = False):
        super().__init__(reason)
        self.malformed = malformed  # decrypted, but not an event we can store and apply


OBJECT_ID_MAX_CHARS = 64  # WebhookDelivery.object_id


def webhook_delivery_receive(*, receiver_id, body: bytes) -> tuple[WebhookDelivery, bool]:
    """Decrypt, validate and persist one delivery (the inbox row) before Solo gets its 2xx.
    Returns (delivery, created); a replay of the same bytes returns the first row."""
    subscription = WebhookSubscription.objects.filter(
        receiver_id=receiver_id, is_active=True
    ).first()
    if subscription is None:
        raise WebhookRejected("unknown receiver")
    try:
        text = body.decode("ascii")
        plain = solo_decrypt(subscription.encryption_key, text)
    except (UnicodeDecodeError, SoloCryptoError) as exc:
        raise WebhookRejected("does not decrypt") from exc
    try:
        payload = json_loads(plain)
    except ValueError as exc:
        raise WebhookRejected("not JSON, or nested too deep", malformed=True) from exc
    event = payload.get("event") if isinstance(payload, dict) else None
    if isinstance(event, dict):  # tolerate {"event": {"type": ...}} as in the payload schema
        event = event.get("type")
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(event, str) or not isinstance(data, dict):
        raise WebhookRejected("not an event", malformed=True)
    if json_has_nul({"event": event, "data": data}):
        # PostgreSQL can store no NUL in text or jsonb: refuse it here, not with a 500 later.
        raise WebhookRejected("holds a NUL character", malformed=True)
    object_id = _webhook_object_id(event, data)
    digest = hashlib.sha256(body).hexdigest()
    digest = hashlib.sha256(body).hexdigest()
    delivery = WebhookDelivery(
        subscription=subscription,
        digest=digest,
        event=event[:40],
        object_id=object_id,
        payload={"event": event, "data": data},
        received_at=timezone.now(),
    )
    if _inbox_insert(delivery):
        return delivery, True
    return WebhookDelivery.objects.get(digest=digest), False  # a replay (or its twin)


_ID_KEYS = {"appointment": "appointmentId", "patient": "patientId", "episode": "episodeId"}


def _webhook_object_id(event: str, data: dict) -> str:
    """The id the event names, checked before anything is stored (seed 003 payload schemas):
    an appointment event's id is an int (a string of ASCII digits is read too, liberally);
    patient and episode ids are ints or short printable strings (uuids elsewhere in seed 003)."""
    kind = event.split(":", 1)[0]
    names = [_ID_KEYS[kind]] if kind in _ID_KEYS else list(_ID_KEYS.values())
    name = next((n for n in names if data.get(n) not in (None, "")), None)
    if name is None:
        raise WebhookRejected("no object id", malformed=True)
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise WebhookRejected(f"{name} is not an id", malformed=True)
    text = str(value)
    if not text.isprintable() or len(text) > OBJECT_ID_MAX_CHARS:
        raise WebhookRejected(f"{name} is not an id", malformed=True)
    if kind == "appointment" and not (text.isascii() and text.isdigit() and 0 < int(text) < 2**63):
        raise WebhookRejected(f"{name} is not a Solo appointment id", malformed=True)
    return text


_INBOX_COLUMNS = ["subscription_id", "digest", "event", "object_id", "payload", "status"]
_INBOX_COLUMNS += ["attempts", "last_error", "received_at"]


def _inbox_insert(delivery: WebhookDelivery) -> bool:
    """INSERT … ON CONFLICT (digest) DO NOTHING RETURNING id: one statement, atomic on its own,
    whether the delivery is new, a replay, or a replay arriving at the same instant. (A look-up
    first and a transaction around the insert took three more round trips per delivery.)"""
    fields = {f.column: f for f in WebhookDelivery._meta.concrete_fields}
    params = [
        fields[c].get_db_prep_save(getattr(delivery, fields[c].attname), connection)
        for c in _INBOX_COLUMNS
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WebhookDelivery._meta.db_table} ({', '.join(_INBOX_COLUMNS)}) "  # noqa: S608 — our names
            f"VALUES ({', '.join(['%s'] * len(_INBOX_COLUMNS))}) "
            "ON CONFLICT (digest) DO NOTHING RETURNING id",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    delivery.pk = row[0]
    delivery._state.adding = False
    return True


def webhook_delivery_process(*, delivery: WebhookDelivery) -> str:
    """Apply one delivery by fetching the current object from Solo. Outages leave the row
    `retrying` with a backoff (the periodic sweep picks it up); nothing is lost.

    Any other failure (a bug, a value the database refuses) is caught too: its savepoint is
    rolled back, the row records the exception's class (never its text, which may quote
    patient data) and is retried with the same backoff, then `failed` after MAX_ATTEMPTS —
    never left `received` for the sweep to re-queue every minute forever."""
    if delivery.status in (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.IGNORED):
        return delivery.status
    organization = delivery.subscription.organization
    delivery.attempts += 1
    try:
        with transaction.atomic():  # a savepoint: a failure below leaves the row writable
            delivery.status = _webhook_delivery_apply(delivery, organization)
        delivery.processed_at = timezone.now()
        delivery.last_error = ""
        delivery.next_attempt_at = None
    except VendorError as exc:
        delivery.last_error = str(exc)[:300]
        if exc.is_outage and delivery.attempts < MAX_ATTEMPTS:
            _webhook_delivery_retry_later(delivery)
        elif exc.status == 404:
            delivery.status = WebhookDelivery.Status.IGNORED
        else:
            delivery.status = WebhookDelivery.Status.FAILED
        logger.warning(
            "solo webhook delivery=%s event=%s attempt=%d failed status=%s",
            delivery.pk,
            delivery.event,
            delivery.attempts,
            exc.status,
        )
    except Exception as exc:  # any failure must end in a recorded state
        delivery.last_error = f"Processing error: {_error_place(exc)}"
        if delivery.attempts < MAX_ATTEMPTS:
            _webhook_delivery_retry_later(delivery)
        else:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        logger.error(
            "solo webhook delivery=%s event=%s attempt=%d failed: %s",
            delivery.pk,
            delivery.event,
            delivery.attempts,
            _error_place(exc),
        )
    delivery.save()
    return delivery.status


def _webhook_delivery_apply(delivery: WebhookDelivery, organization) -> str:
    if delivery.event.startswith("appointment:"):
        result = appointment_sync_from_solo(
            organization=organization, solo_appointment_id=int(delivery.object_id)
        )
    elif delivery.event.startswith("episode:"):
        result = episode_sync_from_solo(organization=organization, solo_id=delivery.object_id)
    else:
        return WebhookDelivery.Status.IGNORED  # patients come from the EHR
    return WebhookDelivery.Status.PROCESSED if result else WebhookDelivery.Status.IGNORED


def _error_place(exc: Exception) -> str:
    """The exception's class and the line that raised it: enough to find the bug, and free of
    the exception's text (a database error quotes the values it refused)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


def _webhook_delivery_retry_later(delivery: WebhookDelivery) -> None:
    delivery.status = WebhookDelivery.Status.RETRYING
    delay = RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=min(delay, 3600))


# --- visit notes -----------------------------------------------------------------------------
def visit_note_fetch(*, appointment: Appointment) -> dict | None:
    """Get Visit Note; mirrors the first template's responses. None when Solo has none."""
    notes = solo_client(appointment.organization).visit_note_get(appointment.solo_id) or []
    if not notes:
        return None
    note = notes[0]
    VisitNote.objects.update_or_create(
        appointment=appointment,
        defaults={
            "template_name": note.get("template", {}).get("name", ""),
            "responses": note.get("responses", []),
        },
    )
    return note


def visit_note_update(
    *, appointment: Appointment, template_name: str, answers: dict[str, str], by, request=None
) -> None:
    """Update Visit Note questions (seed 003) — only the answers staff filled in."""
    questions = [
        {"id": qid, "value": [text.strip()]} for qid, text in answers.items() if text.strip()
    ]
    if not questions:
        raise VisitRefused("Write at least one answer before saving the note.")
    solo_client(appointment.organization).visit_note_update(
        appointment.solo_id, name=template_name, questions=questions
    )
    with transaction.atomic():
        note, _ = VisitNote.objects.get_or_create(
            appointment=appointment, defaults={"template_name": template_name}
        )
        note.updated_by = by
        note.save()
        audit_event_record(
            action="appointment.visit_note.update",
            request=request,
            actor=by,
            patient=appointment.patient,
            obj=appointment,
            detail={"questions": len(questions)},
        )


# --- attachments -----------------------------------------------------------------------------
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


def attachment_upload(*, appointment: Appointment, upload, by, request=None) -> Attachment:
    """Upload attachment (seed 003): at most 5 MB of PDF, PNG or JPEG, checked by content (the
    whole file: appointments.uploads)."""
    size = upload.size
    if size == 0:
        raise VisitRefused("The file is empty.")
    if size > MAX_ATTACHMENT_BYTES:
        raise VisitRefused(
            f"The file is {size / (1024 * 1024):.1f} MB; Solo accepts at most 5 MB per attachment."
        )
    content = upload.read()
    try:
        mime = attachment_type_checked(content)  # the whole file, not just its first bytes
    except NotTheClaimedType as exc:
        raise VisitRefused(f"{exc} (Its content was checked, not just its name.)") from exc
    if mime is None:
        raise VisitRefused(
            "Only PDF, PNG and JPEG files can be attached, and this file is not one of them "
            "(its content was checked, not just its name)."
        )
    name = (upload.name or "attachment").rsplit("/", 1)[-1][:200]
    answer = solo_client(appointment.organization).attachment_upload(
        appointment.solo_id, content=content, mime_type=mime, file_name=name
    )
    with transaction.atomic():
        attachment = Attachment.objects.create(
            appointment=appointment,
            solo_id=answer["id"],
            title=answer.get("title") or name,
            mime_type=answer.get("mimeType") or mime,
            size=answer.get("size") or size,
            uploaded_at=datetime.fromisoformat(answer["uploadedAt"])
            if answer.get("uploadedAt")
            else timezone.now(),
            uploaded_by=by,
        )
        audit_event_record(
            action="appointment.attachment.upload",
            request=request,
            actor=by,
            patient=appointment.patient,
            obj=attachment,
            detail={"size": size, "mime_type": mime},
        )
    return attachment


def attachment_delete(*, attachment: Attachment, by, request=None) -> None:
    """Delete appointment attachment in Solo, then mark ours deleted."""
    try:
        solo_client(attachment.appointment.organization).attachment_delete(
            attachment.appointment.solo_id, attachment.solo_id
        )
    except VendorError as exc:
        if exc.status != 404:
            raise
    with transaction.atomic():
        attachment.deleted_at = timezone.now()
        attachment.save(update_fields=["deleted_at"])
        audit_event_record(
            action="appointment.attachment.delete",
            request=request,
            actor=by,
            patient=attachment.appointment.patient,
            obj=attachment,
        )


# --- episodes --------------------------------------------------------------------------------
def _episode_body(*, name, kind, starts_on, ends_on, status, objective) -> dict:
    body = {
        "name": name,
        "type": kind,
        "from": starts_on.isoformat(),
        "status": status.upper(),
        "objective": objective or "",
    }
    if ends_on:
        body["to"] = ends_on.isoformat()
    return body


def episode_create(
    *, patient, name, kind, starts_on, ends_on=None, status=EpisodeStatus.ACTIVE, objective="",
    by=None, request=None,
) -> Episode:  # fmt: skip
    """Create Episode (seed 003) for the patient, then mirror it."""
    if ends_on and ends_on < starts_on:
        raise VisitRefused("The episode cannot end before it starts.")
    client = solo_client(patient.organization)
    solo_patient_id = solo_patient_ensure(patient=patient, client=client)
    answer = client.episode_create(
        solo_patient_id,
        _episode_body(
            name=name,
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            status=status,
            objective=objective,
        ),
    )
    with transaction.atomic():
        episode, _ = Episode.objects.update_or_create(
            organization=patient.organization,
            solo_id=answer["episodeId"],
            defaults={
                "patient": patient,
                "name": name,
                "kind": kind,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "status": status,
                "objective": objective or "",
            },
        )
        audit_event_record(
            action="episode.create", request=request, actor=by, patient=patient, obj=episode
        )
    return episode


def episode_sync_from_solo(*, organization, solo_id: str) -> Episode | None:
    """Get Episode and update the mirror (episode:created/updated webhooks)."""
    from portal.models import Patient

    current = solo_client(organization).episode_get(solo_id)
    patient = Patient.objects.filter(
        organization=organization, solo_id=current.get("externalPatientId")
    ).first()
    if patient is None:
        return None
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


def appointment_episode_assign(
    *, appointment: Appointment, episode: Episode | None, by, request=None
):
    """Reassign Episode to Appointment (seed 003); None removes the episode."""
    if episode is not None and episode.patient_id != appointment.patient_id:
        raise VisitRefused("That episode belongs to another patient.")
    solo_client(appointment.organization).episode_assign(
        appointment.solo_id, episode.solo_id if episode else None
    )
    with transaction.atomic():
        appointment.episode = episode
        appointment.save(update_fields=["episode", "updated_at"])
        audit_event_record(
            action="appointment.episode.assign",
            request=request,
            actor=by,
            patient=appointment.patient,
            obj=appointment,
        )


# --- reports ---------------------------------------------------------------------------------
def report_csv_dump(*, organization, start: date, end: date, by, request=None) -> bytes:
    """Get CSV report (seed 003 "Data Download") for a date range, every cell made safe to
    open in a spreadsheet (portal.downloads)."""
    if end < start:
        raise VisitRefused("The end date must not be before the start date.")
    if (end - start).days > 366:
        raise VisitRefused("Ask for at most one year at a time.")
    content = solo_client(organization).csv_data_dump(start=start, end=end)
    content = csv_neutralised(content)  # Solo's cells (names, notes) must not run as formulas
    audit_event_record(
        action="appointment.report.csv",
        request=request,
        actor=by,
        organization=organization,
        detail={"from": start.isoformat(), "to": end.isoformat()},
    )
    return content


def report_job_request(
    *, organization, start: date, end: date, preset_id: str, password: str, by, request=None
) -> ReportJob:
    """Set encounter-report generation in create; the password is sent, never stored."""
    if end < start:
        raise VisitRefused("The end date must not be before the start date.")
    if len(password) < 8:
        raise VisitRefused("Choose a password of at least 8 characters to lock the report.")
    begin = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    finish = datetime.combine(end, datetime.max.time().replace(microsecond=0), tzinfo=UTC)
    answer = solo_client(organization).encounter_report_create(
        start=begin, end=finish, preset_id=preset_id, password=password
    )
    with transaction.atomic():
        job = ReportJob.objects.create(
            organization=organization,
            solo_id=answer["id"],
            starts_on=start,
            ends_on=end,
            preset_id=preset_id,
            status=answer.get("status") or ReportJob.Status.PENDING,
            requested_by=by,
        )
        audit_event_record(action="appointment.report.request", request=request, actor=by, obj=job)
    return job


def report_job_refresh(*, job: ReportJob) -> ReportJob:
    """Check report status; once completed, download the zip into the job."""
    if job.status != ReportJob.Status.PENDING:
        return job
    client = solo_client(job.organization)
    status = client.encounter_report_status(job.solo_id).get("status")
    if status == ReportJob.Status.COMPLETED:
        job.content = client.encounter_report_download(job.solo_id)
        job.status = ReportJob.Status.COMPLETED
    elif status == ReportJob.Status.FAILED:
        job.status = ReportJob.Status.FAILED
    job.save()
    return job


# --- virtual nursing -------------------------------------------------------------------------
def assistance_request_create(*, organization, location: dict, by, request=None):
    """Create Assistance Request (seed 003) for a bed, department room, MRN or device."""
    answer = solo_client(organization).assistance_request_create(location)
    with transaction.atomic():
        item = AssistanceRequest.objects.create(
            organization=organization,
            solo_id=answer["id"],
            location=location,
            device=answer.get("device") or "",
            created_by=by,
        )
        audit_event_record(action="assistance.request", request=request, actor=by, obj=item)
    return item


def assistance_request_cancel(*, item: AssistanceRequest, by, request=None) -> None:
    """Cancel Current Assistance Request; 'Request not found' means it is already closed."""
    try:
        solo_client(item.organization).assistance_request_cancel(item.location)
    except VendorError as exc:
        if exc.status != 404:
            raise
    with transaction.atomic():
        item.status = AssistanceRequest.Status.CANCELLED
        item.cancelled_at = timezone.now()
        item.save(update_fields=["status", "cancelled_at"])
        audit_event_record(action="assistance.cancel", request=request, actor=by, obj=item)


# --- context-aware linking -------------------------------------------------------------------
def context_link_build(*, appointment: Appointment, user, kind: str = "provider") -> str:
    """The Solo `integrations/linking?arg=` URL that opens this visit for `user` (seed 003
    "Context Aware Linking"), encrypted with the brand's linking secret."""
    from portal.models import Vendor, VendorAccount

    account = VendorAccount.objects.filter(
        organization=appointment.organization, vendor=Vendor.SOLO, is_enabled=True
    ).first()
    secret = (account.secrets or {}).get("linking_secret") if account else None
    if not secret:
        raise VisitRefused("Solo context-aware linking is not configured for this organization.")
    patient = appointment.patient
    data = {
        "user": str(user.pk),
        "type": kind,
        "visit": str(appointment.solo_id),
        "date": _ts(appointment.starts_at),
        "patient": {
            "id": patient.solo_id or str(patient.pk),
            "sex": "unknown",
            "dob": patient.birth_date.isoformat(),
            "firstName": patient.first_name,
            "lastName": patient.last_name,
        },
    }
    arg = solo_encrypt_json(secret, data)
    return SoloClient(account.base_url, secrets={}).linking_url(arg)
