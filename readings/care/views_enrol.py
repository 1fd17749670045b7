"""Enrolment pages: enrol a patient (with the ICD-10-CM picker), link the vendors again,
discharge, re-enrol, and the enrolment-status piece of the patient page. They live in care
because enrolment reaches every app (vendor ids, program alert rules, devices at discharge)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from devices.selectors import patient_devices
from devices.services.assignment import device_unassign
from devices.services.rules import DeviceRuleError, DeviceVendorError
from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.enrolment import enrolled_on, patient_discharge, patient_reenrol
from portal.enrolment_forms import DischargeForm, EnrolmentForm
from portal.icd10cm import CODE_SET, Code, release
from portal.roles import may
from readings.care.enrolment import patient_enrol_and_link, vendor_links, vendor_links_ensure


def _chosen(codes: list[str]) -> list[Code]:
    """The diagnoses picked so far, in order, known codes only (the service names the others)."""
    found: dict[str, Code] = {}
    for raw in codes[:50]:
        code = CODE_SET.get(raw)
        if code is not None:
            found.setdefault(code.code, code)
    return list(found.values())


def _form_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@staff_action("patients.enrol")
def patient_enrol(request):
    CODE_SET.warm()  # the picker's first search should not wait for the code set to load
    form = EnrolmentForm(request.organization, request.user, data=request.POST or None)
    typed = request.POST.getlist("diagnoses")
    diagnosis_error = ""
    if request.method == "POST" and form.is_valid():
        try:
            patient, links = patient_enrol_and_link(
                organization=request.organization,
                by=request.user,
                fields=form.enrolment_fields(),
                diagnoses=typed,
                request=request,
            )
        except ValidationError as exc:
            diagnosis_error = " ".join(exc.message_dict.pop("diagnoses", []))
            _form_errors(form, exc)
        else:
            messages.success(request, f"{patient.display_name} is enrolled.")
            for link in links:
                if not link.linked:
                    messages.warning(request, f"Not linked to {link.label} yet: {link.problem}")
            return redirect("patients:detail", patient.pk)
    return render(
        request,
        "portal/enrol.html",
        {
            "form": form,
            "chosen": _chosen(typed),
            "diagnosis_error": diagnosis_error,
            "code_release": release(),
        },
    )


@require_GET
@staff_action("patients.enrol")
def diagnosis_search(request):
    """The picker's results: billable codes matching the code or the words typed."""
    query = request.GET.get("dx_q", "").strip()[:100]
    chosen = {c.code for c in _chosen(request.GET.getlist("diagnoses"))}
    results = CODE_SET.search(query) if len(query) >= 2 else []
    return render(
        request,
        "portal/enrol_diagnoses.html#results",
        {"results": results, "query": query, "chosen": chosen},
    )


@require_GET
@staff_action("patients.enrol")
def diagnosis_pick(request):
    """One chosen diagnosis, to add to the list (nothing when it is already there)."""
    picked = _chosen([request.GET.get("code", "")])
    already = {c.code for c in _chosen(request.GET.getlist("diagnoses"))}
    if not picked or picked[0].code in already:
        return HttpResponse("")
    return render(request, "portal/enrol_diagnoses.html#chosen", {"code": picked[0]})


@require_POST
@staff_action("patients.enrol")
def vendors_link(request, pk):
    patient = patient_for_org(request.organization, pk)
    links = vendor_links_ensure(patient=patient, by=request.user, request=request)
    missing = [link for link in links if not link.linked]
    if not missing:
        messages.success(request, "Linked to every vendor.")
    for link in missing:
        messages.warning(request, f"Not linked to {link.label} yet: {link.problem}")
    return redirect("patients:detail", patient.pk)


@staff_action("patients.discharge")
def discharge(request, pk):
    patient = patient_for_org(request.organization, pk)
    if not patient.is_active:
        messages.info(request, "This patient is already discharged.")
        return redirect("patients:detail", patient.pk)
    today = timezone.now().astimezone(patient.tz).date()
    devices = patient_devices(patient)
    assigned = [a.device for a in devices["current"] if a.device.source == "impilo"]
    form = DischargeForm(request.POST or None, devices=assigned, today=today)
    audit_event_record(action="patient.discharge_form", request=request, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            patient_discharge(
                patient=patient,
                by=request.user,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                _form_errors(form, exc)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, f"{patient.display_name} is discharged.")
            _unassign(request, assigned, form.cleaned_data["unassign"])
            return redirect("patients:detail", patient.pk)
    return render(
        request,
        "portal/enrol_discharge.html",
        {
            "patient": patient,
            "form": form,
            "assigned": assigned,
            "meters": devices["connections"],
            "enrolled_on": enrolled_on(patient),
            "today": today,
        },
    )


def _unassign(request, assigned, chosen: list[str]) -> None:
    """Unassign the devices staff ticked, through the devices service (its own vendor call
    per device, after the discharge is saved). A refusal is reported, never a 500."""
    for device in assigned:
        if str(device.pk) not in chosen:
            continue
        try:
            device_unassign(device=device, by=request.user, request=request)
        except (DeviceRuleError, DeviceVendorError) as exc:
            messages.warning(request, f"{device.identifier} is still assigned: {exc}")
        else:
            messages.success(request, f"{device.identifier} is unassigned.")


@require_POST
@staff_action("patients.enrol")
def reenrol(request, pk):
    patient = patient_for_org(request.organization, pk)
    try:
        patient_reenrol(patient=patient, by=request.user, request=request)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{patient.display_name} is monitored again: a new episode starts today."
        )
    return redirect("patients:detail", patient.pk)


def patient_panel(request, patient) -> str:
    """The enrolment status on the patient page: program, consent, discharge, vendor links.
    No audit event: the patient page wrote one."""
    membership = getattr(request, "membership", None)
    links = vendor_links(patient)
    context = {
        "patient": patient,
        "diagnoses": list(patient.diagnoses.filter(removed_at__isnull=True)),
        "links": links,
        "unlinked": any(not link.linked for link in links),
        "can_enrol": may(membership, "patients.enrol"),
        "can_discharge": may(membership, "patients.discharge"),
    }
    return render_to_string("portal/enrol_status.html", context, request=request)
