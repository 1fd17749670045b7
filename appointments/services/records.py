"""What a visit and a patient hold beyond a visit's time: visit notes, episodes of care and patient
documents (seed 003 "Visit Notes", "Episodes of Care", "Patient Documents"; attachments are in
appointments.services.attachments). Solo first, then the mirror in one short transaction
with its audit row; no transaction is open while Solo is called.

What a crash between Solo's answer and the record leaves, per service (no claim is taken: none
of these holds a mirror row that another writer could half-see):
- visit note update, episode update, episode assign: Solo's operation is idempotent (a PUT of
  the same answers, the same episode), so staff repeating the action converges; until then the
  mirror shows the older state (and the episode list from Solo corrects it when next shown).
- episode create: Solo keeps the episode and the mirror has no row for it. A repeat creates a
  second one in Solo (Solo takes no idempotency key). The episode still arrives through its
  `episode:created` webhook, or the next time the patient's episode list is read from Solo.
- patient document add: Solo keeps the document, the portal lists none for it; a repeat adds
  a second one in Solo (no idempotency key, no way to list documents back)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from appointments.models import (
    Appointment,
    Episode,
    EpisodeStatus,
    PatientDocument,
    VisitNote,
)
from appointments.services.common import VisitRefused, solo_client, unix_seconds
from appointments.services.patients import solo_patient_ensure
from appointments.sync import episode_mirror
from portal.audit import audit_event_record
from portal.http import VendorError


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


# --- episodes of care ------------------------------------------------------------------------
def _episode_body(
    *, name, kind, starts_on, ends_on, status, objective, reason_incomplete=""
) -> dict:
    """The Create/Update Episode body (seed 003): status in the document's capitals."""
    body = {
        "name": name,
        "type": kind,
        "from": starts_on.isoformat(),
        "status": status.upper(),
        "objective": objective or "",
    }
    if ends_on:
        body["to"] = ends_on.isoformat()
    if reason_incomplete:
        body["reasonIncomplete"] = reason_incomplete
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


def episodes_refresh(*, patient) -> list[Episode]:
    """Get list of Episodes for patient (seed 003), mirrored: each listed episode is made to
    match Solo (an episode created in Solo, or a lost `episode:*` webhook, appears here). A
    patient Solo does not know yet has no episodes there. Raises VendorError."""
    if not patient.solo_id:
        return list(Episode.objects.filter(patient=patient))
    answer = solo_client(patient.organization).episodes(patient.solo_id)
    items = answer.get("episodes") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        raise VendorError("Solo", "the episode list came back in a shape the portal cannot read")
    with transaction.atomic():
        for item in items:
            if isinstance(item, dict) and item.get("id") and item.get("name") and item.get("from"):
                try:
                    episode_mirror(
                        organization=patient.organization,
                        solo_id=str(item["id"]),
                        current={**item, "externalPatientId": patient.solo_id},
                    )
                except ValueError:  # a date Solo sent that is not YYYY-MM-DD: keep the rest
                    continue
    return list(Episode.objects.filter(patient=patient))


def episode_update(
    *, episode: Episode, name, kind, starts_on, ends_on=None, status, objective="",
    reason_incomplete="", by=None, request=None,
) -> Episode:  # fmt: skip
    """Update Episode (seed 003) in Solo, then the mirror."""
    if ends_on and ends_on < starts_on:
        raise VisitRefused("The episode cannot end before it starts.")
    solo_client(episode.organization).episode_update(
        episode.solo_id,
        _episode_body(
            name=name,
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            status=status,
            objective=objective,
            reason_incomplete=reason_incomplete,
        ),
    )
    with transaction.atomic():
        episode.name, episode.kind, episode.status = name, kind, status
        episode.starts_on, episode.ends_on = starts_on, ends_on
        episode.objective, episode.reason_incomplete = objective or "", reason_incomplete or ""
        episode.save()
        audit_event_record(
            action="episode.update", request=request, actor=by, patient=episode.patient, obj=episode
        )
    return episode


def episode_appointments(*, episode: Episode) -> list[dict]:
    """Get list of Appointments for an Episode (seed 003): Solo's items, each with `visit` set
    to the portal's appointment of the same Solo id (None when the portal has none)."""
    answer = solo_client(episode.organization).episode_appointments(episode.solo_id)
    items = answer.get("appointments") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        raise VendorError(
            "Solo", "the episode's visits came back in a shape the portal cannot read"
        )
    ids = [i.get("appointmentId") for i in items if isinstance(i, dict)]
    known = {
        a.solo_id: a
        for a in Appointment.objects.filter(
            organization=episode.organization,
            solo_id__in=[i for i in ids if isinstance(i, int) and not isinstance(i, bool)],
        ).select_related("waiting_room")
    }
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        when = item.get("date")
        solo_id = item.get("appointmentId")
        out.append(
            {
                "solo_id": solo_id,
                "starts_at": datetime.fromtimestamp(when, tz=UTC)
                if isinstance(when, int) and 0 < when < 253402300800
                else None,
                "reasons": [str(r) for r in item.get("reasons") or [] if isinstance(r, str)],
                "has_notes": item.get("hasNotes") is True,
                "visit": known.get(solo_id) if type(solo_id) is int else None,
            }
        )
    return out


# --- patient documents ---------------------------------------------------------------------
def patient_document_add(
    *, patient, name: str, written_at: datetime, responses: list[dict], by, request=None
) -> PatientDocument:
    """Add Patient Document (seed 003: "All fields are required": name, dateTime as a unix
    timestamp, responses of {question, response}), then keep what was sent."""
    pairs = [
        {"question": r["question"].strip(), "response": r["response"].strip()}
        for r in responses
        if r.get("question", "").strip() or r.get("response", "").strip()
    ]
    if not name.strip():
        raise VisitRefused("Give the document a name.")
    if not pairs:
        raise VisitRefused("Write at least one question and its response.")
    if any(not p["question"] or not p["response"] for p in pairs):
        raise VisitRefused("Each question needs a response, and each response a question.")
    client = solo_client(patient.organization)
    solo_patient_id = solo_patient_ensure(patient=patient, client=client)
    client.patient_document_add(
        solo_patient_id,
        {"name": name.strip(), "dateTime": unix_seconds(written_at), "responses": pairs},
    )
    with transaction.atomic():
        document = PatientDocument.objects.create(
            organization=patient.organization,
            patient=patient,
            name=name.strip(),
            written_at=written_at,
            responses=pairs,
            added_by=by,
        )
        audit_event_record(
            action="patient.document.add",
            request=request,
            actor=by,
            patient=patient,
            obj=document,
            detail={"responses": len(pairs)},
        )
    return document
