"""Episode pages: create an episode from the patient page, and assign a visit to one (seed 003
"Episodes of Care")."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from appointments import selectors
from appointments.forms import EpisodeForm
from appointments.models import Episode
from appointments.services import records
from appointments.services.common import VisitRefused
from portal.access import ANY_STAFF, patient_for_org, staff_view
from portal.http import VendorError


def _message(exc) -> str:
    return exc.staff_message if isinstance(exc, VendorError) else str(exc)


@require_POST
@staff_view(*ANY_STAFF)
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
@staff_view(*ANY_STAFF)
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
