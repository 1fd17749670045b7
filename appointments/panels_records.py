"""The patient page's Solo records panel: episodes of care (refreshed from Solo's list once the
page has loaded), the documents the portal added, and the stat consult request. No audit event
here: the patient page has already written one for this request; the episode list it loads
writes its own."""

from django.template.loader import render_to_string

from appointments import selectors
from appointments.forms import EpisodeForm


def patient_panel(request, patient) -> str:
    return render_to_string(
        "appointments/_records_panel.html",
        {
            "patient": patient,
            "episodes": list(selectors.episodes_for_patient(patient)),
            "episode_form": EpisodeForm(),
            "documents": list(selectors.documents_for_patient(patient)[:5]),
        },
        request=request,
    )
