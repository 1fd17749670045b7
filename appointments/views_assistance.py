"""Virtual-nursing assistance pages: ask Solo's virtual nurse to help at a bedside, see and
cancel open requests, and look up the current request of a room or device (seed 003 "Virtual
Nursing": Create, Get Current and Cancel Current Assistance Request)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import selectors
from appointments.forms import AssistanceForm
from appointments.services.reports import (
    assistance_request_cancel,
    assistance_request_create,
    assistance_request_current,
)
from portal.access import staff_action
from portal.audit import audit_event_record
from portal.http import VendorError


@require_http_methods(["GET", "POST"])
@staff_action("assistance.request")
def assistance(request):
    """Ask Solo's virtual-nursing team to help at a bedside; see and cancel open requests."""
    form = AssistanceForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                assistance_request_create(
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
    return _page(request, form=form)


def _page(request, *, form, look_form=None, **extra):
    items = list(selectors.assistance_requests_for(request.organization)[:25])
    audit_event_record(action="assistance.list", request=request, detail={"count": len(items)})
    context = {
        "form": form,
        "look_form": look_form or AssistanceForm(prefix="look"),
        "items": items,
        **extra,
    }
    return render(request, "appointments/assistance.html", context)


@require_GET
@staff_action("assistance.request")
def assistance_current(request):
    """Get Current Assistance Request for a bed, department room, MRN or device (the look-up
    form), or for the place one of the listed requests named (`?item=`)."""
    look_form = AssistanceForm(request.GET, prefix="look")
    location = None
    if request.GET.get("item", "").isdigit():
        item = get_object_or_404(
            selectors.assistance_requests_for(request.organization), pk=request.GET["item"]
        )
        location, look_form = item.location, AssistanceForm(prefix="look")
    elif look_form.is_valid():
        location = look_form.location()
    else:
        messages.error(request, "Fill in the fields for the chosen way of finding the bed.")
    extra = {}
    if location is not None:
        try:
            current = assistance_request_current(
                organization=request.organization,
                location=location,
                by=request.user,
                request=request,
            )
        except VendorError as exc:
            messages.error(request, f"The current request could not be read. {exc.staff_message}")
        else:
            extra = {
                "looked_up": location,
                "current": current,
                "current_created": _instant((current or {}).get("createdAt")),
            }
    return _page(request, form=AssistanceForm(), look_form=look_form, **extra)


@require_POST
@staff_action("assistance.request")
def assistance_cancel(request, pk):
    item = get_object_or_404(selectors.assistance_requests_for(request.organization), pk=pk)
    try:
        assistance_request_cancel(item=item, by=request.user, request=request)
    except VendorError as exc:
        messages.error(request, f"The request was not cancelled. {exc.staff_message}")
    else:
        messages.success(request, "Assistance request cancelled.")
    return redirect("appointments:assistance")


def _instant(value):
    """Solo's `createdAt` (ISO 8601 with an offset) as an aware datetime, or None."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None
