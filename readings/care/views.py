"""Pages of care. Thin: parse, call a selector or service, render."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.downloads import attachment_disposition, csv_writer
from portal.roles import may
from readings.care import billing_csv as billing_csv_rows
from readings.care import contacts, selectors, services, signing, views_signing
from readings.care import panels as care_panels
from readings.care.forms import (
    MonthForm,
    RosterFilterForm,
    ThresholdForm,
    TimeEntryForm,
    TimerStopForm,
)
from readings.models import ThresholdRule
from readings.thresholds import effective_rules

ROSTER_PAGE = 25
BILLING_PAGE = 50


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(f"{m}" for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


# --- roster ---------------------------------------------------------------------------------
@require_GET
@staff_action("patients.view")
def roster(request):
    form = RosterFilterForm(request.GET or None, auto_id="roster-%s")
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.RosterFilters(
        query=data.get("q") or "",
        attention=bool(data.get("attention")),
        no_data_days=data.get("nodata"),
        below_16=bool(data.get("below16")),
        mine=bool(data.get("mine")),
        sort=data.get("sort") or "attention",
    )
    now = timezone.now()
    patients = selectors.roster_patients(request.organization, filters, user=request.user, now=now)
    page = selectors.roster_page(patients, ROSTER_PAGE, request.GET.get("page"))
    rows = selectors.roster_rows(list(page.object_list), now=now)
    audit_event_record(
        action="roster.view",
        request=request,
        detail={"page": page.number, "patients": [r.patient.pk for r in rows]},
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "extra": "&" + query.urlencode() if query else "",
        "counts": selectors.open_alert_counts_bounded(request.organization),
        "now": now,
        "stale_before": now - dt.timedelta(days=2),
    }
    template = "care/roster.html"
    if request.htmx and request.htmx.target == "roster-results":
        template += "#results"
    return render(request, template, context)


# --- time log and timer ---------------------------------------------------------------------
def _back_to_patient(patient):
    return redirect(reverse("patients:detail", args=[patient.pk]) + "#care")


def _visits(patient, entry=None):
    """The Solo visits that happened which staff may log time for (the entry's own too)."""
    since = services.patient_today(patient) - dt.timedelta(days=62)
    visits = list(contacts.visits_to_log(patient, since=since))
    if entry is not None and entry.appointment and entry.appointment not in visits:
        visits.append(entry.appointment)
    return visits


def _form_errors_text(form) -> str:
    return " ".join(
        f"{form.fields[f].label or f}: {e[0]}" if f in form.fields else e[0]
        for f, e in form.errors.items()
    )


def _add_service_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "message_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errs in exc.message_dict.items():
        target = "minutes" if name == "seconds" else name
        form.add_error(target if target in form.fields else None, errs)


def _panel_answer(request, patient, level: str, text: str, **forms):
    """What a form of the care panel answers. htmx (every browser with scripts) gets the panel
    again, the notice and any errors beside the form and the staff's input kept; without
    scripts, the patient page with the notice at the top."""
    if not request.htmx:
        messages.add_message(request, getattr(messages, level.upper()), text)
        return _back_to_patient(patient)
    audit_event_record(action="patient.view", request=request, patient=patient, obj=patient)
    html = care_panels.patient_panel(request, patient, notice=(level, text), **forms)
    return HttpResponse(html)


def _timer_conflict(request, exc) -> str:
    """The timer's refusal, naming the patient whose timer runs (one of the viewer's
    organization only) with a link to their page."""
    other = exc.running_patient
    if other is None or other.organization_id != request.organization.pk:
        return str(exc)
    return format_html(
        'Your timer is running for <a href="{}#care">{}</a>. Stop it there first.',
        reverse("patients:detail", args=[other.pk]),
        other.display_name,
    )


@require_POST
@staff_action("care.time")
def time_add(request, pk):
    patient = patient_for_org(request.organization, pk)
    form = TimeEntryForm(request.POST, visits=_visits(patient), auto_id="time-%s")
    if form.is_valid():
        try:
            entry = services.time_entry_create(
                patient=patient, by=request.user, request=request, **form.service_values()
            )
            text = f"Logged {entry.duration}.{_not_billable(entry)}"
            return _panel_answer(request, patient, "success", text)
        except ValidationError as exc:
            _add_service_errors(form, exc)
    return _panel_answer(
        request, patient, "error", "Time not logged: " + _form_errors_text(form), form=form
    )


def _not_billable(entry) -> str:
    return f" Not billable: {entry.not_billable_reason}." if not entry.billable else ""


@require_http_methods(["GET", "POST"])
@staff_action("care.time")
def time_edit(request, pk):
    entry = selectors.time_entry_for_org(request.organization, pk)
    patient = entry.patient
    if not services.time_entry_can_edit(entry, request.user, None):
        raise PermissionDenied("Only the author or an organization admin can change this entry.")
    visits = _visits(patient, entry)
    if request.method == "POST":
        if "delete" in request.POST:
            services.time_entry_delete(entry=entry, by=request.user, request=request)
            messages.success(request, "Time entry deleted (kept in the history).")
            return _back_to_patient(patient)
        form = TimeEntryForm(request.POST, visits=visits, entry=entry)
        if form.is_valid():
            try:
                services.time_entry_update(
                    entry=entry, by=request.user, request=request, **form.service_values()
                )
                messages.success(request, "Time entry updated.")
                return _back_to_patient(patient)
            except ValidationError as exc:
                _add_service_errors(form, exc)
    else:
        form = TimeEntryForm(initial=TimeEntryForm.initial_for(entry), visits=visits, entry=entry)
        audit_event_record(action="time_entry.view", request=request, patient=patient, obj=entry)
    return render(
        request,
        "care/time_edit.html",
        {
            "entry": entry,
            "patient": patient,
            "form": form,
            "revisions": entry.revisions.select_related("editor"),
        },
    )


@require_POST
@staff_action("care.time")
def timer_start(request, pk):
    patient = patient_for_org(request.organization, pk)
    try:
        services.care_timer_start(user=request.user, patient=patient)
    except services.TimerError as exc:
        return _panel_answer(request, patient, "warning", _timer_conflict(request, exc))
    return _panel_answer(request, patient, "success", "Timer started. Stop it when you finish.")


@require_POST
@staff_action("care.time")
def timer_stop(request, pk):
    patient = patient_for_org(request.organization, pk)
    form = TimerStopForm(request.POST, auto_id="timer-%s")
    if not form.is_valid():
        text = "Timer still running: " + _form_errors_text(form)
        return _panel_answer(request, patient, "error", text, stop_form=form)
    try:
        entry = services.care_timer_stop(
            user=request.user, patient=patient, request=request, **form.service_values()
        )
    except services.TimerError as exc:
        services.care_timer_cancel(user=request.user, patient=patient)
        return _panel_answer(request, patient, "warning", str(exc))
    except ValidationError as exc:
        _add_service_errors(form, exc)
        text = "Timer still running, nothing logged: " + _errors_text(exc)
        return _panel_answer(request, patient, "error", text, stop_form=form)
    text = f"Timer stopped: logged {entry.duration}.{_not_billable(entry)}"
    return _panel_answer(request, patient, "success", text)


# --- thresholds -----------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_action("patients.view")
def thresholds(request, pk):
    patient = patient_for_org(request.organization, pk)
    form = ThresholdForm(request.POST or None)
    if request.method == "POST":
        if not may(request.membership, "thresholds.change"):
            raise PermissionDenied("Only clinicians change thresholds.")
        if form.is_valid():
            try:
                services.threshold_override_set(
                    patient=patient, by=request.user, request=request, **form.cleaned_data
                )
                messages.success(request, "Threshold saved for this patient.")
                return redirect("care:thresholds", pk=patient.pk)
            except ValidationError as exc:
                for name, errs in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errs)
    else:
        audit_event_record(action="threshold.view", request=request, patient=patient)
    rules = effective_rules(request.organization, [patient.pk])[patient.pk]
    history = ThresholdRule.objects.filter(patient=patient).select_related(
        "created_by", "superseded_by"
    )
    return render(
        request,
        "care/thresholds.html",
        {
            "patient": patient,
            "rules": rules,
            "history": history,
            "form": form,
        },
    )


