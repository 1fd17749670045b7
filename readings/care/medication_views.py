"""The medications section of the patient page (HTMX): read by every staff member, kept by
clinical staff. One URL per resource: the list (GET, POST adds), one entry (GET its edit form,
POST saves), its stop (POST). A refused form comes back in place with the errors next to the
fields and the input kept; without JavaScript the page reloads with a message."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.roles import may
from readings.care.medication_models import Medication
from readings.care.medications import (
    MedicationForm,
    medication_add,
    medication_stop,
    medication_update,
    medications_for,
)


def can_keep(request) -> bool:
    membership = getattr(request, "membership", None)
    return may(membership, "medications.change")


def medications_section(request, patient, *, form=None, editing=None, edit_form=None) -> str:
    """The section's HTML (the patient page renders it too: no audit here)."""
    current, stopped = medications_for(patient)
    today = timezone.now().astimezone(patient.tz).date()
    return render_to_string(
        "care/_medications.html",
        {
            "patient": patient,
            "current": current,
            "stopped": stopped,
            "can_keep": can_keep(request),
            "form": form or MedicationForm(auto_id="med-%s", today=today),
            "editing": editing,
            "edit_form": edit_form,
        },
        request=request,
    )


def _today(patient):
    return timezone.now().astimezone(patient.tz).date()


def _answer(request, patient, message: str, *, error: bool = False):
    """Without JavaScript: back to the page's medications with a message."""
    (messages.error if error else messages.success)(request, message)
    return redirect(f"{patient_page_url(patient)}#medications")


def patient_page_url(patient) -> str:
    return reverse("patients:detail", args=[patient.pk])


def _refused(form) -> str:
    return "Medication not saved: " + " ".join(
        f"{form.fields[f].label or f}: {e[0]}" if f in form.fields else e[0]
        for f, e in form.errors.items()
    )


@require_http_methods(["GET", "POST"])
@staff_action("patients.view")
def medications(request, pk):
    patient = patient_for_org(request.organization, pk)
    if request.method == "GET":
        audit_event_record(action="medication.list", request=request, patient=patient)
        return HttpResponse(medications_section(request, patient))
    if not can_keep(request):
        raise PermissionDenied("Clinical staff keep the medication list.")
    form = MedicationForm(request.POST, auto_id="med-%s", today=_today(patient))
    if form.is_valid():
        try:
            medication_add(patient=patient, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(medications_section(request, patient, form=form))
        return _answer(request, patient, _refused(form), error=True)
    if request.htmx:
        return HttpResponse(medications_section(request, patient))
    return _answer(request, patient, "Medication added.")


@require_http_methods(["GET", "POST"])
@staff_action("medications.change")
def medication_edit(request, pk):
    medication = get_object_or_404(
        Medication.objects.select_related("patient"), pk=pk, organization=request.organization
    )
    patient = medication.patient
    if request.method == "GET":
        audit_event_record(
            action="medication.view", request=request, patient=patient, obj=medication
        )
        form = MedicationForm(
            initial=medication.snapshot() | {"started_on": medication.started_on},
            auto_id=f"med-{medication.pk}-%s",
            today=_today(patient),
        )
        return HttpResponse(
            medications_section(request, patient, editing=medication, edit_form=form)
        )
    form = MedicationForm(request.POST, auto_id=f"med-{medication.pk}-%s", today=_today(patient))
    if form.is_valid():
        try:
            medication_update(
                medication=medication, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(
                medications_section(request, patient, editing=medication, edit_form=form)
            )
        return _answer(request, patient, _refused(form), error=True)
    if request.htmx:
        return HttpResponse(medications_section(request, patient))
    return _answer(request, patient, "Medication changed.")


@require_POST
@staff_action("medications.change")
def medication_stop_view(request, pk):
    medication = get_object_or_404(
        Medication.objects.select_related("patient"), pk=pk, organization=request.organization
    )
    medication_stop(medication=medication, by=request.user, request=request)
    if request.htmx:
        return HttpResponse(medications_section(request, medication.patient))
    return _answer(request, medication.patient, "Medication stopped.")
