"""A visit's attachments (seed 003 "Appointment Attachments"): upload, list and delete in Solo,
and the portal's own copy of each file it uploaded, because Solo offers no download.

Order of steps, and what a crash between them leaves:
- upload: the file is checked, its copy written under MEDIA_ROOT, then sent to Solo, then the
  rows (Attachment + AttachmentCopy + audit) written in one transaction. Solo refusing removes
  the copy. A crash after Solo's answer leaves a file in Solo the portal does not name (listed as
  "not uploaded through the portal") and an unreferenced copy on disk; staff repeating the upload
  gets a second one in Solo (Solo takes no idempotency key).
- delete: Solo first (a 404 counts as done, so repeating converges), then the rows are marked
  deleted and the copy is removed from disk after commit.
No transaction is open while Solo is called."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, Attachment, AttachmentCopy
from appointments.services.common import VisitRefused, solo_client
from appointments.uploads import NotTheClaimedType, attachment_type_checked
from portal.audit import audit_event_record
from portal.http import VendorError

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# What a stored copy is served as: only the three types the upload check proves (Solo's own
# aliases application/x-pdf and image/pdf are served as application/pdf).
SERVED_TYPES = {
    "application/pdf": "application/pdf",
    "application/x-pdf": "application/pdf",
    "image/pdf": "application/pdf",
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
}


def attachment_upload(*, appointment: Appointment, upload, by, request=None) -> Attachment:
    """Upload attachment (seed 003): at most 5 MB of PDF, PNG or JPEG, checked by content (the
    whole file: appointments.uploads); the portal keeps a copy so the file can be opened later."""
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
    name = (upload.name or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:200]
    stored = default_storage.save(
        f"attachments/{appointment.organization_id}/{uuid.uuid4().hex}", ContentFile(content)
    )
    try:
        answer = solo_client(appointment.organization).attachment_upload(
            appointment.solo_id, content=content, mime_type=mime, file_name=name
        )
    except BaseException:
        default_storage.delete(stored)
        raise
    with transaction.atomic():
        attachment = Attachment.objects.create(
            appointment=appointment,
            solo_id=answer["id"],
            title=answer.get("title") or name,
            mime_type=mime,  # what the content proved, whatever alias Solo answers with
            size=answer.get("size") or size,
            uploaded_at=_instant(answer.get("uploadedAt")) or timezone.now(),
            uploaded_by=by,
        )
        copy = AttachmentCopy(
            attachment=attachment,
            organization=appointment.organization,
            sha256=hashlib.sha256(content).hexdigest(),
        )
        copy.file.name = stored
        copy.save()
        audit_event_record(
            action="appointment.attachment.upload",
            request=request,
            actor=by,
            patient=appointment.patient,
            obj=attachment,
            detail={"size": size, "mime_type": mime},
        )
    return attachment


def _instant(value) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


@dataclass
class ListedAttachment:
    """One line of a visit's attachment list: Solo's item, and the portal's row when the file
    was uploaded through the portal (`attachment`, with its copy when one was kept)."""

    solo_id: str
    title: str
    mime_type: str
    size: int
    uploaded_at: datetime | None
    attachment: Attachment | None

    @property
    def can_open(self) -> bool:
        return self.attachment is not None and hasattr(self.attachment, "copy")


def attachments_listed(*, appointment: Appointment) -> list[ListedAttachment]:
    """Get Appointment Attachments (seed 003), matched to the portal's rows by Solo id. Raises
    VendorError when Solo cannot answer (the caller shows the portal's rows instead)."""
    answer = solo_client(appointment.organization).attachments(appointment.solo_id)
    items = answer.get("attachments") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        raise VendorError("Solo", "the attachment list came back in a shape the portal cannot read")
    ours = {
        a.solo_id: a
        for a in appointment.attachments.filter(deleted_at__isnull=True).select_related(
            "uploaded_by", "copy"
        )
    }
    listed = []
    for item in items:
        if not isinstance(item, dict) or item.get("deleted") or not item.get("id"):
            continue
        row = ours.get(str(item["id"]))
        size = item.get("size")
        listed.append(
            ListedAttachment(
                solo_id=str(item["id"]),
                title=str(item.get("title") or (row.title if row else "attachment")),
                mime_type=str(item.get("mimeType") or ""),
                size=size if isinstance(size, int) else 0,
                uploaded_at=_instant(item.get("uploadedAt")),
                attachment=row,
            )
        )
    return listed


def attachments_kept(*, appointment: Appointment) -> list[ListedAttachment]:
    """The portal's own rows, for when Solo cannot be asked."""
    return [
        ListedAttachment(
            solo_id=a.solo_id,
            title=a.title,
            mime_type=a.mime_type,
            size=a.size,
            uploaded_at=a.uploaded_at,
            attachment=a,
        )
        for a in appointment.attachments.filter(deleted_at__isnull=True).select_related(
            "uploaded_by", "copy"
        )
    ]


def attachment_opened(*, attachment: Attachment, by, request=None):
    """The stored copy, opened for reading, and the type to serve it as; audited as a view of
    the patient's record. Raises VisitRefused when the portal holds no copy."""
    copy = getattr(attachment, "copy", None)
    if copy is None:
        raise VisitRefused(
            "The portal has no copy of this file: it was uploaded before the portal kept copies, "
            "or directly in Solo. Solo offers no download, so open it in Solo."
        )
    try:
        handle = copy.file.open("rb")
    except FileNotFoundError as exc:
        raise VisitRefused(
            "The portal's copy of this file is missing from its storage; open it in Solo."
        ) from exc
    audit_event_record(
        action="appointment.attachment.view",
        request=request,
        actor=by,
        patient=attachment.appointment.patient,
        obj=attachment,
    )
    return handle, SERVED_TYPES.get(attachment.mime_type, "application/octet-stream")


def attachment_delete(*, attachment: Attachment, by, request=None) -> None:
    """Delete appointment attachment in Solo, then mark ours deleted and drop the copy."""
    try:
        solo_client(attachment.appointment.organization).attachment_delete(
            attachment.appointment.solo_id, attachment.solo_id
        )
    except VendorError as exc:
        if exc.status != 404:
            raise
    copy = getattr(attachment, "copy", None)
    with transaction.atomic():
        attachment.deleted_at = timezone.now()
        attachment.save(update_fields=["deleted_at"])
        if copy is not None:
            stored = copy.file.name
            copy.delete()
            transaction.on_commit(lambda: default_storage.delete(stored))
        audit_event_record(
            action="appointment.attachment.delete",
            request=request,
            actor=by,
            patient=attachment.appointment.patient,
            obj=attachment,
        )
