"""Stat teleconsult requests (seed 003 "Perfect answer API": stroke, EEG stat, EEG routine) for
the clinical roles. Solo creates or updates the patient, books the visit and prefills its note;
its refusals, such as "A visit has already been created for the patient within 24 hours", are
shown to staff in Solo's own words."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from appointments import selectors
from appointments.forms import ConsultForm
from appointments.services.reports import consult_request
from portal.access import patient_for_org, patients_for, staff_action
from portal.audit import audit_event_record
from portal.http import VendorError


@require_http_methods(["GET", "POST"])
@staff_action("visits.clinical")
def consults(request):
    patients = list(patients_for(request.organization).order_by("last_name", "first_name")[:500])
    zone = ZoneInfo(request.organization.time_zone)
    initial = {"requesting_provider": request.user.get_full_name()}
    if request.GET.get("patient", "").isdigit():
        initial["patient"] = int(request.GET["patient"])
    form = ConsultForm(
        request.POST if request.method == "POST" else None,
        patients=patients,
        zone=zone,
        initial=initial,
    )
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            patient = patient_for_org(request.organization, d["patient"])
            try:
                item = consult_request(
                    organization=request.organization,
                    patient=patient,
                    reason=d["reason"],
                    consult_type=d["consult_type"],
                    location_id=str(d["location_id"]),
                    requesting_provider=d["requesting_provider"],
                    callback_number=d["physician_callback_number"],
                    patient_location=d["patient_location"],
                    caller=d["caller"],
                    call_center_notified=d["call_center_notified"],
                    physician_notified=d["physician_notified"],
                    by=request.user,
                    request=request,
                )
            except VendorError as exc:
                messages.error(request, f"No consult was requested. {_refusal(exc)}")
            else:
                messages.success(
                    request,
                    f"{item.get_reason_display()} consult requested: Solo booked visit "
                    f"#{item.encounter_id} for {patient.display_name}.",
                )
                return redirect("appointments:consults")
        else:
            name, errors = next(iter(form.errors.items()))
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"No consult was requested. {label}: {errors[0]}")
    recent = list(selectors.consult_requests_for(request.organization)[:20])
    audit_event_record(action="consult.list", request=request, detail={"count": len(recent)})
    return render(request, "appointments/consults.html", {"form": form, "recent": recent})


def _refusal(exc: VendorError) -> str:
    """Solo's 24-hour rule in words staff can act on; other refusals as Solo words them."""
    if exc.message and "within 24 hours" in exc.message:
        return (
            f"Solo refused: “{exc.message}.” Only one stat consult visit per patient is booked "
            "in 24 hours; open the patient's existing visit instead, or send a consult update."
        )
    return exc.staff_message
