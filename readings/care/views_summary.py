"""The monthly patient summary: a printable page and the same document as a PDF, the one clinics
file in the EHR. Thin: the figures are readings.care.selectors.monthly_summary's.

The PDF is drawn by xhtml2pdf (HTML and CSS to PDF on reportlab): pure Python wheels, so
`make install` on a fresh machine brings it with pip alone — no pango, cairo or browser to
install. Its font is Bitstream Vera, which reportlab ships, embedded so the file looks the same
everywhere and carries the characters the summary uses (≥, °, —); the few it lacks are spelled
out (_PDF_TEXT)."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import reportlab
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from xhtml2pdf import pisa

from portal.access import ANY_STAFF, patient_for_org, staff_view
from portal.audit import audit_event_record
from portal.downloads import attachment_disposition
from readings.care.forms import MonthForm
from readings.care.selectors.monthly_summary import default_month, monthly_summary

log = logging.getLogger(__name__)

FONT_DIR = Path(reportlab.__file__).parent / "fonts"
# Characters Vera has no glyph for, spelled as staff read them on paper.
_PDF_TEXT = str.maketrans({"₂": "2", "→": "->", "✓": "yes"})


def _month(request, patient) -> tuple[dt.date, str]:
    """The month asked for (?month=YYYY-MM), else the last complete month in the patient's
    zone; a month not yet begun there is refused (with the default shown instead)."""
    default = default_month(patient)
    try:
        month = MonthForm(request.GET).month_date(default)
    except ValidationError:
        return default, "That month is not valid (YYYY-MM); showing the last complete month."
    this_month = timezone.now().astimezone(patient.tz).date().replace(day=1)
    if month > this_month:
        return default, "That month has not begun yet; showing the last complete month."
    return month, ""


def _context(request, patient, month) -> dict:
    summary = monthly_summary(patient, month)
    this_month = timezone.now().astimezone(patient.tz).date().replace(day=1)
    return {
        "summary": summary,
        "patient": patient,
        "printed_at": timezone.now(),
        "printed_by": request.user.get_full_name() or request.user.get_username(),
        "printed_role": request.membership.get_role_display(),
        "previous": (month - dt.timedelta(days=1)).replace(day=1),
        "next": (month + dt.timedelta(days=32)).replace(day=1) if month < this_month else None,
        "this_month": this_month,
    }


@require_GET
@staff_view(*ANY_STAFF)
def patient_summary(request, pk):
    patient = patient_for_org(request.organization, pk)
    month, problem = _month(request, patient)
    if problem:
        messages.warning(request, problem)
    audit_event_record(
        action="patient.summary.view",
        request=request,
        patient=patient,
        obj=patient,
        detail={"month": f"{month:%Y-%m}"},
    )
    return render(request, "care/summary.html", _context(request, patient, month))


def summary_pdf_bytes(html: str) -> bytes | None:
    """The PDF of the summary's HTML, or None when xhtml2pdf reports an error."""
    out = io.BytesIO()
    result = pisa.CreatePDF(html.translate(_PDF_TEXT), dest=out, encoding="utf-8")
    if result.err:
        return None
    return out.getvalue()


@require_GET
@staff_view(*ANY_STAFF)
def patient_summary_pdf(request, pk):
    patient = patient_for_org(request.organization, pk)
    month, problem = _month(request, patient)
    page = f"{reverse('care:patient_summary', args=[patient.pk])}?month={month:%Y-%m}"
    if problem:
        messages.warning(request, problem)
        return redirect(page)
    context = _context(request, patient, month) | {"font_dir": FONT_DIR.as_posix()}
    pdf = summary_pdf_bytes(render_to_string("care/summary_pdf.html", context, request=request))
    if pdf is None:
        log.error("summary PDF failed (patient %s, month %s)", patient.pk, f"{month:%Y-%m}")
        messages.error(request, "The PDF could not be made; print this page instead.")
        return redirect(page)
    audit_event_record(
        action="patient.summary.pdf",
        request=request,
        patient=patient,
        obj=patient,
        detail={"month": f"{month:%Y-%m}"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    # No name or MRN in the file name: it shows in download lists and email attachments.
    response["Content-Disposition"] = attachment_disposition(
        f"summary-{patient.pk}-{month:%Y-%m}.pdf"
    )
    return response
