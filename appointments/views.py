"""Appointment pages (HTMX): the day/week list, the schedule flow from a patient, the visit
page with its actions. Views call selectors and services only; each request that shows patient
data writes one audit event."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from appointments import selectors, sync
from appointments.forms import (
    AttachmentForm,
    BookForm,
    CancelForm,
    ListFilterForm,
    RescheduleForm,
    SlotSearchForm,
)
from appointments.services import booking, records, reports
from appointments.services.common import VisitRefused
from portal import dates
from portal.access import CLINICAL, patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.roles import may


def _org_today(request):
    return timezone.localdate(timezone=request.organization_tz)


def _with_tz(request):
    # The day's visits are a work list: its days and times are the viewer's (their profile's
    # zone, else the organization's; portal/timezones.py), so no list mixes EST and CST.
    request.organization_tz = request.membership.viewer_tz


def _rooms(request):
    """The organization's waiting rooms; fetched from Solo the first time they are needed."""
    rooms = list(selectors.waiting_rooms_for(request.organization))
    if not rooms:
        try:
            sync.waiting_rooms_sync(organization=request.organization)
        except VendorError as exc:
            messages.error(request, exc.staff_message)
        rooms = list(selectors.waiting_rooms_for(request.organization))
    return rooms


def _first_error(form) -> str:
    """The first problem of an invalid form, for a message to staff."""
    name, errors = next(iter(form.errors.items()))
    label = form.fields[name].label if name in form.fields else None
    return f"{label}: {errors[0]}" if label and name != "slot" else errors[0]


