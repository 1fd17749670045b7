"""Pages of the alert queue and triage. Thin: parse, call a selector or service, render.

Anyone on the staff reads the queue and an alert; clinicians (nurses, physicians/QHPs, admins)
claim, assign, acknowledge, note, escalate and resolve; an admin may also release a colleague's
claim. The services hold the rules (who holds the alert, what resolving needs)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.roles import may
from readings.care import selectors, services
from readings.care.alerts import may_work, person_name
from readings.care.forms import (
    AlertActionForm,
    AlertAssignForm,
    AlertBulkForm,
    AlertClaimForm,
    AlertEscalateForm,
    AlertResolveForm,
)
from readings.models import AlertStatus, Severity

ALERTS_PAGE = 25
# Links written before the queue had views (?status=...) still land somewhere sensible.
LEGACY_STATUS = {"open": "new", **{s: s for s in AlertStatus.values if s != "open"}}


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(f"{m}" for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def _form_errors(form, exc: ValidationError) -> None:
    for name, errs in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errs)


# --- the queue ------------------------------------------------------------------------------
def _queue_params(request) -> tuple[str, str]:
    view = request.GET.get("view", "")
    if view not in selectors.QUEUE_VIEWS:
        view = LEGACY_STATUS.get(request.GET.get("status", ""), "new")
    severity = request.GET.get("severity", "")
    return view, severity if severity in Severity.values else ""


def _queue_patient(request):
    """The patient the queue is narrowed to (?patient=<id>, from the roster's alert chips), or
    None. Another organization's patient is a 404, as everywhere."""
    pk = request.GET.get("patient", "")
    return patient_for_org(request.organization, int(pk)) if pk.isdigit() else None


@require_GET
@staff_action("patients.view")
def alerts(request):
    view, severity = _queue_params(request)
    patient = _queue_patient(request)
    queue = selectors.alert_queue_view(
        request.organization, view, user=request.user, severity=severity, patient=patient
    )
    page = Paginator(queue, ALERTS_PAGE).get_page(request.GET.get("page"))
    audit_event_record(
        action="alert.list",
        request=request,
        patient=patient,
        detail={"view": view, "page": page.number, "alerts": [a.pk for a in page.object_list]},
    )
    counts = selectors.alert_view_counts(
        request.organization, user=request.user, severity=severity, patient=patient
    )
    can_triage = may(request.membership, "alerts.triage")
    for alert in page.object_list:
        _mark_bulk(alert, request.user)
    # Every link of the queue (tabs, severity, pager, the minute's refresh) keeps the patient.
    for_patient = f"&patient={patient.pk}" if patient else ""
    context = {
        "page": page,
        "view": view,
        "severity": severity,
        "patient": patient,
        "for_patient": for_patient,
        "severities": Severity.choices,
        "tabs": [(key, label, counts[key]) for key, label in selectors.QUEUE_VIEWS.items()],
        "extra": f"&view={view}&severity={severity}{for_patient}",
        "counts": selectors.open_alert_counts(request.organization),
        # Bulk actions: information and warning alerts only; a critical row has no checkbox.
        "bulk": can_triage and any(a.bulk_ok for a in page.object_list),
        "bulk_form": AlertBulkForm(auto_id="bulk-%s"),
    }
    template = "care/alerts.html"
    if request.htmx and request.htmx.target == "alert-results":
        template += "#results"
    return render(request, template, context)


def _mark_bulk(alert, user) -> None:
    """Whether the row gets a checkbox: an open information or warning alert the user may
    work (the server checks all of it again)."""
    alert.bulk_ok = alert.is_open and alert.severity != Severity.CRITICAL and may_work(alert, user)


@require_GET
@staff_action("patients.view")
def alert_badge(request):
    """The navigation's open-alert count, polled by HTMX. Counts only: no patient data."""
    counts = selectors.open_alert_counts(request.organization)
    return render(request, "care/_alert_badge.html", {"counts": counts})


@require_POST
@staff_action("alerts.triage")
def alerts_bulk(request):
    """Acknowledge or resolve several information/warning alerts at once (never critical)."""
    view, _ = _queue_params(request)
    form = AlertBulkForm(request.POST)
    back = redirect(reverse("care:alerts") + f"?view={view}")
    if not form.is_valid():
        messages.error(request, "Nothing changed: " + _first_errors(form))
        return back
    data = form.cleaned_data
    try:
        if data["action"] == "acknowledge":
            done = services.alerts_acknowledge_many(
                organization=request.organization,
                alert_ids=data["alert"],
                by=request.user,
                note=data["note"],
                request=request,
            )
            verb = "acknowledged"
        else:
            done = services.alerts_resolve_many(
                organization=request.organization,
                alert_ids=data["alert"],
                by=request.user,
                outcome=data["outcome"],
                note=data["note"],
                request=request,
            )
            verb = "resolved"
        messages.success(request, f"{len(done)} alert{'s' if len(done) != 1 else ''} {verb}.")
    except services.AlertStateError as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "Nothing changed: " + _errors_text(exc))
    return back


def _first_errors(form) -> str:
    return " ".join(f"{form.fields[f].label or f}: {e[0]}" for f, e in form.errors.items())


# --- one alert ------------------------------------------------------------------------------
@require_GET
@staff_action("patients.view")
def alert_detail(request, pk):
    alert = selectors.alert_for_org(request.organization, pk)
    audit_event_record(action="alert.view", request=request, patient=alert.patient, obj=alert)
    return _detail(request, alert)


