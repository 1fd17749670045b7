"""The monthly program report: a page (figures, charts, tables) and the same figures as CSV.
Thin: the figures are readings.care.selectors.program_report's."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.access import staff_action
from portal.audit import audit_event_record
from portal.downloads import attachment_disposition, csv_writer
from readings.care.forms import MonthForm
from readings.care.selectors.program_report import ProgramReport, program_report
from readings.care.selectors.roster import organization_tz

CSV_HEADER = ["month", "section", "item", "measure", "value"]


def _month(request) -> tuple[dt.date, str]:
    today = timezone.now().astimezone(organization_tz(request.organization)).date()
    try:
        return MonthForm(request.GET).month_date(today), ""
    except ValidationError:
        return today.replace(day=1), (
            "That month is not valid (YYYY-MM, 2000-01 to 2100-12); showing this month."
        )


@require_GET
@staff_action("patients.view")
def program_report_page(request):
    month, problem = _month(request)
    if problem:
        messages.warning(request, problem)
    report = program_report(request.organization, month)
    audit_event_record(
        action="program_report.view", request=request, detail={"month": f"{month:%Y-%m}"}
    )
    return render(
        request,
        "care/program_report.html",
        {
            "report": report,
            "charts": report.chart_data(),
            "previous": (month - dt.timedelta(days=1)).replace(day=1),
            "next": (month + dt.timedelta(days=32)).replace(day=1),
        },
    )


@require_GET
@staff_action("patients.view")
def program_report_csv(request):
    month, problem = _month(request)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain")
    report = program_report(request.organization, month)
    audit_event_record(
        action="program_report.export", request=request, detail={"month": f"{month:%Y-%m}"}
    )
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = attachment_disposition(f"rpm-program-{month:%Y-%m}.csv")
    writer = csv_writer(response)  # text cells neutralised (staff names)
    writer.writerow(CSV_HEADER)
    writer.writerows([f"{month:%Y-%m}", *row] for row in csv_rows(report))
    return response


def _num(value):
    return "" if value is None else value


def csv_rows(report: ProgramReport):
    """(section, item, measure, value) per figure, in the page's order (README: CSV columns)."""
    yield "patients", "all", "enrolled", report.enrolled
    yield "patients", "all", "active", report.active
    yield "patients", "all", "with_period_ended", report.with_period
    yield "patients", "all", "reached_16_device_days", report.reached_16
    yield "patients", "all", "share_16_device_days_percent", _num(report.share_16)
    yield "patients", "all", "reached_20_minutes", report.reached_20
    yield "patients", "all", "share_20_minutes_percent", _num(report.share_20)
    for tier in report.tiers:
        yield "alerts", tier.severity, "raised", tier.raised
        yield "alerts", tier.severity, "acknowledged", tier.acknowledged
        yield "alerts", tier.severity, "resolved", tier.resolved
        yield "alerts", tier.severity, "escalations", tier.escalations
        yield (
            "alerts",
            tier.severity,
            "median_minutes_to_acknowledge",
            _num(tier.median_acknowledge),
        )
        yield "alerts", tier.severity, "median_minutes_to_resolve", _num(tier.median_resolve)
    for value, _label, n in report.outcomes:
        yield "outcomes", value or "not_recorded", "alerts_resolved", n
    for value, _label, n in report.outreach:
        yield "outreach", value, "attempts", n
    for s in report.staff:
        yield "staff", s.username, "minutes_logged", s.minutes
        yield "staff", s.username, "billable_minutes", s.billable_minutes
        yield "staff", s.username, "alerts_handled", s.alerts_handled
        yield "staff", s.username, "alerts_resolved", s.alerts_resolved
        yield "staff", s.username, "outreach_attempts", s.outreach
