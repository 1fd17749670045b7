"""The patient page's visits and episodes panel. No audit event here: the patient page has
already written one for this request."""

from django.template.loader import render_to_string

from appointments import selectors
from appointments.forms import EpisodeForm


def patient_panel(request, patient) -> str:
    return render_to_string(
        "appointments/_panel.html",
        {
            "patient": patient,
            "upcoming": list(selectors.upcoming_for_patient(patient)),
            "past": list(selectors.past_for_patient(patient)),
            "episodes": list(selectors.episodes_for_patient(patient)),
            "episode_form": EpisodeForm(),
        },
        request=request,
    )
