"""The patient's way into a visit, on the visit page: their join link (fetched from Solo when
staff ask for it, with a copy button), emailed to a patient who agreed to receive links by
email; and recording that agreement."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from appointments import selectors
from appointments.forms_patients import EmailConsentForm
from appointments.services import links
from appointments.services.common import VisitRefused
from appointments.services.patients import patient_email_links_consent_record
from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.http import VendorError


@require_GET
@staff_action("visits.schedule")
def patient_link(request, pk):
    """A fresh patient join link from Solo, as a fragment the visit page swaps in."""
    visit = selectors.appointment_for_org(request.organization, pk)
    url, error, status = None, None, 200
    if not visit.is_open:
        error, status = "This visit is closed: there is no link to join it.", 409
    else:
        try:
            url = links.appointment_patient_link(appointment=visit, request=request)
        except VendorError as exc:
            error = exc.staff_message
            status = 503 if exc.is_outage and exc.code != "not_configured" else 409
            audit_event_record(
                action="appointment.patient_link.failed",
                request=request,
                patient=visit.patient,
                obj=visit,
            )
    # htmx swaps only 2xx answers: the words must reach the page whatever happened.
    return render(
        request,
        "appointments/_patient_link.html",
        {"visit": visit, "url": url, "error": error},
        status=200 if request.htmx else status,
    )


@require_POST
@staff_action("visits.schedule")
def patient_link_email(request, pk):
    visit = selectors.appointment_for_org(request.organization, pk)
    back = reverse("appointments:detail", args=[visit.pk]) + "#patient-link"
    try:
        links.appointment_patient_link_email(appointment=visit, by=request.user, request=request)
    except VisitRefused as exc:
        messages.error(request, str(exc))
    except VendorError as exc:
        messages.error(request, f"No link was sent. {exc.staff_message}")
    else:
        messages.success(request, f"The join link was emailed to {visit.patient.email}.")
    return redirect(back)


@require_POST
@staff_action("visits.schedule")
def email_consent(request, patient_pk):
    """Record (or withdraw) the patient's agreement to receive visit links by email."""
    patient = patient_for_org(request.organization, patient_pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("patients:detail", args=[patient.pk]) + "#email-links"
    form = EmailConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was recorded. Enter a valid email address.")
        return redirect(back)
    agreed = form.cleaned_data["agreed"]
    try:
        patient_email_links_consent_record(
            patient=patient,
            agreed=agreed,
            email=form.cleaned_data["email"],
            by=request.user,
            request=request,
        )
    except VisitRefused as exc:
        messages.error(request, f"Nothing was recorded. {exc}")
    else:
        messages.success(
            request,
            "Recorded: the patient agreed to receive visit links by email."
            if agreed
            else "Recorded: the patient does not want visit links by email.",
        )
    return redirect(back)
