"""Pages beyond the visit itself: episodes (from the patient page), reports, and virtual-nursing
assistance requests."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import selectors, services
from appointments.forms import AssistanceForm, CsvDumpForm, EncounterReportForm, EpisodeForm
from appointments.models import Episode, ReportJob
from portal.access import ANY_STAFF, CLINICAL, patient_for_org, staff_view
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.models import Role

REPORT_ROLES = (Role.COORDINATOR, Role.ORG_ADMIN)


def _message(exc) -> str:
    return exc.staff_message if isinstance(exc, VendorError) else str(exc)


@require_POST
@staff_view(*ANY_STAFF)
def episode_create(request, patient_pk):
    patient = patient_for_org(request.organization, patient_pk)
    form = EpisodeForm(request.POST)
    back = reverse("patients:detail", args=[patient.pk]) + "#episodes"
    if not form.is_valid():
        first = next(iter(form.errors.items()))
        messages.error(request, f"The episode was not created. {first[0]}: {first[1][0]}")
        return redirect(back)
    try:
        services.episode_create(
            patient=patient, by=request.user, request=request, **form.cleaned_data
        )
    except (services.VisitRefused, VendorError) as exc:
        messages.error(request, f"The episode was not created. {_message(exc)}")
    else:
        messages.success(request, f"Episode “{form.cleaned_data['name']}” created in Solo.")
    return redirect(back)


@require_POST
@staff_view(*ANY_STAFF)
def episode_assign(request, pk):
    visit = selectors.appointment_for_org(request.organization, pk)
    episode = None
    if request.POST.get("episode"):
        episode = get_object_or_404(
            Episode.objects.filter(organization=request.organization, patient=visit.patient),
            pk=request.POST["episode"],
        )
    try:
        services.appointment_episode_assign(
            appointment=visit, episode=episode, by=request.user, request=request
        )
    except (services.VisitRefused, VendorError) as exc:
        messages.error(request, f"The episode was not changed. {_message(exc)}")
    else:
        messages.success(request, "Episode updated.")
    return redirect(reverse("appointments:detail", args=[visit.pk]))


# --- reports -------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_view(*REPORT_ROLES)
def reports(request):
    """Order an encounter report and watch it; or download the CSV data dump for a range."""
    csv_form = CsvDumpForm(prefix="csv")
    report_form = EncounterReportForm(prefix="enc")
    if request.method == "POST" and request.POST.get("kind") == "csv":
        csv_form = CsvDumpForm(request.POST, prefix="csv")
        if csv_form.is_valid():
            start, end = csv_form.cleaned_data["start"], csv_form.cleaned_data["end"]
            try:
                content = services.report_csv_dump(
                    organization=request.organization,
                    start=start,
                    end=end,
                    by=request.user,
                    request=request,
                )
            except (services.VisitRefused, VendorError) as exc:
                messages.error(request, f"No CSV was made. {_message(exc)}")
            else:
                response = HttpResponse(content, content_type="text/csv")
                response["Content-Disposition"] = (
                    f'attachment; filename="solo-visits-{start}-to-{end}.csv"'
                )
                return response
    elif request.method == "POST":
        report_form = EncounterReportForm(request.POST, prefix="enc")
        if report_form.is_valid():
            d = report_form.cleaned_data
            try:
                services.report_job_request(
                    organization=request.organization,
                    start=d["start"],
                    end=d["end"],
                    preset_id=d["preset_id"],
                    password=d["password"],
                    by=request.user,
                    request=request,
                )
            except (services.VisitRefused, VendorError) as exc:
                messages.error(request, f"The report was not ordered. {_message(exc)}")
            else:
                messages.success(request, "Encounter report ordered. It appears below when ready.")
                return redirect("appointments:reports")
    jobs = list(selectors.report_jobs_for(request.organization)[:20])
    return render(
        request,
        "appointments/reports.html",
        {"csv_form": csv_form, "report_form": report_form, "jobs": jobs},
    )


@require_GET
@staff_view(*REPORT_ROLES)
def report_job(request, pk):
    """One report's status row; polled by HTMX while pending (each poll asks Solo)."""
    job = selectors.report_job_for_org(request.organization, pk)
    if job.status == ReportJob.Status.PENDING:
        try:
            job = services.report_job_refresh(job=job)
        except VendorError as exc:
            messages.error(request, exc.staff_message)
    return render(request, "appointments/_report_row.html", {"job": job})


@require_GET
@staff_view(*REPORT_ROLES)
def report_download(request, pk):
    job = selectors.report_job_for_org(request.organization, pk)
    if job.status != ReportJob.Status.COMPLETED or not job.content:
        messages.error(request, "That report is not ready yet.")
        return redirect("appointments:reports")
    audit_event_record(action="appointment.report.download", request=request, obj=job)
    response = HttpResponse(bytes(job.content), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="encounter-report-{job.starts_on}-to-{job.ends_on}.zip"'
    )
    return response


# --- virtual nursing -----------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_view(*CLINICAL)
def assistance(request):
    """Ask Solo's virtual-nursing team to help at a bedside; see and cancel open requests."""
    form = AssistanceForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assistance_request_create(
                    organization=request.organization,
                    location=form.location(),
                    by=request.user,
                    request=request,
                )
            except VendorError as exc:
                messages.error(request, f"No request was sent. {exc.staff_message}")
            else:
                messages.success(request, "Assistance requested. The virtual nurse has been asked.")
                return redirect("appointments:assistance")
        else:
            messages.error(request, "Fill in the fields for the chosen way of finding the bed.")
    items = list(selectors.assistance_requests_for(request.organization)[:25])
    audit_event_record(action="assistance.list", request=request, detail={"count": len(items)})
    return render(request, "appointments/assistance.html", {"form": form, "items": items})


@require_POST
@staff_view(*CLINICAL)
def assistance_cancel(request, pk):
    item = get_object_or_404(selectors.assistance_requests_for(request.organization), pk=pk)
    try:
        services.assistance_request_cancel(item=item, by=request.user, request=request)
    except VendorError as exc:
        messages.error(request, f"The request was not cancelled. {exc.staff_message}")
    else:
        messages.success(request, "Assistance request cancelled.")
    return redirect("appointments:assistance")
