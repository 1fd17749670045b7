"""A visit's attachments (seed 003 "Appointment Attachments"): the list as Solo holds it, each
file opened or downloaded from the copy the portal kept at upload (Solo has no download), upload,
and removal after a confirmation. Every view of the list or a file is audited."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import selectors
from appointments.forms import AttachmentForm
from appointments.models import Attachment
from appointments.services import attachments as service
from appointments.services.common import VisitRefused
from portal.access import staff_action
from portal.audit import audit_event_record
from portal.http import VendorError

EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def _message(exc) -> str:
    return exc.staff_message if isinstance(exc, VendorError) else str(exc)


def _back(visit) -> str:
    return reverse("appointments:detail", args=[visit.pk]) + "#attachments"


def _attachment(visit, attachment_pk) -> Attachment:
    """The visit's live attachment, or 404 (the visit is already scoped to the organization)."""
    return get_object_or_404(
        Attachment.objects.filter(appointment=visit, deleted_at__isnull=True).select_related(
            "copy", "appointment__patient"
        ),
        pk=attachment_pk,
    )


@require_GET
@staff_action("patients.view")
def attachment_list(request, pk):
    """The visit's attachments as Solo lists them; loaded into the visit page by HTMX, or shown
    as a page of its own without JavaScript."""
    visit = selectors.appointment_for_org(request.organization, pk)
    problem = ""
    try:
        items = service.attachments_listed(appointment=visit)
    except VendorError as exc:
        items = service.attachments_kept(appointment=visit)
        problem = (
            "Solo's list could not be read, so only the files the portal knows are shown. "
            + exc.staff_message
        )
    audit_event_record(
        action="appointment.attachment.list",
        request=request,
        patient=visit.patient,
        obj=visit,
        detail={"count": len(items)},
    )
    context = {"visit": visit, "patient": visit.patient, "items": items, "problem": problem}
    template = "appointments/attachments.html"
    return render(request, template + "#list" if request.htmx else template, context)


@require_POST
@staff_action("visits.schedule")
def attachment_upload(request, pk):
    visit = selectors.appointment_for_org(request.organization, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return redirect(_back(visit))
    try:
        attachment = service.attachment_upload(
            appointment=visit, upload=form.cleaned_data["file"], by=request.user, request=request
        )
    except (VisitRefused, VendorError) as exc:
        messages.error(request, f"The file was not attached. {_message(exc)}")
    else:
        messages.success(request, f"Attached “{attachment.title}”.")
    return redirect(_back(visit))


def served_name(title: str, mime_type: str) -> str:
    """The title as a file name a browser can save: no path, no control characters, and the
    extension of the type it is served as."""
    base = re.sub(r"[\x00-\x1f\x7f/\\\"]+", "_", title).strip(" .") or "attachment"
    extension = EXTENSIONS.get(mime_type, "")
    if extension and not base.lower().endswith(
        (extension, ".jpeg" if extension == ".jpg" else extension)
    ):
        base += extension
    return base[:150]


@require_GET
@staff_action("patients.view")
def attachment_file(request, pk, attachment_pk):
    """The portal's copy of one attachment: shown in the browser, or saved with `?download=1`."""
    visit = selectors.appointment_for_org(request.organization, pk)
    attachment = _attachment(visit, attachment_pk)
    try:
        handle, mime_type = service.attachment_opened(
            attachment=attachment, by=request.user, request=request
        )
    except VisitRefused as exc:
        messages.error(request, f"“{attachment.title}” cannot be opened here. {exc}")
        return redirect(_back(visit))
    response = FileResponse(
        handle,
        content_type=mime_type,
        as_attachment=request.GET.get("download") == "1",
        filename=served_name(attachment.title, mime_type),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@staff_action("visits.schedule")
def attachment_delete(request, pk, attachment_pk):
    """GET asks for confirmation; POST deletes the file in Solo, then in the portal."""
    visit = selectors.appointment_for_org(request.organization, pk)
    attachment = _attachment(visit, attachment_pk)
    if request.method == "GET":
        audit_event_record(
            action="appointment.attachment.confirm_delete",
            request=request,
            patient=visit.patient,
            obj=attachment,
        )
        return render(
            request,
            "appointments/attachment_delete.html",
            {"visit": visit, "patient": visit.patient, "attachment": attachment},
        )
    try:
        service.attachment_delete(attachment=attachment, by=request.user, request=request)
    except VendorError as exc:
        messages.error(request, f"The file was not removed. {exc.staff_message}")
    else:
        messages.success(request, f"Removed “{attachment.title}” from Solo and the portal.")
    return redirect(_back(visit))
