"""The patient's record in Solo on the patient page: demographics read from Solo (Get Patient,
by id or SPID) and, for the roles that enrol patients, edited there (Update Patient)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from appointments.forms_patients import DemographicsForm
from appointments.services.common import VisitRefused
from appointments.services.patients import solo_demographics_fetch, solo_demographics_update
from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.roles import may


def _fragment(request, patient, **context):
    return render(
        request,
        "appointments/_solo_patient.html",
        {
            "patient": patient,
            **context,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_action("patients.view")
def solo_patient(request, patient_pk):
    """GET: the patient as Solo holds them (a fragment the patient page loads; `?edit=1` for the
    form). POST: send the edited fields to Solo, then back to the patient page."""
    patient = patient_for_org(request.organization, patient_pk)
    editing = request.method == "POST" or request.GET.get("edit") == "1"
    # Demographics are enrolment, the coordinator's work (and the admin's); clinical roles read.
    if editing and not may(request.membership, "patients.demographics"):
        raise PermissionDenied("Only care coordinators and admins edit demographics.")
    if request.method == "POST":
        form = DemographicsForm(request.POST)
        if not form.is_valid():
            return _fragment(request, patient, form=form, editing=True, current=None)
        try:
            solo_demographics_update(
                patient=patient, changes=form.changes(), by=request.user, request=request
            )
        except (VisitRefused, VendorError) as exc:
            message = exc.staff_message if isinstance(exc, VendorError) else str(exc)
            return _fragment(request, patient, form=form, editing=True, current=None, error=message)
        messages.success(request, "Demographics saved to Solo.")
        back = reverse("patients:detail", args=[patient.pk]) + "#solo-patient"
        return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    current, error = None, None
    try:
        current = solo_demographics_fetch(patient=patient)
    except VisitRefused as exc:
        error = str(exc)
    except VendorError as exc:
        error = exc.staff_message
    audit_event_record(action="patient.solo_view", request=request, patient=patient, obj=patient)
    form = DemographicsForm.for_demographics(current) if editing and current else None
    return _fragment(
        request, patient, current=current, error=error, form=form, editing=form is not None
    )
