"""Worklists: the lists a nurse works top to bottom this month, their counts in the
navigation, and logging an outreach attempt (from a list or the patient page). Thin: the rules
are readings.care.worklists, the queries readings.care.selectors.worklists, the write
readings.care.outreach."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from readings.care import worklists as rules
from readings.care.models import ContactWith
from readings.care.outreach import NOTE_MAX, outreach_attempt_log
from readings.care.outreach_models import OutreachMedium, OutreachOutcome
from readings.care.selectors import worklists as selectors

WORKLIST_PAGE = 25


class OutreachForm(forms.Form):
    outcome = forms.ChoiceField(choices=OutreachOutcome.choices, label="Outcome")
    medium = forms.ChoiceField(choices=OutreachMedium.choices, label="By")
    contact_with = forms.ChoiceField(
        choices=ContactWith.choices, required=False, label="With", initial=ContactWith.PATIENT
    )
    call_minutes = forms.IntegerField(
        min_value=1,
        max_value=120,
        required=False,
        label="Call minutes",
        help_text="Reached: the call's minutes are logged as care time too.",
    )
    note = forms.CharField(required=False, max_length=NOTE_MAX, label="Note")
    worklist = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)


class WithinForm(forms.Form):
    within = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=rules.DEFAULT_WITHIN_MINUTES,
        choices=[(n, f"{n} min") for n in rules.WITHIN_CHOICES],
        label="Within",
    )


@require_GET
@staff_action("patients.view")
def worklists(request):
    """Every worklist with its count and what puts a patient on it. Counts only: no audit."""
    scope = selectors.Scope(request.organization)
    counts = selectors.worklist_counts(scope)
    return render(
        request,
        "care/worklists.html",
        {
            "lists": [(w, counts[w.slug]) for w in rules.WORKLISTS],
            "scope": scope,
            "counts": counts,
        },
    )


@require_GET
@staff_action("patients.view")
def worklist_nav(request):
    """The navigation's worklist counts (HTMX, on every page). Counts only: no patient data."""
    scope = selectors.Scope(request.organization)
    counts = selectors.worklist_counts(scope)
    return render(
        request,
        "care/worklist_nav.html",
        {
            "lists": [(w, counts[w.slug]) for w in rules.WORKLISTS],
            "total": sum(counts.values()),
            "current": request.GET.get("current", ""),
        },
    )


@require_GET
@staff_action("patients.view")
def worklist(request, slug):
    worklist = rules.BY_SLUG.get(slug)
    scope = selectors.Scope(request.organization)
    within_form = WithinForm(request.GET or None, auto_id="worklist-%s")
    within = (
        within_form.cleaned_data["within"]
        if within_form.is_valid()
        else rules.DEFAULT_WITHIN_MINUTES
    )
    queryset = selectors.worklist_queryset(scope, slug, within=within)  # 404 when unknown
    page = Paginator(selectors.with_last_outreach(slug, queryset), WORKLIST_PAGE).get_page(
        request.GET.get("page")
    )
    rows = selectors.worklist_rows(scope, slug, list(page.object_list))
    counts = selectors.worklist_counts(scope)
    audit_event_record(
        action="worklist.view",
        request=request,
        detail={"worklist": slug, "page": page.number, "patients": [r.patient.pk for r in rows]},
    )
    return render(
        request,
        "care/worklist.html",
        {
            "worklist": worklist,
            "tabs": [(w, counts[w.slug]) for w in rules.WORKLISTS],
            "page": page,
            "rows": rows,
            "scope": scope,
            "within": within,
            "within_form": within_form,
            "extra": f"&within={within}" if slug == rules.MINUTES.slug else "",
            "form": OutreachForm(initial={"worklist": slug}),
            "outcomes": OutreachOutcome.choices,
            "media": OutreachMedium.choices,
            "next": request.get_full_path(),
        },
    )


def _next_url(request, patient) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("patients:detail", args=[patient.pk]) + "#outreach"


@require_POST
@staff_action("care.time")
def outreach_log(request, pk):
    """Log an outreach attempt (and, when the patient was reached, the call's minutes)."""
    patient = patient_for_org(request.organization, pk)
    form = OutreachForm(request.POST)
    if not form.is_valid():
        text = " ".join(f"{form.fields[f].label or f}: {e[0]}" for f, e in form.errors.items())
        messages.error(request, "Outreach not logged: " + text)
        return redirect(_next_url(request, patient))
    data = form.cleaned_data
    try:
        attempt = outreach_attempt_log(
            patient=patient,
            by=request.user,
            outcome=data["outcome"],
            medium=data["medium"],
            note=data["note"],
            worklist=data["worklist"],
            call_minutes=data["call_minutes"],
            contact_with=data["contact_with"] or ContactWith.PATIENT,
            request=request,
        )
    except ValidationError as exc:
        text = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
        messages.error(request, "Outreach not logged: " + text)
        return redirect(_next_url(request, patient))
    logged = f" and {attempt.time_entry.duration} of care time" if attempt.time_entry else ""
    messages.success(
        request,
        f"Logged “{attempt.get_outcome_display()}” for {patient.display_name}{logged}.",
    )
    return redirect(_next_url(request, patient))
