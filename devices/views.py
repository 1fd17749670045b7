"""Device pages (HTMX): inventory, device detail, assign dialogs, Smart Meter connect.

Actions are plain POST forms that redirect back with a message (post/redirect/get), so they
work without JavaScript and a refresh never repeats them; the dialogs' search lists are HTMX
fragments. Views hold no rules: they call services and show the service's message."""

from http import HTTPStatus

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from devices import selectors
from devices.forms import (
    AssignDeviceForm,
    AssignPatientForm,
    InventoryFilterForm,
    ReplaceForm,
    SiteForm,
    SmartMeterConnectForm,
    StatusForm,
)
from devices.models import DeviceStatus, SmartMeterConnection
from devices.services import (
    SMART_METER_TYPE_LABELS,
    DeviceRuleError,
    DeviceVendorError,
    assignment_problem,
    device_assign,
    device_assignable_problem,
    device_associate_site,
    device_replace,
    device_set_status,
    device_unassign,
    smart_meter_connect,
    smart_meter_disconnect,
    smart_meter_disconnect_all,
    status_change_problem,
)
from devices.sync import SYNC_KIND
from devices.tasks import devices_sync_run
from devices.validators import imei_warning
from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.celery import task_send
from portal.selectors import patients_search
from portal.sync import latest_sync_run, sync_run_start

DEVICES_PER_PAGE = 25
OPTIONS_LIMIT = 15


def _back(request, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
        return nxt
    return default


def _act(request, call, success: str, back: str):
    """Run a service; show its success, rule refusal or vendor trouble as a message."""
    try:
        call()
    except DeviceRuleError as exc:
        messages.error(request, exc.message)
    except DeviceVendorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(back)


# --- inventory ------------------------------------------------------------------------------
@staff_action("patients.view")
def device_list(request):
    form = InventoryFilterForm(request.organization, request.GET or None)
    filters = form.cleaned_filters()
    page = Paginator(
        selectors.devices_inventory(request.organization, **filters), DEVICES_PER_PAGE
    ).get_page(request.GET.get("page"))
    audit_event_record(
        action="device.list",
        request=request,
        detail={"page": page.number, "filtered": any(filters.values())},
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "extra": "&" + query.urlencode() if query else "",
        "sync_run": latest_sync_run(request.organization, SYNC_KIND),
    }
    template = "devices/device_list.html"
    if request.htmx and request.htmx.target == "device-results":
        template += "#results"
    return render(request, template, context)


@require_POST
@staff_action("devices.sync")
def sync_start(request):
    run = sync_run_start(
        organization=request.organization, kind=SYNC_KIND, by=request.user, join_running=True
    )
    if not task_send(devices_sync_run, run.pk):
        # Nothing sweeps a queued sync, so say so rather than leave a run "running" forever.
        run.finish(error="The task queue is unavailable; the sync did not start. Try again.")
        if not request.htmx:
            messages.error(request, "The sync could not start (task queue unavailable).")
            return redirect("devices:list")
    if request.htmx:
        return render(request, "devices/_sync_status.html", {"sync_run": run})
    messages.success(request, "Inventory sync started.")
    return redirect("devices:list")


@require_GET
@staff_action("patients.view")
def sync_status(request):
    return render(
        request,
        "devices/_sync_status.html",
        {"sync_run": latest_sync_run(request.organization, SYNC_KIND)},
    )


# --- one device -----------------------------------------------------------------------------
@staff_action("patients.view")
def device_detail(request, pk):
    device = selectors.device_for_org(request.organization, pk)
    changes, assignments = selectors.device_history(device)
    audit_event_record(
        action="device.view", request=request, patient=device.assigned_patient, obj=device
    )
    replacements = selectors.device_replacements(device)
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "changes": changes,
            "assignments": assignments,
            "status_form": StatusForm(device=device),
            "replace_form": ReplaceForm(replacements=replacements),
            "site_form": SiteForm(
                sites=selectors.clinic_sites(request.organization).exclude(pk=device.site_id)
            ),
            "is_impilo": device.source == "impilo" and device.impilo_device_id,
            # Asked of the rules, so a page never offers what the service would refuse.
            "assign_problem": device_assignable_problem(device),
            "status_problem": status_change_problem(device),
        },
    )


@require_GET
@staff_action("devices.manage")
def patient_options(request, pk):
    """The assign dialog on a device page: patients matching the search, as radio options."""
    device = selectors.device_for_org(request.organization, pk)
    query = request.GET.get("q", "").strip()[:100]
    patients = list(patients_search(request.organization, query, active_only=True)[:OPTIONS_LIMIT])
    audit_event_record(
        action="patient.list",
        request=request,
        detail={"purpose": "device_assign", "count": len(patients)},
    )
    options = [(p, assignment_problem(device, p)) for p in patients]
    return render(
        request,
        "devices/_patient_options.html",
        {"options": options, "query": query, "device": device},
    )


@require_POST
@staff_action("devices.manage")
def device_assign_view(request, pk):
    device = selectors.device_for_org(request.organization, pk)
    back = _back(request, reverse("devices:detail", args=[device.pk]))
    form = AssignPatientForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick the patient to assign this device to.")
        return redirect(back)
    patient = patient_for_org(request.organization, form.cleaned_data["patient"])
    return _act(
        request,
        lambda: device_assign(device=device, patient=patient, by=request.user, request=request),
        f"{device.identifier} is now assigned to {patient.display_name}.",
        back,
    )