# --- billing --------------------------------------------------------------------------------
def _month(request):
    form = MonthForm(request.GET)
    today = timezone.now().astimezone(selectors.organization_tz(request.organization)).date()
    try:
        return form.month_date(today), None
    except ValidationError:
        return today.replace(day=1), (
            "That month is not valid (YYYY-MM, 2000-01 to 2100-12); showing this month."
        )


@require_GET
@staff_action("patients.view")
def billing_report(request):
    month, problem = _month(request)
    if problem:
        messages.warning(request, problem)
    query = request.GET.get("q", "").strip()[:100]
    signature = signing.signature_current(request.organization, month)
    if signature is not None:  # signed: the frozen lines, with the amendment beside them
        return views_signing.signed_report(request, month, signature, query)
    page = Paginator(
        selectors.billing_patients(request.organization, month, query), BILLING_PAGE
    ).get_page(request.GET.get("page"))
    lines = selectors.billing_lines(list(page.object_list), month)
    audit_event_record(
        action="billing.view",
        request=request,
        detail={"month": f"{month:%Y-%m}", "patients": [line.patient.pk for line in lines]},
    )
    template = "care/billing.html"
    if request.htmx and request.htmx.target == "billing-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "month": month,
            "previous": (month - dt.timedelta(days=1)).replace(day=1),
            "next": (month + dt.timedelta(days=32)).replace(day=1),
            "page": page,
            "lines": lines,
            "query": query,
            "extra": f"&month={month:%Y-%m}&q={query}",
            "can_sign": signing.can_sign(request.membership, month),
            "attestation": signing.ATTESTATION,
        },
    )


@require_GET
@staff_action("patients.view")
def billing_csv(request):
    month, problem = _month(request)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain")
    rows, detail = billing_csv_rows.month_rows(request.organization, month)
    audit_event_record(
        action="billing.export", request=request, detail={"month": f"{month:%Y-%m}", **detail}
    )
    # Built in memory (chunks of 500 patients): a 10,000-patient month is a few MB, and a plain
    # response keeps error handling (and tests) simple.
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = attachment_disposition(f"rpm-billing-{month:%Y-%m}.csv")
    writer = csv_writer(response)  # every text cell neutralised (CSV injection), MRN included
    writer.writerow(billing_csv_rows.CSV_HEADER)
    writer.writerows(rows)
    return response
