"""Report pages: the CSV data dump for a date range, and encounter reports ordered from Solo,
watched while pending and downloaded when complete (seed 003 "Reports")."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from appointments import selectors
from appointments.forms import CsvDumpForm, EncounterReportForm
from appointments.models import ReportJob
from appointments.services.common import VisitRefused
from appointments.services.reports import report_csv_dump, report_job_refresh, report_job_request
from portal.access import staff_action
from portal.audit import audit_event_record
from portal.http import VendorError


def _message(exc) -> str:
    return exc.staff_message if isinstance(exc, VendorError) else str(exc)


@require_http_methods(["GET", "POST"])
@staff_action("visits.reports")
def reports(request):
    """Order an encounter report and watch it; or download the CSV data dump for a range."""
    csv_form = CsvDumpForm(prefix="csv")
    report_form = EncounterReportForm(prefix="enc")
    if request.method == "POST" and request.POST.get("kind") == "csv":
        csv_form = CsvDumpForm(request.POST, prefix="csv")
        if csv_form.is_valid():
            start, end = csv_form.cleaned_data["start"], csv_form.cleaned_data["end"]
            try:
                content = report_csv_dump(
                    organization=request.organization,
                    start=start,
                    end=end,
                    by=request.user,
                    request=request,
                )
            except (VisitRefused, VendorError) as exc:
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
                report_job_request(
                    organization=request.organization,
                    start=d["start"],
                    end=d["end"],
                    preset_id=d["preset_id"],
                    password=d["password"],
                    by=request.user,
                    request=request,
                )
            except (VisitRefused, VendorError) as exc:
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
@staff_action("visits.reports")
def report_job(request, pk):
    """One report's status row; polled by HTMX while pending (each poll asks Solo)."""
    job = selectors.report_job_for_org(request.organization, pk)
    if job.status == ReportJob.Status.PENDING:
        try:
            job = report_job_refresh(job=job)
        except VendorError as exc:
            messages.error(request, exc.staff_message)
    return render(request, "appointments/_report_row.html", {"job": job})


@require_GET
@staff_action("visits.reports")
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