def _redirect_back(request, url):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- the list ------------------------------------------------------------------------------
@require_GET
@staff_action("patients.view")
def appointment_list(request):
    _with_tz(request)
    rooms = list(selectors.waiting_rooms_for(request.organization))
    form = ListFilterForm(request.GET or None, rooms=rooms)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and form.errors:
        messages.warning(request, f"{_first_error(form)} Showing today instead.")
    span = data.get("range") or "today"
    day = data.get("day") or _org_today(request)
    if span == "week":
        first = day - timedelta(days=day.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
    else:
        days = [day]
    start, _ = selectors.day_bounds(days[0], request.organization_tz)
    _, end = selectors.day_bounds(days[-1], request.organization_tz)
    room = next((r for r in rooms if r.pk == data.get("waiting_room")), None)
    visits = list(
        selectors.appointments_in_range(
            request.organization,
            start=start,
            end=end,
            waiting_room=room,
            status=data.get("status") or "",
        )
    )
    by_day = {d: [] for d in days}
    for visit in visits:
        by_day.setdefault(dates.local_date(visit.starts_at, request.organization_tz), [])
        by_day[dates.local_date(visit.starts_at, request.organization_tz)].append(visit)
    audit_event_record(
        action="appointment.list",
        request=request,
        detail={"range": span, "day": day.isoformat(), "count": len(visits)},
    )
    step = 7 if span == "week" else 1
    context = {
        "form": form,
        "span": span,
        "day": day,
        "days": [(d, by_day.get(d, [])) for d in days],
        "zone_days": days,  # the heading names the viewer's zone on these days (DST)
        "count": len(visits),
        "previous_day": dates.add_days(day, -step),
        "next_day": dates.add_days(day, step),
        "today": _org_today(request),
        "org_tz": request.organization.time_zone,
        "query_rest": "&".join(
            f"{k}={v}" for k, v in request.GET.items() if k in ("waiting_room", "status") and v
        ),
    }
    template = "appointments/list.html"
    if request.htmx and request.htmx.target == "appointment-results":
        template += "#results"
    return render(request, template, context)


# --- schedule flow from a patient ----------------------------------------------------------
def _slots(request, room, day, patient):
    try:
        return booking.appointment_slots_find(waiting_room=room, day=day, zone=patient.tz), None
    except VendorError as exc:
        return [], exc.staff_message


@require_http_methods(["GET", "POST"])
@staff_action("visits.schedule")
def schedule(request, patient_pk):
    """Pick a waiting room → see free slots → book → confirmation (the visit page)."""
    patient = patient_for_org(request.organization, patient_pk)
    rooms = _rooms(request)
    if request.method == "POST":
        form = BookForm(request.POST)
        if form.is_valid():
            room = selectors.waiting_room_for_org(
                request.organization, form.cleaned_data["waiting_room"]
            )
            starts_at = form.cleaned_data["slot"]
            reason = form.cleaned_data["reason"]
            try:
                visit = booking.appointment_book(
                    patient=patient,
                    waiting_room=room,
                    starts_at=starts_at,
                    reasons=[reason] if reason else [],
                    by=request.user,
                    request=request,
                )
            except (VisitRefused, VendorError) as exc:
                message = exc.staff_message if isinstance(exc, VendorError) else str(exc)
                messages.error(request, f"The visit was not booked. {message}")
            else:
                local = timezone.localtime(visit.starts_at, patient.tz)
                messages.success(
                    request,
                    f"Visit booked for {local:%a %b %-d at %-I:%M %p} ({patient.time_zone}) in "
                    f"{room.name}. Solo visit #{visit.solo_id}.",
                )
                return _redirect_back(request, visit_url(visit))
        else:
            messages.error(request, _first_error(form))
        return _redirect_back(request, request.path)
    today = timezone.localdate(timezone=patient.tz)
    search = SlotSearchForm(
        request.GET if "waiting_room" in request.GET else None,
        rooms=rooms,
        initial={"day": today, "waiting_room": rooms[0].pk if rooms else None},
    )
    slots, slot_error, room, day = [], None, None, None
    if search.is_bound and search.is_valid():
        room = selectors.waiting_room_for_org(
            request.organization, search.cleaned_data["waiting_room"]
        )
        day = search.cleaned_data["day"]
        slot_error = dates.visit_day_problem(day, today)
        if slot_error is None:
            slots, slot_error = _slots(request, room, day, patient)
    audit_event_record(
        action="appointment.schedule.view", request=request, patient=patient, obj=patient
    )
    context = {
        "patient": patient,
        "rooms": rooms,
        "search": search,
        "room": room,
        "day": day,
        "slots": slots,
        "slot_error": slot_error,
        "upcoming": selectors.upcoming_for_patient(patient, limit=5),
        "today": today,
    }
    template = "appointments/schedule.html"
    if request.htmx and request.htmx.target == "slots":
        template += "#slots"
    return render(request, template, context)


def visit_url(visit):
    from django.urls import reverse

    return reverse("appointments:detail", args=[visit.pk])


# --- the visit page ------------------------------------------------------------------------
@require_GET
@staff_action("patients.view")
def detail(request, pk):
    visit = selectors.appointment_for_org(request.organization, pk)
    audit_event_record(action="appointment.view", request=request, patient=visit.patient, obj=visit)
    context = {
        "visit": visit,
        "patient": visit.patient,
        "changes": visit.changes.select_related("by"),
        "cancel_form": CancelForm(),
        "attachment_form": AttachmentForm(),
        "today": timezone.localdate(timezone=visit.patient.tz),
        "episodes": list(visit.patient.episodes.all()) if visit.is_open else [],
    }
    return render(request, "appointments/detail.html", context)


@require_GET
@staff_action("visits.schedule")
def provider_link(request, pk):
    """Fetch a fresh provider (or MS Teams) link from Solo at click time and go there; the
    button opens this in a new tab."""
    visit = selectors.appointment_for_org(request.organization, pk)
    teams = request.GET.get("teams") == "1"
    try:
        url = booking.appointment_provider_link(appointment=visit, teams=teams, request=request)
    except VendorError as exc:
        audit_event_record(
            action="appointment.provider_link.failed",
            request=request,
            patient=visit.patient,
            obj=visit,
        )
        return render(
            request,
            "appointments/link_error.html",
            {"visit": visit, "message": exc.staff_message, "teams": teams},
            # Solo down: 503 (try again); Solo refused or not configured: 409 (won't change).
            status=503 if exc.is_outage and exc.code != "not_configured" else 409,
        )
    return HttpResponseRedirect(url)


@require_GET
@staff_action("visits.schedule")
def context_link(request, pk):
    """Open the visit in Solo's own web app for the signed-in user (context-aware linking)."""
    visit = selectors.appointment_for_org(request.organization, pk)
    kind = "provider" if request.membership.role in CLINICAL else "medicalAssistant"
    try:
        url = reports.context_link_build(appointment=visit, user=request.user, kind=kind)
    except VisitRefused as exc:
        return render(
            request,
            "appointments/link_error.html",
            {"visit": visit, "message": str(exc), "teams": False},
            status=409,
        )
    audit_event_record(
        action="appointment.context_link", request=request, patient=visit.patient, obj=visit
    )
    return HttpResponseRedirect(url)


@require_http_methods(["GET", "POST"])
@staff_action("visits.schedule")
def reschedule(request, pk):
    visit = selectors.appointment_for_org(request.organization, pk)
    patient = visit.patient
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _first_error(form))
            return _redirect_back(request, visit_url(visit))
        try:
            booking.appointment_reschedule(
                appointment=visit,
                starts_at=form.cleaned_data["slot"],
                by=request.user,
                request=request,
            )
        except (VisitRefused, VendorError) as exc:
            message = exc.staff_message if isinstance(exc, VendorError) else str(exc)
            messages.error(request, f"The visit was not moved. {message}")
        else:
            local = timezone.localtime(visit.starts_at, patient.tz)
            messages.success(request, f"Visit moved to {local:%a %b %-d at %-I:%M %p}.")
        return _redirect_back(request, visit_url(visit))
    # GET: the free slots of the visit's waiting room on a day (an HTMX fragment)
    form = SlotSearchForm(
        {"waiting_room": visit.waiting_room_id or 0, "day": request.GET.get("day", "")},
        rooms=[visit.waiting_room] if visit.waiting_room else [],
    )
    slots, slot_error = [], None
    today = timezone.localdate(timezone=patient.tz)
    if visit.waiting_room is None:
        slot_error = "This visit was created in Solo without a known waiting room; move it in Solo."
    elif not form.is_valid():
        slot_error = "Pick a day between 2000-01-01 and 2100-12-31."
    else:
        slot_error = dates.visit_day_problem(form.cleaned_data["day"], today)
        if slot_error is None:
            day = form.cleaned_data["day"]
            slots, slot_error = _slots(request, visit.waiting_room, day, patient)
    audit_event_record(
        action="appointment.reschedule.view", request=request, patient=patient, obj=visit
    )
    return render(
        request,
        "appointments/_reschedule_slots.html",
        {"visit": visit, "patient": patient, "slots": slots, "slot_error": slot_error},
    )


