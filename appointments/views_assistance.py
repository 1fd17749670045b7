"""Virtual-nursing assistance pages: ask Solo's virtual nurse to help at a bedside, see and
cancel open requests (seed 003 "Virtual Nursing")."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from appointments import selectors
from appointments.forms import AssistanceForm
from appointments.services.reports import assistance_request_cancel, assistance_request_create
from portal.access import CLINICAL, staff_view
from portal.audit import audit_event_record
from portal.http import VendorError


@require_http_methods(["GET", "POST"])
@staff_view(*CLINICAL)
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
    items = list(selectors.assistance_requests_for(request.organization)[:25])
    audit_event_record(action="assistance.list", request=request, detail={"count": len(items)})
    return render(request, "appointments/assistance.html", {"form": form, "items": items})


@require_POST
@staff_view(*CLINICAL)
def assistance_cancel(request, pk):
    item = get_object_or_404(selectors.assistance_requests_for(request.organization), pk=pk)
    try:
        assistance_request_cancel(item=item, by=request.user, request=request)
    except VendorError as exc:
        messages.error(request, f"The request was not cancelled. {exc.staff_message}")
    else:
        messages.success(request, "Assistance request cancelled.")
    return redirect("appointments:assistance")