def _detail(request, alert, **bound):
    """The alert page; `bound` replaces a blank form with one the user sent back (errors)."""
    org = request.organization
    forms = {
        "form": AlertResolveForm(),
        "escalate_form": AlertEscalateForm(
            physicians=selectors.alert_physicians(org), auto_id="escalate-%s"
        ),
        "assign_form": AlertAssignForm(
            colleagues=selectors.alert_colleagues(org), auto_id="assign-%s"
        ),
        **bound,
    }
    return render(
        request,
        "care/alert_detail.html",
        {
            "alert": alert,
            "patient": alert.patient,
            "readings": selectors.alert_readings(alert),
            "events": alert.events.select_related("actor"),
            "may_work": may_work(alert, request.user),
            "is_admin": request.membership.is_admin,
            **forms,
        },
    )


def _run(request, alert, call, done: str):
    """Call the service; state refusals (resolved, held by someone) become a message."""
    try:
        call()
        messages.success(request, done)
    except services.AlertStateError as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    return redirect("care:alert", pk=alert.pk)


def _refused(request, alert, exc: ValidationError | None, **bound):
    """Show the page again with the user's input and the reasons under the fields."""
    form = next(iter(bound.values()))
    if exc is not None:  # the service's reasons say what is missing in words
        _form_errors(form, exc)
        messages.error(request, "Not done: " + _errors_text(exc))
    else:
        messages.error(request, "Not done: " + _first_errors(form))
    return _detail(request, alert, **bound)


def _acknowledge(request, alert):
    form = AlertResolveForm(request.POST)  # the page's one triage form: note (and outcome)
    if not form.is_valid():
        return _refused(request, alert, None, form=form)
    note = form.cleaned_data["note"]
    return _run(
        request,
        alert,
        lambda: services.alert_acknowledge(
            alert=alert, by=request.user, note=note, request=request
        ),
        "Alert acknowledged.",
    )


def _note(request, alert):
    form = AlertResolveForm(request.POST)  # the page's one triage form: note (and outcome)
    if not form.is_valid():
        return _refused(request, alert, None, form=form)
    note = form.cleaned_data["note"]
    return _run(
        request,
        alert,
        lambda: services.alert_note_add(alert=alert, by=request.user, note=note, request=request),
        "Note added.",
    )


def _resolve(request, alert):
    form = AlertResolveForm(request.POST)
    if not form.is_valid():
        return _refused(request, alert, None, form=form)
    try:
        services.alert_resolve(alert=alert, by=request.user, request=request, **form.cleaned_data)
    except services.AlertStateError as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:  # an outcome or a note missing: keep what was typed
        return _refused(request, alert, exc, form=form)
    else:
        messages.success(request, "Alert resolved.")
    return redirect("care:alert", pk=alert.pk)


def _escalate(request, alert):
    physicians = selectors.alert_physicians(request.organization)
    form = AlertEscalateForm(request.POST, physicians=physicians, auto_id="escalate-%s")
    if not form.is_valid():
        return _refused(request, alert, None, escalate_form=form)
    to = form.cleaned_data["to"]
    try:
        services.alert_escalate(
            alert=alert, by=request.user, to=to, note=form.cleaned_data["note"], request=request
        )
    except services.AlertStateError as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        return _refused(request, alert, exc, escalate_form=form)
    else:
        messages.success(request, f"Alert escalated to {person_name(to)}.")
    return redirect("care:alert", pk=alert.pk)


def _assign(request, alert):
    colleagues = selectors.alert_colleagues(request.organization)
    form = AlertAssignForm(request.POST, colleagues=colleagues, auto_id="assign-%s")
    if not form.is_valid():
        return _refused(request, alert, None, assign_form=form)
    to = form.cleaned_data["to"]
    return _run(
        request,
        alert,
        lambda: services.alert_assign(
            alert=alert,
            by=request.user,
            to=to,
            note=form.cleaned_data["note"],
            take_over="take_over" in request.POST,
            request=request,
        ),
        f"Alert assigned to {person_name(to)}.",
    )


def _claim(request, alert):
    form = AlertClaimForm(request.POST)
    form.is_valid()  # a note over 4000 characters is dropped; the claim itself stands
    take_over = form.cleaned_data.get("take_over", False)
    note = form.cleaned_data.get("note", "")
    if request.htmx:  # from a queue row: answer with the row, refusal included
        return _claim_row(request, alert, take_over, note)
    return _run(
        request,
        alert,
        lambda: services.alert_claim(
            alert=alert, by=request.user, take_over=take_over, note=note, request=request
        ),
        "You took this alert over." if take_over else "You hold this alert now.",
    )


def _claim_row(request, alert, take_over, note):
    row_message = ""
    try:
        services.alert_claim(
            alert=alert, by=request.user, take_over=take_over, note=note, request=request
        )
    except services.AlertStateError as exc:
        row_message = str(exc)
    alert = selectors.alert_for_org(request.organization, alert.pk)
    _mark_bulk(alert, request.user)
    # The row keeps its checkbox cell when the table it replaces into has one.
    bulk = request.POST.get("row_bulk") == "1"
    context = {"alert": alert, "row_message": row_message, "bulk": bulk}
    return render(request, "care/alerts.html#row", context)


def _release(request, alert):
    form = AlertActionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _run(
        request,
        alert,
        lambda: services.alert_release(
            alert=alert,
            by=request.user,
            is_admin=request.membership.is_admin,
            note=note,
            request=request,
        ),
        "Alert released: it is back in the unclaimed queue.",
    )


ALERT_ACTIONS = {
    "acknowledge": _acknowledge,
    "note": _note,
    "escalate": _escalate,
    "resolve": _resolve,
    "claim": _claim,
    "release": _release,
    "assign": _assign,
}


@require_POST
@staff_action("alerts.triage")
def alert_action(request, pk, action):
    alert = selectors.alert_for_org(request.organization, pk)
    return ALERT_ACTIONS[action](request, alert)
