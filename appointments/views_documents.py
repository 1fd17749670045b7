"""Patient documents (seed 003 "Add Patient Document"): a named, dated set of questions and
responses added to the patient in Solo, and the ones the portal added listed (Solo offers no way
to list them back)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from appointments import selectors
from appointments.forms import PatientDocumentForm
from appointments.services import records
from appointments.services.common import VisitRefused
from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.http import VendorError


@require_http_methods(["GET", "POST"])
@staff_action("visits.clinical")
def documents(request, patient_pk):
    patient = patient_for_org(request.organization, patient_pk)
    now = timezone.localtime(timezone=patient.tz).replace(second=0, microsecond=0, tzinfo=None)
    form = PatientDocumentForm(
        request.POST if request.method == "POST" else None,
        zone=patient.tz,
        initial={"written_at": now},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                records.patient_document_add(
                    patient=patient,
                    name=form.cleaned_data["name"],
                    written_at=form.cleaned_data["written_at"],
                    responses=form.responses(),
                    by=request.user,
                    request=request,
                )
            except (VisitRefused, VendorError) as exc:
                text = exc.staff_message if isinstance(exc, VendorError) else str(exc)
                messages.error(request, f"The document was not added. {text}")
            else:
                messages.success(request, f"Document “{form.cleaned_data['name']}” added in Solo.")
                return redirect("appointments:documents", patient_pk=patient.pk)
        else:
            name, errors = next(iter(form.errors.items()))
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"The document was not added. {label}: {errors[0]}")
    added = list(selectors.documents_for_patient(patient)[:50])
    audit_event_record(
        action="patient.document.list", request=request, patient=patient, obj=patient,
        detail={"count": len(added)},
    )  # fmt: skip
    return render(
        request,
        "appointments/documents.html",
        {"patient": patient, "form": form, "documents": added},
    )