@require_POST
@staff_action("visits.schedule")
def cancel(request, pk):
    visit = selectors.appointment_for_org(request.organization, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please give a reason for cancelling.")
        return _redirect_back(request, visit_url(visit))
    try:
        booking.appointment_cancel(
            appointment=visit, reason=form.cleaned_data["reason"], by=request.user, request=request
        )
    except (VisitRefused, VendorError) as exc:
        message = exc.staff_message if isinstance(exc, VendorError) else str(exc)
        messages.error(request, f"The visit was not cancelled. {message}")
    else:
        messages.success(request, "Visit cancelled. Solo has been told.")
    return _redirect_back(request, visit_url(visit))


# --- visit note ----------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_action("patients.view")
def visit_note(request, pk):
    """The visit note from Solo (a fragment loaded by the visit page); POST saves answers
    (nurses and admins only)."""
    visit = selectors.appointment_for_org(request.organization, pk)
    can_edit = may(request.membership, "visits.clinical")
    if request.method == "POST":
        if not can_edit:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only clinical staff can edit visit notes.")
        answers = {
            key.removeprefix("q-"): value[:2000]
            for key, value in request.POST.items()
            if key.startswith("q-")
        }
        try:
            records.visit_note_update(
                appointment=visit,
                template_name=request.POST.get("template", "")[:200],
                answers=answers,
                by=request.user,
                request=request,
            )
        except (VisitRefused, VendorError) as exc:
            message = exc.staff_message if isinstance(exc, VendorError) else str(exc)
            messages.error(request, f"The note was not saved. {message}")
        else:
            messages.success(request, "Visit note saved to Solo.")
        return _redirect_back(request, visit_url(visit) + "#note")
    note, error = None, None
    try:
        note = records.visit_note_fetch(appointment=visit)
    except VendorError as exc:
        error = exc.staff_message
    audit_event_record(
        action="appointment.visit_note.view", request=request, patient=visit.patient, obj=visit
    )
    questions = []
    if note:
        answered = {tuple(r.get("question", [])): r.get("response", []) for r in note["responses"]}
        for section in note["template"].get("flow", {}).get("sections", []):
            for q in section.get("questions", []):
                answer = answered.get((section.get("title"), q.get("text")), [])
                questions.append(
                    {
                        "id": q["id"],
                        "section": section.get("title"),
                        "text": q.get("text"),
                        "answer": "; ".join(answer),
                    }
                )
    return render(
        request,
        "appointments/_note.html",
        {
            "visit": visit,
            "note": note,
            "questions": questions,
            "error": error,
            "can_edit": can_edit and visit.status != "cancelled",
            "editing": request.GET.get("edit") == "1" and can_edit,
        },
    )
