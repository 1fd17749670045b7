"""Episode pages (seed 003 "Episodes of Care"): the patient's episodes as Solo lists them,
create one from the patient page, change one, see its visits, and assign a visit to one."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import selectors
from appointments.forms import EpisodeForm, EpisodeUpdateForm
from appointments.models import Episode
from appointments.services import records
from appointments.services.common import VisitRefused
from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.http import VendorError


def _message(exc) -> str:
    return exc.staff_message if isinstance(exc, VendorError) else str(exc)


@require_POST
@staff_action("visits.schedule")
def episode_create(request, patient_pk):
    patient = patient_for_org(request.organization, patient_pk)
    form = EpisodeForm(request.POST)
    back = reverse("patients:detail", args=[patient.pk]) + "#episodes"
    if not form.is_valid():
        first = next(iter(form.errors.items()))
        messages.error(request, f"The episode was not created. {first[0]}: {first[1][0]}")
        return redirect(back)
    try:
        records.episode_create(
            patient=patient, by=request.user, request=request, **form.cleaned_data
        )
    except (VisitRefused, VendorError) as exc:
        messages.error(request, f"The episode was not created. {_message(exc)}")
    else:
        messages.success(request, f"Episode “{form.cleaned_data['name']}” created in Solo.")
    return redirect(back)


@require_POST
@staff_action("visits.schedule")
def episode_assign(request, pk):
    visit = selectors.appointment_for_org(request.organization, pk)
    episode = None
    if request.POST.get("episode"):
        episode = get_object_or_404(
            Episode.objects.filter(organization=request.organization, patient=visit.patient),
            pk=request.POST["episode"],
        )
    try:
        records.appointment_episode_assign(
            appointment=visit, episode=episode, by=request.user, request=request
        )
    except (VisitRefused, VendorError) as exc:
        messages.error(request, f"The episode was not changed. {_message(exc)}")
    else:
        messages.success(request, "Episode updated.")
    return redirect(reverse("appointments:detail", args=[visit.pk]))


@require_GET
@staff_action("patients.view")
def episode_list(request, patient_pk):
    """The patient's episodes as Solo lists them (Get list of Episodes for patient), mirrored;
    loaded into the patient page by HTMX. When Solo cannot answer, the mirror is shown with
    the reason."""
    patient = patient_for_org(request.organization, patient_pk)
    problem = ""
    try:
        episodes = records.episodes_refresh(patient=patient)
    except VendorError as exc:
        episodes = list(selectors.episodes_for_patient(patient))
        problem = (
            f"Solo's list could not be read, so the portal's copy is shown. {exc.staff_message}"
        )
    audit_event_record(
        action="episode.list", request=request, patient=patient, detail={"count": len(episodes)}
    )
    context = {"patient": patient, "episodes": episodes, "problem": problem}
    template = "appointments/episodes.html"
    return render(request, template + "#list" if request.htmx else template, context)


@require_http_methods(["GET", "POST"])
@staff_action("patients.view")
def episode_detail(request, pk):
    """One episode: its visits as Solo lists them (Get list of Appointments for an Episode), and
    a form that sends changes to Solo (Update Episode)."""
    episode = get_object_or_404(
        Episode.objects.filter(organization=request.organization).select_related("patient"), pk=pk
    )
    form = EpisodeUpdateForm(
        request.POST if request.method == "POST" else None,
        initial={
            "name": episode.name,
            "kind": episode.kind,
            "starts_on": episode.starts_on,
            "ends_on": episode.ends_on,
            "status": episode.status,
            "objective": episode.objective,
            "reason_incomplete": episode.reason_incomplete,
        },
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                records.episode_update(
                    episode=episode, by=request.user, request=request, **form.cleaned_data
                )
            except (VisitRefused, VendorError) as exc:
                messages.error(request, f"The episode was not changed. {_message(exc)}")
            else:
                messages.success(request, f"Episode “{episode.name}” updated in Solo.")
                return redirect("appointments:episode_detail", pk=episode.pk)
        else:
            first = next(iter(form.errors.items()))
            messages.error(request, f"The episode was not changed. {first[0]}: {first[1][0]}")
    visits, problem = [], ""
    try:
        visits = records.episode_appointments(episode=episode)
    except VendorError as exc:
        problem = f"Solo's list of this episode's visits could not be read. {exc.staff_message}"
    audit_event_record(action="episode.view", request=request, patient=episode.patient, obj=episode)
    return render(
        request,
        "appointments/episode_detail.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "form": form,
            "visits": visits,
            "problem": problem,
        },
    )