@require_POST
@staff_action("devices.manage")
def device_unassign_view(request, pk):
    device = selectors.device_for_org(request.organization, pk)
    return _act(
        request,
        lambda: device_unassign(device=device, by=request.user, request=request),
        f"{device.identifier} is unassigned and back on the shelf.",
        _back(request, reverse("devices:detail", args=[device.pk])),
    )


@require_POST
@staff_action("devices.manage")
def device_replace_view(request, pk):
    device = selectors.device_for_org(request.organization, pk)
    back = _back(request, reverse("devices:detail", args=[device.pk]))
    form = ReplaceForm(request.POST)
    if not form.is_valid():
        # The reason is checked by the service (one rule for page and API); only a missing
        # or malformed device id stops here.
        messages.error(request, "Pick the replacement device.")
        return redirect(back)
    replacement = selectors.device_for_org(request.organization, form.cleaned_data["replacement"])
    return _act(
        request,
        lambda: device_replace(
            device=device,
            replacement=replacement,
            note=form.cleaned_data["note"],
            by=request.user,
            request=request,
        ),
        f"{device.identifier} is replaced by {replacement.identifier}; "
        "the old one goes back to Impilo.",
        back,
    )


@require_POST
@staff_action("devices.manage")
def device_site_view(request, pk):
    device = selectors.device_for_org(request.organization, pk)
    back = reverse("devices:detail", args=[device.pk])
    form = SiteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the clinic to move this device to.")
        return redirect(back)
    site = selectors.site_for_org(request.organization, form.cleaned_data["site"])
    return _act(
        request,
        lambda: device_associate_site(device=device, site=site, by=request.user, request=request),
        f"{device.identifier} is now in the stock of {site.name}.",
        back,
    )


@require_POST
@staff_action("devices.manage")
def device_status_view(request, pk):
    device = selectors.device_for_org(request.organization, pk)
    back = reverse("devices:detail", args=[device.pk])
    form = StatusForm(request.POST, device=device)
    if not form.is_valid():
        messages.error(request, "Choose the new status.")
        return redirect(back)
    status = form.cleaned_data["status"]
    return _act(
        request,
        lambda: device_set_status(
            device=device,
            status=status,
            note=form.cleaned_data["note"],
            by=request.user,
            request=request,
        ),
        f"Status changed to “{DeviceStatus(status).label}”.",
        back,
    )


# --- from the patient page ------------------------------------------------------------------
@require_GET
@staff_action("devices.manage")
def device_options(request, patient_pk):
    """The assign dialog on a patient page: devices matching the search, each with the rule
    that stops it from being assigned (if any)."""
    patient = patient_for_org(request.organization, patient_pk)
    query = request.GET.get("q", "").strip()[:64]
    devices = list(selectors.devices_assignable(request.organization, query=query)[:OPTIONS_LIMIT])
    options = [(d, assignment_problem(d, patient)) for d in devices]
    return render(
        request,
        "devices/_device_options.html",
        {"options": options, "query": query, "patient": patient},
    )


@require_POST
@staff_action("devices.manage")
def patient_assign_view(request, patient_pk):
    patient = patient_for_org(request.organization, patient_pk)
    back = reverse("patients:detail", args=[patient.pk])
    form = AssignDeviceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick the device to assign.")
        return redirect(back)
    device = selectors.device_for_org(request.organization, form.cleaned_data["device"])
    return _act(
        request,
        lambda: device_assign(device=device, patient=patient, by=request.user, request=request),
        f"{device.identifier} is now assigned to {patient.display_name}.",
        back,
    )


@require_POST
@staff_action("devices.manage")
def smart_meter_connect_view(request, patient_pk):
    patient = patient_for_org(request.organization, patient_pk)
    back = reverse("patients:detail", args=[patient.pk])
    form = SmartMeterConnectForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(back)
    imei = form.cleaned_data["imei"]
    warning = imei_warning(imei)
    if warning and not form.cleaned_data["confirm_imei"]:
        # A second submit, not a refusal: the label may really carry such an IMEI.
        return render(
            request,
            "devices/smart_meter_confirm.html",
            {
                "patient": patient,
                "imei": imei,
                "device_type": form.cleaned_data["device_type"],
                "device_label": SMART_METER_TYPE_LABELS[form.cleaned_data["device_type"]],
                "warning": warning,
            },
            status=HTTPStatus.UNPROCESSABLE_ENTITY,
        )
    return _act(
        request,
        lambda: smart_meter_connect(
            patient=patient, by=request.user, request=request, **form.cleaned_data
        ),
        f"Smart Meter {imei} is connected.",
        back,
    )


@require_POST
@staff_action("devices.manage")
def smart_meter_disconnect_view(request, patient_pk, connection_pk):
    patient = patient_for_org(request.organization, patient_pk)
    connection = SmartMeterConnection.objects.filter(patient=patient, pk=connection_pk).first()
    back = reverse("patients:detail", args=[patient.pk])
    if connection is None:
        from django.http import Http404

        raise Http404("No such Smart Meter connection.")
    return _act(
        request,
        lambda: smart_meter_disconnect(connection=connection, by=request.user, request=request),
        f"Smart Meter {connection.imei} is disconnected.",
        back,
    )


@require_POST
@staff_action("devices.manage")
def smart_meter_disconnect_all_view(request, patient_pk):
    patient = patient_for_org(request.organization, patient_pk)
    return _act(
        request,
        lambda: smart_meter_disconnect_all(patient=patient, by=request.user, request=request),
        "Every Smart Meter of this patient is disconnected.",
        reverse("patients:detail", args=[patient.pk]),
    )
