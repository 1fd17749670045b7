"""What a visit holds beyond its time: visit notes, attachments and episodes (seed 003 "Visit
Notes", "Attachments", "Episodes of Care"). Solo first, then the mirror in one short transaction
with its audit row; no transaction is open while Solo is called.

What a crash between Solo's answer and the record leaves, per service (no claim is taken: none
of these holds a mirror row that another writer could half-see):
- visit note update, episode assign, attachment delete: Solo's operation is idempotent (a PUT of
  the same answers, the same episode; a delete that 404s counts as done), so staff repeating the
  action converges; until then the mirror shows the older state.
- attachment upload, episode create: Solo keeps the file or the episode and the mirror has no row
  for it. A repeat creates a second one in Solo (Solo takes no idempotency key for these). An
  episode still arrives through its `episode:created` webhook when the subscription includes it;
  an orphan attachment stays in Solo, listed there, unknown to the portal."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, Attachment, Episode, EpisodeStatus, VisitNote
from appointments.services.common import VisitRefused, solo_client
from appointments.services.patients import solo_patient_ensure
from appointments.uploads import NotTheClaimedType, attachment_type_checked
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
